/**
 * The benchmarks' baseline: a bare Fastify app serving the two item routes with one SQL statement
 * each, against the same schema and the same database driver settings as Switchyard. No schemas,
 * no hooks, no plugins, logger off — the floor a Switchyard route could reach on this database.
 *
 * `POST /bench/write-read` is the engine benchmark's floor for a webhook execution: one INSERT of
 * the JSON body into a plain table (`bench_writes`, created here: primary key only), then one
 * SELECT of that row, answered as JSON.
 *
 * Run as a child process by `bench/api.bench.ts` and `bench/engine.bench.ts`; configured by the same variables as Switchyard:
 * PORT, HOST, DATABASE_URL (PostgreSQL) or SWITCHYARD_DATA_DIR (PGlite at `<dir>/pgdata`, already
 * migrated), DATABASE_POOL_MAX. Stops cleanly on SIGTERM / SIGINT.
 */
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import Fastify from 'fastify';
import pg from 'pg';
import { acquireDirLock } from '../src/platform/db/dir-lock.ts';
import { pgliteConf, pgliteExtensions } from '../src/platform/db/pglite-options.ts';
import { newId } from '../src/platform/ids.ts';

/** The bootstrap tenant the migrations create; Switchyard acts as it until identity lands. */
const BENCH_TENANT_ID = 'ten_00000000000000000000000000';

/** The columns Switchyard's repository selects and returns (everything but `search_vector`). */
const COLUMNS = 'id, tenant_id, name, description, status, tags, metadata, version, created_at, updated_at';
const SELECT_ITEM = `select ${COLUMNS} from items where tenant_id = $1 and id = $2`;
const INSERT_ITEM = `insert into items (id, tenant_id, name, tags, metadata) values ($1, $2, $3, $4, $5) returning ${COLUMNS}`;
const CREATE_WRITES = `create table if not exists bench_writes (
  id text primary key, payload jsonb not null, created_at timestamptz not null default now())`;
const INSERT_WRITE = 'insert into bench_writes (id, payload) values ($1, $2)';
const SELECT_WRITE = 'select id, payload, created_at from bench_writes where id = $1';

type Row = Record<string, unknown>;

interface BareDb {
  query(text: string, params: unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

async function openBareDb(env: NodeJS.ProcessEnv): Promise<BareDb> {
  if (env.DATABASE_URL) {
    // The options Switchyard's openPostgres uses.
    const pool = new pg.Pool({
      connectionString: env.DATABASE_URL,
      max: Number(env.DATABASE_POOL_MAX ?? 10),
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      application_name: 'switchyard-bench-bare',
    });
    pool.on('error', () => {});
    return {
      query: async (text, params) => (await pool.query<Row>(text, params)).rows,
      close: () => pool.end(),
    };
  }
  const dataDir = path.join(path.resolve(env.SWITCHYARD_DATA_DIR ?? './.switchyard'), 'pgdata');
  // The same lock file Switchyard takes: two processes on one PGlite directory would corrupt it.
  const lock = acquireDirLock(`${dataDir}.lock`);
  const client = await PGlite.create(dataDir, { extensions: pgliteExtensions, postgresqlconf: pgliteConf });
  return {
    query: async (text, params) => (await client.query<Row>(text, params)).rows,
    close: async () => {
      if (!client.closed) await client.close();
      lock.release();
    },
  };
}

interface CreateBody {
  name?: unknown;
  tags?: unknown;
  metadata?: unknown;
}

async function main(): Promise<void> {
  const db = await openBareDb(process.env);
  await db.query(CREATE_WRITES, []);
  const app = Fastify({ logger: false });

  app.get('/health/ready', async () => {
    await db.query('select 1', []);
    return { status: 'ok' };
  });

  app.get<{ Params: { id: string } }>('/api/v1/items/:id', async (req, reply) => {
    const [row] = await db.query(SELECT_ITEM, [BENCH_TENANT_ID, req.params.id]);
    if (!row) return reply.status(404).send({ error: 'not found' });
    return row;
  });

  app.post<{ Body: CreateBody }>('/api/v1/items', async (req, reply) => {
    const body = req.body ?? {};
    const [row] = await db.query(INSERT_ITEM, [
      newId('itm'),
      BENCH_TENANT_ID,
      body.name,
      body.tags ?? [],
      JSON.stringify(body.metadata ?? {}),
    ]);
    return reply.status(201).send(row);
  });

  app.post<{ Body: unknown }>('/bench/write-read', async (req) => {
    const id = newId('run');
    await db.query(INSERT_WRITE, [id, JSON.stringify(req.body ?? null)]);
    const [row] = await db.query(SELECT_WRITE, [id]);
    return row;
  });

  await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await app.close();
    await db.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`bare server failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
