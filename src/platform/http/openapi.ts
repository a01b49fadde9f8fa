import { ProblemSchema } from './problem.ts';

type ProblemStatus = 400 | 403 | 404 | 409 | 410 | 412 | 413 | 415 | 422 | 429 | 502 | 503 | 504;

const PROBLEM_DESCRIPTIONS: Record<ProblemStatus, string> = {
  400: 'Invalid request: see `code` and `issues`',
  404: 'Not found',
  409: 'Conflict',
  410: 'Gone (expired)',
  412: 'Precondition failed (stale If-Match)',
  413: 'Body too large',
  403: 'Forbidden',
  415: 'Unsupported media type',
  422: 'Cannot be done as this instance is configured',
  429: 'Rate limited',
  502: 'An upstream service (a model provider) answered badly',
  503: 'Unavailable',
  504: 'An upstream service (a model provider) timed out',
};

const problemResponse = (status: ProblemStatus) => ({
  description: PROBLEM_DESCRIPTIONS[status],
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

/** Problem responses for a route's OpenAPI entry: `response: { 200: X, ...problems(400, 404) }`. */
export function problems<S extends ProblemStatus>(...statuses: S[]): Record<S, ReturnType<typeof problemResponse>> {
  return Object.fromEntries(statuses.map((s) => [s, problemResponse(s)])) as Record<
    S,
    ReturnType<typeof problemResponse>
  >;
}

/** Strong ETag for a resource version: `"3"`. */
export const etag = (version: number) => `"${version}"`;
