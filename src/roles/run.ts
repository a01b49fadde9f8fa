import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { buildApp } from '../app.ts';
import { createAiRuntime } from '../modules/ai/index.ts';
import { TOKEN_KEY_INFO, tokenKeysFrom } from '../modules/identity/index.ts';
import { createWorkflowRuntime } from '../modules/workflows/index.ts';
import { createRedisProbe } from '../platform/cache/redis-check.ts';
import { KEY_FILE_NAME, type KeyRing, loadKeyRing, MasterKeyError } from '../platform/crypto/index.ts';
import type { Config } from '../config.ts';
import { type DatabaseHandle, MIGRATIONS_DIR, openDatabase } from '../platform/db/database.ts';
import { startScheduledBackups } from '../platform/db/scheduled-backup.ts';
import { ROOT } from '../paths.ts';
import { redactUrl } from '../platform/telemetry/logger.ts';
import { createMetrics, registerDbPoolMetrics, registerDbQueryMetrics } from '../platform/telemetry/metrics.ts';
import { type MetricsServer, serveMetrics } from '../platform/telemetry/metrics-server.ts';
import { VERSION } from '../version.ts';

export type Role = 'api' | 'worker' | 'scheduler';

export interface RunOptions {
  roles: Role[];
  /** Apply pending migrations before serving (the all-in-one `start` does; scaled roles don't). */
  migrate: boolean;
}

/** A started process: `stop()` drains and closes everything, in order, once. */
export interface Running {
  readonly url: string | undefined;
  stop(): Promise<void>;
}

export function describeDatabase(config: Config): string {
  return config.database.kind === 'postgres'
    ? `postgres ${redactUrl(config.database.url)}`
    : `embedded PGlite at ${config.database.dataDir}`;
}

/** Counts migrations in the journal that the database has not recorded as applied. */
export async function pendingMigrations(handle: DatabaseHandle): Promise<number> {
  const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as {
    entries: unknown[];
  };
  let applied: number;
  try {
    const result = (await handle.db.execute(
      sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
    )) as unknown as {
      rows: { n: number }[];
    };
    applied = Number(result.rows[0]?.n ?? 0);
  } catch {
    applied = 0; // no migrations table yet
  }
  return journal.entries.length - applied;
}

/**
 * The instance's master key ring, or `MasterKeyError` (the CLI exits 78 with its message).
 *
 * Embedded mode may make its own key in the data dir: one process, one box. With `DATABASE_URL`
 * it may not: every process sharing the database (api replicas, workers, the scheduler, admin
 * commands) must hold the same key, and a key file per container would silently differ, so each
 * process would reject the others' tokens and fail to open their secrets. Fail closed instead.
 */
export function loadInstanceKeys(config: Config): KeyRing {
  const configured = config.auth.secretKey?.trim();
  if (config.database.kind === 'postgres' && !configured) {
    const file = path.join(config.dataDir, KEY_FILE_NAME);
    throw new MasterKeyError(
      'CRYPTO_MASTER_KEY_REQUIRED',
      'SWITCHYARD_SECRET_KEY is required when DATABASE_URL is set: every process that shares the database must ' +
        'use the same master key (it encrypts secrets at rest and signs access tokens). Generate one with ' +
        '`openssl rand -base64 32`, keep it in your secret store, and set SWITCHYARD_SECRET_KEY to it in every process.' +
        (fs.existsSync(file)
          ? ` ${file} holds a key from an earlier start: set SWITCHYARD_SECRET_KEY to its contents instead, ` +
            'or sessions and stored secrets made with it stop working.'
          : ''),
    );
  }
  return loadKeyRing({ configured, dataDir: config.dataDir }).ring;
}

/**
 * First start on the embedded database: create it and apply the migrations in a short-lived
 * `switchyard migrate` process. Doing it here would leave PGlite's WASM memory grown by initdb
 * and the migrations for the life of the server (~180 MB; WASM memory never shrinks), so the
 * first `npm start` would sit at ~430 MB instead of ~250 MB. If the child fails, the caller's own
 * migration runs and reports the error.
 */
