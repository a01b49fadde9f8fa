import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { AppError } from '../errors.ts';

/**
 * Authenticated encryption of secrets at rest (connector credentials, OAuth tokens, …) with
 * AES-256-GCM, under a ring of master keys so the key can be rotated without a flag day.
 *
 * A sealed value is a self-describing string: `v1.<keyId>.<iv>.<ciphertext‖tag>` (base64url). The
 * key id says which master key sealed it, so data sealed before a rotation still opens while the
 * ring holds the old key; `needsRotation` finds what to re-seal before the old key is dropped.
 *
 * Invariants:
 * - Never the master key itself: each purpose gets its own HKDF-derived key, so the same master
 *   key can also sign tokens (`deriveSubkeys`) without one use weakening the other.
 * - A fresh random 96-bit IV per seal. Random IVs are safe for ~2^32 seals per key, far beyond
 *   what an instance stores; rotation resets the count anyway.
 * - The header (version and key id) and the caller's context (`aad`) are authenticated, so a
 *   sealed value cannot be moved to another row or relabelled with another key id.
 * - `open` either returns exactly what was sealed or throws `SecretBoxError`; it never returns
 *   garbage.
 */

export const SECRET_BOX_ERRORS = {
  malformed: 'CRYPTO_SEALED_MALFORMED',
  unknownKey: 'CRYPTO_UNKNOWN_KEY',
  tampered: 'CRYPTO_SEALED_TAMPERED',
} as const;
export type SecretBoxErrorCode = (typeof SECRET_BOX_ERRORS)[keyof typeof SECRET_BOX_ERRORS];

/** Opening failed. `internal`: bad data at rest or a missing key is the operator's problem, not the client's. */
export class SecretBoxError extends AppError {
  constructor(
    override readonly code: SecretBoxErrorCode,
    message: string,
  ) {
    super(code, 'internal', message);
    this.name = 'SecretBoxError';
  }
}

export const KEY_BYTES = 32;
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SECRET_BOX_INFO = 'switchyard secret-box v1';
const KEY_ID = /^[0-9a-f]{8}$/;
const B64URL = /^[A-Za-z0-9_-]+$/;

/** First 8 hex characters of sha256(key): shows which key is which without revealing it. */
export const keyIdOf = (key: Uint8Array): string => createHash('sha256').update(key).digest('hex').slice(0, 8);

const hkdf = (key: Uint8Array, info: string, length: number) =>
  new Uint8Array(hkdfSync('sha256', key, new Uint8Array(0), info, length));

interface RingKey {
  id: string;
  master: Uint8Array;
  aes: Buffer;
}

export class KeyRing {
  readonly #keys: readonly RingKey[];
  readonly #byId: ReadonlyMap<string, RingKey>;

  /** @param keys 32-byte master keys, current (newest) first; older ones only open old data. */
  constructor(keys: readonly Uint8Array[]) {
    if (keys.length === 0) throw new RangeError('A key ring needs at least one key.');
    const ringKeys = keys.map((key, i) => {
      if (key.length !== KEY_BYTES) {
        throw new RangeError(`Key ${i + 1} is ${key.length} bytes; keys must be exactly ${KEY_BYTES} bytes.`);
      }
      const master = new Uint8Array(key); // our own copy: the caller's buffer may be reused or zeroed
      return { id: keyIdOf(master), master, aes: Buffer.from(hkdf(master, SECRET_BOX_INFO, KEY_BYTES)) };
    });
    const byId = new Map<string, RingKey>();
    for (const k of ringKeys) {
      // Two different keys with one 32-bit id would make `open` pick the wrong one; a repeated
      // key is a copy-paste slip in the key list. Either way the list needs a human.
      if (byId.has(k.id)) throw new RangeError(`Two keys in the ring share the id ${k.id}; remove the duplicate.`);
      byId.set(k.id, k);
    }
    this.#keys = ringKeys;
    this.#byId = byId;
  }

  /** The id of the key that `seal` uses. */
  get currentKeyId(): string {
    return this.#current().id;
  }

  /** Every key id, current first. */
  get keyIds(): readonly string[] {
    return this.#keys.map((k) => k.id);
  }

  /** Encrypts under the current key. `aad` names the context the value belongs to (not secret). */
  seal(plaintext: string | Uint8Array, aad = ''): string {
    const key = this.#current();
    const iv = randomBytes(IV_BYTES);
    const header = `${VERSION}.${key.id}`;
    const cipher = createCipheriv('aes-256-gcm', key.aes, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(header, aad));
    const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
    const body = Buffer.concat([cipher.update(data), cipher.final(), cipher.getAuthTag()]);
    return `${header}.${iv.toString('base64url')}.${body.toString('base64url')}`;
  }

