import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import { createTestApp, describeEachBackend, type TestApp } from './support/app.ts';

/**
 * Secrets that pass through a whole run — a webhook's key (the credential in its URL), its HMAC
 * secret, a bearer token in a trigger header, a value an HTTP step sends as a header to an
 * outside server — appear in no log line, at the `info` level the tests log at.
 */
describeEachBackend('secrets never reach the logs', (getDb) => {
  let t: TestApp;
  let server: http.Server;
  let port = 0;
  const seen: string[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      seen.push(String(req.headers['x-canary'] ?? ''));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    t = await createTestApp(getDb(), { engine: {}, outbound: { allowlist: [`127.0.0.1:${port}`] } });
  });
  after(async () => {
    await t.app.close();
    await new Promise((r) => server.close(r));
  });

  it('through a signed webhook run with an HTTP step, a bad signature and a bogus approval link', async () => {
    const canary = `canary-${randomBytes(12).toString('hex')}`;
    const hmacSecret = `hmac-${randomBytes(12).toString('hex')}`;
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/workflows',
      payload: {
        name: 'canary',
        webhookSecret: hmacSecret,
        definition: {
          trigger: { type: 'webhook', config: { respond: 'wait', responseStep: 'call' } },
          steps: [
            {
              id: 'call',
              type: 'http',
              config: {
                method: 'POST',
                url: `http://127.0.0.1:${port}/hook`,
                headers: { 'x-canary': '{{ trigger.body.secret }}' },
                body: { note: 'no secret here' },
              },
            },
          ],
          edges: [],
        },
      },
    });
    assert.equal(created.statusCode, 201, created.body);
    const wf = created.json() as { id: string; webhookUrlPath: string };
    assert.equal((await t.app.inject({ method: 'POST', url: `/api/v1/workflows/${wf.id}/activate` })).statusCode, 200);
    const hookKey = wf.webhookUrlPath.split('/').pop() ?? '';
    assert.match(hookKey, /^whk_/);

    const payload = JSON.stringify({ secret: canary });
    const signature = createHmac('sha256', hmacSecret).update(payload).digest('hex');
    const res = await t.app.inject({
      method: 'POST',
      url: wf.webhookUrlPath,
      payload,
      headers: {
        'content-type': 'application/json',
        'x-switchyard-signature': `sha256=${signature}`,
        authorization: `Bearer ${canary}-bearer`,
      },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(seen, [canary], 'the step really sent the secret out');

    const forged = await t.app.inject({
      method: 'POST',
      url: `${wf.webhookUrlPath}?token=${canary}-query`,
      payload,
      headers: { 'content-type': 'application/json', 'x-switchyard-signature': 'sha256=00' },
    });
    assert.equal(forged.statusCode, 401);
    const bogusLink = `apl_${randomBytes(24).toString('base64url')}`;
    assert.equal((await t.app.inject({ method: 'GET', url: `/approvals/${bogusLink}` })).statusCode, 404);

    const logs = t.logs.lines.join('\n');
    assert.ok(logs.includes('/hooks/[redacted]'), 'webhook requests are logged, without their key');
    for (const secret of [canary, hmacSecret, hookKey, bogusLink]) {
      assert.ok(!logs.includes(secret), `a log line holds ${secret.slice(0, 12)}…`);
    }
  });
});
