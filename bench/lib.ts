/**
 * Helpers shared by the benchmarks (`api.bench.ts`, `engine.bench.ts`): fresh databases, server
 * child processes, /proc readings, clean-up on Ctrl-C, and markdown tables. Nothing here measures.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// Servers are measured as `npm start` runs them: from the one-module build, made fresh here.
execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs'), '--quiet'], { stdio: 'inherit' });
export const RESULTS_DIR = path.join(ROOT, 'bench', 'results');
export const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const HOST = '127.0.0.1';

export const DATABASES = ['pglite', 'postgres'] as const;
export type DatabaseKind = (typeof DATABASES)[number];
export const DATABASE_LABEL: Record<DatabaseKind, string> = { pglite: 'PGlite', postgres: 'PostgreSQL' };

// ---------------------------------------------------------------------------------------------
// Clean-up: child processes, temporary directories and databases, also on Ctrl-C.

export const cleanups = new Set<() => Promise<void>>();

export async function runCleanups(): Promise<void> {
  for (const fn of [...cleanups].reverse()) {
    cleanups.delete(fn);
    try {
      await fn();
    } catch (err) {
      process.stderr.write(`clean-up failed: ${String(err)}\n`);
    }
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping servers and removing benchmark databases…\n`);
    void runCleanups().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// Databases

export const redact = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

export interface PreparedDatabase {
  /** Environment telling a server (and `switchyard migrate`) which database to open. */
  env: Record<string, string>;
  dispose(): Promise<void>;
}

export async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL is unreachable at ${redact(adminUrl)} (${String(err)}). Start it, set BENCH_DATABASE_URL, or run with --db pglite.`,
      { cause: err },
    );
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function prepareDatabase(kind: DatabaseKind, adminUrl: string): Promise<PreparedDatabase> {
  if (kind === 'pglite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-'));
    return {
      env: { SWITCHYARD_DATA_DIR: dir },
      dispose: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `switchyard_bench_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (c) => c.query(`create database "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    // With DATABASE_URL Switchyard refuses to start without a master key; a throwaway one per run
    // (the bare server ignores it).
    env: { DATABASE_URL: url.toString(), SWITCHYARD_SECRET_KEY: randomBytes(32).toString('base64') },
    dispose: async () => {
      await withAdmin(adminUrl, (c) => c.query(`drop database if exists "${name}" with (force)`));
    },
  };
}

export async function postgresVersion(adminUrl: string): Promise<string | undefined> {
  return withAdmin(adminUrl, async (c) => {
    const res = await c.query<{ server_version: string }>('show server_version');
    return res.rows[0]?.server_version;
  });
}

export function packageVersion(name: string): string | undefined {
  try {
    const file = path.join(ROOT, 'node_modules', name, 'package.json');
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Server processes

/** Variables a server reads; the inherited environment must not leak its own into a variant. */
const SERVER_VARIABLES = [
  'PORT',
  'HOST',
  'DATABASE_URL',
  'DATABASE_POOL_MAX',
  'SWITCHYARD_DATA_DIR',
  'SWITCHYARD_SECRET_KEY',
  'LOG_LEVEL',
  'RATE_LIMIT_PER_MINUTE',
  'AUTH_RATE_LIMIT_PER_MINUTE',
  'PRINCIPAL_RATE_LIMIT_PER_MINUTE',
  'REDIS_URL',
  'QUEUE_ADAPTER',
  'ENGINE_LEASE_MS',
  'WORKER_CONCURRENCY',
  'STEP_OUTPUT_MAX_BYTES',
];

export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of SERVER_VARIABLES) delete env[name];
  // Tracing only where a variant asks for it (bench:api --tracing), never from the shell.
  for (const name of Object.keys(env)) if (name.startsWith('OTEL_')) delete env[name];
  // Limiters off: the bench is one client and one user sending thousands of requests a second.
  return {
    ...env,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '0',
    AUTH_RATE_LIMIT_PER_MINUTE: '0',
    PRINCIPAL_RATE_LIMIT_PER_MINUTE: '0',
    // The build made when this module loaded, even if a source file changes during the run.
    SWITCHYARD_FROM_BUILD: 'true',
    ...extra,
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export class ServerProcess {
  private output = '';
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly label: string,
    readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString('utf8')).slice(-8_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static spawn(label: string, nodeArgs: string[], env: NodeJS.ProcessEnv): ServerProcess {
    const child = spawn(process.execPath, nodeArgs, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    return new ServerProcess(label, child);
  }

  get tail(): string {
    return this.output.trim();
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the exit code; rejects when the process outlives `timeoutMs`. */
  async wait(timeoutMs: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.exited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${this.label} still running after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async waitReady(baseUrl: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.label} exited during start-up:\n${this.tail}`);
      try {
        const res = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(1_000) });
        await res.arrayBuffer();
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.label} not ready within ${timeoutMs} ms:\n${this.tail}`);
  }

  /** SIGTERM, then the exit code; SIGKILL if the process ignores it for 20 s. */
  async stop(): Promise<number | null> {
    if (!this.running) return this.child.exitCode;
    this.child.kill('SIGTERM');
    try {
      return await this.wait(20_000);
    } catch {
      this.child.kill('SIGKILL');
      return this.wait(5_000);
    }
  }
}

/** USER_HZ: 100 on every Linux architecture Node supports. */
const CLOCK_TICKS = 100;

/**
 * CPU seconds (user + system, all threads) a child has used so far, from /proc; undefined where
 * there is no /proc (macOS). Lets the report show server CPU per request, which is steadier than
 * req/s on a small machine where the load generator and PostgreSQL compete for the same cores.
 */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** A `kB` line of /proc/<pid>/status (`VmRSS`, `VmHWM`), in bytes; undefined without /proc. */
export function procStatusBytes(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
    return m?.[1] ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export async function migrate(env: NodeJS.ProcessEnv): Promise<void> {
  const proc = ServerProcess.spawn('switchyard migrate', ['bin/switchyard.mjs', 'migrate'], env);
  const code = await proc.wait(120_000);
  if (code !== 0) throw new Error(`switchyard migrate exited with ${code}:\n${proc.tail}`);
}

/** Signs up (the owner of a fresh tenant) and returns the access token. */
export async function signUp(baseUrl: string, email: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/v1/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email,
      password: 'quiet harbour lantern 7 orbit',
      name: 'Bench',
      organizationName: 'Bench',
    }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as { accessToken?: string };
  if (res.status !== 201 || !body.accessToken)
    throw new Error(`sign-up answered ${res.status} ${JSON.stringify(body)}`);
  return body.accessToken;
}

// ---------------------------------------------------------------------------------------------
// Report

export const log = (line: string) => process.stderr.write(`${line}\n`);
export const fmt = (n: number, digits: number) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** A markdown table; columns from `rightAligned` on are right-aligned. */
export function table(header: string[], rows: string[][], rightAligned: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i >= rightAligned ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i >= rightAligned ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
