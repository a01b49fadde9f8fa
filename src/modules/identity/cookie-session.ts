import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomToken, safeEqual } from '../../platform/crypto/index.ts';
import { AppError } from '../../platform/errors.ts';

/**
 * Browser sessions: the refresh token travels in an `HttpOnly; Secure; SameSite=Strict` cookie
 * that scripts cannot read, scoped to the auth routes, instead of in JSON a script could steal.
 * A client opts in with `X-Session-Transport: cookie` on login, sign-up or refresh. Using the
 * cookie needs a CSRF proof besides SameSite: the `X-CSRF-Token` header must equal the readable
 * `sy_csrf` cookie (double submit), which another site can neither read nor set.
 */
export const REFRESH_COOKIE = 'sy_refresh';
export const CSRF_COOKIE = 'sy_csrf';
const REFRESH_PATH = '/api/v1/auth';

export const wantsCookieTransport = (req: FastifyRequest) =>
  String(req.headers['x-session-transport'] ?? '').toLowerCase() === 'cookie';

export function readCookie(req: FastifyRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header || header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

function cookie(name: string, value: string, attrs: string[]): string {
  return [`${name}=${encodeURIComponent(value)}`, ...attrs].join('; ');
}

/** Moves a refresh token into cookies; returns the CSRF token the client must echo. */
export function setSessionCookies(reply: FastifyReply, refreshToken: string, maxAgeSeconds: number): string {
  const csrf = randomToken(24);
  reply.header('set-cookie', [
    cookie(REFRESH_COOKIE, refreshToken, [
      `Path=${REFRESH_PATH}`,
      `Max-Age=${maxAgeSeconds}`,
      'HttpOnly',
      'Secure',
      'SameSite=Strict',
    ]),
    cookie(CSRF_COOKIE, csrf, ['Path=/', `Max-Age=${maxAgeSeconds}`, 'Secure', 'SameSite=Strict']),
  ]);
  return csrf;
}

export function clearSessionCookies(reply: FastifyReply): void {
  reply.header('set-cookie', [
    cookie(REFRESH_COOKIE, '', [`Path=${REFRESH_PATH}`, 'Max-Age=0', 'HttpOnly', 'Secure', 'SameSite=Strict']),
    cookie(CSRF_COOKIE, '', ['Path=/', 'Max-Age=0', 'Secure', 'SameSite=Strict']),
  ]);
}

/** The refresh token from the cookie, once the request proves it comes from our own page. */
export function refreshTokenFromCookie(req: FastifyRequest): string | undefined {
  const token = readCookie(req, REFRESH_COOKIE);
  if (!token) return undefined;
  const expected = readCookie(req, CSRF_COOKIE);
  const given = req.headers['x-csrf-token'];
  if (!expected || typeof given !== 'string' || !safeEqual(given, expected)) {
    throw new AppError(
      'AUTH_CSRF_FAILED',
      'forbidden',
      'Send the sy_csrf cookie value as X-CSRF-Token to use the session cookie.',
    );
  }
  return token;
}

/**
 * onSend hook for the auth routes: when the client asked for cookies, a response carrying a
 * refresh token gives it as a cookie instead, and `csrfToken` takes its place in the body.
 */
export function cookieTransportHook(refreshTtlSeconds: number) {
  return async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (!wantsCookieTransport(req) || reply.statusCode >= 300 || typeof payload !== 'string') return payload;
    if (!payload.includes('"refreshToken"')) return payload;
    const body = JSON.parse(payload) as { refreshToken?: unknown };
    if (typeof body.refreshToken !== 'string') return payload;
    const csrfToken = setSessionCookies(reply, body.refreshToken, refreshTtlSeconds);
    const { refreshToken: _moved, ...rest } = body;
    return JSON.stringify({ ...rest, csrfToken, refreshTransport: 'cookie' });
  };
}
