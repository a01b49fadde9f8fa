import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Spawns the real `switchyard` CLI (bin/switchyard.mjs) as a child process and reads its JSON
 * log lines back. Every child is tracked so an `after` hook can kill whatever a failed test left.
 */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(REPO_ROOT, 'bin', 'switchyard.mjs');

// What `npm start` runs: the one-module build (scripts/build.mjs), which the CLI uses while it is
// newer than every source file. Built here so these tests exercise it, not the tsx fallback.
execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build.mjs'), '--quiet'], { stdio: 'inherit' });
if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'switchyard.mjs'))) throw new Error('scripts/build.mjs made no build');

/** Variables the CLI reads: never inherited from the developer's shell, only set explicitly. */
const CONFIG_VARS = [
  'PORT',
  'METRICS_PORT',
  'HOST',
  'SWITCHYARD_DATA_DIR',
  'DATABASE_URL',
  'DATABASE_POOL_MAX',
  'REDIS_URL',
  'LOG_LEVEL',
  'LOG_PRETTY',
  'BODY_LIMIT_BYTES',
  'CORS_ORIGINS',
  'RATE_LIMIT_PER_MINUTE',
  'AUTH_RATE_LIMIT_PER_MINUTE',
  'PRINCIPAL_RATE_LIMIT_PER_MINUTE',
  'LOGIN_MAX_FAILURES',
  'LOGIN_LOCKOUT_SECONDS',
  'SIGNUP_MODE',
  'OUTBOUND_ALLOWLIST',
  'TRUST_PROXY',
  'SHUTDOWN_TIMEOUT_MS',
  'PUBLIC_URL',
  'SWITCHYARD_SECRET_KEY',
  'EGRESS_ALLOWLIST',
  'QUEUE_ADAPTER',
  'ENGINE_LEASE_MS',
  'STEP_OUTPUT_MAX_BYTES',
  'WORKER_CONCURRENCY',
  'ENGINE_TENANT_CONCURRENCY',
  'SWITCHYARD_FROM_SOURCE',
  // Set by node:test in its file processes; the CLI is not a test process.
  'NODE_TEST_CONTEXT',
];

export function cliEnv(overrides: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of CONFIG_VARS) delete env[name];
  // OpenTelemetry's variables too: a developer's collector must not receive the tests' spans.
  for (const name of Object.keys(env)) if (name.startsWith('OTEL_')) delete env[name];
  Object.assign(env, {
    PORT: '0',
    // Several workers and schedulers run side by side in these tests: each metrics listener on a free port.
    METRICS_PORT: '0',
    LOG_LEVEL: 'info',
    RATE_LIMIT_PER_MINUTE: '0',
    AUTH_RATE_LIMIT_PER_MINUTE: '0',
    PRINCIPAL_RATE_LIMIT_PER_MINUTE: '0',
  });
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** A fresh master key as an operator makes one (`openssl rand -base64 32`). */
export const newSecretKey = (): string => randomBytes(32).toString('base64');

