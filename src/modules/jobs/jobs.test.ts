import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { createTestApp, describeEachBackend, TEST_OUTBOUND, type TestApp } from '../../../test/support/app.ts';
import type { TestDatabase } from '../../../test/support/databases.ts';
import { createOutboundFetch } from '../../platform/net/index.ts';
import { newId } from '../../platform/ids.ts';
import { JobCancelled, type JobHandler } from './handlers/handler.ts';
import { JOB_LIMITS } from './jobs.dto.ts';
import { createJobWorker, type JobWorker } from './worker.ts';

type Json = Record<string, unknown>;
interface Res {
  status: number;
  body: Json;
  headers: Record<string, unknown>;
  raw: string;
}

/** A local HTTP server for webhook notifications: answers per path as the test scripts it. */
async function startServer() {
  const hits = new Map<string, number>();
  const bodies: unknown[] = [];
  const script = new Map<string, number[]>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const n = (hits.get(path) ?? 0) + 1;
      hits.set(path, n);
      bodies.push(body ? JSON.parse(body) : null);
      const answers = script.get(path) ?? [200];
      const status = answers[Math.min(n, answers.length) - 1] ?? 200;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    hits,
    bodies,
    /** The statuses a path answers, in order; the last one repeats. */
    answer: (path: string, statuses: number[]) => script.set(path, statuses),
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    close: () => new Promise((r) => server.close(r)),
  };
}

