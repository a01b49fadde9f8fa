import assert from 'node:assert/strict';
import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { KeyRing, SECRET_BOX_ERRORS, SecretBoxError } from './secret-box.ts';

const key = () => randomBytes(32);
const rejectsWith = (code: string) => (err: unknown) => err instanceof SecretBoxError && err.code === code;

describe('KeyRing', () => {
  it('opens what it sealed, for text and for bytes, with and without a context', () => {
    const ring = new KeyRing([key()]);
    for (const text of ['', 'x', 'sk-live-🔑-ünïcödé', 'a'.repeat(10_000)]) {
      assert.equal(ring.open(ring.seal(text)), text);
      assert.equal(
        ring.open(ring.seal(text, 'tenant:ten_1:credential:cred_1'), 'tenant:ten_1:credential:cred_1'),
        text,
      );
    }
    const bytes = randomBytes(100);
    assert.deepEqual(ring.openBytes(ring.seal(bytes)), bytes);
  });

  it('writes a versioned string naming the key, with a fresh IV each time', () => {
    const k = key();
    const ring = new KeyRing([k]);
    const a = ring.seal('same secret');
    const b = ring.seal('same secret');
    const id = createHash('sha256').update(k).digest('hex').slice(0, 8);
    assert.match(a, new RegExp(`^v1\\.${id}\\.[A-Za-z0-9_-]{16}\\.[A-Za-z0-9_-]+$`));
    assert.equal(ring.currentKeyId, id);
    assert.notEqual(a, b);
    assert.notEqual(a.split('.')[2], b.split('.')[2]);
    assert.ok(!a.includes(Buffer.from('same secret').toString('base64url')));
  });

  it('refuses a sealed value with any single character changed', () => {
    const ring = new KeyRing([key()]);
    const sealed = ring.seal('connector password', 'ctx');
    for (let i = 0; i < sealed.length; i++) {
      const c = sealed[i];
      const replacement = c === 'A' ? 'B' : 'A';
      const tampered = sealed.slice(0, i) + replacement + sealed.slice(i + 1);
      assert.throws(() => ring.open(tampered, 'ctx'), SecretBoxError, `position ${i} (${c} → ${replacement})`);
    }
  });

  it('refuses a ciphertext whose tag was truncated or whose body was spliced from another value', () => {
    const ring = new KeyRing([key()]);
    const [v, id, iv, body] = ring.seal('secret one').split('.') as [string, string, string, string];
    const shortTag = Buffer.from(body, 'base64url').subarray(0, -4).toString('base64url');
    assert.throws(() => ring.open([v, id, iv, shortTag].join('.')), rejectsWith(SECRET_BOX_ERRORS.tampered));
    const other = ring.seal('secret two').split('.')[3];
    assert.throws(() => ring.open([v, id, iv, other].join('.')), rejectsWith(SECRET_BOX_ERRORS.tampered));
  });

  it('refuses a re-encoding that decodes to the same bytes (spare bits of the last character changed)', () => {
    const ring = new KeyRing([key()]);
    const sealed = ring.seal('connector password'); // 18 + 16 bytes: the last character has 4 spare bits
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(sealed.at(-1) ?? '');
    const variant = sealed.slice(0, -1) + alphabet[last ^ 1];
    const body = (s: string) => Buffer.from(s.split('.')[3] ?? '', 'base64url');
    assert.deepEqual(body(variant), body(sealed)); // the same bytes to a lenient decoder
    assert.throws(() => ring.open(variant), rejectsWith(SECRET_BOX_ERRORS.malformed));
  });

  it('refuses to open with a different context than the one it was sealed with', () => {
    const ring = new KeyRing([key()]);
    const sealed = ring.seal('token', 'tenant:ten_a:credential:c1');
    assert.throws(() => ring.open(sealed, 'tenant:ten_b:credential:c1'), rejectsWith(SECRET_BOX_ERRORS.tampered));
    assert.throws(() => ring.open(sealed), rejectsWith(SECRET_BOX_ERRORS.tampered));
    assert.throws(() => ring.open(ring.seal('token'), 'ctx'), rejectsWith(SECRET_BOX_ERRORS.tampered));
  });

  it('opens values sealed under an older key after rotation, and reports them for re-sealing', () => {
    const oldKey = key();
    const newKey = key();
    const before = new KeyRing([oldKey]);
    const sealed = before.seal('api secret', 'ctx');
    const after = new KeyRing([newKey, oldKey]);
    assert.equal(after.open(sealed, 'ctx'), 'api secret');
    assert.equal(after.needsRotation(sealed), true);
    const resealed = after.seal(after.open(sealed, 'ctx'), 'ctx');
    assert.equal(after.needsRotation(resealed), false);
    assert.equal(before.needsRotation(sealed), false);
    // Once the old key is dropped, what it sealed no longer opens, and says which key it needs.
    const dropped = new KeyRing([newKey]);
    assert.throws(
      () => dropped.open(sealed, 'ctx'),
      (err: unknown) =>
        err instanceof SecretBoxError &&
        err.code === SECRET_BOX_ERRORS.unknownKey &&
        err.message.includes(before.currentKeyId),
    );
  });

  it('refuses malformed input with a typed error rather than returning anything', () => {
    const ring = new KeyRing([key()]);
    const good = ring.seal('x');
    const [, id, iv, body] = good.split('.') as [string, string, string, string];
    for (const bad of [
      '',
      'not sealed',
      good.slice(0, -1) + '.',
      `v2.${id}.${iv}.${body}`,
      `v1.DEADBEEF.${iv}.${body}`,
      `v1.${id}.${iv}.${body}.extra`,
      `v1.${id}.${iv}=.${body}`,
      `v1.${id}.${iv.slice(4)}.${body}`,
      `v1.${id}.${iv}.${body.slice(0, 10)}`,
      `v1.${id}.${iv}.${body.replace(/.$/, '+')}`,
      `v1.${id}.${iv}.${body}\n`,
    ]) {
      assert.throws(() => ring.open(bad), rejectsWith(SECRET_BOX_ERRORS.malformed), JSON.stringify(bad));
    }
    assert.throws(() => ring.needsRotation('garbage'), rejectsWith(SECRET_BOX_ERRORS.malformed));
  });

  it('refuses to return sealed bytes that are not UTF-8 as text', () => {
    const ring = new KeyRing([key()]);
    const sealed = ring.seal(Buffer.from([0xff, 0xfe, 0x00]));
    assert.throws(() => ring.open(sealed), rejectsWith(SECRET_BOX_ERRORS.malformed));
    assert.deepEqual(ring.openBytes(sealed), Buffer.from([0xff, 0xfe, 0x00]));
  });

  it('refuses keys of the wrong size, an empty ring, and the same key twice', () => {
    assert.throws(() => new KeyRing([randomBytes(16)]), RangeError);
    assert.throws(() => new KeyRing([randomBytes(33)]), RangeError);
    assert.throws(() => new KeyRing([]), RangeError);
    const k = key();
    assert.throws(() => new KeyRing([k, Buffer.from(k)]), /share the id/);
  });

  it('keeps working after the caller zeroes the key buffer it passed in', () => {
    const k = key();
    const ring = new KeyRing([k]);
    const sealed = ring.seal('x');
    k.fill(0);
    assert.equal(ring.open(sealed), 'x');
  });

  it('derives distinct, stable per-purpose keys from every master key, current first', () => {
    const [k1, k2] = [key(), key()];
    const ring = new KeyRing([k1, k2]);
    const signing = ring.deriveSubkeys('switchyard access-token v1');
    assert.deepEqual(
      signing.map((d) => d.id),
      ring.keyIds,
    );
    assert.deepEqual(new KeyRing([k1, k2]).deriveSubkeys('switchyard access-token v1'), signing);
    const other = ring.deriveSubkeys('something else');
    assert.notDeepEqual(other[0]?.key, signing[0]?.key);
    assert.notDeepEqual(signing[0]?.key, new Uint8Array(k1));
    assert.equal(signing[0]?.key.length, 32);
    // HKDF-SHA256 with an empty salt and the purpose as info: callers holding raw keys (tests) derive the same.
    const expected = new Uint8Array(hkdfSync('sha256', k2, new Uint8Array(0), 'switchyard access-token v1', 32));
    assert.deepEqual(signing[1]?.key, expected);
    assert.throws(() => ring.deriveSubkeys('switchyard secret-box v1'), RangeError);
  });

  it('shows key ids but never key material when logged or serialised', () => {
    const k = key();
    const ring = new KeyRing([k, key()]);
    const shown = `${inspect(ring, { showHidden: true, depth: 5 })} ${JSON.stringify(ring)}`;
    assert.ok(shown.includes(ring.currentKeyId));
    assert.ok(!shown.includes(k.toString('base64')) && !shown.includes(k.toString('hex')));
  });
});
