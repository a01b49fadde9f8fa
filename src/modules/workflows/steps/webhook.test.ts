import assert from 'node:assert/strict';
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { createTestApp, describeEachBackend, type TestApp } from '../../../../test/support/app.ts';
import { workflowClient } from '../../../../test/support/workflows.ts';

interface Delivery {
  id: string;
  timestamp: number;
  signature: string;
  body: string;
  verified: boolean;
  userHeader: string | undefined;
}

/**
 * A receiver as its docs would have one write it: verifies every request with the published
 * public key and the timestamp, and answers each path as scripted (the last status repeats).
 */
async function startReceiver() {
  let key: KeyObject | undefined;
  const deliveries = new Map<string, Delivery[]>();
  const script = new Map<string, number[]>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = String(req.headers['webhook-id']);
      const timestamp = Number(req.headers['webhook-timestamp']);
      const signature = String(req.headers['webhook-signature']);
      const fresh = Math.abs(Date.now() / 1000 - timestamp) <= 300;
      // The header may list several signatures, space-separated: any valid `v1a` one will do.
      const verified =
        fresh &&
        key !== undefined &&
        signature.split(' ').some((s) => {
          const [version, sig] = s.split(',');
          return (
            version === 'v1a' &&
            sig !== undefined &&
            verify(null, Buffer.from(`${id}.${timestamp}.${body}`), key as KeyObject, Buffer.from(sig, 'base64'))
          );
        });
      const path = req.url ?? '/';
      const list = deliveries.get(path) ?? [];
      list.push({ id, timestamp, signature, body, verified, userHeader: req.headers['x-tenant-ref'] as string });
      deliveries.set(path, list);
      const answers = script.get(path) ?? [200];
      const status = verified ? (answers[Math.min(list.length, answers.length) - 1] ?? 200) : 401;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ received: list.length }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    deliveries,
    trust: (pem: string) => {
      key = createPublicKey(pem);
    },
    answer: (path: string, statuses: number[]) => script.set(path, statuses),
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    close: () => new Promise((r) => server.close(r)),
  };
}

