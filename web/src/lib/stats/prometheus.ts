// The Prometheus text exposition format (what /metrics answers), read into samples, and the few
// figures the Health page shows computed from one scrape or from two consecutive ones.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Every sample of a scrape, by metric name (histograms keep their _bucket/_sum/_count names). */
export type Scrape = Map<string, Sample[]>;

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?\s*$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

function unescape(value: string): string {
  return value.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function parseLabels(text: string | undefined): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  if (!text) return labels;
  LABEL.lastIndex = 0;
  let consumed = 0;
  for (let m = LABEL.exec(text); m; m = LABEL.exec(text)) {
    labels[m[1] as string] = unescape(m[2] as string);
    consumed = LABEL.lastIndex;
  }
  // A label set that does not parse to its end is malformed: the line is skipped, not guessed at.
  return consumed === text.length ? labels : undefined;
}

/** Reads a scrape; comment, blank and malformed lines are skipped. */
export function parsePrometheus(text: string): Scrape {
  const out: Scrape = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels = parseLabels(m[2]);
    const value = parseValue(m[3] as string);
    if (!labels || Number.isNaN(value)) continue;
    const name = m[1] as string;
    const list = out.get(name) ?? [];
    list.push({ name, labels, value });
    out.set(name, list);
  }
  return out;
}

type Match = Record<string, string | RegExp>;
const matches = (labels: Record<string, string>, match: Match | undefined) =>
  !match ||
  Object.entries(match).every(([k, want]) =>
    typeof want === 'string' ? labels[k] === want : want.test(labels[k] ?? ''),
  );

/** The sum of a metric's samples (optionally those whose labels match), or undefined when absent. */
export function sumOf(scrape: Scrape, name: string, match?: Match): number | undefined {
  const list = scrape.get(name)?.filter((s) => matches(s.labels, match));
  if (!list || list.length === 0) return undefined;
  return list.reduce((n, s) => n + s.value, 0);
}

/** One label of a metric's first sample (e.g. nodejs_version_info's `version`). */
export function labelOf(scrape: Scrape, name: string, label: string): string | undefined {
  return scrape.get(name)?.[0]?.labels[label];
}

/**
 * A quantile of a histogram over all its series (summed per bucket bound), interpolated linearly
 * inside the bucket as Prometheus' histogram_quantile does. Undefined with no observations.
 */
export function histogramQuantile(scrape: Scrape, name: string, q: number, match?: Match): number | undefined {
  const byBound = new Map<number, number>();
  for (const s of scrape.get(`${name}_bucket`) ?? []) {
    if (!matches(s.labels, match)) continue;
    const le = parseValue(s.labels.le ?? '');
    if (Number.isNaN(le)) continue;
    byBound.set(le, (byBound.get(le) ?? 0) + s.value);
  }
  const buckets = [...byBound.entries()].sort((a, b) => a[0] - b[0]);
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const [bound, count] of buckets) {
    if (count >= rank) {
      // The +Inf bucket has no upper edge: the best answer is the highest finite bound.
      if (bound === Infinity) return prevBound;
      const inBucket = count - prevCount;
      return inBucket <= 0 ? bound : prevBound + ((bound - prevBound) * (rank - prevCount)) / inBucket;
    }
    prevBound = bound;
    prevCount = count;
  }
  return prevBound;
}

/** Per-second increase of a counter between two scrapes; undefined when unknown or reset. */
export function ratePerSecond(
  before: number | undefined,
  after: number | undefined,
  seconds: number,
): number | undefined {
  if (before === undefined || after === undefined || seconds <= 0 || after < before) return undefined;
  return (after - before) / seconds;
}
