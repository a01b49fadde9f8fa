import { randomBytes } from 'node:crypto';

/**
 * Prefixed, time-ordered opaque ids (`itm_01hx…`): 10 characters of millisecond time and 16 of
 * randomness in lowercase Crockford base32, like a ULID. Sorting ids sorts by creation time
 * (to the millisecond), which keeps B-tree inserts local and lets lists page by id.
 */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export const ID_PREFIXES = {
  tenant: 'ten',
  item: 'itm',
  audit: 'aud',
  user: 'usr',
  session: 'ses',
  apiKey: 'key',
  invitation: 'inv',
  email: 'eml',
  identityProvider: 'idp',
  queueMessage: 'msg',
  workflow: 'wfl',
  run: 'run',
  stepAttempt: 'sat',
  job: 'job',
  webhook: 'whk',
  approval: 'apr',
  signingKey: 'wsk',
  file: 'fil',
  insight: 'ins',
} as const;
export type IdPrefix = (typeof ID_PREFIXES)[keyof typeof ID_PREFIXES];

/**
 * Random bytes drawn from a pooled buffer: one `randomBytes` call per 4 KiB instead of one per
 * id (each call is a few microseconds, measurable on the create hot path). Ids are identifiers,
 * not secrets; never use this for tokens.
 */
const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;

export function pooledRandomBytes(n: number): Buffer {
  if (poolOffset + n > pool.length) {
    pool = randomBytes(Math.max(POOL_SIZE, n));
    poolOffset = 0;
  }
  const out = pool.subarray(poolOffset, poolOffset + n);
  poolOffset += n;
  return out;
}

export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = pooledRandomBytes(16);
  let rand = '';
  for (const b of bytes) rand += ALPHABET[b % 32];
  return `${prefix}_${time}${rand}`;
}

/** A regex that matches ids of one prefix; used by route schemas so a bad id is a 400, not a 404. */
export const idPattern = (prefix: IdPrefix) => new RegExp(`^${prefix}_[0-9a-hjkmnp-tv-z]{26}$`);
