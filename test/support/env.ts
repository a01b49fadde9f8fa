/**
 * The only place tests read the environment: which PostgreSQL to use, and whether missing one
 * is fatal. In CI (CI=true) the PostgreSQL variants must run, so an unreachable server fails
 * the suite instead of skipping it.
 */
export const TEST_ENV = {
  postgresUrl: process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
  requirePostgres: process.env.CI === 'true' || process.env.REQUIRE_POSTGRES === 'true',
} as const;
