import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  DEPLOY,
  EXPECTED_METRICS,
  interpolateGrafana,
  isRecord,
  KNOWN_SERIES,
  markdownAnchors,
  parseYaml,
  promqlMetricNames,
  readRepoFile,
} from './support.ts';

// Prometheus rules (deploy/prometheus/alerts.yml) and the Grafana dashboard and provisioning
// (deploy/grafana): structure, PromQL that parses (Prometheus's own lezer grammar), metric names the
// app exports or the operations work is to add (support.ts lists both), and runbooks that exist.

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const RULES = parseYaml(readRepoFile('deploy/prometheus/alerts.yml')) as {
  groups: { name: string; interval?: string; rules: Rule[] }[];
};
const allRules = RULES.groups.flatMap((g) => g.rules);
const recorded = new Set(allRules.flatMap((r) => (r.record ? [r.record] : [])));
const alerts = allRules.filter((r) => r.alert);

function assertKnownMetrics(expr: string, where: string): void {
  for (const name of promqlMetricNames(expr)) {
    assert.ok(KNOWN_SERIES.has(name) || recorded.has(name), `${where}: unknown metric ${name}`);
  }
}

describe('Prometheus rules (deploy/prometheus/alerts.yml)', () => {
  test('is a valid rule file: named groups, each rule exactly one of record/alert, with an expression', () => {
    assert.ok(RULES.groups.length > 0);
    const groupNames = RULES.groups.map((g) => g.name);
    assert.equal(new Set(groupNames).size, groupNames.length, 'unique group names');
    for (const rule of allRules) {
      assert.ok(!!rule.record !== !!rule.alert, JSON.stringify(rule));
      assert.equal(typeof rule.expr, 'string');
      if (rule.record) assert.match(rule.record, /^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
      if (rule.for) assert.match(rule.for, /^\d+[smhd]$/);
      const allowed = rule.record ? ['record', 'expr', 'labels'] : ['alert', 'expr', 'for', 'labels', 'annotations'];
      for (const key of Object.keys(rule)) assert.ok(allowed.includes(key), `${rule.record ?? rule.alert}: ${key}`);
    }
    const alertNames = alerts.map((a) => a.alert);
    assert.equal(new Set(alertNames).size, alertNames.length, 'unique alert names');
  });

  test('every expression parses as PromQL and uses only known metrics', () => {
    for (const rule of allRules) assertKnownMetrics(rule.expr, rule.record ?? rule.alert ?? '?');
  });

  test('the metric check is real: a misspelt metric or broken PromQL fails', () => {
    assert.throws(() => assertKnownMetrics('sum(rate(http_request_duration_second_count[5m]))', 't'), /unknown metric/);
    assert.throws(() => promqlMetricNames('sum(rate(up[5m])'), /syntax error/);
  });

  test('every alert has a severity, a summary, a description and a runbook section in docs/operations.md', () => {
    const anchors = markdownAnchors(readRepoFile('docs/operations.md'));
    for (const a of alerts) {
      assert.ok(['critical', 'warning'].includes(a.labels?.severity ?? ''), `${a.alert}: severity`);
      assert.ok(a.annotations?.summary && a.annotations.description, `${a.alert}: summary and description`);
      const [file, anchor] = (a.annotations?.runbook_url ?? '').split('#');
      assert.equal(file, 'docs/operations.md', `${a.alert}: runbook`);
      assert.ok(anchors.has(anchor ?? ''), `${a.alert}: docs/operations.md has no section #${anchor}`);
    }
  });

  test('covers the SLO: fast and slow burn-rate alerts on errors and latency, with the multiwindow thresholds', () => {
    const byName = new Map(alerts.map((a) => [a.alert, a]));
    for (const [slo, budget] of [
      ['Errors', '0.001'],
      ['Latency', '0.01'],
    ] as const) {
      const fast = byName.get(`Switchyard${slo}BudgetBurnFast`);
      const slow = byName.get(`Switchyard${slo}BudgetBurnSlow`);
      assert.equal(fast?.labels?.severity, 'critical');
      assert.equal(slow?.labels?.severity, 'warning');
      for (const factor of ['14.4', '6'])
        assert.ok(fast?.expr.includes(`(${factor} * ${budget})`), `${slo} fast ${factor}x`);
      for (const factor of ['3', '1'])
        assert.ok(slow?.expr.includes(`(${factor} * ${budget})`), `${slo} slow ${factor}x`);
      // Each window the alerts use is recorded.
      for (const expr of [fast?.expr, slow?.expr]) {
        for (const name of promqlMetricNames(expr ?? '')) {
          if (name.startsWith('switchyard:')) assert.ok(recorded.has(name), `${name} is recorded`);
        }
      }
    }
    // The availability SLI excludes the probes and the scrapes, and counts 5xx only.
    const errors5m = allRules.find((r) => r.record === 'switchyard:api_errors:ratio_rate5m');
    assert.match(errors5m?.expr ?? '', /status_code=~"5\.\."/);
    assert.match(errors5m?.expr ?? '', /route!~"\/health\/\.\*\|\/metrics"/);
    for (const name of [
      'SwitchyardQueueBacklog',
      'SwitchyardRunsStuck',
      'SwitchyardSchedulerDown',
      'SwitchyardApiDown',
      'SwitchyardWorkersSaturated',
    ]) {
      assert.ok(byName.has(name), name);
    }
  });

  test('the KEDA trigger for workers (prod overlay) queries the queue depth in valid PromQL', () => {
    const scaled = parseYaml(readRepoFile('deploy/k8s/overlays/prod/worker-scaledobject.yaml')) as {
      spec: { triggers: { type: string; metadata: { query: string; threshold: string } }[] };
    };
    const [trigger] = scaled.spec.triggers;
    assert.equal(trigger?.type, 'prometheus');
    assertKnownMetrics(trigger.metadata.query, 'ScaledObject');
    assert.deepEqual(promqlMetricNames(trigger.metadata.query), ['switchyard_queue_depth']);
    assert.ok(Number(trigger.metadata.threshold) > 0);
  });

  test('its header lists exactly the expected (not yet exported) metrics', () => {
    const text = readRepoFile('deploy/prometheus/alerts.yml');
    const block = text.slice(text.indexOf('# EXPECTED'), text.indexOf('\ngroups:'));
    const listed = [...block.matchAll(/^#\s+(switchyard_\w+)/gm)].map((m) => m[1]).sort();
    assert.deepEqual(listed, [...EXPECTED_METRICS.others, ...EXPECTED_METRICS.histograms].sort());
  });
});

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string; datasource?: { uid: string } }[];
  panels?: Panel[];
}

describe('Grafana (deploy/grafana)', () => {
  const dashboards = fs
    .readdirSync(path.join(DEPLOY, 'grafana', 'dashboards'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({
      file: f,
      json: JSON.parse(readRepoFile(`deploy/grafana/dashboards/${f}`)) as Record<string, unknown>,
    }));
  const datasources = parseYaml(readRepoFile('deploy/grafana/provisioning/datasources/datasources.yaml')) as {
    apiVersion: number;
    datasources: { uid: string; type: string; url: string }[];
  };

  test('provisions Prometheus, Jaeger and Loki datasources with stable uids, and loads the dashboards folder', () => {
    assert.equal(datasources.apiVersion, 1);
    assert.deepEqual(datasources.datasources.map((d) => `${d.uid}:${d.type}`).sort(), [
      'jaeger:jaeger',
      'loki:loki',
      'prometheus:prometheus',
    ]);
    const providers = parseYaml(readRepoFile('deploy/grafana/provisioning/dashboards/dashboards.yaml')) as {
      providers: { type: string; options: { path: string } }[];
    };
    const compose = readRepoFile('deploy/compose.yaml');
    const mount = /\.\/grafana\/dashboards:([^:\s]+):ro/.exec(compose)?.[1];
    assert.equal(providers.providers[0]?.options.path, mount, 'the provider reads where compose mounts the dashboards');
  });

  test('has a dashboard with a unique uid, a Prometheus datasource variable, and panels that tile without overlapping', () => {
    assert.ok(dashboards.length >= 1);
    const uids = dashboards.map((d) => d.json.uid);
    assert.equal(new Set(uids).size, uids.length);
    for (const { file, json } of dashboards) {
      assert.equal(typeof json.title, 'string', file);
      assert.ok(Number(json.schemaVersion) >= 36, `${file}: schemaVersion`);
      const variables = (json.templating as { list: { name: string; type: string; query: string }[] }).list;
      assert.ok(variables.some((v) => v.name === 'datasource' && v.type === 'datasource' && v.query === 'prometheus'));
      const panels = json.panels as Panel[];
      const ids = panels.map((p) => p.id);
      assert.equal(new Set(ids).size, ids.length, `${file}: unique panel ids`);
      const cells = new Set<string>();
      for (const p of panels) {
        const g = p.gridPos;
        assert.ok(g.x >= 0 && g.w > 0 && g.x + g.w <= 24 && g.h > 0, `${file}: ${p.title} fits 24 columns`);
        for (let x = g.x; x < g.x + g.w; x++) {
          for (let y = g.y; y < g.y + g.h; y++) {
            assert.ok(!cells.has(`${x},${y}`), `${file}: ${p.title} overlaps another panel`);
            cells.add(`${x},${y}`);
          }
        }
      }
    }
  });

  test('every query parses as PromQL on a Prometheus datasource and uses only known metrics', () => {
    for (const { file, json } of dashboards) {
      for (const p of (json.panels as Panel[]).filter((x) => x.type !== 'row')) {
        assert.ok(p.targets && p.targets.length > 0, `${file}: ${p.title} has queries`);
        assert.equal(p.datasource?.type, 'prometheus', `${file}: ${p.title}`);
        for (const t of p.targets) {
          assert.ok(isRecord(t) && typeof t.expr === 'string');
          assertKnownMetrics(interpolateGrafana(t.expr), `${file}: ${p.title}`);
        }
      }
    }
  });

  test('covers what issue 7 asks: API latency and errors, queue depth and age, runs by outcome, worker saturation, DB', () => {
    const exprs = dashboards.flatMap(({ json }) =>
      (json.panels as Panel[]).flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
    );
    const uses = (metric: string) => exprs.some((e) => promqlMetricNames(interpolateGrafana(e)).includes(metric));
    for (const metric of [
      'http_request_duration_seconds_bucket',
      'http_request_duration_seconds_count',
      'switchyard_queue_depth',
      'switchyard_queue_oldest_age_seconds',
      'switchyard_runs_finished_total',
      'switchyard_worker_busy_slots',
      'switchyard_db_pool_connections',
    ]) {
      assert.ok(uses(metric), metric);
    }
  });
});
