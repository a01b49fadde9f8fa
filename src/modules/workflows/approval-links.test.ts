import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { createTestApp, describeEachBackend, type TestApp } from '../../../test/support/app.ts';
import { workflowClient } from '../../../test/support/workflows.ts';
import { listOutbox } from '../mail/index.ts';

const PUBLIC_URL = 'https://switchyard.example.test';

/** Ship on approval, stop on rejection; the approvers come from the trigger. */
const approvalWorkflow = (extra: Record<string, unknown> = {}) => ({
  trigger: { type: 'manual', config: {} },
  steps: [
    {
      id: 'ask',
      type: 'approval',
      config: {
        message: 'Ship {{ trigger.body.what }}?',
        notify: ['{{ trigger.body.approvers }}', 'Lead@Example.test'],
        ...extra,
      },
    },
    { id: 'ship', type: 'transform', config: { expression: '"shipped"' } },
    { id: 'stop', type: 'transform', config: { expression: '"stopped"' } },
  ],
  edges: [
    { from: 'ask', to: 'ship', when: 'approved' },
    { from: 'ask', to: 'stop', when: 'rejected' },
  ],
});

describeEachBackend('approval links', (getDb) => {
  let t: TestApp;
  let limited: TestApp;
  let c: ReturnType<typeof workflowClient>;

  before(async () => {
    t = await createTestApp(getDb(), { engine: {}, http: { publicUrl: PUBLIC_URL } });
    limited = await createTestApp(getDb(), { engine: { roles: [] }, http: { authRateLimitPerMinute: 3 } });
    c = workflowClient(t);
  });
  after(async () => {
    await t.app.close();
    await limited.app.close();
  });

  /** Starts a run that waits for `ask`, and returns the link token mailed to each address. */
  const waitingRun = async (approvers: string[], extra: Record<string, unknown> = {}) => {
    const wf = await c.create(approvalWorkflow(extra));
    const { runId } = await c.startRun(wf.id, { what: 'v2', approvers });
    const run = await c.waitForRun(runId, ['waiting', 'failed']);
    assert.equal(run.status, 'waiting', JSON.stringify(run));
    const mails = (await listOutbox(getDb().handle.db, { kind: 'approval_request', limit: 100 })).filter((m) =>
      m.text.includes(runId),
    );
    const tokens = new Map<string, string>();
    for (const m of mails) {
      const link = new RegExp(`${PUBLIC_URL}/approvals/(apl_[A-Za-z0-9_-]{43})`).exec(m.text);
      assert.ok(link?.[1], m.text);
      tokens.set(m.to, link[1]);
    }
    return { runId, run, tokens, mails, workflowId: wf.id };
  };
  const link = (method: 'GET' | 'POST', token: string, body?: unknown) => c.api(method, `/approvals/${token}`, body);
  /** A problem without what differs per request. */
  const shape = ({ requestId, instance, ...rest }: Record<string, unknown>) => {
    assert.ok(requestId && instance);
    return rest;
  };

  it('mails a link per recipient with the wait; GET shows it and decides nothing; POST approves once', async () => {
    const { runId, run, tokens, mails, workflowId } = await waitingRun(['ada@example.test']);
    assert.deepEqual([...tokens.keys()].sort(), ['ada@example.test', 'lead@example.test']);
    assert.equal(mails[0]?.subject, 'Approval needed: wf');
    assert.match(mails[0]?.text ?? '', /^Ship v2\?/);
    const ask = run.attempts.find((a) => a.stepId === 'ask');
    const waitState = ask?.waitState as { state: { notify: string[] } };
    assert.deepEqual(waitState.state.notify, ['ada@example.test', 'lead@example.test']);
    for (const token of tokens.values()) {
      assert.ok(!JSON.stringify(run).includes(token.slice(4)), 'the run never shows a token');
    }
    const ada = tokens.get('ada@example.test') ?? '';
    const lead = tokens.get('lead@example.test') ?? '';

    for (let i = 0; i < 2; i++) {
      const shown = await link('GET', ada);
      assert.equal(shown.status, 200, shown.raw);
      assert.equal(shown.headers['cache-control'], 'no-store');
      assert.deepEqual(
        { ...shown.body, expiresAt: undefined },
        {
          workflow: { id: workflowId, name: 'wf' },
          runId,
          stepId: 'ask',
          message: 'Ship v2?',
          recipient: 'ada@example.test',
          expiresAt: undefined,
        },
      );
      assert.ok(Date.parse(String(shown.body.expiresAt)) > Date.now() + 6 * 86_400_000);
    }
    assert.equal((await c.api('GET', `/api/v1/runs/${runId}`)).body.status, 'waiting', 'looking decided nothing');

    const decided = await link('POST', ada, { decision: 'approved', comment: 'go' });
    assert.equal(decided.status, 200, decided.raw);
    assert.deepEqual(decided.body, { runId, stepId: 'ask', decision: 'approved' });
    const done = await c.waitForRun(runId);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.output, 'shipped');
    const output = done.attempts.find((a) => a.stepId === 'ask')?.output as Record<string, unknown>;
    assert.equal(output.by, 'approval-link:ada@example.test');
    assert.equal(output.comment, 'go');

    // Single use: this link and every other link of the wait are dead, for GET and POST.
    for (const [token, method] of [
      [ada, 'POST'],
      [lead, 'POST'],
      [lead, 'GET'],
    ] as const) {
      const again = await link(method, token, method === 'POST' ? { decision: 'rejected' } : undefined);
      assert.equal(again.status, 404, `${method} ${again.raw}`);
      const unknown = await link(method, `apl_${'B'.repeat(43)}`, { decision: 'rejected' });
      assert.deepEqual(shape(again.body), shape(unknown.body), 'a used link answers as an unknown one');
    }

    const audit = await c.api('GET', `/api/v1/audit-logs?targetId=${runId}`);
    const entries = audit.body.data as { action: string; actor: { type: string; id: string } }[];
    assert.deepEqual(
      entries.map((e) => [e.action, e.actor.type, e.actor.id]),
      [['run.approval.approved', 'anonymous', 'approval-link:ada@example.test']],
    );
  });

  it('rejects through a link (audited), and a decision through the API kills the links', async () => {
    const first = await waitingRun([]);
    const rejected = await link('POST', first.tokens.get('lead@example.test') ?? '', { decision: 'rejected' });
    assert.equal(rejected.status, 200, rejected.raw);
    const run = await c.waitForRun(first.runId);
    assert.equal(run.output, 'stopped');
    const audit = await c.api('GET', `/api/v1/audit-logs?targetId=${first.runId}&action=run.approval.rejected`);
    assert.equal((audit.body.data as unknown[]).length, 1);

    const second = await waitingRun(['bo@example.test']);
    const viaApi = await c.api('POST', `/api/v1/runs/${second.runId}/approvals/ask`, { decision: 'approved' });
    assert.equal(viaApi.status, 200, viaApi.raw);
    for (const token of second.tokens.values()) {
      const dead = await link('POST', token, { decision: 'rejected' });
      assert.equal(dead.status, 404, dead.raw);
      assert.equal(dead.body.code, 'APPROVAL_LINK_NOT_FOUND');
    }
    assert.equal((await c.waitForRun(second.runId)).output, 'shipped');
  });

  it('refuses an expired link with 410, and unknown or malformed tokens with the same 404', async () => {
    const { runId, tokens } = await waitingRun(['cy@example.test']);
    await getDb().handle.db.execute(
      sql`update approval_links set expires_at = now() - interval '1 second' where run_id = ${runId}`,
    );
    for (const method of ['GET', 'POST'] as const) {
      const res = await link(method, tokens.get('cy@example.test') ?? '', { decision: 'approved' });
      assert.equal(res.status, 410, res.raw);
      assert.equal(res.body.code, 'APPROVAL_EXPIRED');
    }
    assert.equal((await c.api('GET', `/api/v1/runs/${runId}`)).body.status, 'waiting');

    const shapes = new Set<string>();
    for (const bogus of [`apl_${'A'.repeat(43)}`, 'apl_short', 'not-a-token', 'x'.repeat(150), '%00']) {
      for (const method of ['GET', 'POST'] as const) {
        const res = await link(method, bogus, { decision: 'approved' });
        assert.equal(res.status, 404, `${method} ${bogus}: ${res.raw}`);
        shapes.add(JSON.stringify(shape(res.body)));
      }
    }
    assert.equal(shapes.size, 1, [...shapes].join('\n'));
    assert.equal(JSON.parse([...shapes][0] ?? '{}').code, 'APPROVAL_LINK_NOT_FOUND');
  });

  it('refuses a malformed notify list at run time without retrying', async () => {
    const wf = await c.create(approvalWorkflow());
    const { runId } = await c.startRun(wf.id, { what: 'x', approvers: ['not an address'] });
    const run = await c.waitForRun(runId);
    assert.equal(run.status, 'failed');
    assert.equal((run.error as { code: string }).code, 'APPROVAL_NOTIFY_INVALID');
    const invalid = await c.api('POST', '/api/v1/workflows', {
      name: 'too many',
      definition: approvalWorkflow({ notify: Array.from({ length: 21 }, (_, i) => `p${i}@example.test`) }),
    });
    assert.equal(invalid.status, 400);
  });

  it('gives the public link routes the public-credential rate limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await limited.app.inject({ method: 'GET', url: `/approvals/apl_${i}` })).statusCode);
    }
    assert.deepEqual(statuses, [404, 404, 404, 429]);
    const refused = await limited.app.inject({ method: 'POST', url: '/approvals/apl_x', payload: {} });
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.json().code, 'AUTH_RATE_LIMITED');
  });
});
