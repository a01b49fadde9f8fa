import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { isAppError } from '../../platform/errors.ts';
import type { AiProvider } from './provider.ts';
import type { ProviderConfigInput } from './provider-config.ts';
import { createAiOutboundFetch } from './provider-fetch.ts';
import { createSdkProvider } from './sdk-provider.ts';
import { startFakeLlmServer, type FakeLlmServer } from './testing/fake-llm-server.ts';

const KEY = 'sk-test-secret-key-123456';

/** Asserts an AppError with this code, and that the API key appears nowhere in it. */
async function rejectsWith(p: Promise<unknown>, code: string, check?: (e: Record<string, unknown>) => void) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isAppError(err), `expected an AppError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.ok(!JSON.stringify({ m: err.message, e: err.extra }).includes(KEY), 'the API key leaked');
    check?.({ ...err.extra, message: err.message, kind: err.kind });
    return true;
  });
}

describe('AI SDK providers against a local model server', () => {
  let server: FakeLlmServer;
  let make: (config: Partial<ProviderConfigInput> & Pick<ProviderConfigInput, 'kind'>) => AiProvider;

  before(async () => {
    server = await startFakeLlmServer();
    // Reaching 127.0.0.1 works only because the operator allow-list says so, as for the http step.
    const fetch = createAiOutboundFetch({ allowlist: [`127.0.0.1:${server.port}`] });
    make = (config) =>
      createSdkProvider(
        {
          id: 'test',
          model: 'fake-model',
          apiKey: KEY,
          baseUrl: config.kind === 'ollama' ? `${server.origin}/api` : `${server.origin}/v1`,
          retryBaseDelayMs: 20,
          ...config,
        },
        { fetch },
      );
  });
  after(() => server.close());
  beforeEach(() => server.reset());

  for (const kind of ['openai', 'openai-compatible', 'anthropic', 'ollama'] as const) {
    it(`${kind}: generates text and reports provider, model, usage and finish reason`, async () => {
      server.script({
        kind: 'text',
        text: 'Paris is the capital.',
        model: 'fake-model-2026',
        usage: { input: 21, output: 5 },
      });
      const r = await make({ kind }).generate({ system: 'Be brief.', prompt: 'Capital of France?' });
      assert.deepEqual(
        { text: r.text, provider: r.provider, kind: r.kind, usage: r.usage, finish: r.finishReason },
        {
          text: 'Paris is the capital.',
          provider: 'test',
          kind,
          usage: { inputTokens: 21, outputTokens: 5 },
          finish: 'stop',
        },
      );
      // Ollama's adapter reports the requested model; the others report what the server said.
      assert.equal(r.model, kind === 'ollama' ? 'fake-model' : 'fake-model-2026');
      assert.equal(server.requests.length, 1);
      const req = server.requests[0];
      assert.equal(req?.protocol, kind === 'anthropic' ? 'anthropic' : kind === 'ollama' ? 'ollama' : 'openai');
      assert.equal(req?.body.model, 'fake-model');
      assert.match(JSON.stringify(req?.body), /Capital of France\?/);
      assert.match(JSON.stringify(req?.body), /Be brief\./);
      if (kind === 'anthropic') assert.equal(req?.headers['x-api-key'], KEY);
      else assert.equal(req?.headers.authorization, `Bearer ${KEY}`);
    });

    it(`${kind}: streams text deltas, then the full result with usage`, async () => {
      server.script({
        kind: 'text',
        text: 'one two three',
        chunks: ['one ', 'two ', 'three'],
        usage: { input: 9, output: 3 },
        finish: 'length',
      });
      const s = make({ kind }).stream({ prompt: 'Count.' });
      const deltas: string[] = [];
      for await (const d of s) deltas.push(d);
      assert.deepEqual(deltas, ['one ', 'two ', 'three']);
      const r = await s.result;
      assert.equal(r.text, 'one two three');
      assert.deepEqual(r.usage, { inputTokens: 9, outputTokens: 3 });
      assert.equal(r.finishReason, 'length');
      assert.equal(server.requests[0]?.stream, true);
    });
  }

  it('sends a bounded max_tokens with every request', async () => {
    await make({ kind: 'openai-compatible', maxOutputTokens: 256 }).generate({ prompt: 'hi', maxOutputTokens: 10_000 });
    await make({ kind: 'anthropic', maxOutputTokens: 256 }).generate({ prompt: 'hi', maxOutputTokens: 100 });
    assert.equal(server.requests[0]?.body.max_tokens, 256);
    assert.equal(server.requests[1]?.body.max_tokens, 100);
  });

  it('waits out a 429 with Retry-After, then succeeds (two requests, about a second apart)', async () => {
    server.script({ kind: 'status', status: 429, headers: { 'retry-after': '1' } }, { kind: 'text', text: 'ok now' });
    const started = Date.now();
    const r = await make({ kind: 'openai-compatible' }).generate({ prompt: 'hi' });
    assert.equal(r.text, 'ok now');
    assert.equal(server.requests.length, 2);
    assert.ok(Date.now() - started >= 950, `retried after ${Date.now() - started} ms`);
  });

  it('retries a 500 (and a 503 from Anthropic) with back-off, then succeeds', async () => {
    server.script({ kind: 'status', status: 500 }, { kind: 'text', text: 'recovered' });
    assert.equal((await make({ kind: 'openai' }).generate({ prompt: 'hi' })).text, 'recovered');
    assert.equal(server.requests.length, 2);
    server.reset();
    server.script({ kind: 'status', status: 503 }, { kind: 'status', status: 503 }, { kind: 'text', text: 'third' });
    assert.equal((await make({ kind: 'anthropic' }).generate({ prompt: 'hi' })).text, 'third');
    assert.equal(server.requests.length, 3);
  });

  it('gives up after maxRetries with AI_PROVIDER_RATE_LIMITED carrying retryAfterMs', async () => {
    server.setDefault({ kind: 'status', status: 429, headers: { 'retry-after': '0' } });
    await rejectsWith(
      make({ kind: 'openai-compatible', maxRetries: 2 }).generate({ prompt: 'hi' }),
      'AI_PROVIDER_RATE_LIMITED',
      (e) => {
        assert.equal(e.kind, 'rate_limited');
        assert.equal(e.retryAfterMs, 0);
        assert.equal(e.providerMessage, 'Rate limit reached, slow down.');
      },
    );
    assert.equal(server.requests.length, 3);
  });

  it('does not sleep through a Retry-After longer than its wait budget: one request, fails at once', async () => {
    server.setDefault({ kind: 'status', status: 429, headers: { 'retry-after': '3600' } });
    const started = Date.now();
    await rejectsWith(
      make({ kind: 'anthropic', maxRetryWaitMs: 5000 }).generate({ prompt: 'hi' }),
      'AI_PROVIDER_RATE_LIMITED',
      (e) => assert.equal(e.retryAfterMs, 3_600_000),
    );
    assert.equal(server.requests.length, 1);
    assert.ok(Date.now() - started < 1000);
  });

  it('maps 401 to AI_PROVIDER_AUTH_FAILED and 400 to AI_PROVIDER_REJECTED, without retrying', async () => {
    server.script({ kind: 'status', status: 401, body: { error: { message: `Incorrect API key provided: ${KEY}` } } });
    await rejectsWith(make({ kind: 'openai' }).generate({ prompt: 'hi' }), 'AI_PROVIDER_AUTH_FAILED', (e) =>
      assert.match(String(e.providerMessage), /Incorrect API key provided: \[redacted\]/),
    );
    server.script({ kind: 'status', status: 400, body: { error: { message: 'model not found' } } });
    await rejectsWith(make({ kind: 'openai-compatible' }).generate({ prompt: 'hi' }), 'AI_PROVIDER_REJECTED', (e) => {
      assert.equal(e.kind, 'invalid');
      assert.equal(e.status, 400);
    });
    assert.equal(server.requests.length, 2);
  });

  it('reports malformed JSON as AI_PROVIDER_BAD_RESPONSE (generate and stream)', async () => {
    for (const kind of ['openai-compatible', 'anthropic', 'ollama'] as const) {
      server.script({ kind: 'raw', body: '{"id": "x", "choices": [ {' });
      await rejectsWith(make({ kind }).generate({ prompt: 'hi' }), 'AI_PROVIDER_BAD_RESPONSE');
    }
    server.script({
      kind: 'raw',
      contentType: 'text/event-stream',
      body: 'data: {"choices": [ nope\n\ndata: [DONE]\n\n',
    });
    const s = make({ kind: 'openai-compatible' }).stream({ prompt: 'hi' });
    await rejectsWith(
      (async () => {
        for await (const _ of s) void _;
      })(),
      'AI_PROVIDER_BAD_RESPONSE',
    );
    await rejectsWith(s.result, 'AI_PROVIDER_BAD_RESPONSE');
  });

  it('times out a slow provider with AI_PROVIDER_TIMEOUT', async () => {
    server.script({ kind: 'text', text: 'too late', delayMs: 3000 });
    const started = Date.now();
    await rejectsWith(
      make({ kind: 'openai-compatible', timeoutMs: 300 }).generate({ prompt: 'hi' }),
      'AI_PROVIDER_TIMEOUT',
    );
    assert.ok(Date.now() - started < 2000);
  });

  it('the timeout also cuts short a Retry-After sleep', async () => {
    server.script({ kind: 'status', status: 429, headers: { 'retry-after': '5' } });
    const started = Date.now();
    await rejectsWith(
      make({ kind: 'openai-compatible', timeoutMs: 400 }).generate({ prompt: 'hi' }),
      'AI_PROVIDER_TIMEOUT',
    );
    assert.ok(Date.now() - started < 2000);
    assert.equal(server.requests.length, 1);
  });

  it("passes the caller's abort through unchanged", async () => {
    server.script({ kind: 'text', text: 'slow', delayMs: 3000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(
      make({ kind: 'openai' }).generate({ prompt: 'hi', signal: controller.signal }),
      (err: unknown) => {
        assert.equal((err as Error).name, 'AbortError');
        return true;
      },
    );
  });

  it('bounds the response: bytes on the wire and characters of text, streamed or not', async () => {
    const big = 'x'.repeat(50_000);
    server.script({ kind: 'text', text: big });
    await rejectsWith(
      make({ kind: 'openai-compatible', maxResponseBytes: 4096 }).generate({ prompt: 'hi' }),
      'AI_OUTPUT_TOO_LARGE',
    );
    server.script({ kind: 'text', text: big, chunks: big.match(/.{1,1000}/g) ?? [] });
    const s = make({ kind: 'anthropic', maxResponseBytes: 4096 }).stream({ prompt: 'hi' });
    await rejectsWith(
      (async () => {
        for await (const _ of s) void _;
      })(),
      'AI_OUTPUT_TOO_LARGE',
    );
    server.script({ kind: 'text', text: big, chunks: big.match(/.{1,1000}/g) ?? [] });
    const t = make({ kind: 'openai', maxOutputChars: 2500 }).stream({ prompt: 'hi' });
    let received = 0;
    await rejectsWith(
      (async () => {
        for await (const d of t) received += d.length;
      })(),
      'AI_OUTPUT_TOO_LARGE',
    );
    assert.ok(received <= 2500);
  });

  it('refuses a request with neither prompt nor messages, from generate and from stream', async () => {
    await rejectsWith(make({ kind: 'openai' }).generate({}), 'AI_REQUEST_INVALID');
    const s = make({ kind: 'openai' }).stream({ messages: [] });
    await rejectsWith(
      (async () => {
        for await (const _ of s) void _;
      })(),
      'AI_REQUEST_INVALID',
    );
    await rejectsWith(s.result, 'AI_REQUEST_INVALID');
    assert.equal(server.requests.length, 0);
  });

  it('stopping a stream early cancels it; result says so', async () => {
    server.script({ kind: 'text', text: 'a b c d e f', chunks: ['a ', 'b ', 'c ', 'd ', 'e ', 'f'] });
    const s = make({ kind: 'openai-compatible' }).stream({ prompt: 'hi' });
    for await (const d of s) {
      assert.equal(d, 'a ');
      break;
    }
    await assert.rejects(s.result, (err: unknown) => (err as Error).name === 'AbortError');
  });
});

describe('AI providers and the SSRF guard', () => {
  let server: FakeLlmServer;
  before(async () => {
    server = await startFakeLlmServer();
  });
  after(() => server.close());

  it('refuses a base URL on loopback, private or metadata addresses unless allow-listed; nothing is sent', async () => {
    const fetch = createAiOutboundFetch(
      { allowlist: [] },
      // Names resolve without DNS: internal.example points into the private network.
      { lookup: async (host) => [{ address: host === 'internal.example' ? '10.1.2.3' : '93.184.216.34', family: 4 }] },
    );
    const urls = [
      `${server.origin}/v1`,
      'http://169.254.169.254/v1',
      'http://[::ffff:127.0.0.1]:11434/api',
      'http://internal.example/v1',
    ];
    for (const baseUrl of urls) {
      for (const kind of ['openai-compatible', 'ollama'] as const) {
        const provider = createSdkProvider({ id: 't', kind, model: 'm', baseUrl, maxRetries: 0 }, { fetch });
        await rejectsWith(provider.generate({ prompt: 'hi' }), 'OUTBOUND_URL_FORBIDDEN');
        const s = provider.stream({ prompt: 'hi' });
        await rejectsWith(
          (async () => {
            for await (const _ of s) void _;
          })(),
          'OUTBOUND_URL_FORBIDDEN',
        );
      }
    }
    assert.equal(server.requests.length, 0);
  });

  it('rejects an unusable configuration, listing every problem', () => {
    assert.throws(
      () =>
        createSdkProvider({ id: 't', kind: 'openai-compatible', model: 'm', timeoutMs: 5 } as never, {
          fetch: globalThis.fetch,
        }),
      (err: unknown) => {
        assert.ok(isAppError(err));
        assert.equal(err.code, 'AI_PROVIDER_CONFIG_INVALID');
        assert.deepEqual(err.issues?.map((i) => i.path).sort(), ['baseUrl', 'timeoutMs']);
        return true;
      },
    );
    assert.throws(
      () => createSdkProvider({ id: 't', kind: 'openai', model: 'm' }, { fetch: globalThis.fetch }),
      (err: unknown) => isAppError(err) && err.issues?.[0]?.path === 'apiKey',
    );
  });
});
