import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parser as promqlParser } from '@prometheus-io/lezer-promql';
import { parse, parseAllDocuments } from 'yaml';

/** Helpers shared by the deploy tests: reading the artifacts, PromQL, the metric catalogue. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DEPLOY = path.join(REPO_ROOT, 'deploy');

export function readRepoFile(relative: string): string {
  return fs.readFileSync(path.join(REPO_ROOT, relative), 'utf8');
}

/** One YAML document; `merge` resolves `<<:` keys as Compose does. Throws on any YAML error. */
export function parseYaml(text: string, options: { merge?: boolean } = {}): unknown {
  return parse(text, { merge: options.merge ?? false, prettyErrors: true, strict: true, uniqueKeys: true });
}

/** Every document of a multi-document stream (kubectl kustomize output); throws on any error. */
export function parseYamlStream(text: string): unknown[] {
  return parseAllDocuments(text, { strict: true, uniqueKeys: true }).map((doc) => {
    if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join('\n'));
    return doc.toJS() as unknown;
  });
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Metrics the app exports today (the api process's /metrics; test/deploy/container.test.ts checks
 * this list against a live one; the worker and scheduler serve the same set on METRICS_PORT).
 * Histograms also have their _bucket, _sum and _count series. switchyard_db_pool_connections has
 * samples on PostgreSQL only (PGlite has no pool).
 */
export const EXPORTED_METRICS = {
  histograms: [
    'http_request_duration_seconds',
    'nodejs_gc_duration_seconds',
    'switchyard_db_query_duration_seconds',
    'switchyard_run_duration_seconds',
    'switchyard_step_duration_seconds',
    'switchyard_job_duration_seconds',
  ],
  others: [
    'switchyard_step_attempts_total',
    'switchyard_step_retries_total',
    'switchyard_lease_expiries_total',
    'switchyard_job_attempts_total',
    'switchyard_outbox_pending',
    'switchyard_outbox_lag_seconds',
    'switchyard_backup_last_success_timestamp_seconds',
    'switchyard_backup_failures_total',
    'switchyard_ai_calls_total',
    'switchyard_ai_tokens_total',
    'switchyard_queue_depth',
    'switchyard_queue_oldest_age_seconds',
    'switchyard_runs_finished_total',
    'switchyard_runs_stuck',
    'switchyard_worker_busy_slots',
    'switchyard_worker_concurrency',
    'switchyard_scheduler_last_tick_timestamp_seconds',
    'switchyard_db_pool_connections',
    'process_cpu_seconds_total',
    'process_resident_memory_bytes',
    'nodejs_eventloop_lag_p99_seconds',
    'nodejs_heap_size_used_bytes',
  ],
} as const;

/**
 * Metrics the dashboards, alerts and the KEDA example use that the app does NOT export yet: the
 * metrics part of the operations work (issue 7) is to add exactly these, under these names. The
 * list is repeated in the header of deploy/prometheus/alerts.yml (a test keeps the two equal).
 */
export const EXPECTED_METRICS = {
  histograms: [] as string[],
  others: [] as string[],
} as const;

/** Prometheus's own series, always there. */
const BUILTIN_SERIES = ['up'];

function seriesOf(group: { histograms: readonly string[]; others: readonly string[] }): string[] {
  return [...group.others, ...group.histograms.flatMap((h) => [h, `${h}_bucket`, `${h}_sum`, `${h}_count`])];
}

export const KNOWN_SERIES = new Set([...seriesOf(EXPORTED_METRICS), ...seriesOf(EXPECTED_METRICS), ...BUILTIN_SERIES]);
export const EXPECTED_SERIES = new Set(seriesOf(EXPECTED_METRICS));

/** Grafana's variables are not PromQL: give them a value that parses, as Grafana would. */
export function interpolateGrafana(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '5m')
    .replaceAll('$__interval', '1m')
    .replaceAll('$__range', '1h')
    .replace(/\$\{?\w+\}?/g, 'x');
}

/** Parses PromQL; returns the metric names it selects, or throws with the position of an error. */
export function promqlMetricNames(expr: string): string[] {
  const tree = promqlParser.parse(expr);
  const names: string[] = [];
  let error: number | undefined;
  tree.iterate({
    enter(node) {
      if (node.type.isError && error === undefined) error = node.from;
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') {
        names.push(expr.slice(node.from, node.to));
      }
    },
  });
  if (error !== undefined) throw new Error(`PromQL syntax error at ${error}: ${expr}`);
  return names;
}

/** Section anchors of a Markdown file, as GitHub makes them (lower case, punctuation dropped). */
export function markdownAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const line of markdown.split('\n')) {
    const m = /^#{1,6}\s+(.*)$/.exec(line);
    if (!m?.[1]) continue;
    anchors.add(
      m[1]
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s-]/gu, '')
        .replace(/\s/g, '-'),
    );
  }
  return anchors;
}

/** The variables of README's "Configuration" table. */
export function documentedVariables(): Set<string> {
  const readme = readRepoFile('README.md');
  const section = readme.slice(
    readme.indexOf('## Configuration'),
    readme.indexOf('\n## ', readme.indexOf('## Configuration') + 5),
  );
  return new Set([...section.matchAll(/^\| `([A-Z0-9_]+)`/gm)].map((m) => m[1] as string));
}

/** Where kubectl is, or undefined. CI (CI=true) must have it: the k8s tests are never skipped there. */
export function findKubectl(): string | undefined {
  const found = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  if (found.status === 0) return 'kubectl';
  if (process.env.CI === 'true') {
    throw new Error('kubectl (with kustomize) is required in CI (CI=true) to render deploy/k8s, and is not on PATH');
  }
  return undefined;
}
