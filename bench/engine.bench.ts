/**
 * `npm run bench:engine` — the workflow engine's throughput and latency (see README.md):
 *
 * 1. webhook → transform → condition → respond (`respond: "wait"`): executions/s and latency at
 *    50 connections, beside a bare Fastify route doing one INSERT + one SELECT on the same database;
 * 2. 40 sequential light steps in one run: wall time, queued through the worker and inline
 *    (webhook that waits), with pure `transform` steps and with `delay {ms: 0}` steps (each one a
 *    durable checkpoint);
 * 3. 10,000 one-step runs drained: runs/s, beside the bare queue adapter with a no-op handler
 *    draining as many messages at the same consumer concurrency;
 * 4. idle RSS of the `start` process.
 *
 * Backends: PGlite (its built-in queue), PostgreSQL with the `postgres` queue, and PostgreSQL with
 * the `bullmq` queue on Redis. Every phase starts `node bin/switchyard.mjs` as a child process on a
 * fresh database; phases run one after another, never concurrently. All traffic goes to 127.0.0.1
 * and every loop is bounded by a count and a time.
 */
import { exampleDefinition } from '../test/support/workflows.ts';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
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
  type PreparedDatabase,
  procStatusBytes,
  RESULTS_DIR,
  ROOT,
  runCleanups,
  ServerProcess,
  signUp,
  table,
} from './lib.ts';

const QUEUES = ['postgres', 'bullmq'] as const;
const PHASES = ['webhook', 'sequential', 'drain'] as const;
type QueueKind = (typeof QUEUES)[number];
type Phase = (typeof PHASES)[number];

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** The Redis database the bench uses when BENCH_REDIS_URL names none; never 0. */
const DEFAULT_REDIS_DB = 5;
/** The BullMQ key prefix Switchyard's runtime uses (not configurable): cleared before and after. */
const SWITCHYARD_PREFIX = 'switchyard';

/** Targets from the issue. */
const TARGETS = {
  webhookVsBare: 0.35,
  webhookP99Ms: 100,
  sequentialMs: 500,
  drainVsRaw: 0.5,
  idleRssBytes: 300 * 1024 * 1024,
};

const USAGE = `Usage: npm run bench:engine -- [options]

  --duration <s>            seconds of the measured webhook load (default 8)
  --warmup <s>              seconds of warm-up load before it (default 2)
  --connections <n>         concurrent autocannon connections (default 50)
  --sequential <n>          measured runs per 40-step variant, one at a time (default 20)
  --steps <n>               steps of the sequential workflows (default 40)
  --runs <n>                one-step runs (and raw queue messages) drained (default 10000)
  --in-flight <n>           concurrent requests enqueuing them (default 50)
  --worker-concurrency <n>  WORKER_CONCURRENCY of the engine and the raw consumer (default 8)
  --db <list>               pglite,postgres (default both)
  --queue <list>            postgres,bullmq: queue adapters on PostgreSQL (default both;
                            PGlite always runs its built-in postgres queue)
  --phase <list>            webhook,sequential,drain (default all)
  --smoke                   1 s load, 5 sequential runs, 1,000 drained: checks that everything works
  --cpu-prof                profile every server process (bench/results/profiles-engine-*/)
  --trace-sql               time every SQL statement of the Switchyard and raw-queue processes, by
                            statement (bench/results/sql-engine-*/; see sql-trace.mjs)
  -h, --help                this help

PostgreSQL: BENCH_DATABASE_URL (default ${DEFAULT_ADMIN_URL}) names an admin connection; each
phase gets a fresh database created there and dropped afterwards. Redis (bullmq): BENCH_REDIS_URL
(default ${DEFAULT_REDIS_URL}/${DEFAULT_REDIS_DB}); database 0 is refused. Switchyard's BullMQ keys
(${SWITCHYARD_PREFIX}:*) in that Redis database are deleted before and after each phase.`;

interface Options {
  duration: number;
  warmup: number;
  connections: number;
  sequential: number;
  steps: number;
  runs: number;
  inFlight: number;
  workerConcurrency: number;
  databases: DatabaseKind[];
  queues: QueueKind[];
  phases: Phase[];
  smoke: boolean;
  cpuProf: boolean;
  traceSql: boolean;
}

function parseList<T extends string>(name: string, raw: string | undefined, all: readonly T[]): T[] {
  const list = (raw ?? all.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const v of list) if (!(all as readonly string[]).includes(v)) throw new Error(`--${name}: unknown value ${v}`);
  return list as T[];
}

function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      sequential: { type: 'string' },
      steps: { type: 'string' },
      runs: { type: 'string' },
      'in-flight': { type: 'string' },
      'worker-concurrency': { type: 'string' },
      db: { type: 'string' },
      queue: { type: 'string' },
      phase: { type: 'string' },
      smoke: { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      'trace-sql': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return undefined;
  const int = (name: string, raw: string | undefined, fallback: number, min: number, max = 1_000_000): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new Error(`--${name} must be a whole number from ${min} to ${max} (got ${raw})`);
    }
    return n;
  };
  const smoke = values.smoke;
  return {
    duration: smoke ? 1 : int('duration', values.duration, 8, 1, 600),
    warmup: smoke ? 1 : int('warmup', values.warmup, 2, 0, 600),
    connections: int('connections', values.connections, 50, 1, 1000),
    sequential: int('sequential', values.sequential, smoke ? 5 : 20, 1, 1000),
    // At most 199 so the workflow stays within the 200-step limit.
    steps: int('steps', values.steps, 40, 2, 199),
    runs: int('runs', values.runs, smoke ? 1_000 : 10_000, 1, 1_000_000),
    inFlight: int('in-flight', values['in-flight'], 50, 1, 1000),
    workerConcurrency: int('worker-concurrency', values['worker-concurrency'], 8, 1, 1000),
    databases: parseList('db', values.db, DATABASES),
    queues: parseList('queue', values.queue, QUEUES),
    phases: parseList('phase', values.phase, PHASES),
    smoke,
    cpuProf: values['cpu-prof'],
    traceSql: values['trace-sql'],
  };
}

