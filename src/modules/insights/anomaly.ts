/**
 * Robust change detection on short hourly series (failure rate, latency), as pure functions.
 *
 * Why robust statistics: run history is full of one-off outliers (a deploy, a flaky upstream).
 * A mean and standard deviation are dragged by a single spike, which then hides the next real
 * change; the median and the median absolute deviation (MAD) ignore up to half the points being
 * wild. The EWMA smooths the recent points into one "current level", so a sustained shift is
 * told apart from a lone spike.
 */

/** One bucket of a series: its start (ms since epoch) and its value. */
export interface SeriesPoint {
  t: number;
  value: number;
}

export interface DetectOptions {
  /** Trailing points judged against the baseline (default 3). */
  recent?: number;
  /** Fewer baseline points than this: too little data, nothing is raised (default 12). */
  minBaseline?: number;
  /** Robust z-score a point must reach to count as deviating (default 3.5, Iglewicz–Hoaglin). */
  threshold?: number;
  /** EWMA smoothing factor over the recent points, seeded with the baseline median (default 0.5). */
  alpha?: number;
  /**
   * The smallest scale (in the series' unit) a deviation is measured against, given the baseline
   * median: a perfectly stable series has a MAD of 0, and without a floor any wobble would be an
   * infinite z-score. Default: 10% of the median, at least 1e-9.
   */
  minScale?: (median: number) => number;
  /** Smallest rise over the median that can count, in the series' unit, or as a function of the median (default 0). */
  minDelta?: number | ((median: number) => number);
}

export type Anomaly = {
  /** `spike`: one recent point deviates; `shift`: the level itself moved and stays there. */
  type: 'spike' | 'shift';
  /** Start of the first deviating bucket: a stable key for the same anomaly in later passes. */
  since: number;
  baseline: { median: number; mad: number; scale: number; points: number };
  /** The EWMA level of the recent points and its robust z-score. */
  level: number;
  levelScore: number;
  /** The highest recent point and its robust z-score. */
  peak: number;
  peakScore: number;
};

/** Median of a list (the mean of the two middle values for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Median absolute deviation from the median. */
export function mad(values: readonly number[], center = median(values)): number {
  return median(values.map((v) => Math.abs(v - center)));
}

/** Exponentially weighted moving average: `s = alpha·x + (1 − alpha)·s`, from `seed` (default the first value). */
export function ewma(values: readonly number[], alpha: number, seed?: number): number {
  if (!(alpha > 0 && alpha <= 1)) throw new RangeError('alpha must be in (0, 1]');
  let s = seed ?? values[0] ?? Number.NaN;
  for (const v of values) s = alpha * v + (1 - alpha) * s;
  return s;
}

/** 1.4826·MAD estimates the standard deviation of normal data. */
const MAD_TO_SIGMA = 1.4826;

/**
 * Looks for a rise at the end of `series` (oldest first). The last `recent` points are compared
 * with the points before them (the baseline) by robust z-score `(x − median) / (1.4826·MAD)`:
 *
 * - `shift`: at least two recent points reach `threshold`, and so does their EWMA level;
 * - `spike`: exactly one recent point reaches it (the level may or may not);
 * - nothing otherwise, and nothing when the baseline has fewer than `minBaseline` points.
 *
 * Only rises are reported (more failures, slower runs); improvements are not anomalies.
 */
export function detectRise(series: readonly SeriesPoint[], options: DetectOptions = {}): Anomaly | null {
  const recentCount = options.recent ?? 3;
  const minBaseline = options.minBaseline ?? 12;
  const threshold = options.threshold ?? 3.5;
  const alpha = options.alpha ?? 0.5;
  if (series.length < minBaseline + recentCount) return null;
  const baselinePoints = series.slice(0, series.length - recentCount);
  const recent = series.slice(series.length - recentCount);
  const values = baselinePoints.map((p) => p.value);
  const m = median(values);
  const d = mad(values, m);
  const floor = options.minScale ? options.minScale(m) : Math.abs(m) * 0.1;
  const scale = Math.max(MAD_TO_SIGMA * d, floor, 1e-9);
  const minDelta = typeof options.minDelta === 'function' ? options.minDelta(m) : (options.minDelta ?? 0);
  const score = (x: number) => (x - m < minDelta ? 0 : (x - m) / scale);

  const scores = recent.map((p) => score(p.value));
  const deviating = scores.filter((z) => z >= threshold).length;
  if (deviating === 0) return null;
  const level = ewma(
    recent.map((p) => p.value),
    alpha,
    m,
  );
  const levelScore = score(level);
  const peakIndex = scores.indexOf(Math.max(...scores));
  const base = {
    baseline: { median: m, mad: d, scale, points: baselinePoints.length },
    level,
    levelScore,
    peak: recent[peakIndex]?.value ?? Number.NaN,
    peakScore: scores[peakIndex] ?? 0,
  };
  if (deviating >= 2 && levelScore >= threshold) {
    // The shift began at the first point of the trailing run of deviating points, which may
    // reach back into the baseline: the key stays the same while the shift lasts.
    let start = series.length - 1;
    while (start > 0 && score((series[start - 1] as SeriesPoint).value) >= threshold) start--;
    while (start < series.length - 1 && score((series[start] as SeriesPoint).value) < threshold) start++;
    return { type: 'shift', since: (series[start] as SeriesPoint).t, ...base };
  }
  if (deviating === 1) {
    return { type: 'spike', since: recent[scores.findIndex((z) => z >= threshold)]?.t ?? 0, ...base };
  }
  return null;
}

/** The p-th percentile (0–1) by linear interpolation between closest ranks; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.min(Math.max(p, 0), 1) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (rank - lo);
}
