import type { FastifyReply, FastifyRequest } from 'fastify';
import { toAppError } from '../../../platform/http/problem.ts';
import { setSessionCookies } from '../cookie-session.ts';
import type { MfaRequired, SessionTokens } from '../identity.dto.ts';
import { RedirectTo } from './sso.dto.ts';

/**
 * The callback is reached by a browser navigating back from the identity provider, where JSON
 * would be a dead end. A navigation asks for HTML (`Accept: text/html`); API clients do not, and
 * keep getting the JSON answer.
 */
export const wantsBrowserRedirect = (req: FastifyRequest) =>
  String(req.headers.accept ?? '')
    .toLowerCase()
    .includes('text/html');

/**
 * Where a finished sign-in may send the browser: only a path on this server. `redirectTo` was
 * checked at /start already; it is checked again because a redirect is where an open redirect
 * would do harm, and the stored value should never be trusted more than the schema.
 */
export function safeRedirectPath(redirectTo: string | null | undefined): string {
  return redirectTo && RedirectTo.safeParse(redirectTo).success ? redirectTo : '/';
}

/**
 * Hands a finished sign-in to the dashboard: the refresh token as the session cookies (the page
 * renews its access token from them on load) and a 302 to `redirectTo`. When the account still
 * owes its second factor, the MFA token goes to the login page in the URL *fragment*, which the
 * browser never sends to a server, so it stays out of request logs and `Referer` headers.
 */
export function redirectWithSession(
  reply: FastifyReply,
  result: (SessionTokens | MfaRequired) & { redirectTo: string | null },
  refreshTtlSeconds: number,
): FastifyReply {
  const next = safeRedirectPath(result.redirectTo);
  if ('mfaRequired' in result) {
    const query = next === '/' ? '' : `?next=${encodeURIComponent(next)}`;
    return reply.redirect(`/login${query}#mfaToken=${encodeURIComponent(result.mfaToken)}`, 302);
  }
  setSessionCookies(reply, result.refreshToken, refreshTtlSeconds);
  return reply.redirect(next, 302);
}

/** A failed browser sign-in lands on the login page, which explains the code in words. */
export function redirectWithError(req: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  const error = toAppError(err);
  if (error.kind === 'internal') req.log.error({ err: error.cause ?? err }, 'single sign-on failed');
  else req.log.info({ code: error.code }, 'single sign-on refused');
  return reply.redirect(`/login?ssoError=${encodeURIComponent(error.code)}`, 302);
}
