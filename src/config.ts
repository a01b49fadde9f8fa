import path from 'node:path';
import { z } from 'zod';

/**
 * The one configuration schema. Every setting comes from an environment variable (flags on the
 * CLI are turned into the same variables), is parsed once at start into a frozen object, and each
 * module receives only its slice. Boot fails listing every problem at once.
 *
 * Keep this table and the README's configuration table in step.
 */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const boolFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const intFromEnv = (min: number, max: number) =>
  z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min).max(max));

const postgresUrl = z
  .string()
  .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// or postgresql:// URL')
  .refine((v) => URL.canParse(v), 'is not a valid URL');

const redisUrl = z
  .string()
  .refine((v) => /^rediss?:\/\//.test(v), 'must be a redis:// or rediss:// URL')
  .refine((v) => URL.canParse(v), 'is not a valid URL');

const corsOrigins = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(
    z.array(
      z
        .string()
        .refine(
          (o) => o === '*' || /^https?:\/\/[^/\s]+$/.test(o),
          "each origin must look like https://host[:port] (no path), or be '*'",
        ),
    ),
  );

const hostList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  )
  .pipe(
    z.array(
      z
        .string()
        .refine(
          (h) => /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/.test(h),
          'each entry must be a host or host:port (no scheme, no path)',
        ),
    ),
  );

const AI_KINDS = ['openai', 'anthropic', 'ollama', 'openai-compatible'] as const;

/** Exact origins (`https://llm.internal:8443`): no path, no credentials; normalised by URL. */
const originList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(
    z.array(
      z
        .string()
        .refine(
          (o) => /^https?:\/\/[^/\s@]+\/?$/.test(o) && URL.canParse(o),
          'each entry must be an origin like https://host[:port] (no path, no credentials)',
        )
        .transform((o) => new URL(o).origin),
    ),
  );

/** Variables whose values never appear in a configuration error. */
const SECRET_VARIABLES: ReadonlySet<string> = new Set(['AI_API_KEY']);

/** Environment variable → setting. The keys are the variable names, so errors can name them. */
const envSchema = z.object({
  PORT: intFromEnv(0, 65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Port of the /metrics listener of the worker and scheduler roles (the api serves it on PORT). */
  METRICS_PORT: intFromEnv(0, 65535).default(9464),
  SWITCHYARD_DATA_DIR: z.string().min(1).default('./.switchyard'),
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_POOL_MAX: intFromEnv(1, 200).default(10),
  REDIS_URL: redisUrl.optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  LOG_PRETTY: boolFromEnv.default(false),
  BODY_LIMIT_BYTES: intFromEnv(1024, 100 * 1024 * 1024).default(1024 * 1024),
  CORS_ORIGINS: corsOrigins.default([]),
  RATE_LIMIT_PER_MINUTE: intFromEnv(0, 1_000_000).default(1200),
  AUTH_RATE_LIMIT_PER_MINUTE: intFromEnv(0, 1_000_000).default(30),
  PRINCIPAL_RATE_LIMIT_PER_MINUTE: intFromEnv(0, 1_000_000).default(600),
  LOGIN_MAX_FAILURES: intFromEnv(1, 1000).default(10),
  LOGIN_LOCKOUT_SECONDS: intFromEnv(1, 7 * 86400).default(900),
  TRUST_PROXY: boolFromEnv.default(false),
  SHUTDOWN_TIMEOUT_MS: intFromEnv(100, 600_000).default(10_000),
  PUBLIC_URL: z.url().optional(),
  SWITCHYARD_SECRET_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/=_,-]+$/, 'must be base64 keys of 32 bytes, comma-separated (newest first)')
    .optional(),
  SIGNUP_MODE: z.enum(['open', 'closed']).default('open'),
  ACCESS_TOKEN_TTL_SECONDS: intFromEnv(60, 3600).default(900),
  REFRESH_TOKEN_TTL_SECONDS: intFromEnv(300, 90 * 86400).default(14 * 86400),
  SESSION_MAX_AGE_SECONDS: intFromEnv(300, 365 * 86400).default(30 * 86400),
  OUTBOUND_ALLOWLIST: hostList.default([]),
  /** Same as OUTBOUND_ALLOWLIST (the name the workflow docs use); the two lists are merged. */
  EGRESS_ALLOWLIST: hostList.default([]),
  QUEUE_ADAPTER: z.enum(['postgres', 'bullmq']).default('postgres'),
  ENGINE_LEASE_MS: intFromEnv(1000, 3_600_000).default(30_000),
  STEP_OUTPUT_MAX_BYTES: intFromEnv(1024, 64 * 1024 * 1024).default(1024 * 1024),
  WORKER_CONCURRENCY: intFromEnv(1, 1000).default(8),
  ENGINE_TENANT_CONCURRENCY: intFromEnv(1, 100_000).default(100),
  GITHUB_OAUTH_URL: z.url({ protocol: /^https?$/ }).default('https://github.com'),
  GITHUB_API_URL: z.url({ protocol: /^https?$/ }).default('https://api.github.com'),
  AI_PROVIDER: z.enum([...AI_KINDS, 'none']).default('none'),
  AI_MODEL: z.string().min(1).max(200).optional(),
  AI_BASE_URL: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .optional(),
  AI_API_KEY: z.string().min(1).max(4096).optional(),
  AI_TIMEOUT_MS: intFromEnv(100, 600_000).default(120_000),
  AI_MAX_INPUT_CHARS: intFromEnv(1000, 2_000_000).default(100_000),
  AI_ALLOWED_BASE_URLS: originList.default([]),
  /** Embedded database only: where the running server writes its scheduled snapshots; unset = off. */
  BACKUP_DIR: z.string().min(1).optional(),
  BACKUP_INTERVAL_MINUTES: intFromEnv(1, 1440).default(15),
  BACKUP_KEEP: intFromEnv(1, 10_000).default(96),
});

