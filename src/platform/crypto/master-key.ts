import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { KEY_BYTES, KeyRing } from './secret-box.ts';

/**
 * Where the instance's master key(s) come from. Either the operator configures them (a secret
 * manager, an orchestrator's secret), or a single-box install gets one made for it on first start
 * in `<dataDir>/secret.key`, so `npm start` works with no setup and the key survives restarts.
 *
 * Fails closed: a key of the wrong size, or a key file that other users can read, stops the boot
 * with a message saying how to fix it. Losing the key loses every sealed secret and every
 * session, so this file is never overwritten.
 */

export const KEY_FILE_NAME = 'secret.key';

export class MasterKeyError extends Error {
  constructor(
    readonly code: 'CRYPTO_MASTER_KEY_INVALID' | 'CRYPTO_MASTER_KEY_FILE_INSECURE' | 'CRYPTO_MASTER_KEY_REQUIRED',
    message: string,
  ) {
    super(message);
    this.name = 'MasterKeyError';
  }
}

export interface LoadKeyRingOptions {
  /** Configured keys: base64 or base64url of 32 bytes each, comma-separated, current first. */
  configured?: string | undefined;
  /** The instance data directory; the key file lives at `<dataDir>/secret.key`. */
  dataDir: string;
}

export function loadKeyRing(opts: LoadKeyRingOptions): { ring: KeyRing; source: 'config' | 'file' } {
  if (opts.configured !== undefined && opts.configured.trim() !== '') {
    return { ring: new KeyRing(parseKeyList(opts.configured, 'the configured secret key')), source: 'config' };
  }
  const file = path.join(opts.dataDir, KEY_FILE_NAME);
  createKeyFileIfMissing(file);
  return { ring: new KeyRing(parseKeyList(readKeyFile(file), file)), source: 'file' };
}

/** `openssl rand -base64 32` makes a valid key. */
export function parseKeyList(text: string, where: string): Buffer[] {
  const entries = text
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new MasterKeyError('CRYPTO_MASTER_KEY_INVALID', `No key found in ${where}.`);
  return entries.map((entry, i) => {
    const key = decodeKey(entry);
    if (!key) {
      throw new MasterKeyError(
        'CRYPTO_MASTER_KEY_INVALID',
        `Key ${i + 1} in ${where} is not base64 of exactly ${KEY_BYTES} bytes` +
          ` (generate one with \`openssl rand -base64 ${KEY_BYTES}\`).`,
      );
    }
    return key;
  });
}

function decodeKey(text: string): Buffer | undefined {
  // Node's base64 decoder skips characters it does not know, so check the alphabet first:
  // a key with a stray character must be refused, not silently turned into a different key.
  const standard = /^[A-Za-z0-9+/]+={0,2}$/.test(text);
  const url = /^[A-Za-z0-9_-]+={0,2}$/.test(text);
  if (!standard && !url) return undefined;
  const key = Buffer.from(text, standard ? 'base64' : 'base64url');
  return key.length === KEY_BYTES ? key : undefined;
}

function createKeyFileIfMissing(file: string): void {
  if (fs.existsSync(file)) return;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Write a temporary file, then link it into place: link fails if the key file appeared
  // meanwhile (api and worker starting together), so nobody ever reads a half-written key or
  // replaces a key that is already in use.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.fchmodSync(fd, 0o600); // in case a umask or ACL widened it
    fs.writeSync(fd, `${randomBytes(KEY_BYTES).toString('base64')}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function readKeyFile(file: string): string {
  const fd = fs.openSync(file, 'r');
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new MasterKeyError('CRYPTO_MASTER_KEY_INVALID', `${file} is not a regular file.`);
    // Windows has no POSIX modes to check; its ACLs are the operator's to set.
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
      throw new MasterKeyError(
        'CRYPTO_MASTER_KEY_FILE_INSECURE',
        `${file} is readable by other users (mode ${(stat.mode & 0o777).toString(8).padStart(3, '0')}); ` +
          `anyone who reads it can decrypt every stored secret. Run \`chmod 600 ${file}\` and start again.`,
      );
    }
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}
