import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, describeEachBackend, type TestApp } from '../test/support/app.ts';

/**
 * HTTP contract at the edges: body parsing, content types, limits, unknown routes and fields,
 * the problem document, request ids, OpenAPI, docs, metrics and the rate limiter.
 */

const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';
const JSON_HEADERS = { 'content-type': 'application/json' };

const show = (res: LightMyRequestResponse) =>
  `${res.statusCode} ${res.headers['content-type']} ${res.body.slice(0, 300)}`;

/** Everything the API promises about an error response; returns the parsed document. */
function assertProblem(res: LightMyRequestResponse, status: number, code?: string) {
  assert.equal(res.statusCode, status, show(res));
  assert.equal(res.headers['content-type'], PROBLEM_CONTENT_TYPE, show(res));
  const body = res.json();
  assert.equal(typeof body.type, 'string', show(res));
  assert.match(body.type, /^https:\/\/\S+$/, 'type is a URI');
  assert.equal(typeof body.title, 'string');
  assert.ok(body.title.length > 0, 'title is not empty');
  assert.equal(body.status, status, 'status member equals the HTTP status');
  assert.equal(typeof body.detail, 'string');
  assert.ok(body.detail.length > 0, 'detail is not empty');
  assert.equal(typeof body.code, 'string');
  assert.match(body.code, /^[A-Z][A-Z0-9_]*$/);
  if (code) assert.equal(body.code, code, show(res));
  const header = res.headers['x-request-id'];
  assert.equal(typeof header, 'string', 'the response carries x-request-id');
  assert.ok((header as string).length > 0);
  assert.equal(body.requestId, header, 'requestId equals the x-request-id header');
  return body;
}

/** Parses Prometheus text exposition into samples with their labels. */
function parseMetrics(text: string) {
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      if (k !== undefined && v !== undefined) labels[k] = v;
    }
    samples.push({ name: m[1] ?? '', labels, value: Number(m[3]) });
  }
  return samples;
}

