import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { type DatabaseHandle, MIGRATIONS_DIR, openDatabase } from '../../src/platform/db/database.ts';
import { ensurePgliteTemplate } from '../../src/platform/db/pglite-template.ts';
import { TEST_ENV } from './env.ts';

export const BACKENDS = ['pglite', 'postgres'] as const;
export type Backend = (typeof BACKENDS)[number];

const silent = pino({ level: 'silent' });

/** Hash of every migration file: a changed migration rebuilds the PostgreSQL template. */
function migrationsHash(): string {
  const h = createHash('sha256');
  for (const f of fs
    .readdirSync(MIGRATIONS_DIR)
    .filter((n) => n.endsWith('.sql'))
    .sort()) {
    h.update(f).update(fs.readFileSync(path.join(MIGRATIONS_DIR, f)));
  }
  return h.digest('hex').slice(0, 16);
}

const TEMPLATE_DB = `switchyard_test_tpl_${migrationsHash()}`;

async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  // Generous: on a loaded 2-core machine (a browser suite beside the rest) a connect can take seconds.
  const client = new pg.Client({ connectionString: TEST_ENV.postgresUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function urlFor(database: string): string {
  const u = new URL(TEST_ENV.postgresUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * A migrated template database, made once per migrations hash (graphile-worker's approach):
 * each test file then clones it with CREATE DATABASE … TEMPLATE, which takes milliseconds.
 */
async function ensurePostgresTemplate(): Promise<void> {
  await withAdmin(async (admin) => {
    await admin.query('select pg_advisory_lock(727245501)');
    try {
      const exists = await admin.query('select 1 from pg_database where datname = $1', [TEMPLATE_DB]);
      if (exists.rowCount) return;
      await admin.query(`create database "${TEMPLATE_DB}"`);
      const handle = await openDatabase({ kind: 'postgres', url: urlFor(TEMPLATE_DB), poolMax: 2 }, silent);
      try {
        await handle.migrate();
      } finally {
        await handle.close();
      }
    } finally {
      await admin.query('select pg_advisory_unlock(727245501)');
    }
  });
}

let postgresReachable: Promise<boolean> | undefined;

/** Whether PostgreSQL answers; in CI an unreachable server is an error, not a skip. */
export function isPostgresAvailable(): Promise<boolean> {
  const probe = () =>
    withAdmin(async (c) => {
      await c.query('select 1');
      return true;
    });
  // Three tries before calling it unreachable: one slow connect must not fail a whole file in CI.
  postgresReachable ??= probe()
    .catch(() => probe())
    .catch(() => probe())
    .catch((err: unknown) => {
      if (TEST_ENV.requirePostgres) {
        throw new Error(`PostgreSQL is required (CI=true) but unreachable at ${TEST_ENV.postgresUrl}: ${String(err)}`);
      }
      return false;
    });
  return postgresReachable;
}

export interface TestDatabase {
  handle: DatabaseHandle;
  backend: Backend;
  /** Connection URL (PostgreSQL only), for tests that start a separate process. */
  url: string | undefined;
  dispose(): Promise<void>;
}

/** A fresh, migrated database for one test file: PGlite in memory, or a PostgreSQL clone. */
export async function createTestDatabase(backend: Backend): Promise<TestDatabase> {
  if (backend === 'pglite') {
    const blob = await ensurePgliteTemplate();
    const handle = await openDatabase({ kind: 'pglite-memory', loadDataDir: blob }, silent);
    await handle.migrate();
    return { handle, backend, url: undefined, dispose: () => handle.close() };
  }
  await ensurePostgresTemplate();
  const name = `switchyard_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((c) => c.query(`create database "${name}" template "${TEMPLATE_DB}"`));
  const url = urlFor(name);
  const handle = await openDatabase({ kind: 'postgres', url, poolMax: 5 }, silent);
  return {
    handle,
    backend,
    url,
    dispose: async () => {
      await handle.close();
      await withAdmin((c) => c.query(`drop database if exists "${name}" with (force)`));
    },
  };
}