export type Env = Record<string, string | undefined>;

export interface Config {
  readonly http: {
    readonly port: number;
    readonly host: string;
    readonly bodyLimitBytes: number;
    readonly corsOrigins: readonly string[];
    /** Requests per minute per client IP; 0 turns the limiter off. */
    readonly rateLimitPerMinute: number;
    /**
     * Requests per minute per client IP to the public auth routes (sign-up, login, refresh,
     * password reset, …), on top of the global limit; 0 turns it off. Default 30.
     */
    readonly authRateLimitPerMinute: number;
    /** Requests per minute per authenticated user or API key, whatever its IP; 0 turns it off. Default 600. */
    readonly principalRateLimitPerMinute: number;
    /** Where limiter counters live: this process's memory, or Redis (shared) when REDIS_URL is set. */
    readonly rateLimitStore:
      { readonly kind: 'memory' } | { readonly kind: 'redis'; readonly url: string; readonly keyPrefix: string };
    readonly trustProxy: boolean;
    readonly publicUrl: string | undefined;
  };
  readonly database:
    | { readonly kind: 'pglite'; readonly dataDir: string }
    | { readonly kind: 'postgres'; readonly url: string; readonly poolMax: number };
  readonly redis: { readonly url: string } | undefined;
  readonly dataDir: string;
  readonly log: { readonly level: (typeof LOG_LEVELS)[number]; readonly pretty: boolean };
  readonly shutdownTimeoutMs: number;
  readonly auth: AuthConfig;
  readonly outbound: OutboundConfig;
  readonly sso: SsoConfig;
  readonly ai: AiConfig;
  /** The worker and scheduler roles' /metrics listener (on HOST); the api serves /metrics on PORT. */
  readonly metrics: { readonly port: number };
  /** Scheduled snapshots of the embedded database by the running server; undefined (the default) = off. */
  readonly backup: BackupConfig | undefined;
  readonly engine: {
    /** `postgres` (the database's own queue table, default) or `bullmq` (needs REDIS_URL). */
    readonly queueAdapter: 'postgres' | 'bullmq';
    /** How long a worker holds a run or message without renewing; a dead worker's work is redelivered after it. */
    readonly leaseMs: number;
    /** Largest JSON output of one step; a bigger one fails the step. */
    readonly maxStepOutputBytes: number;
    /** Runs one worker process advances at once. */
    readonly workerConcurrency: number;
    /** Runs of one tenant executing at once across all workers; more wait, queued, with the reason. */
    readonly tenantConcurrency: number;
  };
}