// ---------------------------------------------------------------------------------------------
// Backends

interface Backend {
  db: DatabaseKind;
  queue: QueueKind;
}

const backendId = (b: Backend) => `${b.db}-${b.queue}`;
const backendLabel = (b: Backend) =>
  b.db === 'pglite' ? 'PGlite' : `${DATABASE_LABEL[b.db]} + ${b.queue === 'bullmq' ? 'BullMQ (Redis)' : 'pg queue'}`;

function backends(options: Options): Backend[] {
  const out: Backend[] = [];
  if (options.databases.includes('pglite')) out.push({ db: 'pglite', queue: 'postgres' });
  if (options.databases.includes('postgres')) for (const queue of options.queues) out.push({ db: 'postgres', queue });
  return out;
}

/** BENCH_REDIS_URL with a database index: the one given, else DEFAULT_REDIS_DB; never 0. */
function benchRedisUrl(): string {
  const url = new URL(process.env.BENCH_REDIS_URL || DEFAULT_REDIS_URL);
  if (!/^rediss?:$/.test(url.protocol)) throw new Error('BENCH_REDIS_URL must be a redis:// or rediss:// URL');
  const db = url.pathname.replace(/^\//, '');
  if (db === '') url.pathname = `/${DEFAULT_REDIS_DB}`;
  else if (!/^\d+$/.test(db) || Number(db) === 0) {
    throw new Error(`BENCH_REDIS_URL: use a Redis database other than 0 (the bench deletes keys in it); got /${db}`);
  }
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    throw new Error('BENCH_REDIS_URL must point at this machine (127.0.0.1)');
  }
  return url.toString();
}

/** Deletes the keys under `prefix:` in the bench's Redis database (SCAN + DEL, never FLUSH*). */
async function clearRedisPrefix(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { maxRetriesPerRequest: 2, connectTimeout: 5_000, lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
  } catch (err) {
    throw new Error(
      `Redis is unreachable at ${url} (${String(err)}). Start it, set BENCH_REDIS_URL, or run --queue postgres.`,
      {
        cause: err,
      },
    );
  }
  let deleted = 0;
  try {
    let cursor = '0';
    // Bounded: a SCAN pass visits every key once; 100,000 iterations is far beyond any bench run.
    for (let i = 0; i < 100_000; i++) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) deleted += await redis.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}

// ---------------------------------------------------------------------------------------------
// Switchyard processes and API calls

interface Running {
  proc: ServerProcess;
  baseUrl: string;
}

interface Context {
  options: Options;
  adminUrl: string;
  redisUrl: string | undefined;
  profileDir: string | undefined;
  traceDir: string | undefined;
}

async function startSwitchyard(
  ctx: Context,
  backend: Backend,
  prepared: PreparedDatabase,
  command: 'start' | 'api',
  tag: string,
  opts: { readyTimeoutMs?: number; onSpawn?: (proc: ServerProcess) => void } = {},
): Promise<Running> {
  const port = await freePort();
  const env = childEnv({
    ...prepared.env,
    PORT: String(port),
    HOST,
    QUEUE_ADAPTER: backend.queue,
    WORKER_CONCURRENCY: String(ctx.options.workerConcurrency),
    ...(backend.queue === 'bullmq' && ctx.redisUrl ? { REDIS_URL: ctx.redisUrl } : {}),
  });
  const profile = ctx.profileDir
    ? ['--cpu-prof', `--cpu-prof-dir=${path.join(ctx.profileDir, `${backendId(backend)}-${tag}`)}`]
    : [];
  const trace = sqlTrace(ctx, `${backendId(backend)}-${tag}`, env);
  const label = `${backendLabel(backend)} / switchyard ${command} (${tag})`;
  const proc = ServerProcess.spawn(label, [...profile, ...trace, 'bin/switchyard.mjs', command], env);
  opts.onSpawn?.(proc);
  const stop = async () => {
    await proc.stop();
  };
  cleanups.add(stop);
  const baseUrl = `http://${HOST}:${port}`;
  try {
    await proc.waitReady(baseUrl, opts.readyTimeoutMs ?? 120_000);
  } catch (err) {
    await proc.stop();
    cleanups.delete(stop);
    throw err;
  }
  return { proc, baseUrl };
}

/** With --trace-sql: the preload's arguments, its output file set in `env`. */
function sqlTrace(ctx: Context, name: string, env: NodeJS.ProcessEnv): string[] {
  if (!ctx.traceDir) return [];
  env.SQL_TRACE_OUT = path.join(ctx.traceDir, `${name}.txt`);
  return ['--import', './bench/sql-trace.mjs'];
}

async function stopSwitchyard(r: Running): Promise<void> {
  const code = await r.proc.stop();
  if (code !== 0) log(`${r.proc.label}: exited with ${code}:\n${r.proc.tail}`);
}

class Api {
  constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {}

  async call<T>(method: string, url: string, body?: unknown, expect: number[] = [200]): Promise<T> {
    const res = await fetch(`${this.baseUrl}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (!expect.includes(res.status)) throw new Error(`${method} ${url} answered ${res.status}: ${text.slice(0, 500)}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  /** Creates and activates a workflow; returns its id and webhook path. */
  async workflow(name: string, definition: unknown): Promise<{ id: string; hook: string | null }> {
    const w = await this.call<{ id: string; webhookUrlPath: string | null }>(
      'POST',
      '/api/v1/workflows',
      { name, definition },
      [201],
    );
    await this.call('POST', `/api/v1/workflows/${w.id}/activate`);
    return { id: w.id, hook: w.webhookUrlPath };
  }
}

interface RunView {
  id: string;
  status: string;
  startedAt: string | null;
  finishedAt: string | null;
  createdAt: string;
  error: unknown;
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** autocannon, stopped after `limitMs` whatever `amount` says. */
function cannon(opts: autocannon.Options, limitMs: number): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const stop: { timer?: NodeJS.Timeout } = {};
    const instance = autocannon(opts, (err: unknown, result: autocannon.Result) => {
      clearTimeout(stop.timer);
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve(result);
    });
    stop.timer = setTimeout(() => instance.stop(), limitMs);
  });
}

