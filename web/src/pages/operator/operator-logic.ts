// Pure helpers of the operator area (tested in operator-logic.test.ts).

/** A quota field: empty means "no limit" (null); otherwise a whole number in the API's bounds. */
export function parseQuota(
  raw: string,
  bounds: { min: number; max: number },
): { ok: true; value: number | null } | { ok: false; error: string } {
  const text = raw.trim().replaceAll(/[\s,_]/g, '');
  if (text === '') return { ok: true, value: null };
  if (!/^\d+$/.test(text)) return { ok: false, error: 'Enter a whole number, or leave it empty for no limit.' };
  const value = Number(text);
  if (value < bounds.min || value > bounds.max) {
    return { ok: false, error: `Between ${bounds.min} and ${bounds.max.toLocaleString('en')}, or empty for no limit.` };
  }
  return { ok: true, value };
}

export type TextPart = { kind: 'text'; text: string } | { kind: 'link'; href: string };

/**
 * Splits an email's plain text into text and http(s) links, so the outbox shows reset and
 * invitation links as links. Trailing punctuation stays text ("…/reset?token=x." ends a sentence).
 */
export function splitLinks(text: string): TextPart[] {
  const parts: TextPart[] = [];
  const re = /https?:\/\/[^\s<>"']+/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    const href = m[0].replace(/[.,;:!?)\]]+$/, '');
    const start = m.index;
    if (start > last) parts.push({ kind: 'text', text: text.slice(last, start) });
    parts.push({ kind: 'link', href });
    last = start + href.length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}

/** "3 days 4 h", "2 h 5 min", "12 min": an uptime in words. */
export function formatUptime(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) return `${d} day${d === 1 ? '' : 's'} ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min`;
  return `${Math.max(0, Math.floor(seconds))} s`;
}