function createEmbeddedDatabaseApart(config: Config, logger: Logger): void {
  if (config.database.kind !== 'pglite') return;
  if (fs.existsSync(path.join(config.database.dataDir, 'PG_VERSION'))) return;
  const child = spawnSync(
    process.execPath,
    [
      path.join(ROOT, 'bin', 'switchyard.mjs'),
      'migrate',
      '--data-dir',
      config.dataDir,
      '--log-level',
      config.log.level,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'], env: process.env, timeout: 120_000 },
  );
  if (child.status !== 0) {
    logger.warn({ status: child.status, error: child.error?.message }, 'creating the embedded database apart failed');
  }
}

/**
 * Starts the given roles in this process: `api` serves HTTP (and executes webhook runs that wait
 * for their result), `worker` advances runs from the queue, `scheduler` fires cron ticks and
 * delayed wake-ups and sweeps expired leases. `start` runs all three.
 */
export async function run(config: Config, logger: Logger, options: RunOptions): Promise<Running> {
  const started = performance.now();
  // The master key first: a missing or unsafe key fails start-up before anything is opened.
  const ring = loadInstanceKeys(config);
  const tokenKeys = tokenKeysFrom(ring.deriveSubkeys(TOKEN_KEY_INFO));
  if (options.migrate) createEmbeddedDatabaseApart(config, logger);
  let handle = await openDatabase(config.database, logger);
  try {
    if (options.migrate) {
      const pending = handle.kind === 'pglite' ? await pendingMigrations(handle) : 0;
      await handle.migrate();
      if (pending > 0) {
        // Creating or migrating the embedded database grows PGlite's WASM memory, which never
        // shrinks (~180 MB more, measured): reopen it, so the process serves from a small heap.
        await handle.close();
        handle = await openDatabase(config.database, logger);
      }
    } else {
      const pending = await pendingMigrations(handle);
      if (pending > 0) {
        throw new Error(`The database is ${pending} migration(s) behind this build: run \`switchyard migrate\` first.`);
      }
    }
  } catch (err) {
    await handle.close();
    throw err;
  }

  let url: string | undefined;
  let built: Awaited<ReturnType<typeof buildApp>> | undefined;
  // Redis (rate-limit store today, queues later) is part of readiness when configured.
  const redisProbe = config.redis ? createRedisProbe(config.redis.url) : undefined;
  const metrics = createMetrics();
  registerDbPoolMetrics(metrics.registry, handle.poolStats?.bind(handle));
  // For the process's life: one registry per process.
  registerDbQueryMetrics(metrics.registry);
  // One per process, shared by the API and the worker: one instance provider, one offline engine.
  const ai = createAiRuntime({ db: handle.db, ring, outbound: config.outbound, config: config.ai, metrics });
  const workflows = await createWorkflowRuntime({
    db: handle.db,
    logger,
    ring,
    outbound: config.outbound,
    engine: config.engine,
    redisUrl: config.redis?.url,
    ai,
    metrics,
    // Links in emails point here; without PUBLIC_URL, at this server as bound locally (as app.ts).
    publicUrl: config.http.publicUrl ?? `http://localhost:${config.http.port || 3000}`,
  });
  if (options.roles.includes('api')) {
    built = await buildApp({
      http: config.http,
      auth: { config: config.auth, tokenKeys, ring },
      outbound: config.outbound,
      sso: config.sso,
      db: handle.db,
      logger,
      metrics,
      ai,
      checks: {
        database: () => handle.ping(),
        ...(redisProbe ? { redis: () => redisProbe.check() } : {}),
      },
      workflows: workflows.deps,
      dashboard: { dir: path.join(ROOT, 'web', 'dist') },
    });
    try {
      url = await built.app.listen({ port: config.http.port, host: config.http.host });
    } catch (err) {
      await built.app.close();
      await workflows.stop();
      await handle.close();
      throw err;
    }
  }
  // Worker and scheduler processes have no HTTP server: a small /metrics listener on METRICS_PORT.
  let metricsServer: MetricsServer | undefined;
  if (!built) {
    try {
      metricsServer = await serveMetrics(metrics.registry, { port: config.metrics.port, host: config.http.host });
    } catch (err) {
      await workflows.stop();
      await handle.close();
      throw err;
    }
  }
  workflows.start(options.roles);
  // The embedded database's scheduled snapshots, by the process running the scheduler (`start`).
  const backups = startScheduledBackups({
    backup: options.roles.includes('scheduler') ? config.backup : undefined,
    handle,
    instanceDir: config.dataDir,
    logger,
    registry: metrics.registry,
    version: VERSION,
  });
  // Keeps the event loop alive for roles without a server; cleared on stop.
  const idle = built ? undefined : setInterval(() => {}, 1 << 30);
  for (const role of options.roles.filter((r) => r !== 'api')) {
    logger.info({ role, queue: workflows.queue.kind }, `${role} role started`);
  }
  logger.info(
    {
      roles: options.roles,
      url,
      ...(metricsServer ? { metricsUrl: metricsServer.url } : {}),
      database: describeDatabase(config),
      startupMs: Math.round(performance.now() - started),
    },
    url ? `Switchyard listening on ${url}` : 'Switchyard started',
  );

  let stopping: Promise<void> | undefined;
  return {
    url,
    stop() {
      stopping ??= (async () => {
        // No new snapshot from here on; one in flight finishes before the database closes under it.
        const backupsStopped = backups.stop();
        built?.markDraining();
        // Fastify stops accepting, answers 503 to new requests on open sockets and waits for
        // in-flight requests before resolving.
        await built?.app.close();
        // Stop claiming, let runs in flight finish (or leave them to the sweep), then close.
        await workflows.stop({ timeoutMs: config.shutdownTimeoutMs });
        if (idle) clearInterval(idle);
        await metricsServer?.close();
        await redisProbe?.close();
        await backupsStopped;
        await handle.close();
      })();
      return stopping;
    },
  };
}