export interface LogLine {
  level?: string;
  msg?: string;
  url?: string;
  requestId?: string;
  [key: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const live = new Set<CliProcess>();

export class CliProcess {
  readonly child: ChildProcess;
  readonly startedAt = performance.now();
  stdout = '';
  stderr = '';
  /** stdout lines that parsed as JSON (pino's log lines). */
  readonly logs: LogLine[] = [];
  readonly exited: Promise<Exit>;
  exit: Exit | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this);
    let partial = '';
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          // Not a log line (e.g. --help output): kept in `stdout` only.
        }
      }
      this.notify();
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      this.notify();
    });
    this.exited = new Promise<Exit>((resolve) => {
      this.child.on('close', (code, signal) => {
        this.exit = { code, signal };
        live.delete(this);
        this.notify();
        resolve(this.exit);
      });
      this.child.on('error', () => {
        // spawn failure: 'close' follows with a null code.
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private notify() {
    for (const w of this.waiters) w();
  }

  /** Resolves with the first log line matching `predicate`; rejects on timeout or exit. */
  waitForLog(predicate: (l: LogLine) => boolean, what: string, timeoutMs = 20_000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.logs.find(predicate);
        if (found) return done(() => resolve(found));
        if (this.exit) {
          return done(() =>
            reject(new Error(`process exited (${JSON.stringify(this.exit)}) before ${what}\n${this.output()}`)),
          );
        }
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.output()}`))),
        timeoutMs,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** The base URL from the "Switchyard listening on …" line. */
  async waitForUrl(timeoutMs = 20_000): Promise<string> {
    const line = await this.waitForLog(
      (l) => typeof l.msg === 'string' && l.msg.startsWith('Switchyard listening on ') && typeof l.url === 'string',
      'the "Switchyard listening on" line',
      timeoutMs,
    );
    return line.url as string;
  }

  async waitForExit(timeoutMs = 20_000): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.exited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`process ${this.pid} did not exit within ${timeoutMs} ms\n${this.output()}`)),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  signal(sig: NodeJS.Signals) {
    if (!this.exit) this.child.kill(sig);
  }

  /** Kills this child (SIGKILL) and waits for it to be gone. */
  async kill(): Promise<void> {
    if (this.exit) return;
    this.child.kill('SIGKILL');
    await this.waitForExit(5_000).catch(() => undefined);
  }

  messages(): string[] {
    return this.logs.map((l) => l.msg ?? '');
  }

  output(): string {
    return `--- stdout ---\n${this.stdout.slice(-4000)}\n--- stderr ---\n${this.stderr.slice(-4000)}`;
  }
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv): CliProcess {
  return new CliProcess(args, env);
}

/** Runs the CLI to completion and returns its exit and output. */
export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 30_000,
): Promise<Exit & { stdout: string; stderr: string; proc: CliProcess }> {
  const proc = spawnCli(args, env);
  const exit = await proc.waitForExit(timeoutMs);
  return { ...exit, stdout: proc.stdout, stderr: proc.stderr, proc };
}

/** Kills every child still running: call from `after` hooks. */
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.kill()));
}

/** Polls GET /health/ready until it answers 200. */
export async function waitForReady(baseUrl: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(2_000) });
      const body = await res.text();
      if (res.status === 200) return;
      last = `${res.status} ${body}`;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${baseUrl}/health/ready not 200 within ${timeoutMs} ms (last: ${last})`);
}

/** Starts the CLI and waits until it is ready; returns the process, its URL and time to ready. */
export async function startReady(
  args: string[],
  env: NodeJS.ProcessEnv,
  // A bound, not a measurement: a first start on a loaded 2-core machine took over 30 s.
  timeoutMs = 90_000,
): Promise<{ proc: CliProcess; url: string; readyMs: number }> {
  const proc = spawnCli(args, env);
  const url = await proc.waitForUrl(timeoutMs);
  await waitForReady(url, timeoutMs);
  return { proc, url, readyMs: Math.round(performance.now() - proc.startedAt) };
}

const tempDirs = new Set<string>();

export function makeDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-e2e-'));
  tempDirs.add(dir);
  return dir;
}

export function removeDataDirs(): void {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** fetch + JSON with a bounded wait. */
export async function api(
  baseUrl: string,
  method: string,
  pathname: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${baseUrl}${pathname}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed };
}

let signups = 0;

/** Signs up a fresh account on a running server and returns headers that authenticate as it. */
export async function signupHeaders(baseUrl: string): Promise<Record<string, string>> {
  signups += 1;
  const res = await api(baseUrl, 'POST', '/api/v1/auth/signup', {
    email: `e2e-${process.pid}-${signups}@example.test`,
    password: `Tangerine lantern orbit ${signups} mossy kettle`,
    name: 'E2E',
    organizationName: `E2E org ${signups}`,
  });
  if (res.status !== 201) throw new Error(`sign-up failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { authorization: `Bearer ${(res.body as { accessToken: string }).accessToken}` };
}
