import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import pino from 'pino';
import {
  BACKUP_MAGIC,
  BackupError,
  type BackupTarget,
  backupInstance,
  restoreInstance,
} from '../../src/platform/db/backup.ts';
import { openDatabase } from '../../src/platform/db/database.ts';
import { ensurePgliteTemplate } from '../../src/platform/db/pglite-template.ts';
import { createTestApp } from '../support/app.ts';
import { createTestDatabase, isPostgresAvailable, type TestDatabase } from '../support/databases.ts';
import { TEST_ENV } from '../support/env.ts';
import { bearer, signupUser } from '../support/identity.ts';
import { exampleDefinition, workflowClient } from '../support/workflows.ts';

/**
 * Backup and restore on both backends: populate an instance through the real API, back it up,
 * wipe it, restore, and compare every table row by row. Also: a damaged file or a non-empty
 * target is refused and leaves everything as it was.
 */
const POSTGRES = await isPostgresAvailable();
const silent = pino({ level: 'silent' });

type Rows = Record<string, string[]>;

/** Every row of every table outside the system schemas, as sorted JSON text per table. */
async function dumpAll(query: (sql: string) => Promise<{ rows: Record<string, unknown>[] }>): Promise<Rows> {
  const tables = await query(
    `select table_schema as s, table_name as t from information_schema.tables
      where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')
      order by 1, 2`,
  );
  const out: Rows = {};
  for (const { s, t } of tables.rows as { s: string; t: string }[]) {
    const res = await query(`select row_to_json(x)::text as r from "${s}"."${t}" x order by 1`);
    out[`${s}.${t}`] = res.rows.map((r) => String(r.r));
  }
  return out;
}

/** Sign up, three items, a setting, a workflow and a finished run: a bit of every module. */
async function populate(db: TestDatabase): Promise<void> {
  const t = await createTestApp(db, { engine: { roles: ['worker'] } });
  try {
    const user = await signupUser(t.app, 'backup');
    for (let i = 0; i < 3; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/items',
        headers: bearer(user),
        payload: { name: `item ${i}`, tags: ['b', `n${i}`], metadata: { i } },
      });
      assert.equal(res.statusCode, 201, res.body);
    }
    const put = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/settings/general.timezone',
      headers: bearer(user),
      payload: { value: 'Europe/Paris' },
    });
    assert.equal(put.statusCode, 200, put.body);
    const wf = workflowClient(t);
    const created = await wf.create(exampleDefinition({ type: 'manual' }));
    const { runId } = await wf.startRun(created.id, { n: 7 });
    const done = await wf.waitForRun(runId);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
  } finally {
    await t.app.close();
  }
}

function assertPopulated(rows: Rows): void {
  const nonEmpty = Object.entries(rows).filter(([, r]) => r.length > 0).length;
  assert.ok(nonEmpty >= 8, `expected a populated instance, ${nonEmpty} tables have rows`);
  assert.ok(rows['drizzle.__drizzle_migrations']?.length, 'the migrations table is part of the backup');
}

/** A copy of `file` with one payload byte flipped, and one cut short. */
function damagedCopies(file: string, dir: string): { corrupted: string; truncated: string; newer: string } {
  const bytes = fs.readFileSync(file);
  const corrupted = path.join(dir, 'corrupted.bak');
  const flipped = Buffer.from(bytes);
  const at = flipped.length - 100;
  flipped[at] = (flipped[at] ?? 0) ^ 0xff;
  fs.writeFileSync(corrupted, flipped);
  const truncated = path.join(dir, 'truncated.bak');
  fs.writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
  // A manifest claiming a migration this build does not know: a backup from a newer version.
  const first = bytes.indexOf(0x0a);
  const second = bytes.indexOf(0x0a, first + 1);
  const manifest = JSON.parse(bytes.subarray(first + 1, second).toString('utf8')) as {
    migrations: { count: number };
  };
  manifest.migrations.count += 1;
  const newer = path.join(dir, 'newer.bak');
  fs.writeFileSync(
    newer,
    Buffer.concat([Buffer.from(`${BACKUP_MAGIC}\n${JSON.stringify(manifest)}\n`), bytes.subarray(second + 1)]),
  );
  return { corrupted, truncated, newer };
}

async function assertRefused(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof BackupError, String(err));
    assert.match(err.message, pattern);
    return true;
  });
}

