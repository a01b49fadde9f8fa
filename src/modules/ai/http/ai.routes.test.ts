import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createTestApp, describeEachBackend, type TestApp } from '../../../../test/support/app.ts';
import { type FakeLlmServer, startFakeLlmServer } from '../testing/fake-llm-server.ts';

const TEXT =
  'Acme Corp shipped the new billing system on 3 March 2025. Customers can now pay invoices online. ' +
  'The rollout cost $45,000 and took six weeks. Support tickets about payments fell by a third. ' +
  'The team plans a mobile app next quarter.';

const LABELS = [
  { name: 'billing', description: 'invoices, payments, refunds', examples: ['I was charged twice'] },
  { name: 'shipping', description: 'deliveries and parcels', examples: ['my parcel is late'] },
];

/** Reads a text/event-stream body into events, as they arrive. */
async function readEvents(res: Response, onEvent?: (e: { event: string; data: unknown }) => void) {
  const events: { event: string; data: unknown }[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null') as unknown;
      events.push({ event, data });
      onEvent?.({ event, data });
    }
  }
  return events;
}

describeEachBackend('AI API, offline', (getDb) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(getDb());
  });
  after(() => t.app.close());

  it('summarises and classifies with the offline engine, and says so', async () => {
    const summary = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ai/summarize',
      payload: { text: TEXT, maxSentences: 2 },
    });
    assert.equal(summary.statusCode, 200, summary.body);
    assert.equal(summary.json().provider, 'offline');
    assert.deepEqual(summary.json().usage, { inputTokens: 0, outputTokens: 0 });
    assert.equal(summary.json().sentences.length, 2);

    const classified = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ai/classify',
      payload: { text: 'I was charged twice for one invoice, please refund', labels: LABELS },
    });
    assert.equal(classified.statusCode, 200, classified.body);
    assert.equal(classified.json().label, 'billing');
    assert.equal(classified.json().provider, 'offline');
  });

  it('refuses generation and extraction with 422 AI_PROVIDER_REQUIRED, streamed or not', async () => {
    const generate = await t.app.inject({ method: 'POST', url: '/api/v1/ai/generate', payload: { prompt: 'Hi' } });
    assert.equal(generate.statusCode, 422);
    assert.equal(generate.json().code, 'AI_PROVIDER_REQUIRED');
    assert.match(generate.headers['content-type'] as string, /application\/problem\+json/);
    const streamed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ai/generate',
      headers: { accept: 'text/event-stream' },
      payload: { prompt: 'Hi' },
    });
    assert.equal(streamed.statusCode, 422, 'a refusal before the first delta keeps its status');
    assert.equal(streamed.json().code, 'AI_PROVIDER_REQUIRED');
    const extract = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ai/extract',
      payload: { text: TEXT, schema: { type: 'object', properties: { company: { type: 'string' } } } },
    });
    assert.equal(extract.statusCode, 422);
  });

  it('validates every input with bounds, listing the problems', async () => {
    const cases: [string, object][] = [
      ['/api/v1/ai/summarize', { text: '' }],
      ['/api/v1/ai/summarize', { text: 'x', maxSentences: 50 }],
      ['/api/v1/ai/classify', { text: 'x', labels: [] }],
      ['/api/v1/ai/generate', { prompt: 'a', messages: [{ role: 'user', content: 'b' }] }],
      ['/api/v1/ai/generate', {}],
      ['/api/v1/ai/extract', { text: 'x', schema: deep(20) }],
      ['/api/v1/ai/summarize', { text: 'x', extra: true }],
    ];
    for (const [url, payload] of cases) {
      const res = await t.app.inject({ method: 'POST', url, payload });
      assert.equal(res.statusCode, 400, `${url} ${JSON.stringify(payload)}: ${res.body}`);
      assert.equal(res.json().code, 'VALIDATION_FAILED');
      assert.ok(res.json().issues.length > 0);
    }
  });
});

const deep = (n: number): object => (n === 0 ? { type: 'string' } : { type: 'object', properties: { a: deep(n - 1) } });

