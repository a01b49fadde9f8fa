/**
 * `npm run bench:api` — HTTP throughput and latency of Switchyard's item routes against a bare
 * Fastify baseline running the same single SQL statement on the same database (see README.md).
 *
 * For each database (PGlite, PostgreSQL) and each server (Switchyard, bare) this starts the server
 * as a child process on a fresh, migrated database, seeds items, then loads
 * `GET /api/v1/items/:id` and `POST /api/v1/items` with autocannon from this process: a warm-up,
 * then the measured run. Variants run one after another, never concurrently. Every load targets
 * 127.0.0.1 and is bounded by time.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import {
  cleanups,
  childEnv,
  cpuSeconds,
  DATABASE_LABEL,
  DATABASES,
  type DatabaseKind,
  DEFAULT_ADMIN_URL,
  fmt,
  freePort,
  HOST,
  log,
  migrate,
  packageVersion,
  postgresVersion,
  prepareDatabase,
  RESULTS_DIR,
  ROOT,
  runCleanups,
  ServerProcess,
  signUp,
  table,
} from './lib.ts';

/** The ratio Switchyard/bare the issue asks for on PostgreSQL. */
const TARGET_RATIO = 0.7;

const SERVERS = ['switchyard', 'traced', 'bare'] as const;
const ROUTES = ['get', 'post'] as const;
type ServerKind = (typeof SERVERS)[number];
type RouteKind = (typeof ROUTES)[number];

const ROUTE_LABEL: Record<RouteKind, string> = { get: 'GET /api/v1/items/:id', post: 'POST /api/v1/items' };
const SERVER_LABEL: Record<ServerKind, string> = {
  switchyard: 'Switchyard',
  traced: 'Switchyard, traced',
  bare: 'bare Fastify',
};

const USAGE = `Usage: npm run bench:api -- [options]

  --duration <s>      seconds per measured run (default 8)
  --warmup <s>        seconds of warm-up load before each measured run (default 2)
  --connections <n>   concurrent autocannon connections (default 20)
  --seed <n>          items created before the GET runs (default 200)
  --db <list>         pglite,postgres (default both)
  --smoke             1 s runs and 1 s warm-ups: checks that everything works, not how fast
  --cpu-prof          profile each server process (.cpuprofile files under bench/results/profiles-*/)
  --tracing           also run Switchyard with OpenTelemetry tracing on, every span sampled and
                      exported to a local OTLP receiver in this process, and print its cost
  --trace-ratio <r>   with --tracing: sample this fraction of traces (parentbased_traceidratio);
                      default 1, every trace
  --trace-disable <l> with --tracing: instrumentations to leave off (OTEL_NODE_DISABLED_INSTRUMENTATIONS,
                      e.g. pg,fastify), to see what each costs
  -h, --help          this help

PostgreSQL: BENCH_DATABASE_URL (default ${DEFAULT_ADMIN_URL}) names an admin connection; each
server gets a fresh database created there and dropped afterwards.`;

interface Options {
  duration: number;
  warmup: number;
  connections: number;
  seed: number;
  databases: DatabaseKind[];
  smoke: boolean;
  cpuProf: boolean;
  tracing: boolean;
  traceRatio: number;
  traceDisable: string | undefined;
}

function ratioOption(raw: string | undefined): number {
  if (raw === undefined) return 1;
  const r = Number(raw);
  if (!(r > 0 && r <= 1)) throw new Error(`--trace-ratio must be in (0, 1] (got ${raw})`);
  return r;
}

