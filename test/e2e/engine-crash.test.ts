import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, isPostgresAvailable, type TestDatabase } from '../support/databases.ts';
import {
  api,
  type CliProcess,
  cliEnv,
  killAll,
  makeDataDir,
  newSecretKey,
  removeDataDirs,
  signupHeaders,
  spawnCli,
  startReady,
} from './spawn.ts';

/**
 * Crash tests with real processes: an API, workers and a scheduler as separate `switchyard`
 * processes on one PostgreSQL (and `start` on PGlite). A step blocks on a local HTTP server
 * while we kill -9 or SIGSTOP the worker running it; the hits the server counts show which steps
 * ran, and how often.
 */

const LEASE_MS = 2_000;

interface BlockServer {
  url: string;
  port: number;
  hits: Map<string, number>;
  /** Resolves when `/block` has been hit `n` times. */
  blocked(n: number): Promise<void>;
  /** Lets every held and future `/block` request through. */
  release(): void;
  close(): Promise<void>;
}

async function blockServer(): Promise<BlockServer> {
  const hits = new Map<string, number>();
  const held: http.ServerResponse[] = [];
  let open = false;
  const waiters: (() => void)[] = [];
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    for (const w of waiters.splice(0)) w();
    if (path === '/block' && !open) {
      held.push(res);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path, n: hits.get(path) }));
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    hits,
    async blocked(n) {
      const end = Date.now() + 20_000;
      while ((hits.get('/block') ?? 0) < n) {
        if (Date.now() > end) throw new Error(`/block was hit ${hits.get('/block') ?? 0} times, not ${n}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
    },
    release() {
      open = true;
      for (const res of held.splice(0)) {
        if (!res.destroyed) res.writeHead(200, { 'content-type': 'application/json' }).end('{"released":true}');
      }
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const definition = (base: string) => ({
  trigger: { type: 'manual', config: {} },
  steps: [
    { id: 'one', type: 'http', config: { url: `${base}/one` } },
    { id: 'block', type: 'http', config: { url: `${base}/block`, timeoutMs: 60_000 }, timeoutMs: 60_000 },
    { id: 'three', type: 'http', config: { url: `${base}/three` } },
  ],
  edges: [
    { from: 'one', to: 'block' },
    { from: 'block', to: 'three' },
  ],
  settings: { retry: { maxAttempts: 3, backoffMs: 100, maxBackoffMs: 500 } },
});

interface RunView {
  status: string;
  attempts: {
    stepId: string;
    attempt: number;
    status: string;
    error: { code?: string } | null;
    workerId: string | null;
  }[];
}

async function waitForStatus(
  url: string,
  headers: Record<string, string>,
  runId: string,
  status: string,
  timeoutMs = 30_000,
) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const res = await api(url, 'GET', `/api/v1/runs/${runId}`, undefined, headers);
    const run = res.body as RunView;
    if (run.status === status) return run;
    if (Date.now() > end) throw new Error(`run ${runId} is ${run.status}, not ${status}: ${JSON.stringify(run)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startWorkflow(url: string, headers: Record<string, string>, base: string): Promise<string> {
  const created = await api(url, 'POST', '/api/v1/workflows', { name: 'crash', definition: definition(base) }, headers);
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = (created.body as { id: string }).id;
  const started = await api(url, 'POST', `/api/v1/workflows/${id}/runs`, { input: {} }, headers);
  assert.equal(started.status, 202, JSON.stringify(started.body));
  return (started.body as { runId: string }).runId;
}

const postgres = await isPostgresAvailable();

describe('engine crash recovery with real processes', () => {
  after(async () => {
    await killAll();
    removeDataDirs();
  });

  describe(
    'on PostgreSQL: api, workers and scheduler as separate processes',
    { skip: !postgres && 'PostgreSQL not reachable' },
    () => {
      let db: TestDatabase;
      let env: NodeJS.ProcessEnv;
      before(async () => {
        db = await createTestDatabase('postgres');
      });
      after(async () => {
        await killAll();
        await db?.dispose();
      });

      /** An api and a scheduler process on the test database, and a signed-up user. */
      const cluster = async (server: BlockServer) => {
        env = cliEnv({
          DATABASE_URL: db.url,
          SWITCHYARD_SECRET_KEY: newSecretKey(),
          SWITCHYARD_DATA_DIR: makeDataDir(),
          ENGINE_LEASE_MS: String(LEASE_MS),
          EGRESS_ALLOWLIST: `127.0.0.1:${server.port}`,
        });
        const { url } = await startReady(['api'], env);
        const scheduler = spawnCli(['scheduler'], env);
        await scheduler.waitForLog((l) => l.msg === 'scheduler role started', 'the scheduler to start');
        return { url, scheduler, headers: await signupHeaders(url) };
      };

      const worker = async (): Promise<CliProcess> => {
        const w = spawnCli(['worker'], env);
        await w.waitForLog((l) => l.msg === 'worker role started', 'the worker to start');
        return w;
      };

      it('finishes a run after kill -9 of the worker mid-step; committed steps ran once', async () => {
        const server = await blockServer();
        try {
          const { url, scheduler, headers } = await cluster(server);
          const w1 = await worker();
          const runId = await startWorkflow(url, headers, server.url);
          await server.blocked(1);
          await w1.kill(); // SIGKILL, mid-step
          server.release();
          const w2 = await worker();
          const run = await waitForStatus(url, headers, runId, 'succeeded');
          assert.equal(server.hits.get('/one'), 1, 'the committed first step was not executed again');
          assert.equal(server.hits.get('/block'), 2, 'the step in flight ran again');
          assert.equal(server.hits.get('/three'), 1);
          const block = run.attempts.filter((a) => a.stepId === 'block');
          assert.deepEqual(
            block.map((a) => [a.attempt, a.status, a.error?.code ?? null]),
            [
              [1, 'failed', 'WORKER_LOST'],
              [2, 'succeeded', null],
            ],
          );
          assert.ok(!run.attempts.some((a) => a.status === 'running'), 'nothing left running');
          await w2.kill();
          await scheduler.kill();
        } finally {
          await server.close();
        }
      });

      it('rejects the late result of a worker paused past its lease (SIGSTOP / SIGCONT)', async () => {
        const server = await blockServer();
        try {
          const { url, scheduler, headers } = await cluster(server);
          const w1 = await worker();
          const runId = await startWorkflow(url, headers, server.url);
          await server.blocked(1);
          w1.signal('SIGSTOP');
          const w2 = await worker();
          await server.blocked(2); // w2 took over the run after the lease expired
          server.release(); // both requests answer; only w2 can commit
          const run = await waitForStatus(url, headers, runId, 'succeeded');
          w1.signal('SIGCONT');
          await w1.waitForLog(
            (l) => /lease lost|no longer ours/.test(String(l.msg)),
            'w1 to notice its lost lease',
            15_000,
          );
          const after = (await api(url, 'GET', `/api/v1/runs/${runId}`, undefined, headers)).body as RunView;
          assert.deepEqual(after, run, 'the late result changed nothing');
          assert.equal(server.hits.get('/three'), 1, 'the next step ran once');
          assert.equal(run.attempts.filter((a) => a.stepId === 'block' && a.status === 'succeeded').length, 1);
          await Promise.all([w1.kill(), w2.kill(), scheduler.kill()]);
        } finally {
          await server.close();
        }
      });
    },
  );

  it('on PGlite: resumes a run after kill -9 of the whole embedded process', async () => {
    const server = await blockServer();
    try {
      const env = cliEnv({
        SWITCHYARD_DATA_DIR: makeDataDir(),
        ENGINE_LEASE_MS: String(LEASE_MS),
        EGRESS_ALLOWLIST: `127.0.0.1:${server.port}`,
      });
      const first = await startReady(['start'], env);
      const headers = await signupHeaders(first.url);
      const runId = await startWorkflow(first.url, headers, server.url);
      await server.blocked(1);
      await first.proc.kill();
      server.release();
      const second = await startReady(['start'], env);
      const run = await waitForStatus(second.url, headers, runId, 'succeeded');
      assert.equal(server.hits.get('/one'), 1);
      assert.equal(server.hits.get('/three'), 1);
      assert.ok(!run.attempts.some((a) => a.status === 'running'));
      await second.proc.kill();
    } finally {
      await server.close();
    }
  });
});