const rows = async <T>(db: TestDatabase, query: ReturnType<typeof sql>) =>
  ((await db.handle.db.execute(query)) as unknown as { rows: T[] }).rows;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeEachBackend('jobs API', (getDb) => {
  let t: TestApp;
  let other: TestApp;
  let server: Awaited<ReturnType<typeof startServer>>;

  before(async () => {
    server = await startServer();
    t = await createTestApp(getDb(), { engine: {}, outbound: { allowlist: [`127.0.0.1:${server.port}`] } });
    // Another tenant on the same database; its jobs run on t's worker (workers cross tenants).
    other = await createTestApp(getDb(), { engine: { roles: [] } });
  });
  after(async () => {
    await other.app.close();
    await t.app.close();
    await server.close();
  });

  const api = async (
    method: 'GET' | 'POST' | 'PUT',
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
    app: TestApp = t,
  ): Promise<Res> => {
    const res = await app.app.inject({
      method,
      url,
      headers,
      ...(body === undefined ? {} : { payload: body as object }),
    });
    let parsed: Json;
    try {
      parsed = res.body ? (res.json() as Json) : {};
    } catch {
      parsed = {}; // a file download
    }
    return { status: res.statusCode, body: parsed, headers: res.headers, raw: res.body };
  };

  const create = async (body: Json, app: TestApp = t, headers: Record<string, string> = {}) => {
    const res = await api('POST', '/api/v1/jobs', body, headers, app);
    assert.equal(res.status, 201, res.raw);
    assert.equal(res.headers.location, `/api/v1/jobs/${String(res.body.id)}`);
    return res.body as Json & { id: string };
  };

  const FINAL = ['succeeded', 'failed', 'cancelled'];
  const waitFor = async (id: string, statuses = FINAL, app: TestApp = t, timeoutMs = 15_000) => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const res = await api('GET', `/api/v1/jobs/${id}`, undefined, {}, app);
      assert.equal(res.status, 200, res.raw);
      if (statuses.includes(res.body.status as string)) return res.body;
      if (Date.now() > end) {
        const warnings = t.logs.lines.filter((l) => /"level":(40|50)/.test(l)).slice(-5);
        assert.fail(`job ${id} still ${String(res.body.status)}: ${res.raw}\n${warnings.join('\n')}`);
      }
      await sleep(50);
    }
  };

  const jobCount = async (tenantId: string) =>
    Number(
      (await rows<{ n: number }>(getDb(), sql`select count(*)::int as n from jobs where tenant_id = ${tenantId}`))[0]
        ?.n,
    );

  it('process-data: a JSONata expression over JSON and over CSV records', async () => {
    const json = await create({
      type: 'process-data',
      payload: { format: 'json', data: [{ n: 1 }, { n: 2 }, { n: 3 }], expression: '$sum(data.n)' },
    });
    assert.equal(json.status, 'queued');
    assert.equal(json.attempts, 0);
    const csv = await create({
      type: 'process-data',
      payload: {
        format: 'csv',
        data: 'name,qty\nbolt,2\n"nut, hex",3\n',
        expression: '{"total": $sum(data.$number(qty)), "names": data.name}',
      },
    });
    const a = await waitFor(json.id);
    assert.equal(a.status, 'succeeded', JSON.stringify(a));
    assert.equal(a.result, 6);
    assert.equal(a.progress, 100);
    assert.equal(a.attempts, 1);
    assert.equal(a.error, null);
    assert.ok(a.startedAt && a.finishedAt);
    const b = await waitFor(csv.id);
    assert.deepEqual(b.result, { total: 5, names: ['bolt', 'nut, hex'] });
  });

  it('process-data: an expression failing at run time fails the job at once with its code', async () => {
    const job = await create({
      type: 'process-data',
      payload: { format: 'json', data: { a: 'x' }, expression: '$number(data.a) + $undefinedFn()' },
    });
    const done = await waitFor(job.id);
    assert.equal(done.status, 'failed');
    assert.equal(done.attempts, 1, 'an expression error is not retried');
    assert.equal((done.error as Json).code, 'EXPRESSION_RUNTIME');
  });

  it('send-notification by email: one outbox entry, written with the job’s success', async () => {
    const job = await create({
      type: 'send-notification',
      payload: { channel: 'email', to: 'Ops@Example.com', subject: 'Nightly import', text: 'All done.\n' },
    });
    const done = await waitFor(job.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    const result = done.result as { channel: string; emailId: string };
    assert.equal(result.channel, 'email');
    const outbox = await rows<{ tenant_id: string; to_address: string; subject: string; kind: string }>(
      getDb(),
      sql`select tenant_id, to_address, subject, kind from email_outbox where id = ${result.emailId}`,
    );
    assert.deepEqual(outbox, [
      { tenant_id: t.tenantId, to_address: 'ops@example.com', subject: 'Nightly import', kind: 'job_notification' },
    ]);
  });

  it('send-notification by webhook: 200 succeeds; 500 then 200 retries; 400 fails without retry', async () => {
    server.answer('/ok', [200]);
    server.answer('/flaky', [500, 200]);
    server.answer('/bad', [400]);
    const ok = await create({
      type: 'send-notification',
      payload: { channel: 'webhook', url: server.url('/ok'), body: { hello: 'world' } },
    });
    const flaky = await create({
      type: 'send-notification',
      payload: { channel: 'webhook', url: server.url('/flaky'), body: { n: 1 } },
    });
    const bad = await create({
      type: 'send-notification',
      payload: { channel: 'webhook', url: server.url('/bad'), body: [] },
      maxAttempts: 5,
    });

    const a = await waitFor(ok.id);
    assert.equal(a.status, 'succeeded', JSON.stringify(a));
    assert.deepEqual(a.result, { channel: 'webhook', status: 200 });
    assert.ok(server.bodies.some((b) => JSON.stringify(b) === '{"hello":"world"}'));

    const b = await waitFor(flaky.id);
    assert.equal(b.status, 'succeeded', JSON.stringify(b));
    assert.equal(b.attempts, 2);
    assert.equal(server.hits.get('/flaky'), 2);

    const c = await waitFor(bad.id);
    assert.equal(c.status, 'failed');
    assert.equal(c.attempts, 1, 'a 4xx is permanent');
    assert.equal((c.error as Json).code, 'NOTIFICATION_WEBHOOK_REJECTED');
    assert.equal(server.hits.get('/bad'), 1);
  });

  it('send-notification to a private address not on the allow-list fails with OUTBOUND_URL_FORBIDDEN', async () => {
    const job = await create({
      type: 'send-notification',
      payload: { channel: 'webhook', url: 'http://169.254.169.254/latest/meta-data', body: {} },
    });
    const done = await waitFor(job.id);
    assert.equal(done.status, 'failed');
    assert.equal((done.error as Json).code, 'OUTBOUND_URL_FORBIDDEN');
    assert.equal(done.attempts, 1);
  });

  it('retries a failed job: a new message, attempts from zero; only failed or cancelled jobs retry', async () => {
    server.answer('/later', [404]);
    const job = await create({
      type: 'send-notification',
      payload: { channel: 'webhook', url: server.url('/later'), body: { try: true } },
    });
    const failed = await waitFor(job.id);
    assert.equal(failed.status, 'failed');

    server.answer('/later', [200]);
    const retried = await api('POST', `/api/v1/jobs/${job.id}/retry`);
    assert.equal(retried.status, 200, retried.raw);
    assert.equal(retried.body.status, 'queued');
    assert.equal(retried.body.attempts, 0);
    assert.equal(retried.body.error, null);
    const done = await waitFor(job.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.attempts, 1);
    assert.equal(server.hits.get('/later'), 2);

    const again = await api('POST', `/api/v1/jobs/${job.id}/retry`);
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 'JOB_NOT_RETRYABLE');
    const audit = await api('GET', `/api/v1/audit-logs?targetId=${job.id}`);
    assert.deepEqual(
      (audit.body.data as { action: string }[]).map((e) => e.action),
      ['job.retried', 'job.failed', 'job.created'],
    );
  });

  it('cancels a delayed job: its message leaves the queue and it never runs; it can be retried', async () => {
    const runAt = new Date(Date.now() + 3_600_000).toISOString();
    const job = await create({
      type: 'process-data',
      payload: { format: 'json', data: [1, 2], expression: '$count(data)' },
      runAt,
    });
    assert.equal(job.runAt, runAt);
    const [row] = await rows<{ message_id: string | null }>(
      getDb(),
      sql`select message_id from jobs where id = ${job.id}`,
    );
    assert.ok(row?.message_id, 'the job was enqueued');
    const queued = await rows(getDb(), sql`select id from queue_jobs where id = ${row.message_id}`);
    assert.equal(queued.length, 1, 'a delayed message waits in the queue');

    const cancelled = await api('POST', `/api/v1/jobs/${job.id}/cancel`);
    assert.equal(cancelled.status, 200, cancelled.raw);
    assert.equal(cancelled.body.status, 'cancelled');
    assert.ok(cancelled.body.finishedAt);
    assert.deepEqual(await rows(getDb(), sql`select id from queue_jobs where id = ${row.message_id}`), []);

    const twice = await api('POST', `/api/v1/jobs/${job.id}/cancel`);
    assert.equal(twice.status, 409);
    assert.equal(twice.body.code, 'JOB_NOT_CANCELLABLE');

    const retried = await api('POST', `/api/v1/jobs/${job.id}/retry`);
    assert.equal(retried.status, 200);
    const done = await waitFor(job.id);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.result, 2);
  });

  it('Idempotency-Key: the same key in the same tenant returns the first job (200), once audited', async () => {
    const body = { type: 'cleanup', payload: { dryRun: true } };
    const key = { 'idempotency-key': `nightly-cleanup-${newId('job')}` };
    const first = await api('POST', '/api/v1/jobs', body, key);
    assert.equal(first.status, 201, first.raw);
    assert.equal(first.body.idempotencyKey, key['idempotency-key']);
    const second = await api('POST', '/api/v1/jobs', { ...body, priority: 7 }, key);
    assert.equal(second.status, 200, second.raw);
    assert.equal(second.body.id, first.body.id);
    assert.equal(second.headers['idempotent-replayed'], 'true');
    assert.equal(second.body.priority, 0, 'the first job, not the second body');

    const elsewhere = await api('POST', '/api/v1/jobs', body, key, other);
    assert.equal(elsewhere.status, 201, 'keys are per tenant');
    assert.notEqual(elsewhere.body.id, first.body.id);

    const audit = await api('GET', `/api/v1/audit-logs?targetId=${String(first.body.id)}`);
    assert.equal((audit.body.data as unknown[]).length, 1);

    const tooLong = await api('POST', '/api/v1/jobs', body, { 'idempotency-key': 'k'.repeat(201) });
    assert.equal(tooLong.status, 400);
    assert.equal(tooLong.body.code, 'VALIDATION_FAILED');
    await waitFor(String(first.body.id));
    await waitFor(String(elsewhere.body.id), FINAL, other);
  });

  it('refuses bad input with a 400 and a stable code, writing nothing', async () => {
    const before = await jobCount(t.tenantId);
    const refuse = async (body: unknown, code: string, status = 400) => {
      const res = await api('POST', '/api/v1/jobs', body);
      assert.equal(res.status, status, `${JSON.stringify(body).slice(0, 200)} → ${res.raw.slice(0, 300)}`);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
      assert.equal(res.body.code, code, res.raw.slice(0, 300));
      return res.body;
    };
    const unknown = await refuse({ type: 'mine-bitcoin', payload: {} }, 'JOB_TYPE_UNKNOWN');
    assert.deepEqual(
      (unknown.issues as { path: string }[]).map((i) => i.path),
      ['body.type'],
    );
    await refuse({ payload: {} }, 'JOB_TYPE_UNKNOWN');
    const expr = await refuse(
      { type: 'process-data', payload: { format: 'json', data: [], expression: '$sum(' } },
      'JOB_EXPRESSION_INVALID',
    );
    assert.equal((expr.issues as { path: string }[])[0]?.path, 'body.payload.expression');
    const big = await refuse(
      {
        type: 'process-data',
        payload: { format: 'csv', data: `a\n${'1\n'.repeat(JOB_LIMITS.csvMaxBytes / 2)}`, expression: 'data' },
      },
      'JOB_PAYLOAD_INVALID',
    );
    assert.equal((big.issues as { path: string }[])[0]?.path, 'body.payload.data');
    await refuse(
      {
        type: 'process-data',
        payload: { format: 'json', data: { big: 'x'.repeat(JOB_LIMITS.jsonDataMaxBytes) }, expression: 'data' },
      },
      'JOB_PAYLOAD_INVALID',
    );
    await refuse(
      { type: 'process-data', payload: { format: 'csv', data: 'a,b\n1,2,3\n', expression: 'data' } },
      'JOB_PAYLOAD_INVALID',
    );
    await refuse(
      { type: 'process-data', payload: { format: 'csv', data: '__proto__\n1\n', expression: 'data' } },
      'JOB_PAYLOAD_INVALID',
    );
    await refuse(
      { type: 'process-data', payload: { format: 'xml', data: '<a/>', expression: 'data' } },
      'JOB_PAYLOAD_INVALID',
    );
    await refuse(
      { type: 'send-notification', payload: { channel: 'email', to: 'not-an-address', subject: 's', text: 't' } },
      'JOB_PAYLOAD_INVALID',
    );
    await refuse(
      {
        type: 'send-notification',
        payload: { channel: 'email', to: 'a@b.co', subject: 'x\r\nBcc: all@b.co', text: 't' },
      },
      'JOB_PAYLOAD_INVALID',
    );
    await refuse(
      { type: 'send-notification', payload: { channel: 'webhook', url: 'file:///etc/passwd', body: {} } },
      'JOB_PAYLOAD_INVALID',
    );
    await refuse({ type: 'generate-report', payload: { source: 'users', format: 'csv' } }, 'JOB_PAYLOAD_INVALID');
    await refuse(
      {
        type: 'generate-report',
        payload: { source: 'items', format: 'csv', from: '2025-02-01T00:00:00Z', to: '2025-01-01T00:00:00Z' },
      },
      'JOB_PAYLOAD_INVALID',
    );
    await refuse({ type: 'cleanup', payload: { dryRun: 'yes' } }, 'JOB_PAYLOAD_INVALID');
    await refuse({ type: 'cleanup', payload: {}, priority: 101 }, 'VALIDATION_FAILED');
    await refuse({ type: 'cleanup', payload: {}, maxAttempts: 0 }, 'VALIDATION_FAILED');
    await refuse({ type: 'cleanup', payload: {}, runAt: '2999-01-01T00:00:00Z' }, 'VALIDATION_FAILED');
    await refuse({ type: 'cleanup', payload: {}, colour: 'red' }, 'VALIDATION_FAILED');
    await refuse(
      {
        type: 'process-data',
        payload: { format: 'csv', data: 'x'.repeat(JOB_LIMITS.createBodyMaxBytes), expression: 'data' },
      },
      'PAYLOAD_TOO_LARGE',
      413,
    );
    assert.equal(await jobCount(t.tenantId), before, 'no refused request wrote a job');

    const badId = await api('GET', '/api/v1/jobs/itm_00000000000000000000000000');
    assert.equal(badId.status, 400);
    const missing = await api('GET', '/api/v1/jobs/job_00000000000000000000000000');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, 'JOB_NOT_FOUND');
    assert.equal((await api('POST', '/api/v1/jobs/job_00000000000000000000000000/cancel')).body.code, 'JOB_NOT_FOUND');
  });

  it('lists jobs newest first, filtered by status and type, paginated, without payloads', async () => {
    const lister = await createTestApp(getDb(), { engine: { roles: [] } });
    try {
      // Distinct creation times, so "newest first" has one answer.
      const a = await create(
        { type: 'process-data', payload: { format: 'json', data: 1, expression: 'data' } },
        lister,
      );
      await sleep(3);
      const b = await create(
        {
          type: 'process-data',
          payload: { format: 'json', data: 2, expression: 'data' },
          runAt: new Date(Date.now() + 3_600_000).toISOString(),
        },
        lister,
      );
      await sleep(3);
      const c = await create({ type: 'cleanup', payload: { dryRun: true } }, lister);
      await waitFor(a.id, FINAL, lister);
      await waitFor(c.id, FINAL, lister);
      const list = async (query: string) => {
        const res = await api('GET', `/api/v1/jobs${query}`, undefined, {}, lister);
        assert.equal(res.status, 200, res.raw);
        return res.body as { data: Json[]; nextCursor: string | null };
      };
      const ids = (l: { data: Json[] }) => l.data.map((j) => j.id);

      assert.deepEqual(ids(await list('')), [c.id, b.id, a.id]);
      assert.deepEqual(ids(await list('?type=process-data')), [b.id, a.id]);
      assert.deepEqual(ids(await list('?status=queued')), [b.id]);
      assert.deepEqual(ids(await list('?status=succeeded&type=cleanup')), [c.id]);
      assert.deepEqual(ids(await list('?status=succeeded&status=queued&type=process-data')), [b.id, a.id]);
      const all = await list('');
      assert.ok(
        all.data.every((j) => !('payload' in j) && !('result' in j)),
        'summaries only',
      );

      const page1 = await list('?limit=2');
      assert.deepEqual(ids(page1), [c.id, b.id]);
      assert.ok(page1.nextCursor);
      const page2 = await list(`?limit=2&cursor=${page1.nextCursor}`);
      assert.deepEqual(ids(page2), [a.id]);
      assert.equal(page2.nextCursor, null);

      assert.equal((await api('GET', '/api/v1/jobs?status=done', undefined, {}, lister)).status, 400);
      assert.equal((await api('GET', '/api/v1/jobs?cursor=bm9wZQ', undefined, {}, lister)).body.code, 'INVALID_CURSOR');
      // Another tenant's job is not there.
      assert.equal((await api('GET', `/api/v1/jobs/${a.id}`)).status, 404);

      const stats = await api('GET', '/api/v1/stats', undefined, {}, lister);
      assert.equal(stats.status, 200, stats.raw);
      assert.deepEqual(stats.body.jobs, {
        total: 3,
        byStatus: { queued: 1, running: 0, succeeded: 2, failed: 0, cancelled: 0 },
      });
      assert.deepEqual(stats.body.runs, {
        total: 0,
        byStatus: { queued: 0, running: 0, waiting: 0, succeeded: 0, failed: 0, cancelled: 0 },
      });
    } finally {
      await lister.app.close();
    }
  });

  it('generate-report: CSV and JSON files of items in a period, downloadable only in the tenant', async () => {
    const reporter = await createTestApp(getDb(), { engine: { roles: [] } });
    try {
      for (const item of [
        { name: 'Invoice 1', tags: ['finance', 'q1'] },
        { name: '=HYPERLINK("http://evil")', status: 'draft' },
        { name: 'Plain, with comma' },
      ]) {
        assert.equal((await api('POST', '/api/v1/items', item, {}, reporter)).status, 201);
      }
      const csvJob = await create({ type: 'generate-report', payload: { source: 'items', format: 'csv' } }, reporter);
      const jsonJob = await create(
        {
          type: 'generate-report',
          payload: { source: 'items', format: 'json', from: new Date(Date.now() - 3_600_000).toISOString() },
        },
        reporter,
      );
      const emptyJob = await create(
        { type: 'generate-report', payload: { source: 'runs', format: 'csv', to: '2000-01-01T00:00:00Z' } },
        reporter,
      );

      const csvDone = await waitFor(csvJob.id, FINAL, reporter);
      assert.equal(csvDone.status, 'succeeded', JSON.stringify(csvDone));
      const result = csvDone.result as { fileId: string; rows: number; bytes: number; downloadUrl: string };
      assert.equal(result.rows, 3);
      assert.equal(result.downloadUrl, `/api/v1/files/${result.fileId}`);
      const file = await api('GET', result.downloadUrl, undefined, {}, reporter);
      assert.equal(file.status, 200);
      assert.equal(file.headers['content-type'], 'text/csv; charset=utf-8');
      assert.match(String(file.headers['content-disposition']), /^attachment; filename="items-report-job_\w+\.csv"$/);
      assert.equal(Buffer.byteLength(file.raw), result.bytes);
      const lines = file.raw.trim().split('\n');
      assert.equal(lines[0], 'id,name,status,tags,createdAt,updatedAt');
      assert.equal(lines.length, 4);
      assert.ok(
        lines.some((l) => l.includes(`"'=HYPERLINK(""http://evil"")"`)),
        'formulas are neutralised',
      );
      assert.ok(lines.some((l) => l.includes('"Plain, with comma"')));
      assert.ok(lines.some((l) => l.includes('"finance,q1"')));

      const jsonDone = await waitFor(jsonJob.id, FINAL, reporter);
      const jsonFile = await api(
        'GET',
        (jsonDone.result as { downloadUrl: string }).downloadUrl,
        undefined,
        {},
        reporter,
      );
      assert.equal(jsonFile.headers['content-type'], 'application/json; charset=utf-8');
      const parsed = JSON.parse(jsonFile.raw) as Json[];
      assert.equal(parsed.length, 3);
      assert.deepEqual(Object.keys(parsed[0] ?? {}), ['id', 'name', 'status', 'tags', 'createdAt', 'updatedAt']);
      assert.deepEqual(parsed.find((r) => r.name === 'Invoice 1')?.tags, ['finance', 'q1']);

      const emptyDone = await waitFor(emptyJob.id, FINAL, reporter);
      assert.equal((emptyDone.result as { rows: number }).rows, 0);
      const emptyFile = await api(
        'GET',
        (emptyDone.result as { downloadUrl: string }).downloadUrl,
        undefined,
        {},
        reporter,
      );
      assert.equal(emptyFile.raw, 'id,workflowId,version,status,triggerType,createdAt,finishedAt\n');

      const elsewhere = await api('GET', result.downloadUrl);
      assert.equal(elsewhere.status, 404, 'another tenant cannot download it');
      assert.equal(elsewhere.body.code, 'FILE_NOT_FOUND');
      assert.equal((await api('GET', '/api/v1/files/not-a-file')).status, 400);
    } finally {
      await reporter.app.close();
    }
  });

  it('cleanup: deletes finished runs, jobs, files and audit entries past retention; dryRun only counts', async () => {
    const cleaner = await createTestApp(getDb(), { engine: { roles: [] } });
    const db = getDb();
    try {
      const tenant = cleaner.tenantId;
      const wf = await api(
        'POST',
        '/api/v1/workflows',
        {
          name: 'wf',
          definition: {
            trigger: { type: 'manual', config: {} },
            steps: [{ id: 'a', type: 'transform', config: { expression: '1' } }],
            edges: [],
          },
        },
        {},
        cleaner,
      );
      assert.equal(wf.status, 201, wf.raw);
      const run = async (status: string, ageDays: number) => {
        const id = newId('run');
        const finished = ['succeeded', 'failed', 'cancelled'].includes(status);
        // A lease held for a day keeps the engine's sweeper away from the live ones.
        await db.handle.db.execute(sql`
          insert into runs (id, tenant_id, workflow_id, version, status, trigger_type, input, created_at, finished_at,
            lease_until)
          values (${id}, ${tenant}, ${String(wf.body.id)}, 1, ${status}, 'manual', '{}'::jsonb,
            now() - make_interval(days => ${ageDays}::int),
            case when ${finished}::boolean then now() - make_interval(days => ${ageDays}::int) end,
            case when ${finished}::boolean then null else now() + interval '1 day' end)`);
        return id;
      };
      const oldRuns = [await run('succeeded', 40), await run('failed', 31), await run('cancelled', 90)];
      const keptRuns = [await run('succeeded', 5), await run('running', 60), await run('waiting', 45)];

      const oldJob = await create(
        { type: 'process-data', payload: { format: 'json', data: 1, expression: 'data' } },
        cleaner,
      );
      const newJob = await create(
        { type: 'process-data', payload: { format: 'json', data: 2, expression: 'data' } },
        cleaner,
      );
      await waitFor(oldJob.id, FINAL, cleaner);
      await waitFor(newJob.id, FINAL, cleaner);
      await db.handle.db.execute(sql`update jobs set created_at = now() - interval '40 days',
        finished_at = now() - interval '40 days' where id = ${oldJob.id}`);
      const fileId = newId('fil');
      await db.handle.db.execute(sql`insert into files (id, tenant_id, name, content_type, size, content, created_at)
        values (${fileId}, ${tenant}, 'old.csv', 'text/csv', 1, '\\x41'::bytea, now() - interval '40 days')`);
      await db.handle.db.execute(sql`update audit_logs set created_at = now() - interval '400 days'
        where tenant_id = ${tenant} and target_id = ${oldJob.id}`);
      // Another tenant's old rows are not this cleanup's business.
      await db.handle.db.execute(sql`update audit_logs set created_at = now() - interval '400 days'
        where tenant_id = ${other.tenantId}`);
      const otherAudit = Number(
        (
          await rows<{ n: number }>(
            db,
            sql`select count(*)::int as n from audit_logs where tenant_id = ${other.tenantId}`,
          )
        )[0]?.n,
      );
      assert.ok(otherAudit > 0);

      const stats = await api('GET', '/api/v1/stats', undefined, {}, cleaner);
      assert.deepEqual(stats.body.runs, {
        total: 6,
        byStatus: { queued: 0, running: 1, waiting: 1, succeeded: 2, failed: 1, cancelled: 1 },
      });

      const dry = await create({ type: 'cleanup', payload: { dryRun: true } }, cleaner);
      const dryDone = await waitFor(dry.id, FINAL, cleaner);
      assert.equal(dryDone.status, 'succeeded', JSON.stringify(dryDone));
      const expected = { runs: 3, jobs: 1, files: 1, auditLogs: 1 };
      assert.deepEqual(dryDone.result, {
        dryRun: true,
        retentionDays: { runs: 30, jobs: 30, auditLogs: 365 },
        deleted: expected,
      });
      const runCount = async () =>
        Number(
          (await rows<{ n: number }>(db, sql`select count(*)::int as n from runs where tenant_id = ${tenant}`))[0]?.n,
        );
      assert.equal(await runCount(), 6, 'a dry run deletes nothing');

      const real = await create({ type: 'cleanup', payload: {} }, cleaner);
      const realDone = await waitFor(real.id, FINAL, cleaner);
      assert.equal(realDone.status, 'succeeded', JSON.stringify(realDone));
      assert.deepEqual((realDone.result as Json).deleted, expected);
      assert.deepEqual(
        (await rows<{ id: string }>(db, sql`select id from runs where tenant_id = ${tenant} order by id`)).map(
          (r) => r.id,
        ),
        [...keptRuns].sort(),
      );
      assert.ok(oldRuns.every((id) => !keptRuns.includes(id)));
      assert.equal((await api('GET', `/api/v1/jobs/${oldJob.id}`, undefined, {}, cleaner)).status, 404);
      assert.equal((await api('GET', `/api/v1/jobs/${newJob.id}`, undefined, {}, cleaner)).status, 200);
      assert.equal((await api('GET', `/api/v1/files/${fileId}`, undefined, {}, cleaner)).status, 404);
      const purged = await api('GET', '/api/v1/audit-logs?action=retention.purged', undefined, {}, cleaner);
      assert.equal((purged.body.data as unknown[]).length, 1);
      assert.equal(
        Number(
          (
            await rows<{ n: number }>(
              db,
              sql`select count(*)::int as n from audit_logs where tenant_id = ${other.tenantId}`,
            )
          )[0]?.n,
        ),
        otherAudit,
        'another tenant keeps its audit log',
      );
    } finally {
      await cleaner.app.close();
    }
  });

  it('documents the jobs routes in a valid OpenAPI document', async () => {
    const doc = (await api('GET', '/openapi.json')).body as { paths: Record<string, Json> };
    for (const path of [
      '/api/v1/jobs',
      '/api/v1/jobs/{id}',
      '/api/v1/jobs/{id}/retry',
      '/api/v1/jobs/{id}/cancel',
      '/api/v1/files/{id}',
    ])
      assert.ok(doc.paths[path], path);
    const validator = new Validator();
    const result = await validator.validate(doc as never);
    assert.deepEqual(result.errors ?? [], []);
  });
});