describe('backup and restore [pglite]', () => {
  let dir: string;
  before(async () => {
    await ensurePgliteTemplate();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-backup-test-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const openRows = async (pgDataDir: string): Promise<Rows> => {
    const handle = await openDatabase({ kind: 'pglite', dataDir: pgDataDir }, silent);
    try {
      // The PGlite driver returns { rows } (the HKT erases it to unknown).
      return await dumpAll(
        async (q) => (await handle.db.execute(sql.raw(q))) as unknown as { rows: Record<string, unknown>[] },
      );
    } finally {
      await handle.close();
    }
  };

  test('restores every table of a wiped instance, with its master key; refuses damaged files and a non-empty target', async () => {
    const instanceDir = path.join(dir, 'instance');
    const pgDataDir = path.join(instanceDir, 'pgdata');
    const target: BackupTarget = { kind: 'pglite', pgDataDir, instanceDir };
    const handle = await openDatabase({ kind: 'pglite', dataDir: pgDataDir }, silent);
    await handle.migrate();
    try {
      await populate({ handle, backend: 'pglite', url: undefined, dispose: () => handle.close() });
    } finally {
      await handle.close();
    }
    const key = Buffer.from('a'.repeat(44));
    fs.writeFileSync(path.join(instanceDir, 'secret.key'), key, { mode: 0o600 });
    const before = await openRows(pgDataDir);
    assertPopulated(before);

    const file = path.join(dir, 'instance.bak');
    const { manifest, warnings } = await backupInstance(target, file, '9.9.9');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600, 'the backup file is private');
    assert.equal(manifest.backend, 'pglite');
    assert.equal(manifest.switchyardVersion, '9.9.9');
    assert.ok(manifest.migrations.count > 0 && manifest.migrations.last);
    assert.match(warnings.join('\n'), /master key/);

    fs.rmSync(instanceDir, { recursive: true, force: true });
    await restoreInstance(target, file);
    assert.deepEqual(await openRows(pgDataDir), before);
    assert.deepEqual(fs.readFileSync(path.join(instanceDir, 'secret.key')), key);
    assert.equal(fs.statSync(path.join(instanceDir, 'secret.key')).mode & 0o777, 0o600);

    await assertRefused(restoreInstance(target, file), /already holds a database.*--force/s);
    const { corrupted, truncated, newer } = damagedCopies(file, dir);
    await assertRefused(restoreInstance(target, corrupted, { force: true }), /checksum does not match/);
    await assertRefused(restoreInstance(target, truncated, { force: true }), /truncated/);
    await assertRefused(restoreInstance(target, newer, { force: true }), /newer|this version knows/);
    await assertRefused(
      restoreInstance({ kind: 'postgres', url: 'postgres://unused' }, file, { force: true }),
      /pglite backup.*configured for postgres/,
    );
    assert.deepEqual(await openRows(pgDataDir), before, 'refused restores changed nothing');
    assert.deepEqual(
      fs.readdirSync(instanceDir).sort(),
      ['pgdata', 'secret.key'],
      'no staging directory is left behind',
    );

    await restoreInstance(target, file, { force: true });
    assert.deepEqual(await openRows(pgDataDir), before, '--force replaces an existing instance');
  });
});

describe('backup and restore [postgres]', { skip: POSTGRES ? false : 'PostgreSQL not reachable' }, () => {
  let db: TestDatabase | undefined;
  let dir: string;
  before(async () => {
    db = await createTestDatabase('postgres');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-backup-test-'));
  });
  after(async () => {
    await db?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const rowsOf = async (url: string): Promise<Rows> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await dumpAll((q) => client.query(q));
    } finally {
      await client.end();
    }
  };
  /** Drops the test database and makes an empty one under the same name: the wipe. */
  const wipe = async (url: string): Promise<void> => {
    const name = new URL(url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: TEST_ENV.postgresUrl });
    await admin.connect();
    try {
      await admin.query(`drop database "${name}" with (force)`);
      await admin.query(`create database "${name}"`);
    } finally {
      await admin.end();
    }
  };

  test('pg_dump/pg_restore round trip restores every table; refuses damaged files and a non-empty target', async () => {
    assert.ok(db?.url);
    const url = db.url;
    await populate(db);
    await db.handle.close();
    const before = await rowsOf(url);
    assertPopulated(before);

    const target: BackupTarget = { kind: 'postgres', url };
    const file = path.join(dir, 'pg.bak');
    const { manifest } = await backupInstance(target, file, '9.9.9');
    assert.equal(manifest.backend, 'postgres');
    assert.equal(manifest.secretKeyFile, undefined, 'PostgreSQL installs keep their key in the environment');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);

    await wipe(url);
    assert.deepEqual(Object.keys(await rowsOf(url)), [], 'the wipe left no tables');
    await restoreInstance(target, file);
    assert.deepEqual(await rowsOf(url), before);

    await assertRefused(restoreInstance(target, file), /already holds a Switchyard instance.*--force/s);
    const { corrupted, truncated } = damagedCopies(file, dir);
    await assertRefused(restoreInstance(target, corrupted, { force: true }), /checksum does not match/);
    await assertRefused(restoreInstance(target, truncated, { force: true }), /truncated/);
    assert.deepEqual(await rowsOf(url), before, 'refused restores changed nothing');

    await restoreInstance(target, file, { force: true });
    assert.deepEqual(await rowsOf(url), before, '--force replaces an existing instance');
  });
});
