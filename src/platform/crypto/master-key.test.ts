import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { KEY_FILE_NAME, loadKeyRing, MasterKeyError } from './master-key.ts';
import { keyIdOf } from './secret-box.ts';

const posix = process.platform !== 'win32';
let tmp: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-key-'));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const isKeyError = (code: string) => (err: unknown) => err instanceof MasterKeyError && err.code === code;

describe('loadKeyRing from configuration', () => {
  it('accepts base64 and base64url keys, the first one current, and writes no file', () => {
    // Bytes chosen so the two encodings differ (they contain + / and - _ respectively).
    const a = Buffer.alloc(32, 0xfb);
    const b = Buffer.alloc(32, 0xfe);
    const configured = ` ${a.toString('base64')} , ${b.toString('base64url')} `;
    const { ring, source } = loadKeyRing({ configured, dataDir: tmp });
    assert.equal(source, 'config');
    assert.deepEqual(ring.keyIds, [keyIdOf(a), keyIdOf(b)]);
    assert.equal(fs.existsSync(path.join(tmp, KEY_FILE_NAME)), false);
  });

  it('refuses keys that do not decode to exactly 32 bytes', () => {
    for (const configured of [
      randomBytes(16).toString('base64'),
      randomBytes(33).toString('base64'),
      randomBytes(32).toString('hex'),
      `${randomBytes(32).toString('base64')},${randomBytes(31).toString('base64')}`,
      `${randomBytes(32).toString('base64').slice(0, -2)}!=`,
      ',',
    ]) {
      assert.throws(
        () => loadKeyRing({ configured, dataDir: tmp }),
        isKeyError('CRYPTO_MASTER_KEY_INVALID'),
        configured,
      );
    }
  });

  it('treats an empty configured value as not configured', () => {
    assert.equal(loadKeyRing({ configured: '', dataDir: tmp }).source, 'file');
  });
});

describe('loadKeyRing from the key file', () => {
  it('creates the data directory and a private key file on first use, then reuses the same key', () => {
    const dataDir = path.join(tmp, 'nested', 'data');
    const first = loadKeyRing({ dataDir });
    assert.equal(first.source, 'file');
    const file = path.join(dataDir, KEY_FILE_NAME);
    if (posix) assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64').length, 32);
    assert.deepEqual(fs.readdirSync(dataDir), [KEY_FILE_NAME]); // no temporary file left behind

    const second = loadKeyRing({ dataDir });
    assert.equal(second.ring.currentKeyId, first.ring.currentKeyId);
    assert.equal(second.ring.open(first.ring.seal('kept across restarts')), 'kept across restarts');
  });

  it('reads a rotated key list from the file, current first', () => {
    const [a, b] = [randomBytes(32), randomBytes(32)];
    fs.writeFileSync(path.join(tmp, KEY_FILE_NAME), `${a.toString('base64')}\n${b.toString('base64')}\n`, {
      mode: 0o600,
    });
    assert.deepEqual(loadKeyRing({ dataDir: tmp }).ring.keyIds, [keyIdOf(a), keyIdOf(b)]);
  });

  it(
    'refuses a key file that other users can read, saying how to fix it, and leaves it untouched',
    {
      skip: !posix && 'POSIX file modes only',
    },
    () => {
      const file = path.join(tmp, KEY_FILE_NAME);
      const content = `${randomBytes(32).toString('base64')}\n`;
      fs.writeFileSync(file, content);
      fs.chmodSync(file, 0o644);
      assert.throws(
        () => loadKeyRing({ dataDir: tmp }),
        (err: unknown) =>
          isKeyError('CRYPTO_MASTER_KEY_FILE_INSECURE')(err) &&
          (err as Error).message.includes(`chmod 600 ${file}`) &&
          (err as Error).message.includes('644'),
      );
      fs.chmodSync(file, 0o640);
      assert.throws(() => loadKeyRing({ dataDir: tmp }), isKeyError('CRYPTO_MASTER_KEY_FILE_INSECURE'));
      assert.equal(fs.readFileSync(file, 'utf8'), content);
    },
  );

  it('refuses a key file holding a key of the wrong size', () => {
    fs.writeFileSync(path.join(tmp, KEY_FILE_NAME), randomBytes(24).toString('base64'), { mode: 0o600 });
    assert.throws(() => loadKeyRing({ dataDir: tmp }), isKeyError('CRYPTO_MASTER_KEY_INVALID'));
  });
});