describeEachBackend('job worker', (getDb) => {
  let t: TestApp;
  let worker: JobWorker;
  let started: () => void = () => undefined;
  let finishedWith: unknown;

  /** A process-data stand-in that works in chunks until it is told to stop. */
  const slow: JobHandler = async (_payload, ctx) => {
    started();
    for (let i = 0; i < 400; i++) {
      try {
        await ctx.checkpoint(i / 4);
      } catch (err) {
        finishedWith = err;
        throw err;
      }
      await sleep(25);
    }
    return { result: 'finished' };
  };

  before(async () => {
    // Routes without the runtime's own worker: the worker under test is the only consumer.
    t = await createTestApp(getDb(), { engine: { roles: [] } });
    const queue = t.workflows?.queue;
    assert.ok(queue);
    worker = createJobWorker({
      db: getDb().handle.db,
      queue,
      logger: pino({ level: 'silent' }),
      fetch: createOutboundFetch(TEST_OUTBOUND),
      handlers: { 'process-data': slow },
      progressIntervalMs: 50,
    });
    worker.start(2);
  });
  after(async () => {
    await worker.stop(2_000);
    await t.app.close();
  });

  it('cancels a running job: the handler stops at its next checkpoint and nothing is stored', async () => {
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/jobs',
      payload: { type: 'process-data', payload: { format: 'json', data: 1, expression: 'data' } },
    });
    assert.equal(res.statusCode, 201, res.body);
    const id = (res.json() as { id: string }).id;
    await running;
    // Progress becomes visible while it runs.
    for (const end = Date.now() + 10_000; ;) {
      const job = (await t.app.inject({ url: `/api/v1/jobs/${id}` })).json() as Json;
      if (job.status === 'running' && Number(job.progress) > 0) break;
      assert.ok(Date.now() < end, `no progress: ${JSON.stringify(job)}`);
      await sleep(25);
    }
    const cancelled = await t.app.inject({ method: 'POST', url: `/api/v1/jobs/${id}/cancel` });
    assert.equal(cancelled.statusCode, 200, cancelled.body);
    for (const end = Date.now() + 10_000; finishedWith === undefined;) {
      assert.ok(Date.now() < end, 'the handler noticed the cancel');
      await sleep(25);
    }
    assert.ok(finishedWith instanceof JobCancelled);
    const job = (await t.app.inject({ url: `/api/v1/jobs/${id}` })).json() as Json;
    assert.equal(job.status, 'cancelled');
    assert.equal(job.result, null);
    assert.equal(job.error, null);
  });
});
