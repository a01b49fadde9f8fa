import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { BackupConfig } from '../../config.ts';
import { backupOpenPglite } from './backup.ts';
import type { DatabaseHandle } from './database.ts';

/**
 * Scheduled online snapshots of the embedded database, written by the running server (the
 * process that holds the data dir: PGlite allows only one). Each is an ordinary backup file
 * (`backup.ts`), so `switchyard admin restore` restores it unchanged.
 *
 * Invariants: never two snapshots at once (a tick that finds one running is skipped); a failure
 * is logged and counted, never thrown; `stop()` waits for a snapshot in flight, so it must run
 * before the database closes; pruning deletes only files named by `SNAPSHOT_FILE`.
 */

/** Our file names, `switchyard-20270101T001500Z.bak`: they sort by time as strings. */
const SNAPSHOT_FILE = /^switchyard-\d{8}T\d{6}Z\.bak$/;

export function snapshotFileName(at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
  return `switchyard-${stamp}.bak`;
}

export interface ScheduledBackupDeps {
  /** Off when undefined (no `BACKUP_DIR`), or when the handle cannot snapshot (PostgreSQL). */
  readonly backup: BackupConfig | undefined;
  readonly handle: Pick<DatabaseHandle, 'db' | 'snapshot'>;
  /** The instance dir (`SWITCHYARD_DATA_DIR`): its `secret.key` goes into each snapshot. */
  readonly instanceDir: string;
  readonly logger: Logger;
  /** The process's registry: the last-success gauge and the failure counter are registered on it. */
  readonly registry: Registry;
  /** Recorded in each manifest. */
  readonly version: string;
  /** Test seam: the period, overriding `backup.intervalMinutes`. */
  readonly intervalMs?: number;
  /** Test seam: the clock that names the files (default: now). */
  readonly now?: () => Date;
}

export interface SnapshotWritten {
  readonly file: string;
  readonly bytes: number;
  readonly ms: number;
}

export interface ScheduledBackups {
  /**
   * Takes a snapshot now (the timer calls this). Joins the one in flight rather than starting a
   * second; resolves undefined when it failed (logged and counted), when backups are off, or
   * after `stop()`.
   */
  snapshotNow(): Promise<SnapshotWritten | undefined>;
  /** Cancels the timer and waits for a snapshot in flight. Call before closing the database. */
  stop(): Promise<void>;
}

/** Starts the timer: the first snapshot is one interval after this call, not at it. */
export function startScheduledBackups(deps: ScheduledBackupDeps): ScheduledBackups {
  const metrics = registerBackupMetrics(deps.registry);
  const { backup, handle } = deps;
  const snapshot = handle.snapshot?.bind(handle);
  if (!backup || !snapshot) {
    return { snapshotNow: () => Promise.resolve(undefined), stop: () => Promise.resolve() };
  }
  const logger = deps.logger.child({ component: 'scheduled-backup' });
  const now = deps.now ?? (() => new Date());
  const intervalMs = deps.intervalMs ?? backup.intervalMinutes * 60_000;
  let inFlight: Promise<SnapshotWritten | undefined> | undefined;
  let stopped = false;

  const takeOne = async (): Promise<SnapshotWritten | undefined> => {
    const started = performance.now();
    const file = path.join(backup.dir, snapshotFileName(now()));
    try {
      await fs.promises.mkdir(backup.dir, { recursive: true, mode: 0o700 });
      const { manifest } = await backupOpenPglite(
        {
          query: async (q) => (await handle.db.execute(sql.raw(q))) as unknown as { rows: Record<string, unknown>[] },
          snapshot,
          instanceDir: deps.instanceDir,
        },
        file,
        deps.version,
      );
      const written = { file, bytes: manifest.payloadBytes, ms: Math.round(performance.now() - started) };
      metrics.succeeded(Date.parse(manifest.createdAt) / 1000);
      logger.info({ ...written, migrations: manifest.migrations.count }, 'backup snapshot written');
      await prune(backup.dir, backup.keep, logger);
      return written;
    } catch (err) {
      metrics.failed();
      logger.error({ err, file, dir: backup.dir }, 'backup snapshot failed');
      return undefined;
    }
  };

  const snapshotNow = () => {
    if (stopped) return Promise.resolve(undefined);
    inFlight ??= takeOne().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  const timer = setInterval(() => {
    if (inFlight) {
      logger.warn({ intervalMs }, 'backup snapshot still running at the next tick: skipped this one');
      return;
    }
    void snapshotNow();
  }, intervalMs);
  // The server keeps the process alive; a pending backup timer should not.
  timer.unref();
  logger.info({ dir: backup.dir, intervalMs, keep: backup.keep }, 'scheduled backups on');

  return {
    snapshotNow,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await inFlight;
    },
  };
}

/** Deletes our snapshots beyond the newest `keep`; any other file in the directory is left alone. */
async function prune(dir: string, keep: number, logger: Logger): Promise<void> {
  const ours = (await fs.promises.readdir(dir)).filter((name) => SNAPSHOT_FILE.test(name)).sort();
  for (const name of ours.slice(0, Math.max(0, ours.length - keep))) {
    try {
      await fs.promises.rm(path.join(dir, name));
    } catch (err) {
      // The snapshot itself succeeded: an old file that would not go is only logged.
      logger.warn({ err, file: path.join(dir, name) }, 'could not delete an old backup snapshot');
    }
  }
}

/**
 * `switchyard_backup_last_success_timestamp_seconds` has no sample until a snapshot succeeds (and
 * none at all when backups are off), so "no data" is never read as "backed up in 1970".
 */
function registerBackupMetrics(registry: Registry): { succeeded(unixSeconds: number): void; failed(): void } {
  let last: number | undefined;
  const gauge = new Gauge({
    name: 'switchyard_backup_last_success_timestamp_seconds',
    help: 'Unix time of the last successful scheduled snapshot of the embedded database (BACKUP_DIR)',
    registers: [registry],
  });
  // An unlabelled prom-client gauge always reports a value (0 until set): drop it until there is one.
  const collect = gauge.get.bind(gauge);
  gauge.get = async () => {
    const metric = await collect();
    return last === undefined ? { ...metric, values: [] } : metric;
  };
  const failures = new Counter({
    name: 'switchyard_backup_failures_total',
    help: 'Scheduled snapshots of the embedded database that failed (see the error log line for why)',
    registers: [registry],
  });
  return {
    succeeded(unixSeconds) {
      last = unixSeconds;
      gauge.set(unixSeconds);
    },
    failed: () => failures.inc(),
  };
}