function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      seed: { type: 'string' },
      db: { type: 'string' },
      smoke: { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      tracing: { type: 'boolean', default: false },
      'trace-ratio': { type: 'string' },
      'trace-disable': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return undefined;
  const int = (name: string, raw: string | undefined, fallback: number, min: number): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number ≥ ${min} (got ${raw})`);
    return n;
  };
  const databases = (values.db ?? DATABASES.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const d of databases) {
    if (!(DATABASES as readonly string[]).includes(d)) throw new Error(`--db: unknown database ${d}`);
  }
  return {
    duration: values.smoke ? 1 : int('duration', values.duration, 8, 1),
    warmup: values.smoke ? 1 : int('warmup', values.warmup, 2, 0),
    connections: int('connections', values.connections, 20, 1),
    seed: int('seed', values.seed, values.smoke ? 50 : 200, 1),
    databases: databases as DatabaseKind[],
    smoke: values.smoke,
    cpuProf: values['cpu-prof'],
    tracing: values.tracing,
    traceRatio: ratioOption(values['trace-ratio']),
    traceDisable: values['trace-disable'],
  };
}

// ---------------------------------------------------------------------------------------------
// Load

let bodyCounter = 0;
const createBody = () => {
  bodyCounter += 1;
  return JSON.stringify({
    name: `Bench item ${bodyCounter} ${randomBytes(4).toString('hex')}`,
    tags: ['bench', `batch-${bodyCounter % 10}`],
    metadata: { source: 'bench', n: bodyCounter },
  });
};

/**
 * Switchyard authenticates every API request, so the bench signs up (an owner of a fresh tenant)
 * and sends the access token. The bare server ignores credentials; it gets a header of the same
 * size so both parse the same bytes.
 */
async function authHeaders(server: ServerKind, baseUrl: string): Promise<Record<string, string>> {
  if (server === 'bare') return { authorization: `Bearer ${'x'.repeat(330)}` };
  // A fresh tenant per server, so the traced run does not sign up an address taken already.
  return { authorization: `Bearer ${await signUp(baseUrl, `bench-${process.pid}-${server}@example.test`)}` };
}

/** Creates `count` items through the server under test, ten at a time; returns their ids. */
async function seedItems(baseUrl: string, count: number, auth: Record<string, string>): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      const res = await fetch(`${baseUrl}/api/v1/items`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: createBody(),
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json()) as { id?: unknown };
      if (res.status !== 201 || typeof body.id !== 'string') {
        throw new Error(`seeding: POST /api/v1/items answered ${res.status} ${JSON.stringify(body)}`);
      }
      ids.push(body.id);
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
  // Both servers must actually serve what the GET run asks for.
  const probe = await fetch(`${baseUrl}/api/v1/items/${ids[0]}`, {
    headers: auth,
    signal: AbortSignal.timeout(10_000),
  });
  const item = (await probe.json()) as { id?: unknown };
  if (probe.status !== 200 || item.id !== ids[0]) {
    throw new Error(`seeding: GET /api/v1/items/${ids[0]} answered ${probe.status} ${JSON.stringify(item)}`);
  }
  return ids;
}

function loadRequest(route: RouteKind, ids: string[], auth: Record<string, string>): autocannon.Request {
  if (route === 'get') {
    return {
      method: 'GET',
      headers: auth,
      setupRequest: (req) => {
        req.path = `/api/v1/items/${ids[Math.floor(Math.random() * ids.length)]}`;
        return req;
      },
    };
  }
  return {
    method: 'POST',
    path: '/api/v1/items',
    headers: { 'content-type': 'application/json', ...auth },
    setupRequest: (req) => {
      req.body = createBody();
      return req;
    },
  };
}

function load(
  baseUrl: string,
  route: RouteKind,
  ids: string[],
  auth: Record<string, string>,
  seconds: number,
  connections: number,
) {
  return autocannon({
    url: baseUrl,
    connections,
    duration: seconds,
    requests: [loadRequest(route, ids, auth)],
  });
}

// ---------------------------------------------------------------------------------------------
// One variant: a server on a fresh database, both routes.

interface Measurement {
  database: DatabaseKind;
  server: ServerKind;
  route: RouteKind;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Server process CPU time per answered request, in microseconds (Linux only). */
  serverCpuUsPerRequest: number | undefined;
  /** Connection errors (timeouts included) plus non-2xx answers. */
  failures: number;
  raw: autocannon.Result;
}

async function benchVariant(
  database: DatabaseKind,
  server: ServerKind,
  options: Options,
  adminUrl: string,
  profileDir: string | undefined,
  otlpUrl: string | undefined,
): Promise<Measurement[]> {
  const label = `${DATABASE_LABEL[database]} / ${SERVER_LABEL[server]}`;
  const prepared = await prepareDatabase(database, adminUrl);
  cleanups.add(prepared.dispose);
  let proc: ServerProcess | undefined;
  const stopProc = async () => {
    await proc?.stop();
  };
  try {
    const port = await freePort();
    const env = childEnv({
      ...prepared.env,
      PORT: String(port),
      HOST,
      // Every span sampled (the default) and exported over OTLP/HTTP protobuf, the default protocol.
      ...(server === 'traced' && otlpUrl ? { OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl } : {}),
      ...(server === 'traced' && options.traceRatio < 1
        ? { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: String(options.traceRatio) }
        : {}),
      ...(server === 'traced' && options.traceDisable
        ? { OTEL_NODE_DISABLED_INSTRUMENTATIONS: options.traceDisable }
        : {}),
    });
    const profile = profileDir
      ? // One directory per variant: Node writes a profile per thread (tsx's loader has its own).
        ['--cpu-prof', `--cpu-prof-dir=${path.join(profileDir, `${database}-${server}`)}`]
      : [];
    let args: string[];
    if (server === 'switchyard' || server === 'traced') {
      // `start` migrates the fresh database before serving, like a first deployment.
      args = [...profile, 'bin/switchyard.mjs', 'start'];
    } else {
      await migrate(env);
      args = [...profile, '--import', 'tsx', 'bench/bare-server.ts'];
    }
    const started = performance.now();
    proc = ServerProcess.spawn(label, args, env);
    cleanups.add(stopProc);
    const baseUrl = `http://${HOST}:${port}`;
    await proc.waitReady(baseUrl, 120_000);
    const auth = await authHeaders(server, baseUrl);
    const ids = await seedItems(baseUrl, options.seed, auth);
    log(`${label}: ready in ${Math.round(performance.now() - started)} ms, ${ids.length} items seeded`);

    const measurements: Measurement[] = [];
    for (const route of ROUTES) {
      if (options.warmup > 0) await load(baseUrl, route, ids, auth, options.warmup, options.connections);
      const cpuBefore = cpuSeconds(proc.child.pid);
      const raw = await load(baseUrl, route, ids, auth, options.duration, options.connections);
      const cpuAfter = cpuSeconds(proc.child.pid);
      const answered = raw['2xx'] + raw.non2xx;
      const m: Measurement = {
        database,
        server,
        route,
        reqPerSec: raw.requests.average,
        p50Ms: raw.latency.p50,
        p99Ms: raw.latency.p99,
        failures: raw.errors + raw.non2xx,
        serverCpuUsPerRequest:
          cpuBefore !== undefined && cpuAfter !== undefined && answered > 0
            ? Math.round(((cpuAfter - cpuBefore) * 1e6) / answered)
            : undefined,
        raw,
      };
      measurements.push(m);
      log(
        `${label}: ${ROUTE_LABEL[route]}: ${fmt(m.reqPerSec, 0)} req/s, p50 ${m.p50Ms} ms, p99 ${m.p99Ms} ms` +
          (m.serverCpuUsPerRequest === undefined ? '' : `, ${m.serverCpuUsPerRequest} µs server CPU/req`) +
          (m.failures ? `, ${m.failures} errors/non-2xx` : ''),
      );
    }
    const code = await proc.stop();
    if (code !== 0) log(`${label}: server exited with ${code}:\n${proc.tail}`);
    return measurements;
  } finally {
    await stopProc();
    cleanups.delete(stopProc);
    await prepared.dispose();
    cleanups.delete(prepared.dispose);
  }
}