// ---------------------------------------------------------------------------------------------
// Workflow definitions

/** The docs' example (docs/workflows.md): webhook → double → big → reply, answering reply's output. */
const WEBHOOK_DEFINITION = exampleDefinition();

type StepKind = 'transform' | 'delay';
type Start = 'queued' | 'inline';

/** `steps` steps in a chain: transforms counting `i` up, or `delay {ms: 0}` checkpoints. */
function chainDefinition(kind: StepKind, start: Start, steps: number) {
  const ids = Array.from({ length: steps }, (_, i) => `s${i + 1}`);
  return {
    trigger:
      start === 'inline'
        ? { type: 'webhook', config: { respond: 'wait', responseStep: ids.at(-1) } }
        : { type: 'manual' },
    steps: ids.map((id, i) => ({
      id,
      type: kind,
      config:
        kind === 'delay' ? { ms: 0 } : { expression: i === 0 ? '{"i": 1}' : `{"i": steps.${ids[i - 1]}.output.i + 1}` },
    })),
    edges: ids.slice(1).map((to, i) => ({ from: ids[i], to })),
  };
}

const DRAIN_DEFINITION = {
  trigger: { type: 'manual' },
  steps: [{ id: 'one', type: 'transform', config: { expression: '{"n": trigger.body.n + 1}' } }],
};

// ---------------------------------------------------------------------------------------------
// Phase 1: webhook throughput (+ idle RSS)

interface WebhookResult {
  backend: string;
  label: string;
  execPerSec: number;
  p50Ms: number;
  p99Ms: number;
  serverCpuUsPerRequest: number | undefined;
  failures: number;
  /** VmRSS of `start` on its fresh database, after start-up and one request. */
  firstStartRssBytes: number | undefined;
  /** The same after a restart on that database (the usual `npm start`). */
  idleRssBytes: number | undefined;
  /** VmHWM after the webhook load. */
  peakRssBytes: number | undefined;
  raw: autocannon.Result;
}

const IDLE_SETTLE_MS = 2_000;

let bodyCounter = 0;
const webhookBody = () => {
  bodyCounter += 1;
  return JSON.stringify({ n: bodyCounter % 10, source: 'bench' });
};

function loadOptions(url: string, path: string, seconds: number, connections: number): autocannon.Options {
  return {
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => {
          req.body = webhookBody();
          return req;
        },
      },
    ],
  };
}

async function measureLoad(
  proc: ServerProcess,
  url: string,
  path: string,
  options: Options,
): Promise<{ raw: autocannon.Result; cpuUs: number | undefined }> {
  const limit = (s: number) => s * 1000 + 30_000;
  if (options.warmup > 0)
    await cannon(loadOptions(url, path, options.warmup, options.connections), limit(options.warmup));
  const before = cpuSeconds(proc.child.pid);
  const raw = await cannon(loadOptions(url, path, options.duration, options.connections), limit(options.duration));
  const after = cpuSeconds(proc.child.pid);
  const answered = raw['2xx'] + raw.non2xx;
  return {
    raw,
    cpuUs:
      before !== undefined && after !== undefined && answered > 0
        ? Math.round(((after - before) * 1e6) / answered)
        : undefined,
  };
}

async function webhookPhase(ctx: Context, backend: Backend): Promise<WebhookResult> {
  const label = backendLabel(backend);
  return withDatabase(ctx, backend, async (prepared) => {
    // Idle memory: started, one request answered (the readiness probe), then a moment to settle.
    // First on the fresh database (the first start also creates and migrates it), then restarted
    // on the same database, as `npm start` usually runs.
    const first = await startSwitchyard(ctx, backend, prepared, 'start', 'webhook-first');
    await sleep(IDLE_SETTLE_MS);
    const firstStartRssBytes = procStatusBytes(first.proc.child.pid, 'VmRSS');
    await stopSwitchyard(first);
    const sy = await startSwitchyard(ctx, backend, prepared, 'start', 'webhook');
    try {
      await sleep(IDLE_SETTLE_MS);
      const idleRssBytes = procStatusBytes(sy.proc.child.pid, 'VmRSS');
      const api = new Api(sy.baseUrl, await signUp(sy.baseUrl, `bench-${process.pid}@example.test`));
      const wf = await api.workflow('bench webhook', WEBHOOK_DEFINITION);
      if (!wf.hook) throw new Error('webhook workflow without webhookUrlPath');
      // The answer is the reply step's output.
      for (const n of [3, 7]) {
        const res = await fetch(`${sy.baseUrl}${wf.hook}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ n }),
          signal: AbortSignal.timeout(30_000),
        });
        const body = (await res.json()) as { n?: unknown; big?: unknown };
        if (res.status !== 200 || body.n !== n * 2 || body.big !== n * 2 > 10) {
          throw new Error(`webhook probe n=${n} answered ${res.status} ${JSON.stringify(body)}`);
        }
      }
      const { raw, cpuUs } = await measureLoad(sy.proc, sy.baseUrl, wf.hook, ctx.options);
      const result: WebhookResult = {
        backend: backendId(backend),
        label,
        execPerSec: raw.requests.average,
        p50Ms: raw.latency.p50,
        p99Ms: raw.latency.p99,
        serverCpuUsPerRequest: cpuUs,
        failures: raw.errors + raw.non2xx,
        firstStartRssBytes,
        idleRssBytes,
        peakRssBytes: procStatusBytes(sy.proc.child.pid, 'VmHWM'),
        raw,
      };
      log(
        `${label}: webhook: ${fmt(result.execPerSec, 0)} exec/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms` +
          (cpuUs === undefined ? '' : `, ${cpuUs} µs server CPU/exec`) +
          (result.failures ? `, ${result.failures} errors/non-2xx` : '') +
          (idleRssBytes === undefined
            ? ''
            : `; idle RSS ${mb(idleRssBytes)} MB (first start ${mb(firstStartRssBytes ?? 0)} MB)`),
      );
      return result;
    } finally {
      await stopSwitchyard(sy);
    }
  });
}

interface BareResult {
  db: DatabaseKind;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  serverCpuUsPerRequest: number | undefined;
  failures: number;
  raw: autocannon.Result;
}

async function barePhase(ctx: Context, db: DatabaseKind): Promise<BareResult> {
  const prepared = await prepareDatabase(db, ctx.adminUrl);
  cleanups.add(prepared.dispose);
  let proc: ServerProcess | undefined;
  const stop = async () => {
    await proc?.stop();
  };
  try {
    const port = await freePort();
    const env = childEnv({ ...prepared.env, PORT: String(port), HOST });
    await migrate(env);
    const profile = ctx.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(ctx.profileDir, `${db}-bare`)}`] : [];
    proc = ServerProcess.spawn(
      `${DATABASE_LABEL[db]} / bare Fastify`,
      [...profile, '--import', 'tsx', 'bench/bare-server.ts'],
      env,
    );
    cleanups.add(stop);
    const baseUrl = `http://${HOST}:${port}`;
    await proc.waitReady(baseUrl, 120_000);
    const probe = await fetch(`${baseUrl}/bench/write-read`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ n: 7 }),
      signal: AbortSignal.timeout(10_000),
    });
    const row = (await probe.json()) as { payload?: { n?: unknown } };
    if (probe.status !== 200 || row.payload?.n !== 7) {
      throw new Error(`bare POST /bench/write-read answered ${probe.status} ${JSON.stringify(row)}`);
    }
    const { raw, cpuUs } = await measureLoad(proc, baseUrl, '/bench/write-read', ctx.options);
    const result: BareResult = {
      db,
      reqPerSec: raw.requests.average,
      p50Ms: raw.latency.p50,
      p99Ms: raw.latency.p99,
      serverCpuUsPerRequest: cpuUs,
      failures: raw.errors + raw.non2xx,
      raw,
    };
    log(
      `${DATABASE_LABEL[db]}: bare INSERT + SELECT: ${fmt(result.reqPerSec, 0)} req/s, p50 ${result.p50Ms} ms, ` +
        `p99 ${result.p99Ms} ms` +
        (cpuUs === undefined ? '' : `, ${cpuUs} µs server CPU/req`) +
        (result.failures ? `, ${result.failures} errors/non-2xx` : ''),
    );
    return result;
  } finally {
    await stop();
    cleanups.delete(stop);
    await prepared.dispose();
    cleanups.delete(prepared.dispose);
  }
}