export interface BackupConfig {
  /** `BACKUP_DIR`, absolute: created with mode 0700 when missing. */
  readonly dir: string;
  /** `BACKUP_INTERVAL_MINUTES` (1–1440, default 15): the first snapshot is one interval after start. */
  readonly intervalMinutes: number;
  /** `BACKUP_KEEP` (1–10000, default 96 = a day at 15 minutes): older snapshots are deleted. */
  readonly keep: number;
}

export interface OutboundConfig {
  /**
   * Hosts (`host`) or `host:port` pairs that server-side requests may reach even though they
   * resolve to loopback or private addresses (e.g. a Keycloak on the internal network). Default
   * empty: every such address is refused.
   */
  readonly allowlist: readonly string[];
}

export interface AiConfig {
  /**
   * The instance's model provider (`AI_PROVIDER`, `AI_MODEL`, `AI_BASE_URL`, `AI_API_KEY`), used by every tenant that has not set its own. Undefined (`none`, the
   * default): tenants without their own provider get the offline engine. The operator chose this
   * URL, so it is not held to the SSRF guard.
   */
  readonly provider:
    | {
        readonly kind: (typeof AI_KINDS)[number];
        readonly model: string;
        readonly baseUrl?: string;
        readonly apiKey?: string;
      }
    | undefined;
  /** One model call, retries and streaming included (`AI_TIMEOUT_MS`, default 120 s); tenants' providers too. */
  readonly timeoutMs: number;
  /**
   * Origins (`scheme://host[:port]`, exact) that tenants' provider base URLs may use even though
   * they are loopback or private (a shared Ollama or vLLM on the internal network). Every other
   * tenant base URL passes the SSRF guard, at save time and at every call.
   */
  readonly allowedBaseUrls: readonly string[];
  /** Characters of input one AI operation accepts (prompt, document, text). Default 100,000. */
  readonly maxInputChars: number;
}

export interface SsoConfig {
  /** Where GitHub's OAuth endpoints live (`/login/oauth/…`); GitHub Enterprise or a test server. */
  readonly githubOauthUrl: string;
  /** GitHub's REST API base (`/user`, `/user/emails`). */
  readonly githubApiUrl: string;
}

