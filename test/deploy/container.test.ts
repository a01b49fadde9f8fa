import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { isPostgresAvailable } from '../support/databases.ts';
import { TEST_ENV } from '../support/env.ts';
import { EXPORTED_METRICS, EXPECTED_METRICS, readRepoFile, REPO_ROOT } from './support.ts';

// The image: static checks of the Dockerfile (Docker cannot run on the CI machine), and its
// entrypoint script and healthcheck run directly, as the image runs them, against PostgreSQL.
const ENTRYPOINT = path.join(REPO_ROOT, 'deploy', 'docker-entrypoint.sh');
const HEALTHCHECK = path.join(REPO_ROOT, 'deploy', 'healthcheck.mjs');
const DOCKERFILE = readRepoFile('Dockerfile');

// The CLI runs dist/ while it is newer than every source: build it, so the roles start as fast as
// in the image (which runs the build) instead of compiling the sources.
execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build.mjs'), '--quiet'], { stdio: 'inherit' });

/** Dockerfile instructions of the last stage, as [instruction, arguments] with continuations joined. */
function instructions(text: string): [string, string][] {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [word, ...rest] = l.split(/\s+/);
      return [(word ?? '').toUpperCase(), rest.join(' ')];
    });
}

describe('Dockerfile', () => {
  const all = instructions(DOCKERFILE);
  const lastFrom = all.map(([i]) => i).lastIndexOf('FROM');
  const runtime = all.slice(lastFrom);
  const final = (name: string) => runtime.filter(([i]) => i === name).map(([, a]) => a);

  test('is multi-stage, and the runtime stage installs no dev dependencies and copies only built output', () => {
    assert.ok(all.filter(([i]) => i === 'FROM').length >= 3);
    assert.match(DOCKERFILE, /npm ci --omit=dev/);
    assert.ok(final('COPY').some((a) => /--from=build \/app\/dist/.test(a)));
    assert.ok(final('COPY').some((a) => /--from=prod-deps \/app\/node_modules/.test(a)));
    assert.ok(!final('RUN').some((a) => /npm (ci|install)/.test(a)), 'no install in the runtime stage');
  });

  test('runs as a numeric non-root user, under tini, through the entrypoint script, with a HEALTHCHECK', () => {
    const user = final('USER').at(-1);
    assert.match(user ?? '', /^[1-9]\d*(:[1-9]\d*)?$/, 'USER uid:gid, not root');
    assert.deepEqual(JSON.parse(final('ENTRYPOINT').at(-1) ?? '[]'), [
      '/usr/bin/tini',
      '--',
      '/app/deploy/docker-entrypoint.sh',
    ]);
    assert.deepEqual(JSON.parse(final('CMD').at(-1) ?? '[]'), ['start']);
    assert.match(final('HEALTHCHECK').at(-1) ?? '', /CMD \["node", "\/app\/deploy\/healthcheck\.mjs"\]/);
    assert.ok(
      final('COPY').some((a) => a.includes('deploy/docker-entrypoint.sh') && a.includes('deploy/healthcheck.mjs')),
    );
    assert.ok(final('RUN').some((a) => /apt-get install .*tini/.test(a)));
    // Read-only root: the data dir is a volume and /app belongs to root.
    assert.ok(final('VOLUME').some((a) => a.includes('/data')));
    assert.match(final('ENV').join(' '), /SWITCHYARD_DATA_DIR=\/data/);
  });

  test('copies only paths that exist and that .dockerignore lets into the build context', () => {
    const ignored = readRepoFile('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const must of ['.git', '.env', '**/node_modules', '.switchyard']) assert.ok(ignored.includes(must), must);
    for (const [, args] of all.filter(([i]) => i === 'COPY')) {
      if (args.includes('--from=')) continue;
      const sources = args.split(/\s+/).slice(0, -1);
      for (const source of sources.filter((s) => s !== '.')) {
        assert.ok(fs.existsSync(path.join(REPO_ROOT, source)), `${source} exists`);
        const top = source.replace(/\/$/, '').split('/')[0] as string;
        assert.ok(!ignored.includes(top) && !ignored.includes(source.replace(/\/$/, '')), `${source} is not ignored`);
      }
    }
  });
});

interface Started {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children = new Set<ChildProcess>();

/** Runs the entrypoint script itself (its shebang, its exec), as tini does in the image. */
function entrypoint(args: string[], env: Record<string, string>): Started {
  const clean: NodeJS.ProcessEnv = {
    PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    LOG_LEVEL: 'info',
    RATE_LIMIT_PER_MINUTE: '0',
    ...env,
  };
  // Its own process group, so teardown can kill whatever it started even if it did not exec.
  const child = spawn(ENTRYPOINT, args, { cwd: '/', env: clean, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.add(child);
  const started: Started = {
    child,
    stdout: '',
    stderr: '',
    // On 'close' (all output read), or shortly after 'exit' when something else still holds the
    // pipes (a process the script left behind).
    exit: new Promise((resolve) => {
      child.on('close', (code, signal) => resolve({ code, signal }));
      child.on('exit', (code, signal) => setTimeout(() => resolve({ code, signal }), 500).unref());
    }),
  };
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (started.stdout += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (started.stderr += c));
  return started;
}

async function waitFor<T>(what: string, p: Started, check: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = check();
    if (found !== undefined) return found;
    const exited = await Promise.race([p.exit, new Promise((r) => setTimeout(r, 50, undefined))]);
    if (exited) throw new Error(`exited ${JSON.stringify(exited)} before ${what}\n${p.stdout}\n${p.stderr}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${p.stdout}\n${p.stderr}`);
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms)),
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function logLines(p: Started): { msg?: string; url?: string; role?: string }[] {
  return p.stdout.split('\n').flatMap((l) => {
    try {
      return [JSON.parse(l) as { msg?: string; url?: string }];
    } catch {
      return [];
    }
  });
}

function runHealthcheck(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HEALTHCHECK], { env: { PORT: String(port) }, stdio: 'ignore' });
    child.on('close', (code) => resolve(code));
  });
}

