import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP peer for tests that speaks just enough of three model protocols:
 *
 * - OpenAI chat completions: `POST …/chat/completions`, JSON or SSE (`data:` chunks, a usage chunk
 *   when `stream_options.include_usage` is set, then `data: [DONE]`);
 * - Anthropic messages: `POST …/messages`, JSON or SSE (`message_start`, `content_block_start`,
 *   `content_block_delta`, `content_block_stop`, `message_delta`, `message_stop`);
 * - Ollama chat: `POST …/chat`, JSON or NDJSON.
 *
 * Replies are scripted: `script(...)` queues replies consumed one per request, and the default
 * (`setDefault`) answers when the queue is empty. Every request is recorded, so tests assert on how
 * many requests arrived and what they carried. Reusable by the workflow-step and API tests.
 */

export type FakeProtocol = 'openai' | 'anthropic' | 'ollama';

export type FakeReply =
  /** A model answer in the protocol of the request (streamed if the request asked for it). */
  | {
      kind: 'text';
      text: string;
      /** Reported model id (default: the requested one). */
      model?: string;
      usage?: { input: number; output: number };
      /** `stop` (default) or `length`, spelled per protocol on the wire. */
      finish?: 'stop' | 'length';
      /** For streams: how the text is split into deltas (default: about 8 characters each). */
      chunks?: string[];
      delayMs?: number;
      /** For streams: a pause before each line after the first, to prove a reader gets deltas as they come. */
      chunkDelayMs?: number;
    }
  /** An error status with a protocol-shaped error body (or `body` as given). */
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: unknown; delayMs?: number }
  /** Exactly these bytes, e.g. malformed JSON. */
  | { kind: 'raw'; status?: number; contentType?: string; body: string; delayMs?: number };

export interface FakeRequest {
  protocol: FakeProtocol;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
  stream: boolean;
}

export interface FakeLlmServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  port: number;
  /** Every request received, in order (including ones answered with errors). */
  requests: FakeRequest[];
  /** Queues replies, one per coming request. */
  script(...replies: FakeReply[]): void;
  /** The reply when the script is empty (default: the text "Hello from the fake model."). */
  setDefault(reply: FakeReply | ((req: FakeRequest) => FakeReply)): void;
  /** Forgets recorded requests and queued replies. */
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeLlmServer(): Promise<FakeLlmServer> {
  const requests: FakeRequest[] = [];
  const queue: FakeReply[] = [];
  const fallbackDefault: FakeReply = { kind: 'text', text: 'Hello from the fake model.' };
  let fallback: FakeReply | ((req: FakeRequest) => FakeReply) = fallbackDefault;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const protocol = protocolOf(path);
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        // recorded as empty; the reply decides what happens
      }
      if (!protocol || req.method !== 'POST') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
        return;
      }
      const record: FakeRequest = { protocol, path, headers: req.headers, body, stream: body.stream === true };
      requests.push(record);
      const reply = queue.shift() ?? (typeof fallback === 'function' ? fallback(record) : fallback);
      const send = () => respond(res, record, reply);
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    script: (...replies) => void queue.push(...replies),
    setDefault: (reply) => void (fallback = reply),
    reset: () => {
      requests.length = 0;
      queue.length = 0;
      fallback = fallbackDefault;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function protocolOf(path: string): FakeProtocol | undefined {
  if (path.endsWith('/chat/completions')) return 'openai';
  if (path.endsWith('/messages')) return 'anthropic';
  if (path.endsWith('/chat')) return 'ollama';
  return undefined;
}

function respond(res: http.ServerResponse, req: FakeRequest, reply: FakeReply): void {
  if (res.destroyed) return;
  if (reply.kind === 'raw') {
    res.writeHead(reply.status ?? 200, { 'content-type': reply.contentType ?? 'application/json' });
    res.end(reply.body);
    return;
  }
  if (reply.kind === 'status') {
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(JSON.stringify(reply.body ?? errorBody(req.protocol, reply.status)));
    return;
  }
  const model = reply.model ?? String(req.body.model ?? 'fake-model');
  const usage = reply.usage ?? { input: 11, output: 7 };
  const finish = reply.finish ?? 'stop';
  const pieces = reply.chunks ?? (reply.text.match(/[\s\S]{1,8}/g) || ['']);
  if (!req.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(WHOLE[req.protocol](model, reply.text, usage, finish)));
    return;
  }
  const ndjson = req.protocol === 'ollama';
  res.writeHead(200, {
    'content-type': ndjson ? 'application/x-ndjson' : 'text/event-stream',
    'cache-control': 'no-cache',
  });
  const includeUsage = (req.body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  const lines = STREAMED[req.protocol](model, pieces, usage, finish, includeUsage);
  const pause = reply.chunkDelayMs ?? 0;
  if (pause === 0) {
    for (const line of lines) res.write(line);
    res.end();
    return;
  }
  const next = (i: number) => {
    if (res.destroyed) return;
    if (i >= lines.length) return void res.end();
    res.write(lines[i]);
    setTimeout(() => next(i + 1), pause);
  };
  next(0);
}

type Usage = { input: number; output: number };
type Finish = 'stop' | 'length';

const WHOLE: Record<FakeProtocol, (model: string, text: string, usage: Usage, finish: Finish) => unknown> = {
  openai: (model, text, usage, finish) => ({
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: finish }],
    usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output },
  }),
  anthropic: (model, text, usage, finish) => ({
    id: 'msg_fake',
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text }],
    stop_reason: finish === 'stop' ? 'end_turn' : 'max_tokens',
    stop_sequence: null,
    usage: { input_tokens: usage.input, output_tokens: usage.output },
  }),
  ollama: (model, text, usage, finish) => ({
    model,
    created_at: '2026-01-01T00:00:00Z',
    message: { role: 'assistant', content: text },
    done: true,
    done_reason: finish,
    prompt_eval_count: usage.input,
    eval_count: usage.output,
  }),
};

