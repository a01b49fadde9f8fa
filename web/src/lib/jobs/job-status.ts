// Job statuses and the list filters as they live in the URL (?status=failed&status=queued&type=cleanup),
// so a filtered list can be bookmarked, shared and reloaded.
import { JOB_TYPES, type JobType } from './job-form.ts';

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Statuses a job can still leave on its own: worth polling while one is on screen. */
export const isLive = (status: string): boolean => status === 'queued' || status === 'running';
export const canRetry = (status: string): boolean => status === 'failed' || status === 'cancelled';
export const canCancel = isLive;

export interface JobFilters {
  statuses: JobStatus[];
  types: JobType[];
}

const oneOf =
  <T extends string>(allowed: readonly T[]) =>
  (v: string): v is T =>
    (allowed as readonly string[]).includes(v);

/** Reads the filters from the query string, dropping unknown and repeated values. */
export function readJobFilters(params: URLSearchParams): JobFilters {
  return {
    statuses: [...new Set(params.getAll('status'))].filter(oneOf(JOB_STATUSES)),
    types: [...new Set(params.getAll('type'))].filter(oneOf(JOB_TYPES)),
  };
}

/** Writes the filters into a copy of `params`, keeping unrelated keys, in a stable order. */
export function writeJobFilters(params: URLSearchParams, filters: JobFilters): URLSearchParams {
  const next = new URLSearchParams(params);
  next.delete('status');
  next.delete('type');
  for (const s of JOB_STATUSES) if (filters.statuses.includes(s)) next.append('status', s);
  for (const t of JOB_TYPES) if (filters.types.includes(t)) next.append('type', t);
  return next;
}

export function toggle<T>(list: readonly T[], value: T): T[] {
  return list.includes(value) ? list.filter((v) => v !== value) : [...list, value];
}

/** A report job's file, when its result names one. */
export function reportFile(result: unknown): { fileId: string; name: string; rows?: number; bytes?: number } | null {
  if (typeof result !== 'object' || result === null) return null;
  const r = result as Record<string, unknown>;
  if (typeof r.fileId !== 'string' || !/^fil_[A-Za-z0-9_-]+$/.test(r.fileId)) return null;
  return {
    fileId: r.fileId,
    name: typeof r.name === 'string' && r.name ? r.name : `${r.fileId}.txt`,
    ...(typeof r.rows === 'number' ? { rows: r.rows } : {}),
    ...(typeof r.bytes === 'number' ? { bytes: r.bytes } : {}),
  };
}
