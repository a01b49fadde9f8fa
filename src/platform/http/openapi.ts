import { ProblemSchema } from './problem.ts';

type ProblemStatus = 400 | 404 | 409 | 412 | 413 | 415 | 429 | 503;

/** Problem responses for a route's OpenAPI entry: `response: { 200: X, ...problems(400, 404) }`. */
export function problems<S extends ProblemStatus>(...statuses: S[]): Record<S, typeof ProblemSchema> {
  return Object.fromEntries(statuses.map((s) => [s, ProblemSchema])) as Record<S, typeof ProblemSchema>;
}

/** Strong ETag for a resource version: `"3"`. */
export const etag = (version: number) => `"${version}"`;
