import { Writable } from 'node:stream';
import { after, before, describe } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import type { Config } from '../../src/config.ts';
import { randomBytes } from 'node:crypto';
import { TOKEN_KEY_INFO, tokenKeysFrom } from '../../src/modules/identity/index.ts';
import { KeyRing } from '../../src/platform/crypto/index.ts';
import { createTenant } from '../../src/modules/tenants/index.ts';
import { createWorkflowRuntime, type WorkflowRuntime } from '../../src/modules/workflows/index.ts';
import type { QueueAdapter } from '../../src/platform/queue/queue.ts';
import type { ActorContext, Role } from '../../src/platform/context.ts';
import type { AiConfig, AuthConfig } from '../../src/config.ts';
import { createAiRuntime, createOfflineEngine } from '../../src/modules/ai/index.ts';
import { createLogger } from '../../src/platform/telemetry/logger.ts';
import { createMetrics } from '../../src/platform/telemetry/metrics.ts';
import { BACKENDS, type Backend, createTestDatabase, isPostgresAvailable, type TestDatabase } from './databases.ts';

// Decided once, before any suite is declared: node:test registers subtests synchronously.
const POSTGRES_AVAILABLE = await isPostgresAvailable();

export const TEST_HTTP: Config['http'] = {
  port: 0,
  host: '127.0.0.1',
  bodyLimitBytes: 64 * 1024,
  corsOrigins: [],
  rateLimitPerMinute: 0,
  // Limiters are off unless a suite turns them on, so suites can make as many requests as they like.
  authRateLimitPerMinute: 0,
  principalRateLimitPerMinute: 0,
  rateLimitStore: { kind: 'memory' },
  trustProxy: false,
  publicUrl: undefined,
};

export const TEST_AUTH: AuthConfig = {
  secretKey: undefined,
  signupMode: 'open',
  accessTokenTtlSeconds: 900,
  refreshTokenTtlSeconds: 14 * 86400,
  sessionMaxAgeSeconds: 30 * 86400,
  issuer: 'switchyard-test',
  // High enough that no suite locks an account by accident; the throttle suite lowers it.
  loginMaxFailures: 1000,
  loginLockoutSeconds: 900,
};

/** No instance provider: tenants without their own get the offline engine. */
export const TEST_AI: AiConfig = {
  provider: undefined,
  allowedBaseUrls: [],
  maxInputChars: 100_000,
  timeoutMs: 10_000,
};
/** One offline engine for the whole test process: its model loads once (~100 ms, ~26 MB). */
const TEST_OFFLINE = createOfflineEngine();

/** Tests reach nothing private unless a suite allow-lists its own local servers. */
export const TEST_OUTBOUND: Config['outbound'] = { allowlist: [] };
export const TEST_SSO: Config['sso'] = { githubOauthUrl: 'https://github.com', githubApiUrl: 'https://api.github.com' };

/** A random master key ring, fresh per process, and the token keys derived from it. */
export const TEST_RING = new KeyRing([randomBytes(32)]);
export const TEST_TOKEN_KEYS = tokenKeysFrom(TEST_RING.deriveSubkeys(TOKEN_KEY_INFO));

/** Log lines of one app, kept in memory so tests can assert on them (e.g. no secret leaked). */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void) {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    cb();
  }
}

export interface TestApp {
  app: FastifyInstance;
  tenantId: string;
  logs: LogCapture;
  markDraining(): void;
  /** The workflow runtime, when the suite asked for one (`engine`); stopped when the app closes. */
  workflows?: WorkflowRuntime;
}

export const TEST_ENGINE: Config['engine'] = {
  queueAdapter: 'postgres',
  // Long enough that a loaded CI machine never loses a lease by accident; crash tests set their own.
  leaseMs: 10_000,
  maxStepOutputBytes: 1024 * 1024,
  workerConcurrency: 4,
  tenantConcurrency: 100,
};

/**
 * An app bound to a tenant of its own, so tests in one file never see each other's data and
 * every list and count starts empty.
 */
