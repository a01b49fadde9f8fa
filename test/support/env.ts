/**
 * The only place tests read the environment: which PostgreSQL to use, and whether missing one
 * is fatal. In CI (CI=true) the PostgreSQL variants must run, so an unreachable server fails
 * the suite instead of skipping it.
 */
export const TEST_ENV = {
  postgresUrl: process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
  requirePostgres: process.env.CI === 'true' || process.env.REQUIRE_POSTGRES === 'true',
  /** The Redis for suites that need one (the shared rate-limit store); required in CI, like PostgreSQL. */
  redisUrl: process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379',
  requireRedis: process.env.CI === 'true' || process.env.REQUIRE_REDIS === 'true',
} as const;
