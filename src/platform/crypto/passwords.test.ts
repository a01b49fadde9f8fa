import assert from 'node:assert/strict';
import { hashSync, parseOptions } from '@node-rs/argon2';
import { describe, it } from 'node:test';
import {
  ARGON2_PARAMS,
  DUMMY_HASH,
  hashPassword,
  MAX_PASSWORD_BYTES,
  needsRehash,
  verifyAgainstDummy,
  verifyPassword,
} from './passwords.ts';

describe('password hashing', () => {
  it('verifies the password it hashed, and no other', async () => {
    const hash = await hashPassword('correct horse battery staple');
    assert.match(hash, /^\$argon2id\$v=19\$m=19456,t=3,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.equal(await verifyPassword(hash, 'correct horse battery staple'), true);
    assert.equal(await verifyPassword(hash, 'correct horse battery stapl'), false);
    assert.equal(await verifyPassword(hash, 'Correct horse battery staple'), false);
    assert.equal(needsRehash(hash), false);
    // A fresh salt each time: equal passwords do not give equal hashes.
    assert.notEqual(await hashPassword('correct horse battery staple'), hash);
  });

  it('treats differently encoded forms of the same characters as the same password', async () => {
    const composed = 'caf\u00e9-au-lait-\uff11\uff12'; // é as one code point, full-width digits
    const decomposed = 'cafe\u0301-au-lait-12'; // e + combining accent, ASCII digits
    const hash = await hashPassword(composed);
    assert.equal(await verifyPassword(hash, decomposed), true);
  });

  it('answers false rather than throwing for a hash that is not a PHC string', async () => {
    for (const broken of ['', 'not a hash', '$argon2id$v=19$m=19456,t=3,p=1$short$short', DUMMY_HASH.slice(0, -10)]) {
      assert.equal(await verifyPassword(broken, 'anything at all'), false, broken);
    }
  });

  it('refuses to hash, and never verifies, a password over the byte limit', async () => {
    const long = 'é'.repeat(MAX_PASSWORD_BYTES / 2 + 1); // under 256 characters, over 256 bytes
    await assert.rejects(hashPassword(long), { code: 'CRYPTO_PASSWORD_TOO_LONG', kind: 'invalid' });
    const atLimit = 'é'.repeat(MAX_PASSWORD_BYTES / 2);
    const hash = await hashPassword(atLimit);
    assert.equal(await verifyPassword(hash, atLimit), true);
    assert.equal(await verifyPassword(hash, atLimit + 'x'), false);
  });

  it('asks for a rehash of hashes made with weaker parameters or another algorithm', () => {
    const weak = hashSync('pw', { memoryCost: 1024, timeCost: 1, parallelism: 1 });
    assert.equal(needsRehash(weak), true);
    const fewerPasses = hashSync('pw', { ...ARGON2_PARAMS, timeCost: 2 });
    assert.equal(needsRehash(fewerPasses), true);
    const argon2i = hashSync('pw', { memoryCost: 65536, timeCost: 4, parallelism: 1, algorithm: 1 as never });
    assert.equal(needsRehash(argon2i), true);
    assert.equal(needsRehash('$2b$12$bcryptbcryptbcryptbcryptbcryptbcryptbcryptbcryptbcrypt'), true);
    const stronger = hashSync('pw', { memoryCost: 32768, timeCost: 4, parallelism: 2 });
    assert.equal(needsRehash(stronger), false);
  });

  it('keeps the dummy hash at the current parameters, and never lets any password match it', async () => {
    const p = parseOptions(DUMMY_HASH);
    assert.deepEqual(
      { memoryCost: p.memoryCost, timeCost: p.timeCost, parallelism: p.parallelism, outputLen: p.outputLen },
      ARGON2_PARAMS,
    );
    assert.equal(needsRehash(DUMMY_HASH), false);
    assert.equal(await verifyAgainstDummy('correct horse battery staple'), false);
    assert.equal(await verifyAgainstDummy(''), false);
  });
});