// ---------------------------------------------------------------------------------------------
// Phase 2: N sequential steps in one run

interface SequentialResult {
  backend: string;
  label: string;
  kind: StepKind;
  start: Start;
  steps: number;
  runs: number;
  failures: number;
  /** Client wall time: request sent → terminal status seen (queued) / answer received (inline). */
  wallMs: number[];
  /** The run's own record: finished_at − created_at. */
  serverMs: number[];
  medianMs: number;
  p95Ms: number;
  serverMedianMs: number;
}

const POLL_MS = 5;

/** Starts one run through the API and polls until it is terminal; the wall time and the record. */
async function queuedRun(api: Api, workflowId: string, steps: number, kind: StepKind) {
  const t0 = performance.now();
  const started = await api.call<{ runId: string }>(
    'POST',
    `/api/v1/workflows/${workflowId}/runs`,
    { input: {} },
    [202],
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    // The list's newest run of this workflow, without its attempts: lighter than GET /runs/:id.
    const page = await api.call<{ data: RunView[] }>('GET', `/api/v1/runs?workflowId=${workflowId}&limit=1`);
    const run = page.data[0];
    if (run?.id === started.runId && TERMINAL.has(run.status)) {
      const wall = performance.now() - t0;
      if (run.status !== 'succeeded') return { wall, run, ok: false };
      if (kind === 'transform') {
        const detail = await api.call<{ output?: { i?: unknown } }>('GET', `/api/v1/runs/${run.id}`);
        if (detail.output?.i !== steps) return { wall, run, ok: false };
      }
      return { wall, run, ok: true };
    }
    if (Date.now() > deadline) throw new Error(`run ${started.runId} not finished within 60 s`);
    await sleep(POLL_MS);
  }
}

