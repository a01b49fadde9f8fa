import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { createTestApp, describeEachBackend, type TestApp } from '../../../test/support/app.ts';
import { ROLE_PERMISSIONS } from '../../platform/permissions.ts';
import { memberships } from './identity.table.ts';

const PASSWORD = 'sable heron 31 crosses fjord';
let seq = 0;
const email = (who: string) => `${who}.${process.pid}.${++seq}@example.test`;

/** Well-formed ids for every path parameter, so requests reach the authorisation gate. */
const SAMPLE_PARAMS: Record<string, string> = {
  id: '00000000000000000000000000',
  key: 'general.timezone',
  userId: 'usr_00000000000000000000000000',
};
const sampleUrl = (path: string) =>
  path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = SAMPLE_PARAMS[name] ?? 'x';
    if (name !== 'id') return v;
    if (path.startsWith('/api/v1/items')) return `itm_${v}`;
    if (path.startsWith('/api/v1/audit-logs')) return `aud_${v}`;
    if (path.startsWith('/api/v1/api-keys')) return `key_${v}`;
    if (path.startsWith('/api/v1/invitations')) return `inv_${v}`;
    if (path.startsWith('/api/v1/auth/sessions')) return `ses_${v}`;
    if (path.includes('/operator/tenants')) return `ten_${v}`;
    if (path.includes('/sso/providers')) return `idp_${v}`;
    return v;
  });

describeEachBackend('authorisation matrix', (getDb) => {
  let t: TestApp;
  let operations: { method: string; path: string; secured: boolean }[];
  let owner: { accessToken: string; tenant: { id: string } };

  before(async () => {
    t = await createTestApp(getDb(), { as: 'real' });
    const doc = (await t.app.inject({ url: '/openapi.json' })).json();
    operations = Object.entries(doc.paths as Record<string, Record<string, { security?: unknown[] }>>).flatMap(
      ([path, ops]) =>
        Object.entries(ops)
          .filter(([m]) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
          .map(([method, op]) => ({
            method: method.toUpperCase(),
            path,
            secured: !(Array.isArray(op.security) && op.security.length === 0),
          })),
    );
    owner = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/signup',
        payload: { email: email('owner'), password: PASSWORD, name: 'Owner', organizationName: 'Matrix' },
      })
    ).json();
  });

  it('documents every /api/v1 route as secured unless it is one of the credential-obtaining routes', () => {
    const open = operations
      .filter((o) => o.path.startsWith('/api/v1') && !o.secured)
      .map((o) => `${o.method} ${o.path}`);
    for (const o of open) {
      assert.match(o, /\/auth\/(signup|login|refresh|password\/(forgot|reset)|verify-email$|sso\/)/, `${o} is public`);
    }
    assert.ok(operations.filter((o) => o.secured).length > 30);
  });

  it('refuses a key without the needed scope on every secured route, before reading anything; no route is undeclared', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: { authorization: `Bearer ${owner.accessToken}` },
      payload: { name: 'stats only', scopes: ['stats:read'] },
    });
    const key = created.json().key as string;
    for (const op of operations.filter((o) => o.secured && o.path.startsWith('/api/v1'))) {
      const res = await t.app.inject({
        method: op.method as 'GET',
        url: sampleUrl(op.path),
        headers: { 'x-api-key': key },
        payload: op.method === 'GET' || op.method === 'DELETE' ? undefined : {},
      });
      const what = `${op.method} ${op.path} → ${res.statusCode} ${res.body.slice(0, 160)}`;
      assert.ok(res.statusCode < 500, what);
      assert.notEqual(res.json()?.code, 'FORBIDDEN_UNDECLARED', `${what}: every route must declare a permission`);
      // The key holds stats:read, which every /stats route needs and nothing else.
      if (op.path === '/api/v1/stats' || op.path.startsWith('/api/v1/stats/')) {
        assert.equal(res.statusCode, 200, what);
      } else {
        assert.equal(res.statusCode, 403, `${what}: a key without the scope must be refused`);
        assert.match(res.json().code, /^FORBIDDEN_(PERMISSION|USER_ONLY)$/, what);
      }
    }
  });

  it('lets each role use exactly the permissions of the matrix on the mutating routes', async () => {
    const viewer = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/signup',
        payload: { email: email('viewer'), password: PASSWORD, name: 'V', organizationName: 'V' },
      })
    ).json();
    await getDb()
      .handle.db.insert(memberships)
      .values({ tenantId: owner.tenant.id, userId: viewer.user.id, role: 'viewer' });
    const switched = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/switch-tenant',
        headers: { authorization: `Bearer ${viewer.accessToken}` },
        payload: { tenantId: owner.tenant.id },
      })
    ).json();
    const h = { authorization: `Bearer ${switched.accessToken}` };
    const writes: [string, string, unknown, string][] = [
      ['POST', '/api/v1/items', { name: 'x' }, 'items:write'],
      ['PUT', '/api/v1/settings/general.timezone', { value: 'UTC' }, 'settings:write'],
      ['PATCH', '/api/v1/settings', { 'general.locale': 'fr' }, 'settings:write'],
      ['POST', '/api/v1/invitations', { email: 'a@b.test', role: 'viewer' }, 'invitations:manage'],
      ['POST', '/api/v1/api-keys', { name: 'k', scopes: ['items:read'] }, 'api_keys:manage'],
      ['PATCH', '/api/v1/organization', { name: 'Mine now' }, 'organization:write'],
      ['DELETE', '/api/v1/organization', undefined, 'organization:delete'],
      ['POST', '/api/v1/sso/providers', {}, 'sso:manage'],
    ];
    for (const [method, url, payload, permission] of writes) {
      assert.equal(ROLE_PERMISSIONS.viewer.has(permission as 'items:write'), false);
      const res = await t.app.inject({ method: method as 'POST', url, headers: h, payload: payload as object });
      assert.equal(res.statusCode, 403, `${method} ${url}: ${res.body}`);
      assert.equal(res.json().requiredPermission, permission, `${method} ${url}`);
    }
    assert.equal((await t.app.inject({ url: '/api/v1/items', headers: h })).statusCode, 200, 'viewers read');
  });
});