  /** Decrypts a value sealed as a string; throws `SecretBoxError` unless it opens cleanly as UTF-8. */
  open(sealed: string, aad = ''): string {
    const bytes = this.openBytes(sealed, aad);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      // Authentic but not text: it was sealed from bytes, so the caller wants `openBytes`.
      throw new SecretBoxError(SECRET_BOX_ERRORS.malformed, 'The sealed value holds bytes, not text: use openBytes.');
    }
  }

  /** Decrypts to the exact bytes sealed; throws `SecretBoxError` on any mismatch. */
  openBytes(sealed: string, aad = ''): Buffer {
    const parts = parse(sealed);
    const key = this.#byId.get(parts.keyId);
    if (!key) {
      throw new SecretBoxError(
        SECRET_BOX_ERRORS.unknownKey,
        `The value was sealed with key ${parts.keyId}, which is not in the key ring (${this.keyIds.join(', ')}).`,
      );
    }
    // authTagLength pins the tag to 16 bytes: without it Node accepts a truncated tag.
    const decipher = createDecipheriv('aes-256-gcm', key.aes, parts.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(parts.header, aad));
    decipher.setAuthTag(parts.tag);
    try {
      return Buffer.concat([decipher.update(parts.ciphertext), decipher.final()]);
    } catch {
      throw new SecretBoxError(
        SECRET_BOX_ERRORS.tampered,
        'The sealed value failed authentication: it was altered, or opened with the wrong context.',
      );
    }
  }

  /** True when the value was sealed with a key other than the current one (re-seal it). */
  needsRotation(sealed: string): boolean {
    return parse(sealed).keyId !== this.currentKeyId;
  }

  /**
   * Per-purpose keys derived from every master key (HKDF-SHA256, empty salt, `info` = purpose),
   * current first, each labelled with its master key's id. For signing: sign with the first,
   * verify with the one whose id the token names. Use a distinct purpose string per use.
   */
  deriveSubkeys(purpose: string, length = KEY_BYTES): { id: string; key: Uint8Array }[] {
    if (purpose === SECRET_BOX_INFO) throw new RangeError('That purpose is reserved for the secret box.');
    return this.#keys.map((k) => ({ id: k.id, key: hkdf(k.master, purpose, length) }));
  }

  #current(): RingKey {
    const key = this.#keys[0];
    if (!key) throw new Error('unreachable: the constructor refuses an empty ring');
    return key;
  }

  // Keep key material out of logs and error reports that serialise whatever they are handed.
  toJSON() {
    return { currentKeyId: this.currentKeyId, keyIds: this.keyIds };
  }

  [inspect.custom]() {
    return `KeyRing { current: ${this.currentKeyId}, keys: ${this.#keys.length} }`;
  }
}

// NUL cannot occur in the header, so no (header, aad) pair can be forged from another.
const associatedData = (header: string, aad: string) => Buffer.from(`${header}\0${aad}`, 'utf8');

interface Parsed {
  header: string;
  keyId: string;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

function parse(sealed: string): Parsed {
  const malformed = (why: string) => new SecretBoxError(SECRET_BOX_ERRORS.malformed, `Not a sealed value: ${why}.`);
  if (typeof sealed !== 'string') throw malformed('not a string');
  const parts = sealed.split('.');
  if (parts.length !== 4) throw malformed('expected four dot-separated parts');
  const [version, keyId, ivText, bodyText] = parts as [string, string, string, string];
  if (version !== VERSION) throw malformed(`unsupported version ${JSON.stringify(version.slice(0, 8))}`);
  if (!KEY_ID.test(keyId)) throw malformed('bad key id');
  const iv = decodeCanonical(ivText);
  const body = decodeCanonical(bodyText);
  if (!iv || iv.length !== IV_BYTES) throw malformed('bad IV');
  if (!body || body.length < TAG_BYTES) throw malformed('bad ciphertext');
  return {
    header: `${version}.${keyId}`,
    keyId,
    iv,
    ciphertext: body.subarray(0, body.length - TAG_BYTES),
    tag: body.subarray(body.length - TAG_BYTES),
  };
}

/**
 * Strict base64url: Node's decoder skips invalid characters and ignores the spare bits of the
 * last one, so two different strings could open to the same value. Requiring the canonical
 * encoding means any change to the string is detected.
 */
function decodeCanonical(text: string): Buffer | undefined {
  if (!B64URL.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}