/** One request to a webhook that waits: the answer is the last step's output. */
async function inlineRun(api: Api, workflowId: string, hook: string, steps: number, kind: StepKind) {
  const t0 = performance.now();
  const res = await fetch(`${api.baseUrl}${hook}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
    signal: AbortSignal.timeout(60_000),
  });
  const body = (await res.json()) as { i?: unknown; waitedUntil?: unknown };
  const wall = performance.now() - t0;
  const ok = res.status === 200 && (kind === 'transform' ? body.i === steps : typeof body.waitedUntil === 'string');
  const page = await api.call<{ data: RunView[] }>('GET', `/api/v1/runs?workflowId=${workflowId}&limit=1`);
  const run = page.data[0];
  return { wall, run, ok: ok && run?.status === 'succeeded' };
}

async function sequentialPhase(ctx: Context, backend: Backend): Promise<SequentialResult[]> {
  const label = backendLabel(backend);
  const { steps, sequential } = ctx.options;
  return withDatabase(ctx, backend, async (prepared) => {
    const sy = await startSwitchyard(ctx, backend, prepared, 'start', 'sequential');
    try {
      const api = new Api(sy.baseUrl, await signUp(sy.baseUrl, `bench-${process.pid}@example.test`));
      const results: SequentialResult[] = [];
      for (const kind of ['transform', 'delay'] as const) {
        for (const start of ['queued', 'inline'] as const) {
          const wf = await api.workflow(`bench ${steps} × ${kind} (${start})`, chainDefinition(kind, start, steps));
          const once = () =>
            start === 'queued' ? queuedRun(api, wf.id, steps, kind) : inlineRun(api, wf.id, wf.hook ?? '', steps, kind);
          // Two unmeasured runs first: plans compiled, statements prepared, JIT warm.
          for (let i = 0; i < 2; i++) await once();
          const wallMs: number[] = [];
          const serverMs: number[] = [];
          let failures = 0;
          const deadline = Date.now() + 300_000;
          for (let i = 0; i < sequential && Date.now() < deadline; i++) {
            const r = await once();
            if (!r.ok) failures += 1;
            wallMs.push(r.wall);
            if (r.run?.finishedAt) serverMs.push(Date.parse(r.run.finishedAt) - Date.parse(r.run.createdAt));
          }
          const result: SequentialResult = {
            backend: backendId(backend),
            label,
            kind,
            start,
            steps,
            runs: wallMs.length,
            failures,
            wallMs,
            serverMs,
            medianMs: quantile(wallMs, 0.5),
            p95Ms: quantile(wallMs, 0.95),
            serverMedianMs: quantile(serverMs, 0.5),
          };
          results.push(result);
          log(
            `${label}: ${steps} × ${kind}, ${start}: median ${fmt(result.medianMs, 1)} ms, p95 ${fmt(result.p95Ms, 1)} ms` +
              ` (run record: median ${fmt(result.serverMedianMs, 1)} ms) over ${result.runs} runs` +
              (failures ? `, ${failures} FAILED` : ''),
          );
        }
      }
      return results;
    } finally {
      await stopSwitchyard(sy);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Phase 3: drain N one-step runs, and the raw queue beside it

interface DrainResult {
  backend: string;
  label: string;
  runs: number;
  /** 202 answers of POST /workflows/:id/runs (api role only, no worker running). */
  accepted: number;
  enqueueFailures: number;
  enqueuePerSec: number;
  enqueueP99Ms: number;
  succeeded: number;
  notSucceeded: number;
  /** First run started → last run finished, from the runs' own records. */
  drainMs: number;
  runsPerSec: number;
  /** `start` spawned → its readiness probe answered (the API shares the process with the drain). */
  readyAfterMs: number;
  /** `start` spawned → no live run left (polled every 100 ms once ready). */
  observedMs: number;
  serverCpuUsPerRun: number | undefined;
  raw: RawQueueResult | undefined;
  ratio: number | undefined;
}

interface RawQueueResult {
  adapter: string;
  messages: number;
  finished: boolean;
  handled: number;
  enqueueMs: number;
  enqueuePerSec: number;
  firstClaimMs: number | null;
  drainMs: number;
  perSec: number;
  cpuUsPerMessage: number | null;
  leftInQueue: { waiting: number; delayed: number; active: number; dead: number };
}

async function drainPhase(ctx: Context, backend: Backend): Promise<DrainResult> {
  const label = backendLabel(backend);
  const { runs, inFlight } = ctx.options;
  const engine = await withDatabase(ctx, backend, async (prepared) => {
    // 1. Record the backlog with the api role alone: no worker takes runs meanwhile. That role
    // does not migrate (only `start` does).
    await migrate(
      childEnv({ ...prepared.env, QUEUE_ADAPTER: backend.queue, ...(ctx.redisUrl ? { REDIS_URL: ctx.redisUrl } : {}) }),
    );
    const apiOnly = await startSwitchyard(ctx, backend, prepared, 'api', 'drain-enqueue');
    let token: string;
    let workflowId: string;
    let enqueue: autocannon.Result;
    try {
      token = await signUp(apiOnly.baseUrl, `bench-${process.pid}@example.test`);
      const api = new Api(apiOnly.baseUrl, token);
      workflowId = (await api.workflow('bench drain', DRAIN_DEFINITION)).id;
      let k = 0;
      enqueue = await cannon(
        {
          url: apiOnly.baseUrl,
          connections: Math.min(inFlight, runs),
          amount: runs,
          // Recording the backlog is not what is measured; a slow answer is still an answer.
          timeout: 120,
          requests: [
            {
              method: 'POST',
              path: `/api/v1/workflows/${workflowId}/runs`,
              headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
              setupRequest: (req) => {
                k += 1;
                req.body = JSON.stringify({ input: { n: k } });
                return req;
              },
            },
          ],
        },
        Math.max(120_000, runs * 50),
      );
    } finally {
      await stopSwitchyard(apiOnly);
    }
    const accepted = enqueue['2xx'];
    const enqueuePerSec = (accepted * 1000) / Math.max(1, enqueue.duration * 1000);
    log(`${label}: drain: ${fmt(accepted, 0)} runs recorded at ${fmt(enqueuePerSec, 0)}/s (api role only)`);

    // 2. `start`: the worker drains the backlog from the moment the process is up — before it
    // answers its readiness probe, and on PGlite the API can be starved while it drains. So the
    // drain is timed by the runs' own records, and the process's CPU is sampled from its spawn.
    const samples: { at: number; cpu: number }[] = [];
    let sampler: NodeJS.Timeout | undefined;
    const spawnedAt = Date.now();
    const limitMs = Math.max(300_000, runs * 100);
    const sy = await startSwitchyard(ctx, backend, prepared, 'start', 'drain', {
      readyTimeoutMs: limitMs,
      onSpawn: (proc) => {
        const take = () => {
          const cpu = cpuSeconds(proc.child.pid);
          if (cpu !== undefined) samples.push({ at: Date.now(), cpu });
        };
        take();
        sampler = setInterval(take, 50);
      },
    });
    try {
      const readyAfterMs = Date.now() - spawnedAt;
      const api = new Api(sy.baseUrl, token);
      const live = `/api/v1/runs?workflowId=${workflowId}&status=queued&status=running&status=waiting&limit=1`;
      const deadline = spawnedAt + limitMs;
      for (;;) {
        const page = await api.call<{ data: RunView[] }>('GET', live);
        if (page.data.length === 0) break;
        if (Date.now() > deadline) {
          throw new Error(`${label}: runs still live after ${Math.round((Date.now() - spawnedAt) / 1000)} s`);
        }
        await sleep(100);
      }
      const observedMs = Date.now() - spawnedAt;
      clearInterval(sampler);
      // Every run's record: statuses, first start and last finish.
      let succeeded = 0;
      let notSucceeded = 0;
      let firstStart = Number.POSITIVE_INFINITY;
      let lastFinish = 0;
      let cursor: string | null = null;
      for (let page = 0; page < Math.ceil(runs / 100) + 10; page++) {
        const q: string = `/api/v1/runs?workflowId=${workflowId}&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const res = await api.call<{ data: RunView[]; nextCursor: string | null }>('GET', q);
        for (const r of res.data) {
          if (r.status === 'succeeded') succeeded += 1;
          else notSucceeded += 1;
          if (r.startedAt) firstStart = Math.min(firstStart, Date.parse(r.startedAt));
          if (r.finishedAt) lastFinish = Math.max(lastFinish, Date.parse(r.finishedAt));
        }
        cursor = res.nextCursor;
        if (!cursor) break;
      }
      const drainMs = lastFinish > firstStart ? lastFinish - firstStart : 0;
      return {
        accepted,
        enqueueFailures: enqueue.errors + enqueue.non2xx,
        enqueuePerSec,
        enqueueP99Ms: enqueue.latency.p99,
        succeeded,
        notSucceeded,
        drainMs,
        runsPerSec: drainMs > 0 ? (succeeded * 1000) / drainMs : 0,
        readyAfterMs,
        observedMs,
        serverCpuUsPerRun: (() => {
          const from = cpuAt(samples, firstStart);
          const to = cpuAt(samples, lastFinish);
          return from !== undefined && to !== undefined && succeeded > 0
            ? Math.round(((to - from) * 1e6) / succeeded)
            : undefined;
        })(),
      };
    } finally {
      clearInterval(sampler);
      await stopSwitchyard(sy);
    }
  });
  log(
    `${label}: drain: ${fmt(engine.succeeded, 0)} runs succeeded in ${fmt(engine.drainMs / 1000, 2)} s: ` +
      `${fmt(engine.runsPerSec, 0)} runs/s` +
      (engine.serverCpuUsPerRun === undefined ? '' : `, ${engine.serverCpuUsPerRun} µs server CPU/run`) +
      `; readiness answered ${fmt(engine.readyAfterMs / 1000, 1)} s after spawn` +
      (engine.notSucceeded ? `, ${engine.notSucceeded} NOT SUCCEEDED` : ''),
  );

  const raw = await rawQueuePhase(ctx, backend);
  log(
    `${label}: raw queue: ${fmt(raw.handled, 0)} messages in ${fmt(raw.drainMs / 1000, 2)} s: ` +
      `${fmt(raw.perSec, 0)} messages/s (enqueue ${fmt(raw.enqueuePerSec, 0)}/s)`,
  );
  return {
    backend: backendId(backend),
    label,
    runs,
    ...engine,
    raw,
    ratio: raw.perSec > 0 ? engine.runsPerSec / raw.perSec : undefined,
  };
}

