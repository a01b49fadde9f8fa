import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { KEY_FILE_NAME } from '../crypto/master-key.ts';
import { MIGRATIONS_DIR } from './database.ts';
import { acquireDirLock } from './dir-lock.ts';
import { pgliteConf, pgliteExtensions } from './pglite-options.ts';

const run = promisify(execFile);

/**
 * `switchyard admin backup|restore`: one file holding a consistent snapshot of the instance.
 *
 * File layout: the line `SWITCHYARD-BACKUP 1`, one line of JSON (the manifest), then the payload
 * bytes — PGlite's `dumpDataDir('gzip')` tarball, or a `pg_dump --format=custom` archive. The
 * manifest carries the payload's length and SHA-256, so a truncated or corrupted file is refused
 * before anything on disk or in the database is touched.
 */
export const BACKUP_MAGIC = 'SWITCHYARD-BACKUP 1';

export interface BackupManifest {
  readonly format: 1;
  readonly backend: 'pglite' | 'postgres';
  readonly switchyardVersion: string;
  /** Migrations applied in the backed-up database, and the last one's tag. */
  readonly migrations: { readonly count: number; readonly last: string | null };
  readonly createdAt: string;
  readonly payloadBytes: number;
  readonly payloadSha256: string;
  /** The embedded master key file (base64 of its bytes), when the instance used one. */
  readonly secretKeyFile?: string;
}

/** Exit codes: documented in docs/operations.md ("Backup and restore"). */
export const BACKUP_EXIT = {
  ok: 0,
  /** Nothing was changed: bad/mismatched file, target not empty without --force, server running. */
  refused: 1,
  /** A tool (pg_dump/pg_restore) is missing or failed. */
  toolFailed: 3,
} as const;

export class BackupError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = BACKUP_EXIT.refused,
  ) {
    super(message);
  }
}

export type BackupTarget =
  | { readonly kind: 'pglite'; readonly pgDataDir: string; readonly instanceDir: string }
  | { readonly kind: 'postgres'; readonly url: string };

interface Journal {
  entries: { tag: string }[];
}

/** Migrations this build knows: a backup with more was made by a newer Switchyard. */
export function knownMigrations(): string[] {
  const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as Journal;
  return journal.entries.map((e) => e.tag);
}

type Query = (sql: string) => Promise<{ rows: Record<string, unknown>[] }>;

async function migrationLevel(query: Query): Promise<{ count: number; last: string | null }> {
  const exists = await query(`select to_regclass('drizzle.__drizzle_migrations') is not null as ok`);
  if (!exists.rows[0]?.ok) throw new BackupError('The database has no Switchyard migrations table.');
  const res = await query('select count(*)::int as n from drizzle.__drizzle_migrations');
  const count = Number(res.rows[0]?.n ?? 0);
  return { count, last: knownMigrations()[count - 1] ?? null };
}

function openPgliteDir(dir: string, loadDataDir?: Blob): Promise<PGlite> {
  return PGlite.create(dir, {
    extensions: pgliteExtensions,
    postgresqlconf: pgliteConf,
    ...(loadDataDir ? { loadDataDir } : {}),
  });
}

/** The data dir lock, with the hint an operator needs when `start` holds it. */
function lockDataDir(pgDataDir: string, op: 'backup' | 'restore') {
  try {
    return acquireDirLock(`${pgDataDir}.lock`);
  } catch (err) {
    const online =
      op === 'backup'
        ? ' A running embedded server writes scheduled snapshots itself when BACKUP_DIR is set ' +
          '(every BACKUP_INTERVAL_MINUTES); `switchyard admin restore` restores those files.'
        : '';
    throw new BackupError(
      `${(err as Error).message}\nStop the Switchyard server first: the embedded database allows one process, ` +
        `so ${op} runs while it is stopped (see docs/operations.md, "Backup and restore").${online}`,
    );
  }
}

/**
 * Writes the backup beside `file` and renames it into place, so no half-written file ever has
 * the final name; both the file and the rename are synced to disk.
 */
