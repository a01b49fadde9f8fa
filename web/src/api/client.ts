// The dashboard's one API client: openapi-fetch typed by openapi.d.ts (generated from the
// server's OpenAPI document), so a changed API fails the web type check instead of a page.
// The access token lives only in memory; the refresh token is an HttpOnly cookie the page cannot
// read (X-Session-Transport: cookie), renewed with the double-submit CSRF header.
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './openapi';

export type Schemas = components['schemas'];

export interface ProblemIssue {
  path: string;
  message: string;
}

/** A problem+json answer (or a network failure) as an Error the UI can show in words. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | undefined;
  readonly issues: ProblemIssue[];
  /** The whole problem document, for pages that read extra members (e.g. validation problems). */
  readonly problem: Record<string, unknown>;

  constructor(status: number, problem: Record<string, unknown>) {
    const detail = typeof problem.detail === 'string' ? problem.detail : undefined;
    const title = typeof problem.title === 'string' ? problem.title : undefined;
    super(detail ?? title ?? `Request failed (${status})`);
    this.name = 'ApiError';
    this.status = status;
    this.code = typeof problem.code === 'string' ? problem.code : status === 0 ? 'NETWORK_ERROR' : 'HTTP_ERROR';
    this.requestId = typeof problem.requestId === 'string' ? problem.requestId : undefined;
    this.issues = Array.isArray(problem.issues) ? (problem.issues as ProblemIssue[]) : [];
    this.problem = problem;
  }
}

let accessToken: string | undefined;
let onSessionLost: (() => void) | undefined;

export function setAccessToken(token: string | undefined): void {
  accessToken = token;
}
export function getAccessToken(): string | undefined {
  return accessToken;
}
/** Called when a refresh fails: the session is gone, the app shows the login page. */
export function setSessionLostHandler(handler: (() => void) | undefined): void {
  onSessionLost = handler;
}

export function readCookie(name: string): string | undefined {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/** Headers every session-creating call sends, so the refresh token comes back as a cookie. */
export const COOKIE_TRANSPORT = { 'x-session-transport': 'cookie' } as const;

let refreshing: Promise<boolean> | undefined;

/** Renews the access token from the refresh cookie; one refresh at a time for the whole page. */
export function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    const csrf = readCookie('sy_csrf');
    if (!csrf) return false;
    try {
      const res = await fetch('/api/v1/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...COOKIE_TRANSPORT, 'x-csrf-token': csrf },
        body: '{}',
        credentials: 'same-origin',
      });
      if (!res.ok) return false;
      const body = (await res.json()) as { accessToken?: string };
      setAccessToken(body.accessToken);
      return Boolean(body.accessToken);
    } catch {
      return false;
    }
  })().finally(() => {
    refreshing = undefined;
  });
  return refreshing;
}

const PUBLIC_AUTH = /^\/api\/v1\/auth\/(login|signup|refresh|password\/(forgot|reset)|verify-email|signup-invited)/;
const retryable = new Map<string, Request>();

const auth: Middleware = {
  onRequest({ request, id }) {
    if (accessToken) request.headers.set('authorization', `Bearer ${accessToken}`);
    // Kept so a request that met an expired token can be sent again once, after a refresh.
    if (!PUBLIC_AUTH.test(new URL(request.url).pathname)) retryable.set(id, request.clone());
    return request;
  },
  async onResponse({ response, id }) {
    const original = retryable.get(id);
    retryable.delete(id);
    if (response.status !== 401 || !original) return response;
    if (!(await refreshSession())) {
      onSessionLost?.();
      return response;
    }
    original.headers.set('authorization', `Bearer ${accessToken}`);
    return fetch(original);
  },
  onError({ id }) {
    retryable.delete(id);
  },
};

export const api = createClient<paths>({ baseUrl: globalThis.location?.origin ?? '' });
api.use(auth);

type Result<T> = { data?: T; error?: unknown; response: Response };

/** Awaits an openapi-fetch call and returns its data, or throws an ApiError with the problem. */
export async function call<T>(request: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await request;
  } catch (err) {
    throw new ApiError(0, { detail: `Cannot reach the server (${(err as Error).message}).` });
  }
  if (result.response.ok) return result.data as T;
  const problem =
    result.error && typeof result.error === 'object'
      ? (result.error as Record<string, unknown>)
      : { detail: typeof result.error === 'string' && result.error ? result.error : result.response.statusText };
  throw new ApiError(result.response.status, problem);
}

/** Plain fetch with the session's token, for what the typed client does not cover (streams, files). */
export async function authorizedFetch(input: string, init: RequestInit = {}): Promise<Response> {
  const send = () => {
    const headers = new Headers(init.headers);
    if (accessToken) headers.set('authorization', `Bearer ${accessToken}`);
    return fetch(input, { ...init, headers });
  };
  const res = await send();
  if (res.status !== 401) return res;
  if (!(await refreshSession())) {
    onSessionLost?.();
    return res;
  }
  return send();
}
