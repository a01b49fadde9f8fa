// The audit log's filters as they live in the URL (?action=item.updated&from=…), so a filtered
// view can be bookmarked and shared. Times are kept as ISO instants in the URL and shown in the
// browser's local time in the inputs.

export const AUDIT_FILTER_KEYS = ['action', 'actorId', 'targetType', 'targetId', 'requestId', 'from', 'to'] as const;
export type AuditFilterKey = (typeof AUDIT_FILTER_KEYS)[number];
export type AuditFilters = Partial<Record<AuditFilterKey, string>>;

const MAX = 200;

/** Reads the filters, dropping empty, over-long and unparsable values so the API never 400s on a URL. */
export function readAuditFilters(params: URLSearchParams): AuditFilters {
  const out: AuditFilters = {};
  for (const key of AUDIT_FILTER_KEYS) {
    const v = params.get(key)?.trim();
    if (!v || v.length > MAX) continue;
    if ((key === 'from' || key === 'to') && Number.isNaN(Date.parse(v))) continue;
    out[key] = v;
  }
  return out;
}

/** Writes the filters into a copy of `params` (keeping unrelated keys) in a stable order. */
export function writeAuditFilters(params: URLSearchParams, filters: AuditFilters): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const key of AUDIT_FILTER_KEYS) next.delete(key);
  for (const key of AUDIT_FILTER_KEYS) {
    const v = filters[key]?.trim();
    if (v) next.set(key, v);
  }
  return next;
}

/** The API query for the filters: instants normalised to UTC ISO strings. */
export function auditQuery(filters: AuditFilters): AuditFilters {
  const q: AuditFilters = { ...filters };
  for (const key of ['from', 'to'] as const) {
    const v = q[key];
    if (v) q[key] = new Date(v).toISOString();
  }
  return q;
}

export const countFilters = (f: AuditFilters): number => AUDIT_FILTER_KEYS.filter((k) => f[k]).length;

const pad = (n: number) => String(n).padStart(2, '0');

/** An ISO instant as a datetime-local input's value, in local time ('' when absent). */
export function isoToLocalInput(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local value (local time) as an ISO instant, or undefined when empty or invalid. */
export function localInputToIso(local: string): string | undefined {
  if (!local.trim()) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** What changed between an entry's before and after: keys added, removed or given another value. */
export function changedKeys(
  before: Record<string, unknown> | null | undefined,
  after: Record<string, unknown> | null | undefined,
): { key: string; before: unknown; after: unknown }[] {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  const out: { key: string; before: unknown; after: unknown }[] = [];
  for (const key of [...keys].sort()) {
    const b = before?.[key];
    const a = after?.[key];
    if (JSON.stringify(b) !== JSON.stringify(a)) out.push({ key, before: b, after: a });
  }
  return out;
}
