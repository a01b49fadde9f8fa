import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatUptime, parseQuota, splitLinks } from './operator-logic.ts';

describe('parseQuota', () => {
  const bounds = { min: 1, max: 1_000_000 };
  it('reads empty as no limit and digits as a number', () => {
    assert.deepEqual(parseQuota('  ', bounds), { ok: true, value: null });
    assert.deepEqual(parseQuota('1,000', bounds), { ok: true, value: 1000 });
  });
  it('refuses fractions, negatives and values out of bounds', () => {
    for (const bad of ['1.5', '-2', 'ten', '0', '1000001']) assert.equal(parseQuota(bad, bounds).ok, false, bad);
  });
});

describe('splitLinks', () => {
  it('finds links and leaves the sentence around them', () => {
    assert.deepEqual(splitLinks('Reset: http://localhost:3000/reset-password?token=ab_c. Thanks'), [
      { kind: 'text', text: 'Reset: ' },
      { kind: 'link', href: 'http://localhost:3000/reset-password?token=ab_c' },
      { kind: 'text', text: '. Thanks' },
    ]);
  });
  it('returns plain text untouched', () => {
    assert.deepEqual(splitLinks('no links here'), [{ kind: 'text', text: 'no links here' }]);
  });
});

describe('formatUptime', () => {
  it('uses the two largest units', () => {
    assert.equal(formatUptime(42), '42 s');
    assert.equal(formatUptime(3 * 3600 + 120), '3 h 2 min');
    assert.equal(formatUptime(2 * 86400 + 3600), '2 days 1 h');
  });
});