/** The IPv4 address a listening TCP socket on `port` is bound to, from /proc/net/tcp (Linux). */
function listeningAddress(port: number): string | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const [, local, , state] = line.trim().split(/\s+/);
    const [ip, p] = (local ?? '').split(':');
    if (p === hexPort && state === '0A' && ip) {
      // Little-endian hex: 0100007F is 127.0.0.1.
      return (ip.match(/../g) ?? [])
        .map((b) => parseInt(b, 16))
        .reverse()
        .join('.');
    }
  }
  return undefined;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

// Decided before the tests are declared; throws in CI (CI=true) when PostgreSQL is unreachable.
const POSTGRES = await isPostgresAvailable();

// Independent checks run side by side; on PostgreSQL, `migrate` first, then the roles together.
describe('deploy/docker-entrypoint.sh', { concurrency: true }, () => {
  after(() => {
    for (const c of children) {
      try {
        if (c.pid) process.kill(-c.pid, 'SIGKILL');
      } catch {
        // The group is gone already.
      }
    }
  });

  test('is executable and refuses an unknown role with exit 2', async () => {
    assert.ok(fs.statSync(ENTRYPOINT).mode & 0o111, 'executable bit');
    const p = entrypoint(['serve'], {});
    assert.deepEqual(await withTimeout(p.exit, 10_000, 'exit'), { code: 2, signal: null });
    assert.match(p.stderr, /unknown role 'serve'/);
  });

  test('passes options to the CLI: --version prints the package version', async () => {
    const p = entrypoint(['--version'], {});
    assert.deepEqual(await withTimeout(p.exit, 30_000, '--version'), { code: 0, signal: null });
    const { version } = JSON.parse(readRepoFile('package.json')) as { version: string };
    assert.equal(p.stdout.trim(), version);
  });

  test('the healthcheck fails when nothing answers', async () => {
    assert.equal(await runHealthcheck(await freePort()), 1);
  });

  describe(
    'on PostgreSQL, as the scaled-out image runs',
    { concurrency: false, skip: POSTGRES ? false : 'PostgreSQL unavailable' },
    () => {
      const database = `switchyard_entrypoint_${randomBytes(5).toString('hex')}`;
      const admin = () => new pg.Client({ connectionString: TEST_ENV.postgresUrl, connectionTimeoutMillis: 3000 });
      let env: Record<string, string>;

      before(async () => {
        const c = admin();
        await c.connect();
        await c.query(`create database "${database}"`);
        await c.end();
        const url = new URL(TEST_ENV.postgresUrl);
        url.pathname = `/${database}`;
        env = { DATABASE_URL: url.toString(), SWITCHYARD_SECRET_KEY: randomBytes(32).toString('base64') };
      });
      after(async () => {
        const c = admin();
        await c.connect();
        await c.query(`drop database if exists "${database}" with (force)`);
        await c.end();
      });

      test('`migrate` migrates an empty database and exits 0', async () => {
        const p = entrypoint(['migrate'], { DATABASE_URL: env.DATABASE_URL as string });
        const exit = await withTimeout(p.exit, 60_000, 'migrate');
        assert.deepEqual(exit, { code: 0, signal: null }, p.stdout + p.stderr);
      });

      describe('after migrate, each role', { concurrency: true }, () => {
        test('`api` listens on every interface by default, is ready, exports the metrics the dashboards use, and drains on SIGTERM with exit 0', async () => {
          const p = entrypoint(['api'], { ...env, PORT: String(await freePort()) });
          const url = await waitFor(
            'the listening line',
            p,
            () => logLines(p).find((l) => l.msg?.startsWith('Switchyard listening on'))?.url,
          );
          const port = Number(new URL(url).port);
          // HOST defaults to 0.0.0.0 in the container, so it is reachable from outside it: the
          // kernel's table of listening sockets says which address it is bound to.
          assert.equal(listeningAddress(port), '0.0.0.0');
          const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
          assert.equal(ready.status, 200, await ready.text());
          assert.equal(await runHealthcheck(port), 0);

          // The metrics support.ts says the app exports are really there; the expected ones are not yet.
          const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
          const exported = new Set([...text.matchAll(/^# TYPE (\S+) \S+$/gm)].map((m) => m[1]));
          for (const name of [...EXPORTED_METRICS.histograms, ...EXPORTED_METRICS.others]) {
            assert.ok(exported.has(name), `the api exports ${name}`);
          }
          for (const name of [...EXPECTED_METRICS.histograms, ...EXPECTED_METRICS.others]) {
            assert.ok(
              !exported.has(name),
              `${name} is exported now: move it to EXPORTED_METRICS in test/deploy/support.ts`,
            );
          }

          // exec: the spawned pid is node itself, so the signal reaches it and its exit code is ours.
          p.child.kill('SIGTERM');
          assert.deepEqual(await withTimeout(p.exit, 20_000, 'drain'), { code: 0, signal: null }, p.stdout + p.stderr);
        });

        test('`worker` starts its role and stops cleanly on SIGTERM', async () => {
          const p = entrypoint(['worker'], env);
          await waitFor('the worker role', p, () => logLines(p).find((l) => l.msg === 'worker role started'));
          // Stopped once running (a SIGTERM during start-up waits for it; test/e2e/cli.test.ts covers that).
          await waitFor('the started line', p, () => logLines(p).find((l) => l.msg === 'Switchyard started'));
          p.child.kill('SIGTERM');
          assert.deepEqual(await withTimeout(p.exit, 20_000, 'stop'), { code: 0, signal: null }, p.stdout + p.stderr);
        });
      });
    },
  );
});
