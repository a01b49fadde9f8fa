import assert from 'node:assert/strict';
import { it } from 'node:test';
import { idPattern, newId } from './ids.ts';

it('mints prefixed ids that sort by creation time and match their pattern', () => {
  const a = newId('itm', Date.UTC(2026, 0, 1));
  const b = newId('itm', Date.UTC(2026, 0, 1, 0, 0, 0, 1));
  const c = newId('itm', Date.UTC(2030, 0, 1));
  assert.match(a, idPattern('itm'));
  assert.ok(a < b && b < c);
  assert.doesNotMatch(a, idPattern('aud'));
  const many = new Set(Array.from({ length: 10_000 }, () => newId('aud')));
  assert.equal(many.size, 10_000);
});