async function rawQueuePhase(ctx: Context, backend: Backend): Promise<RawQueueResult> {
  const run = async (env: NodeJS.ProcessEnv) => {
    const trace = sqlTrace(ctx, `${backendId(backend)}-raw-queue`, env);
    const proc = ServerProcess.spawn(
      `${backendLabel(backend)} / raw queue`,
      [...trace, '--import', 'tsx', 'bench/raw-queue.ts'],
      env,
    );
    const stop = async () => {
      await proc.stop();
    };
    cleanups.add(stop);
    let stdout = '';
    proc.child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    try {
      const code = await proc.wait(Math.max(300_000, ctx.options.runs * 100));
      if (code !== 0) throw new Error(`raw queue exited with ${code}:\n${proc.tail}`);
    } finally {
      await stop();
      cleanups.delete(stop);
    }
    const line = stdout.trim().split('\n').at(-1) ?? '';
    return JSON.parse(line) as RawQueueResult;
  };
  const common = {
    BENCH_RAW_ADAPTER: backend.queue,
    BENCH_RAW_MESSAGES: String(ctx.options.runs),
    BENCH_RAW_IN_FLIGHT: String(ctx.options.inFlight),
    WORKER_CONCURRENCY: String(ctx.options.workerConcurrency),
  };
  if (backend.queue === 'bullmq') {
    const url = ctx.redisUrl;
    if (!url) throw new Error('bullmq without a Redis URL');
    const prefix = `switchyard-bench-raw-${randomBytes(4).toString('hex')}`;
    const clear = async () => {
      await clearRedisPrefix(url, prefix);
    };
    cleanups.add(clear);
    try {
      return await run(childEnv({ ...common, REDIS_URL: url, BENCH_RAW_PREFIX: prefix }));
    } finally {
      await clear();
      cleanups.delete(clear);
    }
  }
  return withDatabase(ctx, backend, async (prepared) => {
    const env = childEnv({ ...prepared.env, ...common });
    await migrate(env);
    return run(env);
  });
}

// ---------------------------------------------------------------------------------------------
// Shared

/** A fresh database (and, for bullmq, Switchyard's Redis keys cleared) for the length of `fn`. */
async function withDatabase<T>(ctx: Context, backend: Backend, fn: (p: PreparedDatabase) => Promise<T>): Promise<T> {
  const prepared = await prepareDatabase(backend.db, ctx.adminUrl);
  cleanups.add(prepared.dispose);
  const redisUrl = backend.queue === 'bullmq' ? ctx.redisUrl : undefined;
  const clear = async () => {
    if (redisUrl) await clearRedisPrefix(redisUrl, SWITCHYARD_PREFIX);
  };
  cleanups.add(clear);
  try {
    await clear();
    return await fn(prepared);
  } finally {
    await clear();
    cleanups.delete(clear);
    await prepared.dispose();
    cleanups.delete(prepared.dispose);
  }
}

