import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { BackupConfig } from '../../config.ts';
import { KEY_FILE_NAME } from '../crypto/master-key.ts';
import { BackupError, backupInstance, readBackupFile, restoreInstance } from './backup.ts';
import { type DatabaseHandle, openDatabase } from './database.ts';
import { ensurePgliteTemplate } from './pglite-template.ts';
import { type ScheduledBackupDeps, snapshotFileName, startScheduledBackups } from './scheduled-backup.ts';

/**
 * Scheduled snapshots on a real embedded database, open and written to while they are taken.
 * Every write inserts one row into each of two tables in one transaction, so a restored copy with
 * unequal counts would be a torn snapshot.
 */
type Line = Record<string, unknown> & { level: number; msg: string };

function capturingLogger(): { logger: pino.Logger; lines: Line[] } {
  const lines: Line[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as Line) });
  return { logger, lines };
}

async function rows<T>(handle: DatabaseHandle, query: string): Promise<T[]> {
  return ((await handle.db.execute(sql.raw(query))) as unknown as { rows: T[] }).rows;
}

async function count(handle: DatabaseHandle, table: string): Promise<number> {
  const [row] = await rows<{ n: number }>(handle, `select count(*)::int as n from ${table}`);
  return Number(row?.n);
}

/** Inserts pair after pair (one transaction each) until stopped; resolves the number committed. */
function writePairs(handle: DatabaseHandle, from: number): { stop(): Promise<number> } {
  let stopping = false;
  let committed = from;
  const loop = (async () => {
    while (!stopping) {
      const id = committed + 1;
      await handle.db.transaction(async (tx) => {
        await tx.execute(sql`insert into bk_left (id, v) values (${id}, repeat('l', 300))`);
        // Yields between the two statements. (The snapshot's CHECKPOINT queues behind open
        // transactions, so here the dump mostly lands between them; the last test takes one inside.)
        await sleep(0);
        await tx.execute(sql`insert into bk_right (id, v) values (${id}, repeat('r', 300))`);
      });
      committed = id;
    }
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
      return committed;
    },
  };
}

const ourFiles = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((f) => /^switchyard-\d{8}T\d{6}Z\.bak$/.test(f))
    .sort();