const sse = (data: unknown, event?: string) =>
  `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

const STREAMED: Record<
  FakeProtocol,
  (model: string, pieces: string[], usage: Usage, finish: Finish, includeUsage: boolean) => string[]
> = {
  openai: (model, pieces, usage, finish, includeUsage) => {
    const chunk = (delta: object, finishReason: string | null) =>
      sse({
        id: 'chatcmpl-fake',
        object: 'chat.completion.chunk',
        created: 1_700_000_000,
        model,
        choices: [{ index: 0, delta, finish_reason: finishReason }],
      });
    return [
      chunk({ role: 'assistant', content: '' }, null),
      ...pieces.map((content) => chunk({ content }, null)),
      chunk({}, finish),
      ...(includeUsage
        ? [
            sse({
              id: 'chatcmpl-fake',
              object: 'chat.completion.chunk',
              created: 1_700_000_000,
              model,
              choices: [],
              usage: {
                prompt_tokens: usage.input,
                completion_tokens: usage.output,
                total_tokens: usage.input + usage.output,
              },
            }),
          ]
        : []),
      sse('[DONE]'),
    ];
  },
  anthropic: (model, pieces, usage, finish) => [
    sse(
      {
        type: 'message_start',
        message: {
          id: 'msg_fake',
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: usage.input, output_tokens: 1 },
        },
      },
      'message_start',
    ),
    sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start'),
    ...pieces.map((text) =>
      sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }, 'content_block_delta'),
    ),
    sse({ type: 'content_block_stop', index: 0 }, 'content_block_stop'),
    sse(
      {
        type: 'message_delta',
        delta: { stop_reason: finish === 'stop' ? 'end_turn' : 'max_tokens', stop_sequence: null },
        usage: { output_tokens: usage.output },
      },
      'message_delta',
    ),
    sse({ type: 'message_stop' }, 'message_stop'),
  ],
  ollama: (model, pieces, usage, finish) => [
    ...pieces.map(
      (content) =>
        `${JSON.stringify({ model, created_at: '2026-01-01T00:00:00Z', message: { role: 'assistant', content }, done: false })}\n`,
    ),
    `${JSON.stringify({
      model,
      created_at: '2026-01-01T00:00:00Z',
      message: { role: 'assistant', content: '' },
      done: true,
      done_reason: finish,
      prompt_eval_count: usage.input,
      eval_count: usage.output,
    })}\n`,
  ],
};

function errorBody(protocol: FakeProtocol, status: number): unknown {
  const message = status === 429 ? 'Rate limit reached, slow down.' : `Fake error ${status}.`;
  if (protocol === 'anthropic') {
    const type = status === 429 ? 'rate_limit_error' : status >= 500 ? 'api_error' : 'invalid_request_error';
    return { type: 'error', error: { type, message } };
  }
  if (protocol === 'ollama') return { error: message };
  return { error: { message, type: status === 429 ? 'rate_limit_exceeded' : 'server_error', code: null } };
}
