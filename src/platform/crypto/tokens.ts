import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Bearer secrets: refresh tokens, API keys, invitation and reset links. They are stored only as
 * `hashToken` digests, so a leaked database yields no usable credential. A plain SHA-256 is the
 * right hash here (not argon2): the tokens carry 128+ bits of randomness, so there is nothing to
 * brute-force, and lookups by digest must be fast and deterministic.
 *
 * Randomness comes straight from `randomBytes` each time, never from the id pool in `ids.ts`,
 * whose bytes outlive the call in a shared buffer.
 */

/** Fewer random bits than this is guessable online at scale; refuse it as a bug. */
const MIN_TOKEN_BYTES = 16;

/** `bytes` of fresh randomness as base64url (32 bytes → 43 characters). At least 16 bytes. */
export function randomToken(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < MIN_TOKEN_BYTES) {
    throw new RangeError(`A token needs at least ${MIN_TOKEN_BYTES} random bytes (got ${bytes}).`);
  }
  return randomBytes(bytes).toString('base64url');
}

/** SHA-256 hex of the token: what to store and look up by. */
export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/**
 * Compares two strings in time that does not depend on where they differ, or on their lengths:
 * both are hashed to 32 bytes first, and equal digests mean equal strings.
 */
export function safeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 43 base62 characters ≈ 256 bits. */
const SECRET_CHARS = 43;
const DISPLAY_CHARS = 6;
const PREFIX = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

export interface PrefixedSecret {
  /** The whole secret, e.g. `sy_live_3kT9…`: show it once, never store it. */
  secret: string;
  /** A few leading characters, e.g. `sy_live_3kT9aQ`: store and show it so people can tell keys apart. */
  displayPrefix: string;
  /** `hashToken(secret)`: store it and look keys up by it. */
  hash: string;
}

/**
 * Mints an API key like `sy_live_<43 base62 characters>`. The prefix lets secret scanners and
 * people recognise the key; base62 (no `-` or `_`) selects with one double-click and keeps the
 * prefix boundary unambiguous. The display prefix reveals ~36 of ~256 random bits.
 *
 * @param prefix lower-case words joined by `_`, e.g. `sy_live`; a trailing `_` is optional.
 */
export function prefixedSecret(prefix: string): PrefixedSecret {
  const name = prefix.endsWith('_') ? prefix.slice(0, -1) : prefix;
  if (!PREFIX.test(name)) {
    throw new RangeError(`Secret prefix ${JSON.stringify(prefix)} must be lower-case words joined by "_".`);
  }
  const random = randomBase62(SECRET_CHARS);
  const secret = `${name}_${random}`;
  return { secret, displayPrefix: `${name}_${random.slice(0, DISPLAY_CHARS)}`, hash: hashToken(secret) };
}

function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length)) {
      // 248 = 62 × 4: dropping bytes above it keeps every character equally likely.
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}