/** The commit measured, and the source files that differ from it (the engine changes often). */
function gitState(): { commit: string; changed: string[] } | undefined {
  try {
    const run = (args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' });
    return {
      commit: run(['rev-parse', 'HEAD']).trim(),
      // Porcelain lines start with a two-letter status (` M path`): no trim, or the first loses it.
      changed: run(['status', '--porcelain', '--', 'src', 'migrations'])
        .split('\n')
        .filter((line) => line.trim() !== ''),
    };
  } catch {
    return undefined;
  }
}

/** The process's CPU seconds at wall-clock time `at`, interpolated between samples. */
function cpuAt(samples: { at: number; cpu: number }[], at: number): number | undefined {
  if (!Number.isFinite(at) || samples.length === 0) return undefined;
  let prev = samples[0];
  for (const s of samples) {
    if (s.at >= at) {
      if (!prev || s.at === prev.at) return s.cpu;
      return prev.cpu + ((s.cpu - prev.cpu) * (at - prev.at)) / (s.at - prev.at);
    }
    prev = s;
  }
  return prev?.cpu;
}

function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? 0;
  const b = sorted[hi] ?? a;
  return a + (b - a) * (pos - lo);
}

const mb = (bytes: number) => fmt(bytes / 1024 / 1024, 0);
const ms = (n: number) => (Number.isNaN(n) ? 'n/a' : fmt(n, n < 100 ? 1 : 0));

// ---------------------------------------------------------------------------------------------
// Report

interface Results {
  webhook: WebhookResult[];
  bare: BareResult[];
  sequential: SequentialResult[];
  drain: DrainResult[];
}

interface TargetCheck {
  target: string;
  measured: string;
  met: boolean | undefined;
}

function webhookRatio(results: Results, w: WebhookResult): number | undefined {
  const db: DatabaseKind = w.backend.startsWith('pglite') ? 'pglite' : 'postgres';
  const bare = results.bare.find((b) => b.db === db);
  return bare && bare.reqPerSec > 0 ? w.execPerSec / bare.reqPerSec : undefined;
}

function targets(results: Results): TargetCheck[] {
  const out: TargetCheck[] = [];
  for (const w of results.webhook.filter((x) => x.backend.startsWith('postgres'))) {
    const ratio = webhookRatio(results, w);
    out.push({
      target: `${w.label}: webhook exec/s ≥ ${TARGETS.webhookVsBare}× bare INSERT + SELECT`,
      measured: ratio === undefined ? 'n/a' : `${ratio.toFixed(2)}×`,
      met: ratio === undefined ? undefined : ratio >= TARGETS.webhookVsBare,
    });
    out.push({
      target: `${w.label}: webhook p99 ≤ ${TARGETS.webhookP99Ms} ms`,
      measured: `${w.p99Ms} ms`,
      met: w.p99Ms <= TARGETS.webhookP99Ms,
    });
  }
  for (const s of results.sequential.filter((x) => x.backend.startsWith('postgres'))) {
    out.push({
      target: `${s.label}: ${s.steps} × ${s.kind} (${s.start}) < ${TARGETS.sequentialMs} ms`,
      measured: `median ${ms(s.medianMs)} ms, p95 ${ms(s.p95Ms)} ms`,
      met: s.medianMs < TARGETS.sequentialMs,
    });
  }
  for (const d of results.drain) {
    out.push({
      target: `${d.label}: engine ≥ ${TARGETS.drainVsRaw * 100}% of raw queue`,
      measured: d.ratio === undefined ? 'n/a' : `${Math.round(d.ratio * 100)}%`,
      met: d.ratio === undefined ? undefined : d.ratio >= TARGETS.drainVsRaw,
    });
  }
  for (const w of results.webhook.filter((x) => x.backend.startsWith('pglite'))) {
    for (const [when, bytes] of [
      ['restart', w.idleRssBytes],
      ['first start', w.firstStartRssBytes],
    ] as const) {
      out.push({
        target: `${w.label}: idle RSS of start (${when}) ≤ ${mb(TARGETS.idleRssBytes)} MB`,
        measured: bytes === undefined ? 'n/a' : `${mb(bytes)} MB`,
        met: bytes === undefined ? undefined : bytes <= TARGETS.idleRssBytes,
      });
    }
  }
  return out;
}

