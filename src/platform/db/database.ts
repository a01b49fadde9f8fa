import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { ROOT } from '../../paths.ts';
import type { Logger } from 'pino';
import { acquireDirLock, type DirLock } from './dir-lock.ts';
import { pgliteConf, pgliteExtensions } from './pglite-options.ts';
import { readPgliteTemplate } from './pglite-template.ts';

/** The Drizzle database both drivers give us: modules code against this, never a driver. */
export type Database = PgDatabase<PgQueryResultHKT>;
export type Transaction = PgTransaction<PgQueryResultHKT>;
/** Anything a repository function can run a query on: the database or an open transaction. */
export type Executor = Database | Transaction;

export type DatabaseConfig =
  | { readonly kind: 'pglite'; readonly dataDir: string }
  | { readonly kind: 'pglite-memory'; readonly loadDataDir?: Blob }
  | { readonly kind: 'postgres'; readonly url: string; readonly poolMax: number };

export interface DatabaseHandle {
  readonly db: Database;
  readonly kind: 'pglite' | 'postgres';
  /** Applies pending migrations; safe to call from several processes at once on PostgreSQL. */
  migrate(): Promise<void>;
  /** Throws when the database cannot answer a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** PostgreSQL only: the pool's connections checked out, idle, and requests waiting for one. */
  poolStats?(): { inUse: number; idle: number; waiting: number };
  /**
   * PGlite only: a gzipped tarball of the data dir, taken while the database stays open (the
   * payload of a backup file). Crash-consistent: PGlite reads the files under its exclusive query
   * mutex, so no statement runs meanwhile, and every committed transaction is in the WAL, so
   * opening the tarball recovers exactly what was committed (a transaction still open is rolled
   * back). Statements wait while the files are read.
   */
  snapshot?(): Promise<Blob>;
}

export const MIGRATIONS_DIR = path.join(ROOT, 'migrations');

/** Any fixed 64-bit number: it names "the migration lock" among advisory locks. */
const MIGRATION_LOCK_KEY = 7_262_455_013_201n;

export async function openDatabase(config: DatabaseConfig, logger: Logger): Promise<DatabaseHandle> {
  return config.kind === 'postgres' ? openPostgres(config, logger) : openPglite(config, logger);
}

async function openPglite(
  config: Extract<DatabaseConfig, { kind: 'pglite' | 'pglite-memory' }>,
  logger: Logger,
): Promise<DatabaseHandle> {
  let lock: DirLock | undefined;
  let client: PGlite;
  if (config.kind === 'pglite') {
    // PGlite is single-process: two processes on one directory would corrupt it.
    fs.mkdirSync(path.dirname(config.dataDir), { recursive: true });
    lock = acquireDirLock(`${config.dataDir}.lock`);
    const fresh = !fs.existsSync(path.join(config.dataDir, 'PG_VERSION'));
    const template = fresh ? readPgliteTemplate() : undefined;
    if (fresh) logger.info({ dataDir: config.dataDir, template: Boolean(template) }, 'creating embedded database');
    try {
      client = await PGlite.create(config.dataDir, {
        extensions: pgliteExtensions,
        postgresqlconf: pgliteConf,
        ...(template ? { loadDataDir: template } : {}),
      });
    } catch (err) {
      lock.release();
      throw err;
    }
  } else {
    client = await PGlite.create({
      extensions: pgliteExtensions,
      postgresqlconf: pgliteConf,
      ...(config.loadDataDir ? { loadDataDir: config.loadDataDir } : {}),
    });
  }
  const db = drizzlePglite({ client }) as unknown as Database;
  return {
    db,
    kind: 'pglite',
    migrate: () => migratePglite(drizzlePglite({ client }), { migrationsFolder: MIGRATIONS_DIR }),
    ping: async () => {
      await client.query('select 1');
    },
    snapshot: async () => {
      // Flushes dirty pages first, so the restored database has little WAL to replay.
      await client.query('checkpoint');
      return client.dumpDataDir('gzip');
    },
    close: async () => {
      if (!client.closed) await client.close();
      lock?.release();
    },
  };
}

async function openPostgres(
  config: Extract<DatabaseConfig, { kind: 'postgres' }>,
  logger: Logger,
): Promise<DatabaseHandle> {
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolMax,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: 'switchyard',
  });
  // An idle client that loses its server emits 'error' on the pool; without a listener that
  // would crash the process. The next query simply gets a fresh connection.
  pool.on('error', (err) => logger.warn({ err }, 'idle database connection failed'));
  // A connection can also die while checked out but between two statements (inside a
  // transaction, say, when the server restarts): the client then emits 'error' with nobody
  // listening, which would crash the process. The statement in flight or the next one fails
  // instead, and the pool replaces the connection.
  pool.on('connect', (client) => {
    client.on('error', (err) => logger.warn({ err }, 'database connection lost'));
  });
  const db = drizzlePg({ client: pool }) as unknown as Database;
  return {
    db,
    kind: 'postgres',
    poolStats: () => ({
      inUse: pool.totalCount - pool.idleCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
    }),
    migrate: async () => {
      // Migrations run on one dedicated connection holding an advisory lock, so several
      // processes starting together apply them exactly once.
      const client = await pool.connect();
      try {
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
        try {
          await migratePg(drizzlePg({ client }), { migrationsFolder: MIGRATIONS_DIR });
        } finally {
          await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
        }
      } finally {
        client.release();
      }
    },
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: async () => {
      if (!pool.ended) await pool.end();
    },
  };
}
