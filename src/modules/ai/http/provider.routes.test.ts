import assert from 'node:assert/strict';
import { after, before, beforeEach, it } from 'node:test';
import { eq } from 'drizzle-orm';
import { createTestApp, describeEachBackend, type TestApp } from '../../../../test/support/app.ts';
import { auditLogs } from '../../audit/index.ts';
import { aiProviders } from '../ai.table.ts';
import { type FakeLlmServer, startFakeLlmServer } from '../testing/fake-llm-server.ts';

const KEY = 'sk-tenant-secret-0123456789abcdef';

describeEachBackend('AI provider API', (getDb) => {
  let server: FakeLlmServer;
  let t: TestApp;
  let other: TestApp;

  before(async () => {
    server = await startFakeLlmServer();
    // The fake model listens on loopback: reachable only because the operator allow-listed its origin.
    const ai = { allowedBaseUrls: [server.origin] };
    t = await createTestApp(getDb(), { ai });
    other = await createTestApp(getDb(), { ai });
  });
  after(async () => {
    await t.app.close();
    await other.app.close();
    await server.close();
  });
  beforeEach(() => server.reset());

  const put = (app: TestApp, payload: object) => app.app.inject({ method: 'PUT', url: '/api/v1/ai/provider', payload });

  it('falls back to the offline engine when neither the tenant nor the instance has a provider', async () => {
    const res = await t.app.inject({ url: '/api/v1/ai/provider' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().source, 'offline');
    assert.equal(res.json().kind, 'offline');
    assert.equal(res.json().hasKey, false);
  });

  it('stores the key sealed and never shows it: not in the answer, the read, the audit log or the logs', async () => {
    const saved = await put(t, {
      kind: 'openai-compatible',
      model: 'fake-model',
      baseUrl: `${server.origin}/v1`,
      apiKey: KEY,
    });
    assert.equal(saved.statusCode, 200, saved.body);
    assert.deepEqual(
      { ...(saved.json() as object), updatedAt: undefined },
      {
        source: 'tenant',
        kind: 'openai-compatible',
        model: 'fake-model',
        baseUrl: `${server.origin}/v1`,
        hasKey: true,
        updatedAt: undefined,
      },
    );
    const read = await t.app.inject({ url: '/api/v1/ai/provider' });
    assert.equal(read.json().source, 'tenant');
    assert.equal(read.json().hasKey, true);

    const [row] = await getDb().handle.db.select().from(aiProviders).where(eq(aiProviders.tenantId, t.tenantId));
    const sealed = row?.apiKeySealed ?? '';
    assert.ok(sealed.startsWith('v1.'), 'sealed with the key ring');
    assert.ok(!sealed.includes(KEY));

    const audit = await t.app.inject({ url: '/api/v1/audit-logs?targetType=ai_provider' });
    assert.equal(audit.statusCode, 200);
    assert.equal(audit.json().data[0].action, 'ai.provider_updated');
    assert.equal(audit.json().data[0].changes.after.hasKey, true);

    // The key does reach the provider, as a header.
    const tested = await t.app.inject({ method: 'POST', url: '/api/v1/ai/provider/test' });
    assert.equal(tested.json().ok, true, tested.body);
    assert.equal(tested.json().provider, 'tenant:openai-compatible');
    assert.equal(server.requests[0]?.headers.authorization, `Bearer ${KEY}`);

    const auditRows = await getDb().handle.db.select().from(auditLogs).where(eq(auditLogs.tenantId, t.tenantId));
    const everything = [saved.body, read.body, audit.body, tested.body, JSON.stringify(auditRows), ...t.logs.lines];
    for (const text of everything) assert.ok(!text.includes(KEY), `the key leaked into: ${text.slice(0, 200)}`);
  });

  it("keeps one tenant's provider away from another tenant", async () => {
    await put(t, { kind: 'openai-compatible', model: 'mine', baseUrl: `${server.origin}/v1`, apiKey: KEY });
    const seen = await other.app.inject({ url: '/api/v1/ai/provider' });
    assert.equal(seen.json().source, 'offline');
    const summary = await other.app.inject({
      method: 'POST',
      url: '/api/v1/ai/summarize',
      payload: { text: 'The invoice was paid on time. The customer is happy. Nothing else happened today.' },
    });
    assert.equal(summary.json().provider, 'offline');
    assert.equal(server.requests.length, 0, 'the other tenant never reached the first tenant’s provider');
  });

  it('refuses a base URL that resolves to a private or loopback address at save time', async () => {
    for (const baseUrl of ['http://10.1.2.3:8000/v1', 'http://127.0.0.1:9/v1', 'http://169.254.169.254/latest']) {
      const res = await put(other, { kind: 'openai-compatible', model: 'x', baseUrl });
      assert.equal(res.statusCode, 400, baseUrl);
      assert.equal(res.json().code, 'OUTBOUND_URL_FORBIDDEN', baseUrl);
    }
    // Only the exact allow-listed origin passes: the same host on another port does not.
    const sameHost = await put(other, {
      kind: 'openai-compatible',
      model: 'x',
      baseUrl: `http://127.0.0.1:${server.port + 1}/v1`,
    });
    assert.equal(sameHost.json().code, 'OUTBOUND_URL_FORBIDDEN');
    assert.equal((await other.app.inject({ url: '/api/v1/ai/provider' })).json().source, 'offline');
  });

  it('checks kind-specific needs: a key for OpenAI, a base URL for OpenAI-compatible servers', async () => {
    const noKey = await put(other, { kind: 'openai', model: 'gpt-4o-mini', baseUrl: `${server.origin}/v1` });
    assert.equal(noKey.statusCode, 400);
    assert.equal(noKey.json().code, 'AI_PROVIDER_CONFIG_INVALID');
    const noUrl = await put(other, { kind: 'openai-compatible', model: 'x' });
    assert.equal(noUrl.json().code, 'AI_PROVIDER_CONFIG_INVALID');
  });

  it('keeps the stored key when only the model changes, and asks for it again when the server changes', async () => {
    await put(t, { kind: 'openai', model: 'gpt-4o-mini', baseUrl: `${server.origin}/v1`, apiKey: KEY });
    const sameServer = await put(t, { kind: 'openai', model: 'gpt-4o', baseUrl: `${server.origin}/v1` });
    assert.equal(sameServer.statusCode, 200, sameServer.body);
    assert.equal(sameServer.json().hasKey, true);
    const moved = await put(t, { kind: 'openai', model: 'gpt-4o', baseUrl: `${server.origin}/other/v1` });
    assert.equal(moved.statusCode, 400);
    assert.equal(moved.json().code, 'AI_PROVIDER_CONFIG_INVALID');
  });

  it('reports a failing provider from the test route with its error code', async () => {
    await put(t, { kind: 'openai-compatible', model: 'fake-model', baseUrl: `${server.origin}/v1`, apiKey: KEY });
    server.script({ kind: 'status', status: 401, body: { error: { message: `bad key ${KEY}` } } });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/ai/provider/test' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().ok, false);
    assert.equal(res.json().error.code, 'AI_PROVIDER_AUTH_FAILED');
    assert.ok(!res.body.includes(KEY));
  });

  it('removes the provider: calls fall back to offline, and the removal is audited', async () => {
    await put(t, { kind: 'openai-compatible', model: 'fake-model', baseUrl: `${server.origin}/v1`, apiKey: KEY });
    const removed = await t.app.inject({ method: 'DELETE', url: '/api/v1/ai/provider' });
    assert.equal(removed.statusCode, 200);
    assert.equal(removed.json().source, 'offline');
    const again = await t.app.inject({ method: 'DELETE', url: '/api/v1/ai/provider' });
    assert.equal(again.statusCode, 200, 'idempotent');
    const audit = await t.app.inject({ url: '/api/v1/audit-logs?action=ai.provider_removed' });
    assert.equal(audit.json().data.length, 1);
    assert.equal(audit.json().data[0].changes.before.hasKey, true);
  });
});

describeEachBackend('AI permissions', (getDb) => {
  it('lets editors use AI but not configure it, and keeps viewers out of both', async () => {
    const editor = await createTestApp(getDb(), { as: 'editor' });
    const viewer = await createTestApp(getDb(), { as: 'viewer' });
    try {
      const body = { kind: 'ollama', model: 'llama3.2' };
      const editorPut = await editor.app.inject({ method: 'PUT', url: '/api/v1/ai/provider', payload: body });
      assert.equal(editorPut.statusCode, 403);
      assert.equal(editorPut.json().requiredPermission, 'ai:manage');
      const editorUse = await editor.app.inject({
        method: 'POST',
        url: '/api/v1/ai/classify',
        payload: { text: 'refund my payment', labels: [{ name: 'billing', examples: ['refund please'] }] },
      });
      assert.equal(editorUse.statusCode, 200);
      const viewerUse = await viewer.app.inject({
        method: 'POST',
        url: '/api/v1/ai/summarize',
        payload: { text: 'x' },
      });
      assert.equal(viewerUse.statusCode, 403);
      assert.equal(viewerUse.json().requiredPermission, 'ai:use');
    } finally {
      await editor.app.close();
      await viewer.app.close();
    }
  });
});