export interface AuthConfig {
  /** Master key(s) for secrets at rest and token signing; else `<dataDir>/secret.key`. */
  readonly secretKey: string | undefined;
  /** `open`: anyone can sign up and gets a tenant; `closed`: only the operator creates accounts. */
  readonly signupMode: 'open' | 'closed';
  readonly accessTokenTtlSeconds: number;
  /** A refresh token unused this long expires (idle timeout). */
  readonly refreshTokenTtlSeconds: number;
  /** No refresh extends a session beyond this age (absolute lifetime). */
  readonly sessionMaxAgeSeconds: number;
  /** `iss` of access tokens. */
  readonly issuer: string;
  /** Consecutive wrong passwords for one email address that lock it. Default 10. */
  readonly loginMaxFailures: number;
  /**
   * How long a lock lasts, and how long failures are remembered: a failure more than this after
   * the previous one starts the count again. Default 900. A password reset lifts a lock at once.
   */
  readonly loginLockoutSeconds: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment into a frozen Config, or throws ConfigError naming every bad variable. */
export function loadConfig(env: Env): Config {
  // Empty strings mean "unset", as in most twelve-factor tools.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      // The first path segment is the variable; deeper ones point into a list (CORS_ORIGINS.0).
      const name = String(issue.path[0] ?? '(environment)');
      const given =
        typeof cleaned[name] === 'string' && !SECRET_VARIABLES.has(name)
          ? ` (got ${JSON.stringify(cleaned[name])})`
          : '';
      return `${name}: ${issue.message}${given}`;
    });
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  if (e.QUEUE_ADAPTER === 'bullmq' && !e.REDIS_URL) {
    throw new ConfigError(['QUEUE_ADAPTER: bullmq needs REDIS_URL (got "bullmq" without REDIS_URL)']);
  }
  if (e.DATABASE_URL && e.BACKUP_DIR) {
    throw new ConfigError([
      'BACKUP_DIR: scheduled snapshots are for the embedded database only; with DATABASE_URL back up ' +
        'PostgreSQL with pg_dump (`switchyard admin backup`) or continuous WAL archiving ' +
        '(docs/operations.md, "Backup and restore")',
    ]);
  }
  const ai = aiConfig(e);
  const dataDir = path.resolve(e.SWITCHYARD_DATA_DIR);
  const config: Config = {
    http: {
      port: e.PORT,
      host: e.HOST,
      bodyLimitBytes: e.BODY_LIMIT_BYTES,
      corsOrigins: e.CORS_ORIGINS,
      rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
      authRateLimitPerMinute: e.AUTH_RATE_LIMIT_PER_MINUTE,
      principalRateLimitPerMinute: e.PRINCIPAL_RATE_LIMIT_PER_MINUTE,
      rateLimitStore: e.REDIS_URL
        ? { kind: 'redis', url: e.REDIS_URL, keyPrefix: 'switchyard:rate-limit:' }
        : { kind: 'memory' },
      trustProxy: e.TRUST_PROXY,
      publicUrl: e.PUBLIC_URL,
    },
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL, poolMax: e.DATABASE_POOL_MAX }
      : { kind: 'pglite', dataDir: path.join(dataDir, 'pgdata') },
    redis: e.REDIS_URL ? { url: e.REDIS_URL } : undefined,
    dataDir,
    log: { level: e.LOG_LEVEL, pretty: e.LOG_PRETTY },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    auth: {
      secretKey: e.SWITCHYARD_SECRET_KEY,
      signupMode: e.SIGNUP_MODE,
      accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS,
      sessionMaxAgeSeconds: e.SESSION_MAX_AGE_SECONDS,
      issuer: e.PUBLIC_URL ?? 'switchyard',
      loginMaxFailures: e.LOGIN_MAX_FAILURES,
      loginLockoutSeconds: e.LOGIN_LOCKOUT_SECONDS,
    },
    outbound: { allowlist: [...new Set([...e.OUTBOUND_ALLOWLIST, ...e.EGRESS_ALLOWLIST])] },
    ai,
    metrics: { port: e.METRICS_PORT },
    backup: e.BACKUP_DIR
      ? { dir: path.resolve(e.BACKUP_DIR), intervalMinutes: e.BACKUP_INTERVAL_MINUTES, keep: e.BACKUP_KEEP }
      : undefined,
    engine: {
      queueAdapter: e.QUEUE_ADAPTER,
      leaseMs: e.ENGINE_LEASE_MS,
      maxStepOutputBytes: e.STEP_OUTPUT_MAX_BYTES,
      workerConcurrency: e.WORKER_CONCURRENCY,
      tenantConcurrency: e.ENGINE_TENANT_CONCURRENCY,
    },
    sso: {
      githubOauthUrl: e.GITHUB_OAUTH_URL.replace(/\/+$/, ''),
      githubApiUrl: e.GITHUB_API_URL.replace(/\/+$/, ''),
    },
  };
  return deepFreeze(config);
}

/** The instance provider, checked as a whole: every missing piece is named at once. */
function aiConfig(e: z.output<typeof envSchema>): AiConfig {
  const base = {
    allowedBaseUrls: e.AI_ALLOWED_BASE_URLS,
    maxInputChars: e.AI_MAX_INPUT_CHARS,
    timeoutMs: e.AI_TIMEOUT_MS,
  };
  const kind = e.AI_PROVIDER;
  if (kind === 'none') return { ...base, provider: undefined };
  const problems: string[] = [];
  if (!e.AI_MODEL) problems.push(`AI_MODEL: required when AI_PROVIDER is ${kind}`);
  if ((kind === 'openai' || kind === 'anthropic') && !e.AI_API_KEY) {
    problems.push(`AI_API_KEY: required when AI_PROVIDER is ${kind}`);
  }
  if (kind === 'openai-compatible' && !e.AI_BASE_URL) {
    problems.push('AI_BASE_URL: required when AI_PROVIDER is openai-compatible');
  }
  if (problems.length > 0 || !e.AI_MODEL) throw new ConfigError(problems);
  return {
    ...base,
    provider: {
      kind,
      model: e.AI_MODEL,
      ...(e.AI_BASE_URL ? { baseUrl: e.AI_BASE_URL } : {}),
      ...(e.AI_API_KEY ? { apiKey: e.AI_API_KEY } : {}),
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
