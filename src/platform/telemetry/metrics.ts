import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { observeRawQueries } from '../db/raw-query.ts';

export interface Metrics {
  readonly registry: Registry;
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status_code'>;
}

/**
 * One registry per process role (not prom-client's global one), so tests can build several apps
 * in one process. Labels are bounded: routes are templates (`/api/v1/items/:id`), never raw URLs,
 * and unmatched requests share one label.
 */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return { registry, httpRequestDuration };
}

/**
 * `switchyard_db_query_duration_seconds{statement,outcome}`: the hand-written statements of the
 * hot paths (engine claims and commits, queue adapter, event relay, metrics), named by the code.
 * Queries built with Drizzle (the CRUD routes) are not in it; the HTTP histogram covers those.
 * Returns what stops the observation (a process closing its registry).
 */
export function registerDbQueryMetrics(registry: Registry): () => void {
  const histogram = new Histogram({
    name: 'switchyard_db_query_duration_seconds',
    help: 'Duration of the hand-written database statements of the hot paths, by statement name and outcome',
    labelNames: ['statement', 'outcome'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return observeRawQueries((statement, outcome, seconds) => histogram.observe({ statement, outcome }, seconds));
}

/**
 * `switchyard_db_pool_connections{state}` from the PostgreSQL pool's own counters, read at scrape
 * time. Embedded PGlite has no pool (one in-process connection): the metric is declared with no
 * samples, so dashboards show "no data" rather than a made-up number.
 */
export function registerDbPoolMetrics(
  registry: Registry,
  poolStats: (() => { inUse: number; idle: number; waiting: number }) | undefined,
): void {
  new Gauge({
    name: 'switchyard_db_pool_connections',
    help: 'PostgreSQL pool connections by state: in_use, idle, waiting (requests queued for one)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      if (!poolStats) return;
      const s = poolStats();
      this.set({ state: 'in_use' }, s.inUse);
      this.set({ state: 'idle' }, s.idle);
      this.set({ state: 'waiting' }, s.waiting);
    },
  });
}