/**
 * Where the traced server sends its spans: a local OTLP/HTTP endpoint that reads each export and
 * answers 200, as a collector does (the export's cost in the server is what is measured).
 */
async function otlpSink(): Promise<{ url: string; requests: number; bytes: number; close: () => Promise<void> }> {
  const state = { requests: 0, bytes: 0 };
  const server = http.createServer((req, res) => {
    req.on('data', (c: Buffer) => (state.bytes += c.length));
    req.on('end', () => {
      state.requests += 1;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, HOST, r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${HOST}:${port}`,
    get requests() {
      return state.requests;
    },
    get bytes() {
      return state.bytes;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Report

interface Ratio {
  database: DatabaseKind;
  route: RouteKind;
  switchyard: number;
  bare: number;
  ratio: number;
  /** Server CPU per request, Switchyard divided by bare (how many times the work). */
  cpuFactor: number | undefined;
  /** With --tracing: the traced server's req/s, its ratio to the untraced one, and CPU/req factor. */
  traced?: number;
  tracedRatio?: number;
  tracedCpuFactor?: number | undefined;
}

function ratios(measurements: Measurement[]): Ratio[] {
  const out: Ratio[] = [];
  for (const database of DATABASES) {
    for (const route of ROUTES) {
      const find = (server: ServerKind) =>
        measurements.find((m) => m.database === database && m.route === route && m.server === server);
      const s = find('switchyard');
      const b = find('bare');
      const t = find('traced');
      const tracing = t
        ? {
            traced: t.reqPerSec,
            tracedRatio: s && s.reqPerSec > 0 ? t.reqPerSec / s.reqPerSec : 0,
            tracedCpuFactor:
              s?.serverCpuUsPerRequest && t.serverCpuUsPerRequest
                ? t.serverCpuUsPerRequest / s.serverCpuUsPerRequest
                : undefined,
          }
        : {};
      if (s && b) {
        out.push({
          ...tracing,
          database,
          route,
          switchyard: s.reqPerSec,
          bare: b.reqPerSec,
          ratio: b.reqPerSec > 0 ? s.reqPerSec / b.reqPerSec : 0,
          cpuFactor:
            s.serverCpuUsPerRequest && b.serverCpuUsPerRequest
              ? s.serverCpuUsPerRequest / b.serverCpuUsPerRequest
              : undefined,
        });
      }
    }
  }
  return out;
}

function report(measurements: Measurement[], computed: Ratio[]): string {
  const main = table(
    ['database', 'route', 'server', 'req/s', 'p50 ms', 'p99 ms', 'server CPU µs/req', 'errors/non-2xx'],
    [...measurements]
      .sort(
        (a, b) =>
          DATABASES.indexOf(a.database) - DATABASES.indexOf(b.database) ||
          ROUTES.indexOf(a.route) - ROUTES.indexOf(b.route) ||
          SERVERS.indexOf(a.server) - SERVERS.indexOf(b.server),
      )
      .map((m) => [
        DATABASE_LABEL[m.database],
        ROUTE_LABEL[m.route],
        SERVER_LABEL[m.server],
        fmt(m.reqPerSec, 0),
        String(m.p50Ms),
        String(m.p99Ms),
        m.serverCpuUsPerRequest === undefined ? 'n/a' : fmt(m.serverCpuUsPerRequest, 0),
        String(m.failures),
      ]),
    3,
  );
  const ratioTable = table(
    ['database', 'route', 'Switchyard req/s', 'bare req/s', 'ratio Switchyard/bare', 'server CPU/req ×'],
    computed.map((r) => {
      const note = r.database === 'postgres' && r.ratio < TARGET_RATIO ? ` (below ${TARGET_RATIO} target)` : '';
      return [
        DATABASE_LABEL[r.database],
        ROUTE_LABEL[r.route],
        fmt(r.switchyard, 0),
        fmt(r.bare, 0),
        `${r.ratio.toFixed(2)}${note}`,
        r.cpuFactor === undefined ? 'n/a' : `${r.cpuFactor.toFixed(1)}×`,
      ];
    }),
    2,
  );
  const traced = computed.filter((r) => r.traced !== undefined);
  const tracingTable = traced.length
    ? `\n\n${table(
        ['database', 'route', 'untraced req/s', 'traced req/s', 'ratio traced/untraced', 'server CPU/req ×'],
        traced.map((r) => [
          DATABASE_LABEL[r.database],
          ROUTE_LABEL[r.route],
          fmt(r.switchyard, 0),
          fmt(r.traced ?? 0, 0),
          (r.tracedRatio ?? 0).toFixed(2),
          r.tracedCpuFactor === undefined ? 'n/a' : `${r.tracedCpuFactor.toFixed(2)}×`,
        ]),
        2,
      )}`
    : '';
  return `${main}\n\n${ratioTable}${tracingTable}\n`;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  let options: Options | undefined;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (!options) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const adminUrl = process.env.BENCH_DATABASE_URL || DEFAULT_ADMIN_URL;
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const meta = {
    date: startedAt.toISOString(),
    cores: os.availableParallelism(),
    cpu: os.cpus()[0]?.model,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    packages: {
      fastify: packageVersion('fastify'),
      pg: packageVersion('pg'),
      '@electric-sql/pglite': packageVersion('@electric-sql/pglite'),
      'drizzle-orm': packageVersion('drizzle-orm'),
      autocannon: packageVersion('autocannon'),
    },
    postgres: options.databases.includes('postgres') ? await postgresVersion(adminUrl) : undefined,
    options,
  };
  log(
    `bench:api — ${meta.cores} cores, Node ${meta.node}, ${options.connections} connections, ` +
      `${options.warmup} s warm-up + ${options.duration} s per run${options.smoke ? ' (smoke)' : ''}`,
  );
  if (meta.cores < 4) {
    log(`note: ${meta.cores} cores — server, load generator and PostgreSQL share them; compare ratios, not absolutes`);
  }

  const profileDir = options.cpuProf ? path.join(RESULTS_DIR, `profiles-${stamp}`) : undefined;
  const sink = options.tracing ? await otlpSink() : undefined;
  if (sink) cleanups.add(sink.close);
  const measurements: Measurement[] = [];
  for (const database of options.databases) {
    for (const server of SERVERS) {
      if (server === 'traced' && !sink) continue;
      measurements.push(...(await benchVariant(database, server, options, adminUrl, profileDir, sink?.url)));
    }
  }
  if (sink) log(`OTLP receiver: ${sink.requests} exports, ${fmt(sink.bytes / 1024, 0)} KiB of spans received`);

  const computed = ratios(measurements);
  process.stdout.write(`\n${report(measurements, computed)}`);

  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${stamp}.json`);
  fs.writeFileSync(file, `${JSON.stringify({ meta, measurements, ratios: computed }, null, 2)}\n`);
  log(
    `\nraw results: ${path.relative(ROOT, file)}${profileDir ? `\nCPU profiles: ${path.relative(ROOT, profileDir)}` : ''}`,
  );

  // Correctness, not speed: every run must have been answered with 2xx only.
  const broken = measurements.filter((m) => m.failures > 0 || m.raw['2xx'] === 0);
  if (broken.length > 0) {
    log(`FAILED: ${broken.length} run(s) had errors, non-2xx answers or no successful request`);
    return 1;
  }
  return 0;
}

main().then(
  async (code) => {
    await runCleanups();
    process.exitCode = code;
  },
  async (err: unknown) => {
    process.stderr.write(`bench:api failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    await runCleanups();
    process.exitCode = 1;
  },
);
