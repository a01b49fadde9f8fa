import pg from 'pg';
import { BACKENDS, createTestDatabase } from '../../../test/support/databases.ts';
import { TEST_ENV } from '../../../test/support/env.ts';
import { isPostgresAvailable } from '../../../test/support/databases.ts';
import { createPostgresQueue } from './postgres-queue.ts';
import type { QueueAdapter } from './queue.ts';
import { queueContract } from './queue.contract.ts';

/**
 * The queue contract on the PostgreSQL adapter: in-process on PGlite, and on a real PostgreSQL
 * where a second adapter stands in for a second process (its own pool and listener). There the
 * "server restart" terminates every connection to the database, which is what a client sees of a
 * restart; PGlite runs in-process and has no server to restart.
 */
const postgresReachable = await isPostgresAvailable();

for (const backend of BACKENDS) {
  if (backend === 'postgres' && !postgresReachable) continue;
  queueContract(
    `postgres adapter on ${backend}`,
    async () => {
      const db = await createTestDatabase(backend);
      const adapters: QueueAdapter[] = [];
      const make = async () => {
        if (backend === 'pglite') {
          const a = createPostgresQueue(db.handle.db, { pollMs: 200 });
          adapters.push(a);
          return a;
        }
        // Another pool on the same database: as separate from the first as another process.
        const { openDatabase } = await import('../db/database.ts');
        const { createLogger } = await import('../telemetry/logger.ts');
        const handle = await openDatabase(
          { kind: 'postgres', url: db.url ?? TEST_ENV.postgresUrl, poolMax: 5 },
          createLogger({ level: 'silent', pretty: false }),
        );
        const a = createPostgresQueue(handle.db, { pollMs: 200 });
        const close = a.close.bind(a);
        a.close = async (o) => {
          await close(o);
          await handle.close();
        };
        adapters.push(a);
        return a;
      };
      const adapter = createPostgresQueue(db.handle.db, { pollMs: 200 });
      adapters.push(adapter);
      return {
        adapter,
        newAdapter: make,
        ...(backend === 'postgres' && db.url
          ? {
              restartServer: async () => {
                const admin = new pg.Client({ connectionString: TEST_ENV.postgresUrl });
                await admin.connect();
                try {
                  const name = new URL(db.url ?? '').pathname.slice(1);
                  await admin.query(
                    'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
                    [name],
                  );
                } finally {
                  await admin.end();
                }
              },
            }
          : {}),
        dispose: async () => {
          for (const a of adapters) await a.close({ timeoutMs: 1_000 }).catch(() => undefined);
          await db.dispose();
        },
      };
    },
    { restartable: backend === 'postgres' },
  );
}
