// The runs list's filters as they live in the URL (?status=failed&status=running&workflow=wfl_…&range=24h),
// so a filtered view can be bookmarked, shared and restored with the back button.

export const RUN_STATUSES = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const RUN_RANGES = {
  all: { label: 'Any time', ms: 0 },
  '1h': { label: 'Last hour', ms: 3_600_000 },
  '24h': { label: 'Last 24 hours', ms: 86_400_000 },
  '7d': { label: 'Last 7 days', ms: 7 * 86_400_000 },
  '30d': { label: 'Last 30 days', ms: 30 * 86_400_000 },
} as const;
export type RunRange = keyof typeof RUN_RANGES;

export interface RunFilters {
  statuses: RunStatus[];
  workflowId: string | undefined;
  range: RunRange;
}

const isStatus = (s: string): s is RunStatus => (RUN_STATUSES as readonly string[]).includes(s);
const isRange = (s: string): s is RunRange => Object.hasOwn(RUN_RANGES, s);

/** Unknown values in a hand-edited URL are dropped rather than sent to the API as a 400. */
export function readRunFilters(params: URLSearchParams): RunFilters {
  const statuses = [...new Set(params.getAll('status').filter(isStatus))];
  const workflow = params.get('workflow') ?? '';
  const range = params.get('range') ?? 'all';
  return {
    statuses,
    workflowId: /^wfl_[0-9a-z]{26}$/.test(workflow) ? workflow : undefined,
    range: isRange(range) ? range : 'all',
  };
}

/** The URL for `filters`, keeping any other parameter of `params` as it was. */
export function writeRunFilters(params: URLSearchParams, filters: RunFilters): URLSearchParams {
  const next = new URLSearchParams(params);
  next.delete('status');
  next.delete('workflow');
  next.delete('range');
  for (const s of filters.statuses) next.append('status', s);
  if (filters.workflowId) next.set('workflow', filters.workflowId);
  if (filters.range !== 'all') next.set('range', filters.range);
  return next;
}

/** The API query for `filters`; `from` is computed against `now`, so a page of results is stable. */
export function runQuery(filters: RunFilters, now: number) {
  const ms = RUN_RANGES[filters.range].ms;
  return {
    ...(filters.statuses.length ? { status: filters.statuses } : {}),
    ...(filters.workflowId ? { workflowId: filters.workflowId } : {}),
    ...(ms ? { from: new Date(now - ms).toISOString() } : {}),
  };
}

export const hasFilters = (f: RunFilters) => f.statuses.length > 0 || f.workflowId !== undefined || f.range !== 'all';

/** Whether a run can still change by itself (so the page keeps listening). */
export const isLive = (status: string) => status === 'queued' || status === 'running' || status === 'waiting';

export function toggle<T>(list: readonly T[], value: T): T[] {
  return list.includes(value) ? list.filter((v) => v !== value) : [...list, value];
}