describeEachBackend('HTTP edges', (getDb) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(getDb());
  });
  after(async () => {
    await t.app.close();
  });

  const post = (payload: string, headers: Record<string, string> = JSON_HEADERS) =>
    t.app.inject({ method: 'POST', url: '/api/v1/items', headers, payload });
  const itemCount = async () => (await t.app.inject({ url: '/api/v1/stats' })).json().items.total as number;

  it('answers malformed JSON with 400 MALFORMED_JSON and stores nothing', async () => {
    const countBefore = await itemCount();
    for (const payload of ['{"name": "x",', '{name: "x"}', "{'name':'x'}", '[1, 2', 'nul', '{"name":"x"}}', '\u0000']) {
      const body = assertProblem(await post(payload), 400, 'MALFORMED_JSON');
      assert.equal(body.instance, '/api/v1/items');
    }
    assert.equal(await itemCount(), countBefore);
  });

  it('refuses __proto__ and constructor.prototype keys with 400, not 500, without polluting prototypes', async () => {
    const countBefore = await itemCount();
    const payloads = [
      '{"name":"x","__proto__":{"polluted":true}}',
      '{"name":"x","metadata":{"__proto__":{"polluted":true}}}',
      '{"name":"x","metadata":{"a":[{"__proto__":{"polluted":true}}]}}',
      '{"name":"x","constructor":{"prototype":{"polluted":true}}}',
    ];
    for (const payload of payloads) {
      const res = await post(payload);
      assertProblem(res, 400);
      assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
    }
    const patch = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/items/itm_00000000000000000000000000',
      headers: JSON_HEADERS,
      payload: '{"__proto__":{"polluted":true},"name":"y"}',
    });
    assertProblem(patch, 400);
    assert.equal(await itemCount(), countBefore);
  });

  it('answers an empty body sent as application/json with 400', async () => {
    assertProblem(await post(''), 400, 'MALFORMED_JSON');
    assertProblem(
      await t.app.inject({ method: 'POST', url: '/api/v1/items', headers: JSON_HEADERS }),
      400,
      'MALFORMED_JSON',
    );
    const patch = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/items/itm_00000000000000000000000000',
      headers: JSON_HEADERS,
      payload: '',
    });
    assertProblem(patch, 400, 'MALFORMED_JSON');
  });

  it('refuses bodies that are not JSON with 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const countBefore = await itemCount();
    for (const contentType of [
      'text/plain',
      'text/plain; charset=utf-8',
      'application/x-www-form-urlencoded',
      'application/xml',
      'multipart/form-data; boundary=x',
    ]) {
      assertProblem(await post('{"name":"x"}', { 'content-type': contentType }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
    assertProblem(await post('{"name":"x"}', {}), 415, 'UNSUPPORTED_MEDIA_TYPE');
    assert.equal(await itemCount(), countBefore);
    // The same body as JSON (with a charset parameter) is accepted: the 415s were about the type.
    const ok = await post('{"name":"x"}', { 'content-type': 'application/json; charset=utf-8' });
    assert.equal(ok.statusCode, 201, show(ok));
    assert.equal(await itemCount(), countBefore + 1);
  });

  it('refuses a body over the 64 KiB limit with 413 PAYLOAD_TOO_LARGE, and one under it is parsed', async () => {
    const over = JSON.stringify({ name: 'x', description: 'd'.repeat(64 * 1024) });
    assert.ok(Buffer.byteLength(over) > 64 * 1024);
    assertProblem(await post(over), 413, 'PAYLOAD_TOO_LARGE');
    // The limit is exact: 64 KiB is parsed (and refused by the schema), one byte more is not.
    const sized = (bytes: number) => `{"name":"x","description":"${'d'.repeat(bytes - 29)}"}`;
    assert.equal(Buffer.byteLength(sized(64 * 1024)), 64 * 1024);
    assertProblem(await post(sized(64 * 1024)), 400, 'VALIDATION_FAILED');
    assertProblem(await post(sized(64 * 1024 + 1)), 413, 'PAYLOAD_TOO_LARGE');
    // Just under the limit: parsed, then refused by the schema (description is at most 10 000).
    const under = JSON.stringify({ name: 'x', description: 'd'.repeat(60 * 1024) });
    const body = assertProblem(await post(under), 400, 'VALIDATION_FAILED');
    assert.deepEqual(
      body.issues.map((i: { path: string }) => i.path),
      ['body.description'],
    );
  });

  it('answers a Content-Length that does not match the body with a 400 problem', async () => {
    const res = await post('{"name":"abc"}', { ...JSON_HEADERS, 'content-length': '5' });
    assertProblem(res, 400, 'INVALID_CONTENT_LENGTH');
  });

  it('answers unknown routes and methods with a 404 ROUTE_NOT_FOUND problem naming the path without its query', async () => {
    for (const [method, url, path] of [
      ['GET', '/api/v1/nope', '/api/v1/nope'],
      ['GET', '/nope?token=s3cret', '/nope'],
      ['POST', '/api/v2/items', '/api/v2/items'],
      ['PUT', '/api/v1/items', '/api/v1/items'],
      ['DELETE', '/api/v1/items', '/api/v1/items'],
    ] as const) {
      const body = assertProblem(await t.app.inject({ method, url }), 404, 'ROUTE_NOT_FOUND');
      assert.equal(body.instance, path);
      assert.ok(body.detail.includes(path), body.detail);
      assert.ok(!body.detail.includes('s3cret'), 'the query string is not echoed');
    }
  });

  it('names each unknown field in the issues, for bodies and query strings', async () => {
    const res = await post(JSON.stringify({ name: 'x', colour: 'red', size: 2 }));
    const body = assertProblem(res, 400, 'VALIDATION_FAILED');
    const paths = body.issues.map((i: { path: string }) => i.path).sort();
    assert.deepEqual(paths, ['body.colour', 'body.size']);
    for (const issue of body.issues) assert.equal(typeof issue.message, 'string');

    const created = (await post(JSON.stringify({ name: 'target' }))).json();
    const patch = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/items/${created.id}`,
      headers: JSON_HEADERS,
      payload: JSON.stringify({ name: 'y', owner: 'me' }),
    });
    const patchBody = assertProblem(patch, 400, 'VALIDATION_FAILED');
    assert.deepEqual(
      patchBody.issues.map((i: { path: string }) => i.path),
      ['body.owner'],
    );
    assert.equal((await t.app.inject({ url: `/api/v1/items/${created.id}` })).json().name, 'target');

    const query = assertProblem(await t.app.inject({ url: '/api/v1/items?colour=red' }), 400, 'VALIDATION_FAILED');
    assert.deepEqual(
      query.issues.map((i: { path: string }) => i.path),
      ['querystring.colour'],
    );
  });

  it('answers a malformed percent-encoding in the path with a 400 BAD_URL problem', async () => {
    for (const url of ['/api/v1/items/%zz', '/api/v1/items/%E0%A4%A']) {
      assertProblem(await t.app.inject({ url }), 400, 'BAD_URL');
    }
  });

  it('answers an over-long path parameter with a 4xx problem', async () => {
    const res = await t.app.inject({ url: `/api/v1/items/${'z'.repeat(300)}` });
    assert.ok(res.statusCode >= 400 && res.statusCode < 500, show(res));
    assertProblem(res, res.statusCode);
  });

  it('echoes a safe incoming x-request-id and replaces an unsafe one', async () => {
    for (const id of ['trace-abc.123:XYZ_9', 'a', 'x'.repeat(128)]) {
      const ok = await t.app.inject({ url: '/health/live', headers: { 'x-request-id': id } });
      assert.equal(ok.headers['x-request-id'], id);
      const problem = await t.app.inject({ url: '/api/v1/nope', headers: { 'x-request-id': id } });
      assert.equal(assertProblem(problem, 404).requestId, id);
    }
    for (const id of ['has space', 'x'.repeat(129), 'y'.repeat(500), 'semi;colon', '<script>', 'new\tline', 'é', '']) {
      const res = await t.app.inject({ url: '/api/v1/nope', headers: { 'x-request-id': id } });
      const body = assertProblem(res, 404);
      assert.notEqual(body.requestId, id);
      assert.match(body.requestId, /^req_[A-Za-z0-9_-]{16}$/);
    }
    const a = await t.app.inject({ url: '/health/live' });
    const b = await t.app.inject({ url: '/health/live' });
    assert.match(String(a.headers['x-request-id']), /^req_[A-Za-z0-9_-]{16}$/);
    assert.notEqual(a.headers['x-request-id'], b.headers['x-request-id'], 'a fresh id per request');
  });

  it('publishes OpenAPI 3.1.0 listing every API path with its methods', async () => {
    const res = await t.app.inject({ url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const doc = res.json();
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(doc.info.title, 'Switchyard API');
    const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];
    const methodsOf = (path: string) => {
      const entry = doc.paths[path];
      assert.ok(entry, `OpenAPI lists ${path}`);
      return Object.keys(entry)
        .filter((k) => HTTP_METHODS.includes(k))
        .sort();
    };
    const expected: Record<string, string[]> = {
      '/api/v1/items': ['get', 'post'],
      '/api/v1/items/{id}': ['delete', 'get', 'patch'],
      '/api/v1/settings': ['get', 'patch'],
      '/api/v1/settings/{key}': ['delete', 'get', 'put'],
      '/api/v1/audit-logs': ['get'],
      '/api/v1/stats': ['get'],
      '/health/live': ['get'],
      '/health/ready': ['get'],
    };
    for (const [path, methods] of Object.entries(expected)) assert.deepEqual(methodsOf(path), methods, path);
    for (const hidden of ['/openapi.json', '/docs', '/'])
      assert.equal(doc.paths[hidden], undefined, `${hidden} is hidden`);
    const idParam = doc.paths['/api/v1/items/{id}'].get.parameters.find((p: { name: string }) => p.name === 'id');
    assert.equal(idParam?.in, 'path');
    assert.ok(
      doc.paths['/api/v1/items'].post.requestBody.content['application/json'],
      'POST /items documents a JSON body',
    );
    assert.ok(doc.components?.schemas?.Problem, 'the Problem schema is a component');
    assert.ok(
      doc.paths['/api/v1/items'].post.responses['400'].content['application/problem+json'],
      'errors are documented as application/problem+json',
    );
  });

  it('publishes a document that validates against the OpenAPI 3.1 schema', async () => {
    const doc = (await t.app.inject({ url: '/openapi.json' })).json();
    const validator = new Validator();
    const result = await validator.validate(doc);
    assert.equal(validator.version, '3.1');
    assert.deepEqual(result.errors ?? [], []);
    assert.equal(result.valid, true);
  });

  it('serves the API docs as HTML', async () => {
    let res = await t.app.inject({ url: '/docs' });
    for (let hops = 0; res.statusCode >= 300 && res.statusCode < 400 && hops < 3; hops++) {
      const location = String(res.headers.location);
      res = await t.app.inject({ url: new URL(location, 'http://localhost/docs').pathname });
    }
    assert.equal(res.statusCode, 200, show(res));
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.match(res.body, /<html/i);
    assert.match(res.body, /swagger/i);
  });

  it('sets x-content-type-options: nosniff on answers and problems alike', async () => {
    assert.equal((await t.app.inject({ url: '/health/live' })).headers['x-content-type-options'], 'nosniff');
    assert.equal((await t.app.inject({ url: '/api/v1/nope' })).headers['x-content-type-options'], 'nosniff');
  });
});

describeEachBackend('logs', (getDb) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(getDb());
  });
  after(async () => {
    await t.app.close();
  });

  it('tags every line of a request with its request id and never writes credentials', async () => {
    const canary = 'canary-secret-7f3a9c';
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: { 'x-request-id': 'log-test-1', authorization: `Bearer ${canary}`, cookie: `session=${canary}` },
      payload: { name: 'Logged', metadata: { note: 'hello' } },
    });
    assert.equal(res.statusCode, 201);
    await t.app.inject({ url: '/api/v1/items/not-an-id', headers: { 'x-request-id': 'log-test-2' } });
    // One-time secrets in query strings (SSO code/state, emailed tokens) are masked in request logs.
    await t.app.inject({ url: `/api/v1/auth/sso/idp_x/callback?code=${canary}&state=${canary}` });

    const lines = t.logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const first = lines.filter((l) => l.requestId === 'log-test-1');
    assert.ok(first.length >= 2, 'incoming request and request completed lines carry the id');
    const second = lines.filter((l) => l.requestId === 'log-test-2');
    assert.ok(
      second.some((l) => l.code === 'VALIDATION_FAILED'),
      'the rejection is logged with its code and request id',
    );
    for (const line of t.logs.lines) assert.ok(!line.includes(canary), `a log line leaked a credential: ${line}`);
  });
});

describeEachBackend('metrics', (getDb) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(getDb());
  });
  after(async () => {
    await t.app.close();
  });

  it('labels request durations by route template, and unmatched requests as "unmatched", never by raw URL', async () => {
    const missing = await t.app.inject({ url: '/api/v1/items/itm_00000000000000000000000000' });
    assert.equal(missing.statusCode, 404);
    await t.app.inject({ url: '/api/v1/items/not-an-id' });
    await t.app.inject({ url: '/no/such/path-7f3a9c?token=s3cret' });
    await t.app.inject({ method: 'POST', url: '/api/v1/unknown-7f3a9c' });

    const res = await t.app.inject({ url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.ok(res.body.includes('http_request_duration_seconds_bucket'), 'exposes the duration histogram');
    const samples = parseMetrics(res.body);
    const buckets = samples.filter((s) => s.name === 'http_request_duration_seconds_bucket');
    const count = (labels: Record<string, string>) =>
      samples.find(
        (s) =>
          s.name === 'http_request_duration_seconds_count' &&
          Object.entries(labels).every(([k, v]) => s.labels[k] === v),
      )?.value;

    assert.ok(buckets.some((b) => b.labels.route === '/api/v1/items/:id' && b.labels.status_code === '404'));
    assert.equal(count({ method: 'GET', route: '/api/v1/items/:id', status_code: '404' }), 1);
    assert.equal(count({ method: 'GET', route: '/api/v1/items/:id', status_code: '400' }), 1);
    assert.equal(count({ method: 'GET', route: 'unmatched', status_code: '404' }), 1);
    assert.equal(count({ method: 'POST', route: 'unmatched', status_code: '404' }), 1);
    assert.ok(!res.body.includes('7f3a9c'), 'no raw URL in any label');
    assert.ok(!res.body.includes('s3cret'), 'no query string in any label');
    assert.ok(!res.body.includes('not-an-id'), 'no raw path parameter in any label');
    for (const b of buckets) {
      assert.ok(b.labels.route === 'unmatched' || b.labels.route?.startsWith('/'), `route label ${b.labels.route}`);
    }
  });

  it('does not put a malformed or over-long URL into a label', async () => {
    await t.app.inject({ url: '/api/v1/items/%zz-9d1e' });
    await t.app.inject({ url: `/api/v1/items/${'q'.repeat(300)}` });
    const body = (await t.app.inject({ url: '/metrics' })).body;
    assert.ok(!body.includes('9d1e'));
    assert.ok(!body.includes('qqqqqqqqqq'));
  });
});

describeEachBackend('rate limiting', (getDb) => {
  let limited: TestApp;
  before(async () => {
    limited = await createTestApp(getDb(), { http: { rateLimitPerMinute: 3 } });
  });
  after(async () => {
    await limited.app.close();
  });

  it('does not count /health/live, then answers 429 RATE_LIMITED with retry-after once the limit is reached', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await limited.app.inject({ url: '/health/live' })).statusCode, 200);
    for (let i = 0; i < 3; i++) {
      const res = await limited.app.inject({ url: '/api/v1/stats' });
      assert.equal(res.statusCode, 200, `request ${i + 1} of 3 is within the limit`);
    }
    const res = await limited.app.inject({ url: '/api/v1/stats' });
    const body = assertProblem(res, 429, 'RATE_LIMITED');
    const retryAfter = Number(res.headers['retry-after']);
    assert.ok(
      Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60,
      `retry-after ${res.headers['retry-after']}`,
    );
    assert.ok(Number.isInteger(body.retryAfterSeconds) && body.retryAfterSeconds >= 1 && body.retryAfterSeconds <= 60);

    // Still limited on other API routes, and writes are refused before they happen.
    const write = await limited.app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: JSON_HEADERS,
      payload: '{"name":"x"}',
    });
    assertProblem(write, 429, 'RATE_LIMITED');

    // Liveness is never limited.
    for (let i = 0; i < 10; i++) {
      const live = await limited.app.inject({ url: '/health/live' });
      assert.equal(live.statusCode, 200);
      assert.deepEqual(live.json(), { status: 'ok' });
    }

    // The limit is per client: another address still gets through.
    const other = await limited.app.inject({ url: '/api/v1/stats', remoteAddress: '10.1.2.3' });
    assert.equal(other.statusCode, 200);
    assert.equal(other.json().items.total, 0, 'the refused write stored nothing');
  });
});
