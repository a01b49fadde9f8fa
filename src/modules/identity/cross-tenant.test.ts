import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { signupUser } from '../../../test/support/identity.ts';
import { createTestApp, describeEachBackend, type TestApp } from '../../../test/support/app.ts';
import { PERMISSIONS } from '../../platform/permissions.ts';

const PASSWORD = 'copper lantern 58 hums softly';
let seq = 0;
const email = (who: string) => `${who}.${process.pid}.${++seq}@example.test`;

/**
 * Tenant B, with full rights in B (an owner's token and an all-scopes key), aims at tenant A's
 * resources by id: every answer must be exactly what a missing id gets (404), no data may come
 * back, nothing may change, and B's lists must never show A's rows.
 */
describeEachBackend('cross-tenant isolation matrix', (getDb) => {
  let t: TestApp;
  type Session = { accessToken: string; user: { id: string }; tenant: { id: string }; sessionId: string };
  let a: Session;
  let b: Session;
  let bKey: string;
  const ids: Record<string, string> = {};
  const asA = () => ({ authorization: `Bearer ${a.accessToken}` });

  const signup = (who: string): Promise<Session> => signupUser(t.app, who, PASSWORD);

  before(async () => {
    t = await createTestApp(getDb(), { as: 'real' });
    a = await signup('tenant-a');
    b = await signup('tenant-b');
    const post = async (url: string, payload: object) => {
      const res = await t.app.inject({ method: 'POST', url, headers: asA(), payload });
      assert.ok(res.statusCode < 300, `${url}: ${res.body}`);
      return res.json();
    };
    ids.item = (await post('/api/v1/items', { name: 'A confidential', tags: ['secret-a'] })).id;
    ids.apiKey = (await post('/api/v1/api-keys', { name: 'A key', scopes: ['items:read'] })).id;
    ids.invitation = (await post('/api/v1/invitations', { email: email('a-invitee'), role: 'viewer' })).id;
    ids.sso = (
      await post('/api/v1/sso/providers', {
        kind: 'github',
        name: 'A GitHub',
        clientId: 'a-client',
        clientSecret: 'a-secret',
      })
    ).id;
    await t.app.inject({
      method: 'PUT',
      url: '/api/v1/settings/general.displayName',
      headers: asA(),
      payload: { value: 'A private name' },
    });
    ids.audit = (await t.app.inject({ url: '/api/v1/audit-logs?limit=1', headers: asA() })).json().data[0].id;
    ids.user = a.user.id;
    ids.session = a.sessionId;
    bKey = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: { authorization: `Bearer ${b.accessToken}` },
        payload: { name: 'B all', scopes: PERMISSIONS.filter((p) => p !== 'organization:delete') },
      })
    ).json().key;
  });

  const attacks = () =>
    [
      ['GET', `/api/v1/items/${ids.item}`],
      ['PATCH', `/api/v1/items/${ids.item}`, { name: 'pwned' }],
      ['DELETE', `/api/v1/items/${ids.item}`],
      ['GET', `/api/v1/audit-logs/${ids.audit}`],
      ['DELETE', `/api/v1/api-keys/${ids.apiKey}`],
      ['POST', `/api/v1/invitations/${ids.invitation}/resend`],
      ['DELETE', `/api/v1/invitations/${ids.invitation}`],
      ['PATCH', `/api/v1/members/${ids.user}`, { role: 'viewer' }],
      ['DELETE', `/api/v1/sso/providers/${ids.sso}`],
    ] as [string, string, object?][];

  for (const who of ['token', 'api key'] as const) {
    it(`answers 404 to tenant B's ${who} for every one of tenant A's resources, and changes nothing`, async () => {
      const headers = who === 'token' ? { authorization: `Bearer ${b.accessToken}` } : { 'x-api-key': bKey };
      for (const [method, url, payload] of attacks()) {
        const res = await t.app.inject({ method: method as 'GET', url, headers, payload });
        assert.equal(res.statusCode, 404, `${who} ${method} ${url}: ${res.body}`);
        assert.equal(res.body.includes('A confidential'), false);
      }
      if (who === 'token') {
        const session = await t.app.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${ids.session}`, headers });
        assert.equal(session.statusCode, 404, "B cannot end A's session");
        const member = await t.app.inject({ method: 'DELETE', url: `/api/v1/members/${ids.user}`, headers });
        assert.equal(member.statusCode, 404, "B cannot remove A's owner");
      }
      // Everything of A is intact.
      const item = await t.app.inject({ url: `/api/v1/items/${ids.item}`, headers: asA() });
      assert.equal(item.json().name, 'A confidential');
      assert.equal(item.json().version, 1);
      const keys = (await t.app.inject({ url: '/api/v1/api-keys', headers: asA() })).json().data;
      assert.ok(keys.some((k: { id: string }) => k.id === ids.apiKey));
      const invitations = (await t.app.inject({ url: '/api/v1/invitations', headers: asA() })).json().data;
      assert.equal(invitations.find((i: { id: string }) => i.id === ids.invitation).status, 'pending');
      assert.equal((await t.app.inject({ url: '/api/v1/auth/me', headers: asA() })).statusCode, 200);
    });
  }

  it("never lists tenant A's rows in tenant B's lists, searches, counts or settings", async () => {
    const h = { authorization: `Bearer ${b.accessToken}` };
    const lists = [
      '/api/v1/items',
      '/api/v1/items?q=confidential',
      '/api/v1/items?tag=secret-a',
      '/api/v1/audit-logs?limit=100',
      `/api/v1/audit-logs?targetId=${ids.item}`,
      '/api/v1/api-keys',
      '/api/v1/invitations',
      '/api/v1/members',
      '/api/v1/sso/providers',
      '/api/v1/settings',
      '/api/v1/stats',
    ];
    for (const url of lists) {
      const res = await t.app.inject({ url, headers: h });
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
      for (const [name, id] of Object.entries(ids)) {
        if (name === 'user' && url === '/api/v1/members') continue;
        assert.equal(res.body.includes(id), false, `${url} leaks A's ${name}`);
      }
      assert.equal(res.body.includes('A confidential'), false, `${url} leaks A's item`);
      assert.equal(res.body.includes('A private name'), false, `${url} leaks A's setting`);
    }
    assert.equal((await t.app.inject({ url: '/api/v1/stats', headers: h })).json().items.total, 0);
    const members = (await t.app.inject({ url: '/api/v1/members', headers: h })).json().data;
    assert.deepEqual(
      members.map((m: { userId: string }) => m.userId),
      [b.user.id],
    );
  });

  it('refuses to pick a tenant from the request: tenantId in bodies and queries is rejected', async () => {
    const h = { authorization: `Bearer ${b.accessToken}` };
    const body = await t.app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: h,
      payload: { name: 'x', tenantId: a.tenant.id },
    });
    assert.equal(body.statusCode, 400);
    const query = await t.app.inject({ url: `/api/v1/items?tenantId=${a.tenant.id}`, headers: h });
    assert.equal(query.statusCode, 400);
    const proto = await t.app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: { ...h, 'content-type': 'application/json' },
      payload: '{"name":"x","__proto__":{"tenantId":"' + a.tenant.id + '"}}',
    });
    assert.equal(proto.statusCode, 400);
  });
});
