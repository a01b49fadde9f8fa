import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectRise, ewma, mad, median, percentile, type SeriesPoint } from './anomaly.ts';

const HOUR = 3_600_000;

/** A deterministic pseudo-random walk around `level` (±`noise`), one point per hour. */
function series(values: readonly number[]): SeriesPoint[] {
  return values.map((value, i) => ({ t: i * HOUR, value }));
}
function noisy(n: number, level: number, noise: number, seed = 1): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 16807) % 2147483647;
    return level + ((x / 2147483647) * 2 - 1) * noise;
  });
}
/** Failure rates: within ±0.03 of 5%, and an absolute floor of 0.05 as the insights job uses. */
const rateOptions = { minScale: () => 0.05, minDelta: 0.1 };

describe('robust statistics', () => {
  it('median, MAD, percentile and EWMA on small lists', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
    assert.equal(mad([1, 1, 2, 2, 4, 6, 9]), 1);
    assert.equal(percentile([1, 2, 3, 4, 5], 0.5), 3);
    assert.equal(percentile([1, 2, 3, 4, 5], 0.95), 4.8);
    assert.equal(ewma([10, 10], 0.5, 0), 7.5);
    assert.throws(() => ewma([1], 0), RangeError);
  });

  it('a single wild point moves the median and MAD by little, unlike the mean', () => {
    const calm = [10, 11, 9, 10, 12, 10, 9, 11];
    const withSpike = [...calm, 500];
    assert.equal(median(withSpike), 10);
    assert.equal(mad(withSpike), 1);
    const mean = withSpike.reduce((s, v) => s + v, 0) / withSpike.length;
    assert.ok(mean > 60);
  });
});

describe('detectRise', () => {
  it('raises nothing on a stable noisy series', () => {
    assert.equal(detectRise(series(noisy(72, 0.05, 0.03)), rateOptions), null);
    assert.equal(detectRise(series(noisy(72, 800, 60, 7))), null);
    // Perfectly flat: the MAD is 0 and the floor keeps the z-score finite.
    assert.equal(detectRise(series(Array(48).fill(0))), null);
  });

  it('raises one sustained shift on a step change, dated at its first bucket', () => {
    const values = [...noisy(40, 0.05, 0.03), 0.45, 0.5, 0.48];
    const a = detectRise(series(values), rateOptions);
    assert.ok(a);
    assert.equal(a.type, 'shift');
    assert.equal(a.since, 40 * HOUR);
    assert.ok(a.levelScore >= 3.5);
    assert.ok(Math.abs(a.baseline.median - 0.05) < 0.02);
    // The next hour sees the same shift, with the same start: the same insight, not a new one.
    const later = detectRise(series([...values, 0.47]), rateOptions);
    assert.equal(later?.type, 'shift');
    assert.equal(later?.since, 40 * HOUR);
  });

  it('tells a single spike from a sustained shift', () => {
    const spike = detectRise(series([...noisy(40, 800, 60), 820, 790, 4000]));
    assert.equal(spike?.type, 'spike');
    assert.equal(spike?.since, 42 * HOUR);
    assert.equal(spike?.peak, 4000);
    const shift = detectRise(series([...noisy(40, 800, 60), 3900, 4000, 4100]));
    assert.equal(shift?.type, 'shift');
  });

  it('a spike in the history does not hide a later shift (robust baseline)', () => {
    const history = noisy(40, 800, 60);
    history[20] = 50_000;
    const a = detectRise(series([...history, 2400, 2500, 2450]));
    assert.equal(a?.type, 'shift');
    assert.ok(a.baseline.median < 900);
  });

  it('raises nothing with too little data', () => {
    assert.equal(detectRise(series([0.05, 0.04, 0.06, 0.9, 0.95, 0.9]), rateOptions), null);
    assert.equal(detectRise(series([...noisy(11, 0.05, 0.01), 0.9, 0.9, 0.9]), rateOptions), null);
    assert.ok(detectRise(series([...noisy(12, 0.05, 0.01), 0.9, 0.9, 0.9]), rateOptions));
  });

  it('ignores drops and rises smaller than the floor', () => {
    assert.equal(detectRise(series([...noisy(40, 800, 60), 100, 90, 80])), null);
    // 5% → 12%: over three MADs of a very calm series, but under the 10-point minimum rise.
    assert.equal(detectRise(series([...noisy(40, 0.05, 0.005), 0.12, 0.12, 0.12]), rateOptions), null);
  });
});