function report(results: Results, checks: TargetCheck[], options: Options): string {
  const parts: string[] = [];
  if (results.webhook.length || results.bare.length) {
    const rows = results.webhook.map((w) => {
      const ratio = webhookRatio(results, w);
      return [
        w.label,
        'webhook → transform → condition → respond',
        fmt(w.execPerSec, 0),
        String(w.p50Ms),
        String(w.p99Ms),
        w.serverCpuUsPerRequest === undefined ? 'n/a' : fmt(w.serverCpuUsPerRequest, 0),
        String(w.failures),
        ratio === undefined ? 'n/a' : `${ratio.toFixed(2)}×`,
      ];
    });
    for (const b of results.bare) {
      rows.push([
        DATABASE_LABEL[b.db],
        'bare Fastify: INSERT + SELECT',
        fmt(b.reqPerSec, 0),
        String(b.p50Ms),
        String(b.p99Ms),
        b.serverCpuUsPerRequest === undefined ? 'n/a' : fmt(b.serverCpuUsPerRequest, 0),
        String(b.failures),
        '1.00×',
      ]);
    }
    parts.push(
      `Webhook executions, ${options.connections} connections, ${options.duration} s measured\n\n` +
        table(
          ['backend', 'route', 'req/s', 'p50 ms', 'p99 ms', 'server CPU µs/req', 'errors/non-2xx', 'vs bare'],
          rows,
          2,
        ),
    );
  }
  if (results.sequential.length) {
    parts.push(
      `${options.steps} sequential steps in one run, ${options.sequential} runs one at a time\n\n` +
        table(
          ['backend', 'steps', 'started', 'median ms', 'p95 ms', 'run record median ms', 'ms/step', 'failed'],
          results.sequential.map((s) => [
            s.label,
            `${s.steps} × ${s.kind === 'delay' ? 'delay {ms: 0}' : 'transform'}`,
            s.start === 'queued' ? 'POST /runs, worker' : 'webhook, inline',
            ms(s.medianMs),
            ms(s.p95Ms),
            ms(s.serverMedianMs),
            fmt(s.medianMs / s.steps, 2),
            String(s.failures),
          ]),
          3,
        ),
    );
  }
  if (results.drain.length) {
    parts.push(
      `${fmt(options.runs, 0)} one-step runs drained, WORKER_CONCURRENCY=${options.workerConcurrency}\n\n` +
        table(
          [
            'backend',
            'recorded/s (API)',
            'its p99 ms',
            'engine runs/s',
            'engine CPU µs/run',
            'raw queue msg/s',
            'raw CPU µs/msg',
            'engine/raw',
            'API ready after s',
            'not succeeded',
          ],
          results.drain.map((d) => [
            d.label,
            fmt(d.enqueuePerSec, 0),
            fmt(d.enqueueP99Ms, 0),
            fmt(d.runsPerSec, 0),
            d.serverCpuUsPerRun === undefined ? 'n/a' : fmt(d.serverCpuUsPerRun, 0),
            d.raw ? fmt(d.raw.perSec, 0) : 'n/a',
            d.raw?.cpuUsPerMessage === null || d.raw?.cpuUsPerMessage === undefined
              ? 'n/a'
              : fmt(d.raw.cpuUsPerMessage, 0),
            d.ratio === undefined ? 'n/a' : `${Math.round(d.ratio * 100)}%`,
            fmt(d.readyAfterMs / 1000, 1),
            String(d.notSucceeded + d.enqueueFailures),
          ]),
          1,
        ),
    );
  }
  if (results.webhook.length) {
    parts.push(
      'Memory of the `start` process\n\n' +
        table(
          ['backend', 'idle RSS MB, restart', 'idle RSS MB, first start', 'peak RSS MB (webhook load)'],
          results.webhook.map((w) => [
            w.label,
            w.idleRssBytes === undefined ? 'n/a' : mb(w.idleRssBytes),
            w.firstStartRssBytes === undefined ? 'n/a' : mb(w.firstStartRssBytes),
            w.peakRssBytes === undefined ? 'n/a' : mb(w.peakRssBytes),
          ]),
          1,
        ),
    );
  }
  if (checks.length) {
    parts.push(
      'Targets\n\n' +
        table(
          ['target', 'measured', 'met'],
          checks.map((c) => [c.target, c.measured, c.met === undefined ? 'n/a' : c.met ? 'yes' : '**no**']),
          1,
        ),
    );
  }
  return `${parts.join('\n\n')}\n`;
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
  const list = backends(options);
  const redisUrl = list.some((b) => b.queue === 'bullmq') ? benchRedisUrl() : undefined;
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const meta = {
    date: startedAt.toISOString(),
    cores: os.availableParallelism(),
    cpu: os.cpus()[0]?.model,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    packages: Object.fromEntries(
      ['fastify', 'pg', '@electric-sql/pglite', 'bullmq', 'ioredis', 'jsonata', 'autocannon'].map((p) => [
        p,
        packageVersion(p),
      ]),
    ),
    postgres: options.databases.includes('postgres') ? await postgresVersion(adminUrl) : undefined,
    redis: redisUrl,
    git: gitState(),
    options,
  };
  log(
    `bench:engine — ${meta.cores} cores, Node ${meta.node}; backends: ${list.map(backendLabel).join(', ')}; ` +
      `phases: ${options.phases.join(', ')}${options.smoke ? ' (smoke)' : ''}`,
  );
  if (meta.cores < 4) {
    log(`note: ${meta.cores} cores — server, load generator and PostgreSQL share them; compare ratios, not absolutes`);
  }
  const ctx: Context = {
    options,
    adminUrl,
    redisUrl,
    profileDir: options.cpuProf ? path.join(RESULTS_DIR, `profiles-engine-${stamp}`) : undefined,
    traceDir: options.traceSql ? path.join(RESULTS_DIR, `sql-engine-${stamp}`) : undefined,
  };
  if (ctx.traceDir) fs.mkdirSync(ctx.traceDir, { recursive: true });

  const results: Results = { webhook: [], bare: [], sequential: [], drain: [] };
  if (options.phases.includes('webhook')) {
    for (const db of options.databases) results.bare.push(await barePhase(ctx, db));
  }
  for (const backend of list) {
    if (options.phases.includes('webhook')) results.webhook.push(await webhookPhase(ctx, backend));
    if (options.phases.includes('sequential')) results.sequential.push(...(await sequentialPhase(ctx, backend)));
    if (options.phases.includes('drain')) results.drain.push(await drainPhase(ctx, backend));
  }

  const checks = targets(results);
  process.stdout.write(`\n${report(results, checks, options)}`);

  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `engine-${stamp}.json`);
  fs.writeFileSync(file, `${JSON.stringify({ meta, results, targets: checks }, null, 2)}\n`);
  log(
    `\nraw results: ${path.relative(ROOT, file)}` +
      (ctx.profileDir ? `\nCPU profiles: ${path.relative(ROOT, ctx.profileDir)}` : '') +
      (ctx.traceDir ? `\nSQL statement traces: ${path.relative(ROOT, ctx.traceDir)}` : ''),
  );

  // Correctness, not speed: every request answered 2xx, every run succeeded.
  const problems = [
    ...results.webhook.filter((w) => w.failures > 0 || w.raw['2xx'] === 0).map((w) => `${w.label}: webhook errors`),
    ...results.bare.filter((b) => b.failures > 0 || b.raw['2xx'] === 0).map((b) => `${b.db}: bare errors`),
    ...results.sequential
      .filter((s) => s.failures > 0 || s.runs === 0)
      .map((s) => `${s.label}: ${s.kind}/${s.start} runs failed`),
    ...results.drain
      .filter((d) => d.enqueueFailures > 0 || d.notSucceeded > 0 || d.succeeded !== d.runs)
      .map((d) => `${d.label}: drain: ${d.succeeded}/${d.runs} succeeded, ${d.enqueueFailures} enqueue errors`),
    ...results.drain
      .filter((d) => d.raw && (!d.raw.finished || d.raw.handled !== d.runs))
      .map((d) => `${d.label}: raw queue handled ${d.raw?.handled}/${d.runs}`),
  ];
  if (problems.length > 0) {
    log(`FAILED:\n  ${problems.join('\n  ')}`);
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
    process.stderr.write(`bench:engine failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    await runCleanups();
    process.exitCode = 1;
  },
);