async function writeBackupFile(file: string, manifest: BackupManifest, payload: Buffer): Promise<void> {
  const tmp = `${file}.partial-${process.pid}`;
  // 0600: the file may hold the master key, and always holds every tenant's data.
  const fh = await fs.promises.open(tmp, 'w', 0o600);
  try {
    try {
      await fh.writeFile(`${BACKUP_MAGIC}\n${JSON.stringify(manifest)}\n`);
      await fh.writeFile(payload);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
  await syncDir(path.dirname(file));
}

/** Makes a rename durable. Some platforms and file systems cannot fsync a directory: ignored there. */
async function syncDir(dir: string): Promise<void> {
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(dir, 'r');
    await fh.sync();
  } catch {
    // Best effort (Windows, some network file systems).
  } finally {
    await fh?.close();
  }
}

/** The embedded master key file, when the instance has one, and the warning that goes with it. */
async function readKeyFile(instanceDir: string, warnings: string[]): Promise<Buffer | undefined> {
  let key: Buffer;
  try {
    key = await fs.promises.readFile(path.join(instanceDir, KEY_FILE_NAME));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  warnings.push(
    `The backup includes the master key (${KEY_FILE_NAME}): anyone with the file can read every secret. ` +
      'Store it like a secret.',
  );
  return key;
}

function manifestFor(
  backend: BackupManifest['backend'],
  version: string,
  migrations: BackupManifest['migrations'],
  payload: Buffer,
  secretKeyFile?: Buffer,
): BackupManifest {
  return {
    format: 1,
    backend,
    switchyardVersion: version,
    migrations,
    createdAt: new Date().toISOString(),
    payloadBytes: payload.length,
    payloadSha256: createHash('sha256').update(payload).digest('hex'),
    ...(secretKeyFile ? { secretKeyFile: secretKeyFile.toString('base64') } : {}),
  };
}

export interface BackupResult {
  readonly manifest: BackupManifest;
  readonly warnings: string[];
}

/** Writes a consistent snapshot of the instance to `file` (mode 0600, written beside then renamed). */
export async function backupInstance(target: BackupTarget, file: string, version: string): Promise<BackupResult> {
  const warnings: string[] = [];
  if (target.kind === 'pglite') {
    if (!fs.existsSync(path.join(target.pgDataDir, 'PG_VERSION'))) {
      throw new BackupError(`There is no embedded database at ${target.pgDataDir} to back up.`);
    }
    const lock = lockDataDir(target.pgDataDir, 'backup');
    try {
      const client = await openPgliteDir(target.pgDataDir);
      let payload: Buffer;
      let migrations: BackupManifest['migrations'];
      try {
        migrations = await migrationLevel((q) => client.query(q));
        // Taken with the lock held and no other session: the dump is a consistent snapshot.
        const blob = await client.dumpDataDir('gzip');
        payload = Buffer.from(await blob.arrayBuffer());
      } finally {
        await client.close();
      }
      const key = await readKeyFile(target.instanceDir, warnings);
      const manifest = manifestFor('pglite', version, migrations, payload, key);
      await writeBackupFile(file, manifest, payload);
      return { manifest, warnings };
    } finally {
      lock.release();
    }
  }
  const migrations = await withPg(target.url, (q) => migrationLevel(q));
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-backup-')), 'db.dump');
  try {
    await pgTool('pg_dump', ['--format=custom', '--no-owner', `--file=${out}`, `--dbname=${target.url}`]);
    const payload = fs.readFileSync(out);
    const manifest = manifestFor('postgres', version, migrations, payload);
    warnings.push('The master key (SWITCHYARD_SECRET_KEY) is not in the backup: keep it safe separately.');
    await writeBackupFile(file, manifest, payload);
    return { manifest, warnings };
  } finally {
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
}

/** An embedded database that this process has open: what a backup of it needs. */
export interface OpenPglite {
  /** Runs one statement on the open database (the migration level is read from it). */
  readonly query: Query;
  /** The data dir tarball, taken without closing the database (`DatabaseHandle.snapshot`). */
  readonly snapshot: () => Promise<Blob>;
  /** Where `secret.key` lives, if the instance has one. */
  readonly instanceDir: string;
}

/**
 * A backup of the embedded database taken by the process that has it open (the scheduled
 * snapshots of a running server): the same file format as `backupInstance`, so
 * `switchyard admin restore` restores it unchanged.
 */
export async function backupOpenPglite(source: OpenPglite, file: string, version: string): Promise<BackupResult> {
  const warnings: string[] = [];
  // Migrations only run before the server serves, so the level read here is the snapshot's.
  const migrations = await migrationLevel(source.query);
  const blob = await source.snapshot();
  const payload = Buffer.from(await blob.arrayBuffer());
  const key = await readKeyFile(source.instanceDir, warnings);
  const manifest = manifestFor('pglite', version, migrations, payload, key);
  await writeBackupFile(file, manifest, payload);
  return { manifest, warnings };
}

async function withPg<T>(url: string, fn: (q: Query) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (err) {
    throw new BackupError(`Could not connect to PostgreSQL: ${(err as Error).message}`);
  }
  try {
    return await fn((q) => client.query(q));
  } finally {
    await client.end();
  }
}

async function pgTool(tool: 'pg_dump' | 'pg_restore', args: string[]): Promise<void> {
  try {
    await run(tool, args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new BackupError(
        `${tool} was not found on PATH. Install the PostgreSQL client tools of your server's major version ` +
          '(Debian/Ubuntu: apt-get install postgresql-client).',
        BACKUP_EXIT.toolFailed,
      );
    }
    const stderr = (e.stderr ?? e.message).trim();
    const hint = /version mismatch|unsupported version/i.test(stderr)
      ? `\n${tool} must be at least the server's major version: install the matching postgresql-client.`
      : '';
    throw new BackupError(`${tool} failed: ${stderr}${hint}`, BACKUP_EXIT.toolFailed);
  }
}

/** Reads and checks a backup file: header, manifest, payload length and checksum. */
export function readBackupFile(file: string): { manifest: BackupManifest; payload: Buffer } {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new BackupError(`Cannot read ${file}: ${(err as Error).message}`);
  }
  const bad = (why: string) =>
    new BackupError(`${file} is not a usable Switchyard backup: ${why}. Nothing was changed.`);
  const first = bytes.indexOf(0x0a);
  if (first < 0 || bytes.subarray(0, first).toString('utf8') !== BACKUP_MAGIC) throw bad('unknown header');
  const second = bytes.indexOf(0x0a, first + 1);
  if (second < 0) throw bad('the manifest is cut off');
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(bytes.subarray(first + 1, second).toString('utf8')) as BackupManifest;
  } catch {
    throw bad('the manifest is not valid JSON');
  }
  if (manifest.format !== 1) throw bad(`format ${String(manifest.format)} is not supported by this version`);
  const payload = bytes.subarray(second + 1);
  if (payload.length !== manifest.payloadBytes) {
    throw bad(`it is truncated or padded (${payload.length} of ${manifest.payloadBytes} bytes)`);
  }
  if (createHash('sha256').update(payload).digest('hex') !== manifest.payloadSha256) {
    throw bad('its checksum does not match (the file is corrupted)');
  }
  return { manifest, payload };
}

function checkCompatible(manifest: BackupManifest, target: BackupTarget): void {
  if (manifest.backend !== target.kind) {
    throw new BackupError(
      `This is a ${manifest.backend} backup, but the instance is configured for ${target.kind} ` +
        '(DATABASE_URL decides). Nothing was changed.',
    );
  }
  const known = knownMigrations().length;
  if (manifest.migrations.count > known) {
    throw new BackupError(
      `The backup was made by Switchyard ${manifest.switchyardVersion} at migration ${manifest.migrations.count} ` +
        `(${manifest.migrations.last ?? '?'}); this version knows ${known}. Restore it with that version or newer. ` +
        'Nothing was changed.',
    );
  }
}

export interface RestoreOptions {
  /** Replace an existing, non-empty instance (default false: refuse). */
  readonly force?: boolean;
}

/** Restores `file` into the configured instance; an older schema is migrated on the next start. */
export async function restoreInstance(
  target: BackupTarget,
  file: string,
  opts: RestoreOptions = {},
): Promise<BackupManifest> {
  const { manifest, payload } = readBackupFile(file);
  checkCompatible(manifest, target);
  if (target.kind === 'pglite') await restorePglite(target, manifest, payload, opts);
  else await restorePostgres(target, payload, opts);
  return manifest;
}

async function restorePglite(
  target: Extract<BackupTarget, { kind: 'pglite' }>,
  manifest: BackupManifest,
  payload: Buffer,
  opts: RestoreOptions,
): Promise<void> {
  const { pgDataDir, instanceDir } = target;
  const occupied = fs.existsSync(pgDataDir) && fs.readdirSync(pgDataDir).length > 0;
  if (occupied && !opts.force) {
    throw new BackupError(
      `${pgDataDir} already holds a database. Restoring replaces it: pass --force to do so. Nothing was changed.`,
    );
  }
  fs.mkdirSync(path.dirname(pgDataDir), { recursive: true });
  const lock = lockDataDir(pgDataDir, 'restore');
  const staged = `${pgDataDir}.restore-${process.pid}`;
  try {
    fs.rmSync(staged, { recursive: true, force: true });
    // Unpack beside the live directory and prove it opens with our schema before swapping.
    try {
      const client = await openPgliteDir(staged, new Blob([payload]));
      try {
        await migrationLevel((q) => client.query(q));
      } finally {
        await client.close();
      }
    } catch (err) {
      fs.rmSync(staged, { recursive: true, force: true });
      if (err instanceof BackupError) throw err;
      throw new BackupError(`The backup's database does not open: ${(err as Error).message}. Nothing was changed.`);
    }
    const old = `${pgDataDir}.old-${process.pid}`;
    if (fs.existsSync(pgDataDir)) fs.renameSync(pgDataDir, old);
    fs.renameSync(staged, pgDataDir);
    fs.rmSync(old, { recursive: true, force: true });
    if (manifest.secretKeyFile) {
      const keyPath = path.join(instanceDir, KEY_FILE_NAME);
      const tmpKey = `${keyPath}.restore-${process.pid}`;
      fs.writeFileSync(tmpKey, Buffer.from(manifest.secretKeyFile, 'base64'), { mode: 0o600 });
      fs.renameSync(tmpKey, keyPath);
    }
  } finally {
    fs.rmSync(staged, { recursive: true, force: true });
    lock.release();
  }
}

async function restorePostgres(
  target: Extract<BackupTarget, { kind: 'postgres' }>,
  payload: Buffer,
  opts: RestoreOptions,
): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-restore-'));
  const dump = path.join(dir, 'db.dump');
  try {
    fs.writeFileSync(dump, payload, { mode: 0o600 });
    // pg_restore --list reads the whole table of contents: a damaged archive fails here, untouched.
    await pgTool('pg_restore', ['--list', dump]);
    const occupied = await withPg(target.url, async (q) => {
      const res = await q(`select to_regclass('drizzle.__drizzle_migrations') is not null as ok`);
      return Boolean(res.rows[0]?.ok);
    });
    if (occupied && !opts.force) {
      throw new BackupError(
        'The database already holds a Switchyard instance. Restoring replaces it: pass --force to do so. ' +
          'Nothing was changed.',
      );
    }
    // One transaction: a failure part-way leaves the database as it was.
    await pgTool('pg_restore', [
      '--clean',
      '--if-exists',
      '--no-owner',
      '--single-transaction',
      '--exit-on-error',
      `--dbname=${target.url}`,
      dump,
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