describeEachBackend('AI API with a provider', (getDb) => {
  let server: FakeLlmServer;
  let t: TestApp;
  let url: string;
  before(async () => {
    server = await startFakeLlmServer();
    // Through the instance outbound allow-list this time (OUTBOUND_ALLOWLIST), as the http step is.
    t = await createTestApp(getDb(), { outbound: { allowlist: [`127.0.0.1:${server.port}`] } });
    const put = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/ai/provider',
      payload: { kind: 'openai', model: 'gpt-4o-mini', baseUrl: `${server.origin}/v1`, apiKey: 'sk-test' },
    });
    assert.equal(put.statusCode, 200, put.body);
    url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await t.app.close();
    await server.close();
  });
  beforeEach(() => server.reset());

  it('answers each operation through the provider, saying who answered and what it used', async () => {
    server.script({ kind: 'text', text: 'A short summary.', usage: { input: 120, output: 9 } });
    const summary = await t.app.inject({ method: 'POST', url: '/api/v1/ai/summarize', payload: { text: TEXT } });
    assert.equal(summary.statusCode, 200, summary.body);
    assert.deepEqual(summary.json(), {
      summary: 'A short summary.',
      provider: 'tenant:openai',
      kind: 'openai',
      model: 'gpt-4o-mini',
      usage: { inputTokens: 120, outputTokens: 9 },
    });

    server.script({ kind: 'text', text: '{"label":"billing","confidence":0.9}' });
    const classified = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ai/classify',
      payload: { text: 'charged twice', labels: LABELS },
    });
    assert.equal(classified.json().label, 'billing');
    assert.equal(classified.json().confidence, 0.9);

    server.script({ kind: 'text', text: '{"company":"Acme Corp","cost":45000}' });
    const extracted = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ai/extract',
      payload: {
        text: TEXT,
        schema: {
          type: 'object',
          properties: { company: { type: 'string' }, cost: { type: 'number' } },
          required: ['company', 'cost'],
        },
      },
    });
    assert.equal(extracted.statusCode, 200, extracted.body);
    assert.deepEqual(extracted.json().data, { company: 'Acme Corp', cost: 45000 });

    server.script({ kind: 'text', text: 'Hello there.' });
    const generated = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ai/generate',
      payload: { system: 'Be brief.', messages: [{ role: 'user', content: 'Greet me' }], maxOutputTokens: 50 },
    });
    assert.equal(generated.json().text, 'Hello there.');
    assert.equal(generated.json().finishReason, 'stop');
    assert.equal(server.requests.at(-1)?.body.max_tokens, 50);
  });

  it('streams a generation over HTTP as delta events, then done, as the model produces it', async () => {
    server.script({
      kind: 'text',
      text: 'one two three four',
      chunks: ['one ', 'two ', 'three ', 'four'],
      chunkDelayMs: 40,
    });
    const started = Date.now();
    const res = await fetch(`${url}/api/v1/ai/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ prompt: 'Count' }),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.ok(res.headers.get('x-request-id'));
    let firstDeltaAt = 0;
    const events = await readEvents(res, (e) => {
      if (e.event === 'delta' && !firstDeltaAt) firstDeltaAt = Date.now();
    });
    const doneAt = Date.now();
    assert.deepEqual(
      events.filter((e) => e.event === 'delta').map((e) => (e.data as { text: string }).text),
      ['one ', 'two ', 'three ', 'four'],
    );
    const done = events.at(-1);
    assert.equal(done?.event, 'done');
    assert.deepEqual(done?.data, {
      provider: 'tenant:openai',
      kind: 'openai',
      model: 'gpt-4o-mini',
      usage: { inputTokens: 11, outputTokens: 7 },
      finishReason: 'stop',
    });
    assert.ok(doneAt - firstDeltaAt >= 80, `deltas arrived as produced, not in one piece (${doneAt - started} ms)`);
  });

  it('ends a broken stream with an error event carrying the problem document', async () => {
    server.script({
      kind: 'raw',
      contentType: 'text/event-stream',
      body: 'data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\ndata: {not json\n\n',
    });
    const res = await fetch(`${url}/api/v1/ai/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ prompt: 'Hi' }),
    });
    const events = await readEvents(res);
    const last = events.at(-1);
    assert.equal(last?.event, 'error', JSON.stringify(events));
    assert.equal((last?.data as { code: string }).code, 'AI_PROVIDER_BAD_RESPONSE');
    assert.equal((last?.data as { status: number }).status, 502);
  });

  it('maps provider failures to statuses: 429 with Retry-After, 502, 401 from the provider as 503', async () => {
    server.script({ kind: 'status', status: 429, headers: { 'retry-after': '120' } });
    const limited = await t.app.inject({ method: 'POST', url: '/api/v1/ai/generate', payload: { prompt: 'x' } });
    assert.equal(limited.statusCode, 429);
    assert.equal(limited.json().code, 'AI_PROVIDER_RATE_LIMITED');
    assert.ok(Number(limited.headers['retry-after']) >= 119, JSON.stringify(limited.headers));

    server.script({ kind: 'raw', body: '{"choices": "nope"' });
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/ai/generate', payload: { prompt: 'x' } });
    assert.equal(bad.statusCode, 502);
    assert.equal(bad.json().code, 'AI_PROVIDER_BAD_RESPONSE');

    server.script({ kind: 'status', status: 401 });
    const auth = await t.app.inject({ method: 'POST', url: '/api/v1/ai/generate', payload: { prompt: 'x' } });
    assert.equal(auth.statusCode, 503);
    assert.equal(auth.json().code, 'AI_PROVIDER_AUTH_FAILED');
  });
});

describe('AI API with the instance provider', () => {
  describeEachBackend('instance', (getDb) => {
    let server: FakeLlmServer;
    let t: TestApp;
    before(async () => {
      server = await startFakeLlmServer();
      t = await createTestApp(getDb(), {
        ai: {
          provider: {
            kind: 'anthropic',
            model: 'claude-3-5-haiku-latest',
            baseUrl: `${server.origin}/v1`,
            apiKey: 'k',
          },
          timeoutMs: 300,
        },
      });
    });
    after(async () => {
      await t.app.close();
      await server.close();
    });

    it('uses the instance provider (its own URL needs no allow-listing) and times out with 504', async () => {
      const shown = await t.app.inject({ url: '/api/v1/ai/provider' });
      assert.deepEqual(
        { source: shown.json().source, kind: shown.json().kind, baseUrl: shown.json().baseUrl },
        { source: 'instance', kind: 'anthropic', baseUrl: null },
      );
      server.script({ kind: 'text', text: 'Hi from Claude.' });
      const ok = await t.app.inject({ method: 'POST', url: '/api/v1/ai/generate', payload: { prompt: 'hi' } });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(ok.json().provider, 'instance:anthropic');
      assert.equal(server.requests[0]?.protocol, 'anthropic');

      server.script({ kind: 'text', text: 'late', delayMs: 2_000 });
      const slow = await t.app.inject({ method: 'POST', url: '/api/v1/ai/generate', payload: { prompt: 'hi' } });
      assert.equal(slow.statusCode, 504);
      assert.equal(slow.json().code, 'AI_PROVIDER_TIMEOUT');
    });
  });
});