export async function createTestApp(
  db: TestDatabase,
  opts: {
    tenantId?: string;
    http?: Partial<Config['http']>;
    auth?: Partial<AuthConfig>;
    outbound?: Partial<Config['outbound']>;
    sso?: Partial<Config['sso']>;
    /** The instance's AI configuration (default: no provider, offline only). */
    ai?: Partial<AiConfig>;
    /** Test seam for the AI runtime's clock (month boundaries of usage and budgets). */
    now?: () => Date;
    /** The role module suites act with (default owner); `'real'` turns authentication on. */
    as?: Role | 'real';
    /** Serves a dashboard build from this directory (see src/platform/http/dashboard.ts). */
    dashboard?: { dir: string };
    /** Mounts the workflow engine (routes, webhooks) and runs the given roles in-process. */
    engine?: Partial<Config['engine']> & { roles?: ('worker' | 'scheduler')[]; queue?: QueueAdapter };
  } = {},
): Promise<TestApp> {
  const tenantId = opts.tenantId ?? (await createTenant(db.handle.db, { name: 'test' })).id;
  const logs = new LogCapture();
  const logger = createLogger({ level: 'info', pretty: false, destination: logs });
  // One AI runtime for the app and its workflow steps, as run.ts shares one per process.
  const metrics = createMetrics();
  const outbound = { ...TEST_OUTBOUND, ...opts.outbound };
  const ai = createAiRuntime({
    db: db.handle.db,
    ring: TEST_RING,
    outbound,
    config: { ...TEST_AI, ...opts.ai },
    metrics,
    offline: TEST_OFFLINE,
    ...(opts.now ? { now: opts.now } : {}),
  });
  const workflows = opts.engine
    ? await createWorkflowRuntime({
        db: db.handle.db,
        logger,
        ring: TEST_RING,
        outbound,
        engine: { ...TEST_ENGINE, ...opts.engine },
        publicUrl: opts.http?.publicUrl ?? TEST_HTTP.publicUrl,
        ai,
        metrics,
        ...(opts.engine.queue ? { queue: opts.engine.queue } : {}),
      })
    : undefined;
  const role: Role | undefined = opts.as === 'real' ? undefined : (opts.as ?? 'owner');
  const built = await buildApp({
    http: { ...TEST_HTTP, ...opts.http },
    auth: { config: { ...TEST_AUTH, ...opts.auth }, tokenKeys: TEST_TOKEN_KEYS, ring: TEST_RING },
    outbound,
    sso: { ...TEST_SSO, ...opts.sso },
    db: db.handle.db,
    // The production logger (redaction, serializers), writing into memory.
    logger,
    workflows: workflows?.deps,
    metrics,
    ai,
    checks: { database: () => db.handle.ping() },
    dashboard: opts.dashboard,
    resolveContext:
      role === undefined
        ? undefined
        : (req): ActorContext => ({
            tenantId,
            actor: { type: 'user', id: 'usr_test' },
            role,
            requestId: req.id,
            ip: req.ip,
            userAgent: req.headers['user-agent'],
          }),
  });
  if (workflows) {
    built.app.addHook('onClose', async () => workflows.stop({ timeoutMs: 2_000 }));
    workflows.start(opts.engine?.roles ?? ['worker', 'scheduler']);
  }
  await built.app.ready();
  return { app: built.app, tenantId, logs, markDraining: built.markDraining, ...(workflows ? { workflows } : {}) };
}

/**
 * Declares the same suite once per database backend. Each gets its own database for the whole
 * suite. PostgreSQL runs whenever reachable and is mandatory in CI.
 */
export function describeEachBackend(
  name: string,
  body: (getDb: () => TestDatabase, backend: Backend) => void,
  opts: { backends?: readonly Backend[] } = {},
): void {
  for (const backend of opts.backends ?? BACKENDS) {
    // Only outside CI can PostgreSQL be missing: a developer without it still gets the PGlite run.
    const skip =
      backend === 'postgres' && !POSTGRES_AVAILABLE ? 'PostgreSQL not reachable (set TEST_DATABASE_URL)' : false;
    describe(`${name} [${backend}]`, { skip }, () => {
      let db: TestDatabase | undefined;
      before(async () => {
        db = await createTestDatabase(backend);
      });
      after(async () => {
        await db?.dispose();
      });
      body(() => {
        if (!db) throw new Error('database not ready');
        return db;
      }, backend);
    });
  }
}
