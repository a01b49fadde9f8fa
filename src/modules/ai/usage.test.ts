import assert from 'node:assert/strict';
import { after, before, beforeEach, it } from 'node:test';
import { eq } from 'drizzle-orm';
import { createTestApp, describeEachBackend, type TestApp } from '../../../test/support/app.ts';
import { aiUsage } from './ai.table.ts';
import { type FakeLlmServer, startFakeLlmServer } from './testing/fake-llm-server.ts';

describeEachBackend('AI usage and budgets', (getDb) => {
  let server: FakeLlmServer;
  let t: TestApp;
  // The clock the AI runtime sees: usage and budgets are per UTC month.
  let now = new Date('2026-03-31T23:59:00Z');

  before(async () => {
    server = await startFakeLlmServer();
    t = await createTestApp(getDb(), { ai: { allowedBaseUrls: [server.origin] }, now: () => now });
    const put = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/ai/provider',
      payload: { kind: 'openai', model: 'gpt-4o-mini', baseUrl: `${server.origin}/v1`, apiKey: 'sk-x' },
    });
    assert.equal(put.statusCode, 200, put.body);
  });
  after(async () => {
    await t.app.close();
    await server.close();
  });
  beforeEach(() => server.reset());

  const generate = () => t.app.inject({ method: 'POST', url: '/api/v1/ai/generate', payload: { prompt: 'hi' } });

  it('records every call per day, provider and model, priced from the table, and offline calls at zero', async () => {
    server.setDefault({ kind: 'text', text: 'ok', usage: { input: 1_000_000, output: 500_000 } });
    assert.equal((await generate()).statusCode, 200);
    assert.equal((await generate()).statusCode, 200);
    // Sentiment, keywords, entities and language always run offline, even with a provider.
    const doc = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ai/analyze-document',
      payload: { text: 'We are delighted with the service. Payment of $40 is due on 2026-04-01.' },
    });
    assert.equal(doc.statusCode, 200, doc.body);

    const rows = await getDb().handle.db.select().from(aiUsage).where(eq(aiUsage.tenantId, t.tenantId));
    const byModel = Object.fromEntries(rows.map((r) => [`${r.provider} ${r.model}`, r]));
    const paid = byModel['tenant:openai gpt-4o-mini'];
    // Two generations and the document summary: 3 calls of 1M input and 0.5M output tokens.
    assert.equal(paid?.calls, 3);
    assert.equal(paid?.inputTokens, 3_000_000);
    assert.equal(paid?.day, '2026-03-31');
    // gpt-4o-mini: $0.15 per 1M input, $0.60 per 1M output → $0.45 per call.
    assert.equal(paid?.costMicrousd, 3 * 450_000);
    const offline = Object.values(byModel).find((r) => r.provider === 'offline');
    assert.equal(offline?.calls, 4, 'entities, keywords, language and sentiment');
    assert.equal(offline?.costMicrousd, 0);
  });

  it('shows the month in stats and /ai/usage, and counts calls and tokens in the metrics without tenant ids', async () => {
    const stats = (await t.app.inject({ url: '/api/v1/stats' })).json();
    assert.equal(stats.ai.month, '2026-03');
    assert.equal(stats.ai.calls, 7);
    assert.equal(stats.ai.costUsd, 1.35);
    const paid = stats.ai.byModel.find((m: { model: string }) => m.model === 'gpt-4o-mini');
    assert.deepEqual(
      { calls: paid.calls, costUsd: paid.costUsd, priced: paid.priced },
      { calls: 3, costUsd: 1.35, priced: true },
    );
    const usage = (await t.app.inject({ url: '/api/v1/ai/usage' })).json();
    assert.equal(usage.inputTokens, 3_000_000);
    assert.deepEqual(usage.limits, { monthlyTokenLimit: null, monthlyCostLimitUsd: null });

    const metrics = (await t.app.inject({ url: '/metrics' })).body;
    assert.match(metrics, /switchyard_ai_calls_total\{provider="openai",model="gpt-4o-mini",outcome="ok"\} 3/);
    assert.match(metrics, /switchyard_ai_calls_total\{provider="offline",model="offline",outcome="ok"\} 4/);
    assert.match(metrics, /switchyard_ai_tokens_total\{direction="input"\} 3000000/);
    assert.match(metrics, /switchyard_ai_tokens_total\{direction="output"\} 1500000/);
    assert.ok(!metrics.includes(t.tenantId), 'no tenant id in any label');
  });

  it('labels failures with their code and models nobody priced as "other"', async () => {
    server.script({ kind: 'status', status: 500 }, { kind: 'status', status: 500 }, { kind: 'status', status: 500 });
    assert.equal((await generate()).statusCode, 503);
    // A tenant may type any model name: unpriced names share one label, so series stay bounded.
    const custom = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/ai/provider',
      payload: { kind: 'openai-compatible', model: 'my-own-finetune-7', baseUrl: `${server.origin}/v1`, apiKey: null },
    });
    assert.equal(custom.statusCode, 200, custom.body);
    assert.equal((await generate()).statusCode, 200);
    const metrics = (await t.app.inject({ url: '/metrics' })).body;
    assert.match(
      metrics,
      /switchyard_ai_calls_total\{provider="openai",model="gpt-4o-mini",outcome="AI_PROVIDER_UNAVAILABLE"\} 1/,
    );
    assert.match(metrics, /switchyard_ai_calls_total\{provider="openai-compatible",model="other",outcome="ok"\} 1/);
    assert.ok(!metrics.includes('my-own-finetune-7'));
    const usage = (await t.app.inject({ url: '/api/v1/ai/usage' })).json();
    const unpriced = usage.byModel.find((m: { model: string }) => m.model === 'my-own-finetune-7');
    assert.deepEqual({ priced: unpriced.priced, costUsd: unpriced.costUsd }, { priced: false, costUsd: 0 });
  });

  it('refuses calls once the month is over budget, before reaching the provider, until the next month', async () => {
    const set = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/settings/ai.monthlyCostLimitUsd',
      payload: { value: 1 },
    });
    assert.equal(set.statusCode, 200, set.body);
    const before = server.requests.length;
    const refused = await generate();
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.json().code, 'AI_BUDGET_EXCEEDED');
    assert.equal(refused.json().limit, 'cost');
    assert.equal(refused.json().resetsAt, '2026-04-01T00:00:00.000Z');
    assert.equal(refused.headers['retry-after'], '60');
    const summary = await t.app.inject({ method: 'POST', url: '/api/v1/ai/summarize', payload: { text: 'Hello.' } });
    assert.equal(summary.json().code, 'AI_BUDGET_EXCEEDED', 'every operation is metered');
    assert.equal(server.requests.length, before, 'no request reached the provider');

    // A token limit works the same way; lifting the cost limit alone is not enough.
    await t.app.inject({ method: 'DELETE', url: '/api/v1/settings/ai.monthlyCostLimitUsd' });
    await t.app.inject({ method: 'PUT', url: '/api/v1/settings/ai.monthlyTokenLimit', payload: { value: 4_000_000 } });
    assert.equal((await generate()).json().limit, 'tokens');

    // A new month starts from zero.
    now = new Date('2026-04-01T00:00:01Z');
    server.script({ kind: 'text', text: 'fresh month' });
    const fresh = await generate();
    assert.equal(fresh.statusCode, 200, fresh.body);
    assert.equal((await t.app.inject({ url: '/api/v1/ai/usage' })).json().calls, 1);
  });
});
