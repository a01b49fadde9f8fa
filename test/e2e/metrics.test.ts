import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { cliEnv, killAll, makeDataDir, removeDataDirs, runCli, spawnCli } from './spawn.ts';

after(removeDataDirs);

describe('worker metrics listener', () => {
  after(killAll);

  test('the worker role serves /metrics on METRICS_PORT with its slots and the queue gauges, and stops on SIGTERM', async () => {
    const env = cliEnv({ SWITCHYARD_DATA_DIR: makeDataDir(), WORKER_CONCURRENCY: '3' });
    const migrated = await runCli(['migrate'], env, 90_000);
    assert.equal(migrated.code, 0, migrated.stdout + migrated.stderr);

    const worker = spawnCli(['worker'], env);
    // METRICS_PORT=0 (cliEnv): the started line says where the listener is.
    const started = await worker.waitForLog(
      (l) => l.msg === 'Switchyard started' && typeof l.metricsUrl === 'string',
      'the started line with the metrics URL',
      90_000,
    );
    const res = await fetch(started.metricsUrl as string);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await res.text();
    assert.match(text, /^switchyard_worker_concurrency 3$/m);
    assert.match(text, /^switchyard_queue_depth\{queue="runs"\} 0$/m);
    assert.match(text, /^# TYPE switchyard_runs_finished_total counter$/m);
    assert.match(text, /^# TYPE nodejs_eventloop_lag_p99_seconds gauge$/m);
    assert.equal((await fetch(new URL('/other', started.metricsUrl as string))).status, 404);

    worker.child.kill('SIGTERM');
    assert.deepEqual(await worker.waitForExit(20_000), { code: 0, signal: null }, worker.output());
  });
});