describe('scheduled backups of the embedded database', () => {
  let root: string;
  let instanceDir: string;
  let handle: DatabaseHandle;
  const key = Buffer.alloc(32, 7);
  const SEEDED = 200;

  before(async () => {
    await ensurePgliteTemplate();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-scheduled-backup-'));
    instanceDir = path.join(root, 'instance');
    fs.mkdirSync(instanceDir);
    fs.writeFileSync(path.join(instanceDir, KEY_FILE_NAME), key, { mode: 0o600 });
    handle = await openDatabase(
      { kind: 'pglite', dataDir: path.join(instanceDir, 'pgdata') },
      pino({ level: 'silent' }),
    );
    await handle.migrate();
    await handle.db.execute(sql`create table bk_left (id int primary key, v text not null)`);
    await handle.db.execute(sql`create table bk_right (id int primary key, v text not null)`);
    await handle.db.execute(sql`insert into bk_left select g, repeat('l', 300) from generate_series(1, ${SEEDED}) g`);
    await handle.db.execute(sql`insert into bk_right select g, repeat('r', 300) from generate_series(1, ${SEEDED}) g`);
  });
  after(async () => {
    await handle.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const depsFor = (
    backup: BackupConfig | undefined,
    extra: Partial<ScheduledBackupDeps> = {},
  ): ScheduledBackupDeps => ({
    backup,
    handle,
    instanceDir,
    logger: pino({ level: 'silent' }),
    registry: new Registry(),
    version: '9.9.9-test',
    ...extra,
  });

  it('writes a snapshot one interval after start while writes run; the restore holds whole transactions only', async () => {
    const dir = path.join(root, 'timed');
    const { logger, lines } = capturingLogger();
    const writer = writePairs(handle, SEEDED);
    const backups = startScheduledBackups(
      depsFor({ dir, intervalMinutes: 15, keep: 10 }, { logger, intervalMs: 1500 }),
    );
    let committed: number;
    try {
      await sleep(500);
      assert.equal(fs.existsSync(dir) ? ourFiles(dir).length : 0, 0, 'nothing is written at start');
      const deadline = Date.now() + 60_000;
      while (!(fs.existsSync(dir) && ourFiles(dir).length > 0) && Date.now() < deadline) await sleep(50);
      // Let the writes run on past the snapshot, so the restored copy must stop short of them.
      await sleep(200);
    } finally {
      await backups.stop();
      committed = await writer.stop();
    }
    const [name] = ourFiles(dir);
    assert.ok(name, 'the timer wrote a snapshot');
    const file = path.join(dir, name);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700, 'BACKUP_DIR is created private');
    assert.deepEqual(
      fs.readdirSync(dir).filter((f) => f.includes('.partial-')),
      [],
      'no partial file is left behind',
    );
    const written = lines.find((l) => l.msg === 'backup snapshot written');
    assert.ok(written, JSON.stringify(lines));
    assert.equal(written.file, file);
    assert.ok(Number(written.bytes) > 0 && typeof written.ms === 'number');

    const { manifest } = readBackupFile(file);
    assert.equal(manifest.backend, 'pglite');
    assert.equal(manifest.switchyardVersion, '9.9.9-test');
    assert.equal(manifest.secretKeyFile, key.toString('base64'), 'the master key file travels with the snapshot');

    const fresh = path.join(root, 'restored');
    await restoreInstance({ kind: 'pglite', pgDataDir: path.join(fresh, 'pgdata'), instanceDir: fresh }, file);
    assert.deepEqual(fs.readFileSync(path.join(fresh, KEY_FILE_NAME)), key);
    const restored = await openDatabase(
      { kind: 'pglite', dataDir: path.join(fresh, 'pgdata') },
      pino({ level: 'silent' }),
    );
    try {
      const left = await count(restored, 'bk_left');
      const right = await count(restored, 'bk_right');
      assert.equal(left, right, 'every transaction is in the snapshot whole, or not at all');
      assert.ok(left > SEEDED, `writes committed before the snapshot are in it (${left} of ${committed})`);
      assert.ok(left < committed, `writes after the snapshot are not (${left} of ${committed})`);
      // The committed prefix, byte for byte: ids 1..left on both sides, and the same rows as live.
      const live = await rows<{ id: number; v: string }>(
        handle,
        `select id, v from bk_left where id <= ${left} order by id`,
      );
      assert.deepEqual(await rows(restored, 'select id, v from bk_left order by id'), live);
      const [maxRight] = await rows<{ m: number }>(restored, 'select max(id)::int as m from bk_right');
      assert.equal(Number(maxRight?.m), left);
      assert.equal(
        await count(restored, 'drizzle.__drizzle_migrations'),
        await count(handle, 'drizzle.__drizzle_migrations'),
      );
      assert.equal(manifest.migrations.count, await count(restored, 'drizzle.__drizzle_migrations'));
    } finally {
      await restored.close();
    }
  });

  it('keeps exactly BACKUP_KEEP newest snapshots, never touches other files, and reports the last success', async () => {
    const dir = path.join(root, 'pruned');
    fs.mkdirSync(dir);
    const foreign = [
      'notes.txt',
      'switchyard-manual.bak',
      'sy-20270101T0000Z.bak',
      'switchyard-20200101T000000Z.bak.old',
    ];
    for (const f of foreign) fs.writeFileSync(path.join(dir, f), 'not ours');
    let clock = Date.parse('2027-03-01T10:00:00Z');
    const registry = new Registry();
    const backups = startScheduledBackups(
      depsFor({ dir, intervalMinutes: 15, keep: 3 }, { registry, now: () => new Date((clock += 15 * 60_000)) }),
    );
    try {
      const before = await registry.getSingleMetricAsString('switchyard_backup_last_success_timestamp_seconds');
      assert.doesNotMatch(before, /^switchyard_backup_last_success_timestamp_seconds /m, 'no sample before a success');
      for (let i = 0; i < 5; i++) assert.ok(await backups.snapshotNow());
    } finally {
      await backups.stop();
    }
    assert.deepEqual(ourFiles(dir), [
      snapshotFileName(new Date('2027-03-01T10:45:00Z')),
      snapshotFileName(new Date('2027-03-01T11:00:00Z')),
      snapshotFileName(new Date('2027-03-01T11:15:00Z')),
    ]);
    assert.equal(ourFiles(dir)[0], 'switchyard-20270301T104500Z.bak');
    for (const f of foreign) assert.equal(fs.readFileSync(path.join(dir, f), 'utf8'), 'not ours', f);

    const newest = readBackupFile(path.join(dir, 'switchyard-20270301T111500Z.bak')).manifest;
    const gauge = await registry.getSingleMetricAsString('switchyard_backup_last_success_timestamp_seconds');
    const value = Number(/^switchyard_backup_last_success_timestamp_seconds (\S+)$/m.exec(gauge)?.[1]);
    assert.equal(value, Date.parse(newest.createdAt) / 1000);
    assert.match(await registry.metrics(), /^switchyard_backup_failures_total 0$/m);
  });

  it('stop() waits for the snapshot in flight, and no snapshot starts after it', async () => {
    const dir = path.join(root, 'stopped');
    const backups = startScheduledBackups(depsFor({ dir, intervalMinutes: 15, keep: 10 }));
    const first = backups.snapshotNow();
    assert.equal(backups.snapshotNow(), first, 'a second request joins the one in flight');
    let stopped = false;
    const stopping = backups.stop().then(() => {
      stopped = true;
    });
    await sleep(0);
    assert.equal(stopped, false, 'stop() is still waiting');
    await stopping;
    assert.equal(ourFiles(dir).length, 1, 'the snapshot in flight completed before stop() resolved');
    const written = await first;
    assert.ok(written);
    assert.equal(fs.statSync(written.file).size > written.bytes, true);
    assert.equal(await backups.snapshotNow(), undefined);
    assert.equal(ourFiles(dir).length, 1);
  });

  it('logs and counts a failed snapshot without throwing', async () => {
    const blocker = path.join(root, 'a-file');
    fs.writeFileSync(blocker, 'x');
    const { logger, lines } = capturingLogger();
    const registry = new Registry();
    const backups = startScheduledBackups(
      depsFor({ dir: path.join(blocker, 'backups'), intervalMinutes: 15, keep: 10 }, { logger, registry }),
    );
    try {
      assert.equal(await backups.snapshotNow(), undefined);
      assert.equal(await backups.snapshotNow(), undefined);
    } finally {
      await backups.stop();
    }
    const failed = lines.filter((l) => l.msg === 'backup snapshot failed');
    assert.equal(failed.length, 2);
    assert.equal(failed[0]?.level, 50, 'logged at error: a human must act');
    const text = await registry.metrics();
    assert.match(text, /^switchyard_backup_failures_total 2$/m);
    assert.doesNotMatch(text, /^switchyard_backup_last_success_timestamp_seconds /m);
  });

  it('a snapshot that falls between two statements of an open transaction restores without it', async () => {
    // The primitive `snapshot()` ends with, called where a transaction is half done: recovery must
    // roll the open transaction back, leaving both tables at their committed counts.
    const client = (handle.db as unknown as { $client: { dumpDataDir(c: 'gzip'): Promise<Blob> } }).$client;
    const before = await count(handle, 'bk_left');
    assert.equal(before, await count(handle, 'bk_right'));
    let dump: Blob | undefined;
    await handle.db.transaction(async (tx) => {
      await tx.execute(sql`insert into bk_left (id, v) values (-1, 'half')`);
      dump = await client.dumpDataDir('gzip');
      await tx.execute(sql`insert into bk_right (id, v) values (-1, 'half')`);
    });
    assert.ok(dump);
    assert.equal(await count(handle, 'bk_left'), before + 1, 'the transaction committed afterwards');
    const restored = await openDatabase({ kind: 'pglite-memory', loadDataDir: dump }, pino({ level: 'silent' }));
    try {
      assert.equal(await count(restored, 'bk_left'), before, 'the half-done transaction is not in the snapshot');
      assert.equal(await count(restored, 'bk_right'), before);
    } finally {
      await restored.close();
    }
  });

  it('admin backup still refuses while the server holds the database, and points at BACKUP_DIR', async () => {
    const target = { kind: 'pglite', pgDataDir: path.join(instanceDir, 'pgdata'), instanceDir } as const;
    const file = path.join(root, 'refused.bak');
    await assert.rejects(backupInstance(target, file, '9.9.9-test'), (err: unknown) => {
      assert.ok(err instanceof BackupError);
      assert.equal(err.exitCode, 1);
      assert.match(err.message, /Stop the Switchyard server first/);
      assert.match(err.message, /running embedded server writes scheduled snapshots itself when BACKUP_DIR is set/);
      return true;
    });
    assert.equal(fs.existsSync(file), false);
  });

  it('is off without BACKUP_DIR or without a snapshot-capable database: metrics declared, no sample', async () => {
    for (const deps of [
      depsFor(undefined),
      depsFor({ dir: path.join(root, 'never'), intervalMinutes: 1, keep: 1 }, { handle: { db: handle.db } }),
    ]) {
      const backups = startScheduledBackups({ ...deps, intervalMs: 10 });
      await sleep(50);
      assert.equal(await backups.snapshotNow(), undefined);
      await backups.stop();
      const text = await deps.registry.metrics();
      assert.match(text, /^# TYPE switchyard_backup_last_success_timestamp_seconds gauge$/m);
      assert.doesNotMatch(text, /^switchyard_backup_last_success_timestamp_seconds /m);
    }
    assert.equal(fs.existsSync(path.join(root, 'never')), false);
  });
});
