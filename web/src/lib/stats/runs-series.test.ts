import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucketLabel, formatPercent, seriesTotals, successRate } from './runs-series';

describe('runs series helpers', () => {
  it('labels hour buckets by time and day buckets by date', () => {
    assert.match(bucketLabel('2026-03-10T12:00:00.000Z', 'hour', 'en-GB'), /^\d\d:00$/);
    assert.match(bucketLabel('2026-03-10T00:00:00.000Z', 'day', 'en-US'), /^Mar (9|10|11)$/);
  });

  it('computes the success rate over finished runs, cancelled ones left out unless asked', () => {
    assert.equal(successRate({ succeeded: 3, failed: 1, cancelled: 4 }), 0.75);
    assert.equal(successRate({ succeeded: 3, failed: 1, cancelled: 4 }, { cancelledIsFailure: true }), 3 / 8);
    assert.equal(successRate({ succeeded: 0, failed: 0 }), undefined);
  });

  it('formats shares as percentages', () => {
    assert.equal(formatPercent(0.975), '97.5 %');
    assert.equal(formatPercent(1), '100 %');
    assert.equal(formatPercent(0), '0 %');
    assert.equal(formatPercent(undefined), '—');
  });

  it('adds a series up', () => {
    const b = { start: '', succeeded: 1, failed: 2, cancelled: 0, active: 1, total: 4 };
    assert.deepEqual(seriesTotals([b, b]), { succeeded: 2, failed: 4, cancelled: 0, active: 2, total: 8 });
    assert.deepEqual(seriesTotals([]), { succeeded: 0, failed: 0, cancelled: 0, active: 0, total: 0 });
  });
});
