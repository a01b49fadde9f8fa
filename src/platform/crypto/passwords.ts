import { type Algorithm, hash, parseOptions, verify, type Version } from '@node-rs/argon2';
import { AppError } from '../errors.ts';

/**
 * Password hashing with argon2id (the PHC winner, OWASP's first choice), stored as a PHC string
 * (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) that carries its own parameters and salt, so the
 * parameters can be raised later: `needsRehash` says when a stored hash is weaker than today's,
 * and the caller re-hashes after the next successful login.
 *
 * Hashing runs on libuv's thread pool (native code), not on the event loop.
 */

// @node-rs/argon2 declares these as `const enum`s, which isolatedModules cannot read from a
// declaration file; the values are fixed by the Argon2 spec and the binding.
const ARGON2ID = 2 as Algorithm;
const VERSION_0X13 = 1 as Version;

/**
 * OWASP's recommended minimum is m=19 MiB, t=2, p=1; one more pass costs ~4 ms on a small server
 * and keeps memory per concurrent login at 19 MiB, which small self-hosted boxes can afford.
 */
export const ARGON2_PARAMS = {
  memoryCost: 19456, // KiB
  timeCost: 3,
  parallelism: 1,
  outputLen: 32,
} as const;
const SALT_BYTES = 16; // the library's own salt length

/**
 * Passwords longer than this are refused outright. The policy already caps new passwords at this
 * size; the cap here keeps a multi-megabyte "password" on the login route from costing anything.
 */
export const MAX_PASSWORD_BYTES = 256;

const tooLong = (password: string) => Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES;

/**
 * The same password can arrive as different code points (é typed as one character or as e plus
 * a combining accent, full-width digits from some keyboards); NFKC makes them one, as NIST
 * SP 800-63B advises, so a user is not locked out by their input method.
 */
const normalise = (password: string) => password.normalize('NFKC');

export async function hashPassword(password: string): Promise<string> {
  if (tooLong(password)) {
    throw new AppError('CRYPTO_PASSWORD_TOO_LONG', 'invalid', `Passwords are at most ${MAX_PASSWORD_BYTES} bytes.`);
  }
  return hash(normalise(password), { ...ARGON2_PARAMS, algorithm: ARGON2ID, version: VERSION_0X13 });
}

/** False for a wrong password, and also for a hash that is not a valid PHC string (never throws on it). */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  if (tooLong(password)) return false;
  try {
    return await verify(passwordHash, normalise(password));
  } catch {
    return false;
  }
}

/** True when the hash is not argon2id at today's parameters or stronger (or cannot be read). */
export function needsRehash(passwordHash: string): boolean {
  try {
    const p = parseOptions(passwordHash);
    return (
      p.algorithm !== ARGON2ID ||
      p.version !== VERSION_0X13 ||
      p.memoryCost < ARGON2_PARAMS.memoryCost ||
      p.timeCost < ARGON2_PARAMS.timeCost ||
      p.outputLen < ARGON2_PARAMS.outputLen ||
      p.saltLen < SALT_BYTES
    );
  } catch {
    return true;
  }
}

/**
 * A hash of a random password nobody knows (it was thrown away), at the current parameters, so
 * verifying against it costs what a real verification costs. A test checks that it stays at the
 * current parameters: when ARGON2_PARAMS change, regenerate it.
 */
export const DUMMY_HASH =
  '$argon2id$v=19$m=19456,t=3,p=1$GNJDdd1yAzWpwi1nFTSUJQ$yyWD3h9K3DfAAXkfeJDdPop1qTS7Shs+mw2ik4BLkJg';

/**
 * For a login whose email matches no user: spend the same time as a real check, so response
 * times do not reveal which emails have accounts. Always false.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  // The length cap still applies, exactly as in verifyPassword, so both paths cost the same.
  await verifyPassword(DUMMY_HASH, password);
  return false;
}