describeEachBackend('webhook step', (getDb) => {
  let t: TestApp;
  let other: TestApp;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let c: ReturnType<typeof workflowClient>;

  before(async () => {
    receiver = await startReceiver();
    t = await createTestApp(getDb(), { engine: {}, outbound: { allowlist: [`127.0.0.1:${receiver.port}`] } });
    other = await createTestApp(getDb(), { engine: { roles: [] } });
    c = workflowClient(t);
    // The receiver trusts what the tenant publishes, as a real one would be configured to.
    receiver.trust((await c.api('GET', '/api/v1/webhook-signing-key')).body.publicKeyPem as string);
  });
  after(async () => {
    await t.app.close();
    await other.app.close();
    await receiver.close();
  });

  const webhookWorkflow = (path: string, extra: Record<string, unknown> = {}) => ({
    trigger: { type: 'manual', config: {} },
    steps: [
      {
        id: 'notify',
        type: 'webhook',
        config: {
          url: receiver.url(path),
          payload: { type: 'order.shipped', data: { id: '{{ trigger.body.id }}', n: '{{ trigger.body.n }}' } },
          headers: { 'x-tenant-ref': 'acme', 'webhook-id': 'forged' },
          ...extra,
        },
        retry: { maxAttempts: 3, backoffMs: 50, maxBackoffMs: 100 },
      },
    ],
    edges: [],
  });

  it('publishes one key per tenant: raw, PEM and whpk_ forms of the same Ed25519 key', async () => {
    const first = await c.api('GET', '/api/v1/webhook-signing-key');
    assert.equal(first.status, 200, first.raw);
    const doc = first.body as Record<string, string>;
    assert.equal(doc.algorithm, 'ed25519');
    assert.match(doc.keyId ?? '', /^wsk_/);
    assert.equal(doc.headerFormat, 'v1a,<base64 Ed25519 signature>');
    assert.equal(doc.signedContent, '{webhook-id}.{webhook-timestamp}.{body}');
    assert.equal(Buffer.from(doc.publicKey ?? '', 'base64').length, 32);
    assert.equal(doc.standardWebhooksPublicKey, `whpk_${doc.publicKey}`);
    const fromPem = createPublicKey(doc.publicKeyPem ?? '').export({ format: 'jwk' }).x;
    assert.equal(Buffer.from(fromPem ?? '', 'base64url').toString('base64'), doc.publicKey);

    const again = await c.api('GET', '/api/v1/webhook-signing-key');
    assert.equal(again.body.keyId, doc.keyId, 'made once, then kept');
    const theirs = await other.app.inject({ url: '/api/v1/webhook-signing-key' });
    assert.notEqual(theirs.json().keyId, doc.keyId);
    assert.notEqual(theirs.json().publicKey, doc.publicKey);

    const [row] = (
      (await getDb().handle.db.execute(
        sql`select private_key_sealed from signing_keys where id = ${doc.keyId}`,
      )) as unknown as { rows: { private_key_sealed: string }[] }
    ).rows;
    assert.match(row?.private_key_sealed ?? '', /^v1\./, 'the private key is stored sealed');
  });

  it('signs a POST the receiver verifies; a 500 is retried with the same webhook-id', async () => {
    receiver.answer('/orders', [500, 200]);
    const wf = await c.create(webhookWorkflow('/orders'));
    const { runId } = await c.startRun(wf.id, { id: 'o-1', n: 3 });
    const run = await c.waitForRun(runId);
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    const got = receiver.deliveries.get('/orders') ?? [];
    assert.equal(got.length, 2);
    assert.ok(
      got.every((d) => d.verified),
      'every delivery verifies with the public key',
    );
    assert.equal(got[0]?.id, got[1]?.id, 'a retry keeps the message id');
    assert.notEqual(got[0]?.id, 'forged', 'webhook-* headers cannot be overridden');
    assert.equal(got[0]?.userHeader, 'acme');
    assert.deepEqual(JSON.parse(got[1]?.body ?? ''), { type: 'order.shipped', data: { id: 'o-1', n: 3 } });
    assert.deepEqual(run.output, { status: 200, messageId: got[0]?.id, body: { received: 2 } });
    assert.deepEqual(
      run.attempts.map((a) => [a.attempt, a.status, (a.error as { code?: string } | null)?.code ?? null]),
      [
        [1, 'failed', 'WEBHOOK_STATUS'],
        [2, 'succeeded', null],
      ],
    );

    // A tampered body no longer verifies: the signature covers id, timestamp and body.
    const d = got[1] as Delivery;
    const key = createPublicKey((await c.api('GET', '/api/v1/webhook-signing-key')).body.publicKeyPem as string);
    const sig = Buffer.from(d.signature.slice(4), 'base64');
    assert.ok(verify(null, Buffer.from(`${d.id}.${d.timestamp}.${d.body}`), key, sig));
    assert.ok(!verify(null, Buffer.from(`${d.id}.${d.timestamp}.${d.body} `), key, sig));
    assert.ok(!verify(null, Buffer.from(`${d.id}.${d.timestamp + 1}.${d.body}`), key, sig));

    const second = await c.waitForRun((await c.startRun(wf.id, { id: 'o-2', n: 4 })).runId);
    assert.notEqual((second.output as { messageId: string }).messageId, got[0]?.id, 'one id per run');
  });

  it('fails after its attempts on a receiver that keeps refusing, and refuses a private address at once', async () => {
    receiver.answer('/down', [503]);
    const down = await c.waitForRun((await c.startRun((await c.create(webhookWorkflow('/down'))).id, {})).runId);
    assert.equal(down.status, 'failed');
    assert.equal((down.error as { code: string }).code, 'WEBHOOK_STATUS');
    assert.equal(receiver.deliveries.get('/down')?.length, 3);

    const blocked = await c.create({
      ...webhookWorkflow('/x'),
      steps: [{ id: 'notify', type: 'webhook', config: { url: 'http://127.0.0.1:9/hook', payload: {} } }],
    });
    const refused = await c.waitForRun((await c.startRun(blocked.id, {})).runId);
    assert.equal(refused.status, 'failed');
    assert.equal((refused.error as { code: string }).code, 'OUTBOUND_URL_FORBIDDEN');
    assert.equal(refused.attempts.length, 1, 'not retried');
  });
});
