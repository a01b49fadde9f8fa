import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { hashToken, prefixedSecret, randomToken, safeEqual } from './tokens.ts';

describe('tokens', () => {
  it('mints unique base64url tokens of the requested strength', () => {
    const tokens = new Set(Array.from({ length: 10_000 }, () => randomToken()));
    assert.equal(tokens.size, 10_000);
    for (const t of [...tokens].slice(0, 100)) assert.match(t, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(randomToken(30), 'base64url').length, 30);
    assert.throws(() => randomToken(8), RangeError);
    assert.throws(() => randomToken(16.5), RangeError);
  });

  it('hashes a token to the same sha256 hex every time, and different tokens differently', () => {
    const t = randomToken();
    assert.equal(hashToken(t), hashToken(t));
    assert.equal(hashToken(t), createHash('sha256').update(t).digest('hex'));
    assert.match(hashToken(t), /^[0-9a-f]{64}$/);
    assert.notEqual(hashToken(t), hashToken(randomToken()));
    assert.equal(hashToken('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('compares strings for equality whatever their lengths', () => {
    assert.equal(safeEqual('same', 'same'), true);
    assert.equal(safeEqual('', ''), true);
    assert.equal(safeEqual('same', 'Same'), false);
    assert.equal(safeEqual('short', 'shorter'), false);
    assert.equal(safeEqual('', 'x'), false);
    assert.equal(safeEqual('ü', 'u\u0308'), false);
  });

  it('mints prefixed API keys with a display prefix and the hash to store', () => {
    const keys = Array.from({ length: 1000 }, () => prefixedSecret('sy_live'));
    assert.equal(new Set(keys.map((k) => k.secret)).size, 1000);
    for (const k of keys) {
      assert.match(k.secret, /^sy_live_[0-9A-Za-z]{43}$/);
      assert.ok(k.secret.startsWith(k.displayPrefix));
      assert.match(k.displayPrefix, /^sy_live_[0-9A-Za-z]{6}$/);
      assert.equal(k.hash, hashToken(k.secret));
    }
    // Every base62 character turns up: the alphabet is used in full.
    assert.equal(new Set(keys.flatMap((k) => [...k.secret.slice('sy_live_'.length)])).size, 62);
    assert.match(prefixedSecret('sy_test_').secret, /^sy_test_[0-9A-Za-z]{43}$/);
    for (const bad of ['', 'SY', 'sy-live', 'sy__live', '_sy', 'sy live']) {
      assert.throws(() => prefixedSecret(bad), RangeError, bad);
    }
  });
});
