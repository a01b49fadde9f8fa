import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, it } from 'node:test';
import { SignJWT } from 'jose';
import { sql } from 'drizzle-orm';
import {
  createTestApp,
  describeEachBackend,
  TEST_AUTH,
  TEST_TOKEN_KEYS,
  type TestApp,
} from '../../../test/support/app.ts';
import { BOOTSTRAP_TENANT_ID } from '../tenants/index.ts';
import { deriveTokenKeys, signAccessToken } from './access-tokens.ts';
import { memberships } from './identity.table.ts';

const strong = () => `correct horse ${randomBytes(6).toString('hex')} battery`;
let seq = 0;
const email = (who: string) => `${who}.${process.pid}.${++seq}@example.test`;

describeEachBackend('authentication', (getDb) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(getDb(), { as: 'real' });
  });

  const signup = (who = 'user', password = strong(), org = `${who}'s studio`) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/signup',
      payload: { email: email(who), password, name: `Name ${who}`, organizationName: org },
    });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('makes the first account the operator and owner of the bootstrap tenant; later ones get their own tenant', async () => {
    const first = await signup('first');
    assert.equal(first.statusCode, 201, first.body);
    const a = first.json();
    assert.equal(a.tokenType, 'Bearer');
    assert.equal(a.user.isOperator, true);
    assert.equal(a.tenant.id, BOOTSTRAP_TENANT_ID);
    assert.equal(a.tenant.role, 'owner');
    assert.equal(a.tenant.name, "first's studio");
    assert.match(a.refreshToken, /^rt_/);

    const second = (await signup('second')).json();
    assert.equal(second.user.isOperator, false);
    assert.notEqual(second.tenant.id, BOOTSTRAP_TENANT_ID);
    assert.equal(second.tenant.role, 'owner');

    const me = await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(second.accessToken) });
    assert.equal(me.statusCode, 200);
    assert.equal(me.json().user.id, second.user.id);
    assert.deepEqual(me.json().tenant, second.tenant);
    assert.equal(me.json().sessionId, second.sessionId);
    const audit = (
      await t.app.inject({ url: '/api/v1/audit-logs?action=user.signed_up', headers: bearer(second.accessToken) })
    ).json();
    assert.equal(audit.data.length, 1, 'a tenant sees only its own sign-up');
    assert.equal(audit.data[0].target.id, second.user.id);
  });

  it('refuses unknown fields in a sign-up: role, tenant and operator flags cannot be mass-assigned', async () => {
    for (const extra of [{ role: 'owner' }, { isOperator: true }, { tenantId: 'ten_00000000000000000000000000' }]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/signup',
        payload: { email: email('mass'), password: strong(), name: 'M', organizationName: 'M', ...extra },
      });
      assert.equal(res.statusCode, 400, JSON.stringify(extra));
      assert.equal(res.json().code, 'VALIDATION_FAILED');
    }
  });

  it('refuses weak passwords and a second account for the same email', async () => {
    const weak = await signup('weak', 'password123');
    assert.equal(weak.statusCode, 400);
    assert.equal(weak.json().code, 'AUTH_WEAK_PASSWORD');
    assert.equal(weak.json().issues[0].path, 'body.password');
    const address = email('dup');
    const body = { email: address, password: strong(), name: 'Dup', organizationName: 'Dup' };
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/auth/signup', payload: body })).statusCode, 201);
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/signup',
      payload: { ...body, email: address.toUpperCase() },
    });
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().code, 'AUTH_EMAIL_TAKEN');
  });

  it('logs in with the right password and answers a wrong password and an unknown email alike', async () => {
    const address = email('login');
    const password = strong();
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/signup',
      payload: { email: address, password, name: 'L', organizationName: 'L' },
    });
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: ` ${address.toUpperCase()} `, password },
    });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().user.email, address);
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: address, password: 'not-the-password' },
    });
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: email('nobody'), password: 'whatever-it-is' },
    });
    assert.equal(wrong.statusCode, 401);
    assert.equal(unknown.statusCode, 401);
    assert.equal(wrong.json().code, 'AUTH_INVALID_CREDENTIALS');
    assert.equal(unknown.json().code, wrong.json().code);
    assert.equal(unknown.json().detail, wrong.json().detail);
  });

  it('requires credentials on every API route and rejects forged, foreign-key, unsigned and expired tokens', async () => {
    const none = await t.app.inject({ url: '/api/v1/items' });
    assert.equal(none.statusCode, 401);
    assert.equal(none.json().code, 'AUTH_REQUIRED');
    assert.match(String(none.headers['www-authenticate']), /^Bearer/);
    for (const url of [
      '/api/v1/settings',
      '/api/v1/audit-logs',
      '/api/v1/stats',
      '/api/v1/api-keys',
      '/api/v1/auth/me',
    ]) {
      assert.equal((await t.app.inject({ url })).statusCode, 401, url);
    }
    assert.equal((await t.app.inject({ url: '/health/live' })).statusCode, 200, 'probes stay public');

    const real = (await signup('tokens')).json();
    const claims = {
      userId: real.user.id,
      tenantId: real.tenant.id,
      sessionId: real.sessionId,
      role: 'owner' as const,
    };
    const otherKeys = deriveTokenKeys([{ id: TEST_TOKEN_KEYS.current.kid, key: randomBytes(32) }]);
    const forged = await signAccessToken(otherKeys, claims, { issuer: TEST_AUTH.issuer, ttlSeconds: 60 });
    const wrongIssuer = await signAccessToken(TEST_TOKEN_KEYS, claims, { issuer: 'evil', ttlSeconds: 60 });
    const [h, p] = real.accessToken.split('.');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: TEST_TOKEN_KEYS.current.kid })).toString('base64url')}.${p}.`;
    const expired = await new SignJWT({ tid: claims.tenantId, sid: claims.sessionId, role: 'owner' })
      .setProtectedHeader({ alg: 'HS256', kid: TEST_TOKEN_KEYS.current.kid, typ: 'at+jwt' })
      .setSubject(claims.userId)
      .setIssuer(TEST_AUTH.issuer)
      .setAudience('switchyard-api')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(TEST_TOKEN_KEYS.current.key);
    const cases: [string, string, string][] = [
      ['forged with another key', forged, 'AUTH_INVALID_TOKEN'],
      ['wrong issuer', wrongIssuer, 'AUTH_INVALID_TOKEN'],
      ['alg none', unsigned, 'AUTH_INVALID_TOKEN'],
      [
        'tampered payload',
        `${h}.${Buffer.from('{"sub":"usr_x"}').toString('base64url')}.${real.accessToken.split('.')[2]}`,
        'AUTH_INVALID_TOKEN',
      ],
      ['expired', expired, 'AUTH_TOKEN_EXPIRED'],
      ['garbage', 'not-a-token-at-all', 'AUTH_INVALID_TOKEN'],
      ['a refresh token used as an access token', real.refreshToken, 'AUTH_INVALID_TOKEN'],
    ];
    for (const [what, token, code] of cases) {
      const res = await t.app.inject({ url: '/api/v1/items', headers: bearer(token) });
      assert.equal(res.statusCode, 401, what);
      assert.equal(res.json().code, code, what);
    }
    assert.equal((await t.app.inject({ url: '/api/v1/items', headers: bearer(real.accessToken) })).statusCode, 200);
  });

  it('rotates refresh tokens, and a reused one revokes the whole session', async () => {
    const s = (await signup('refresh')).json();
    const r1 = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refreshToken: s.refreshToken },
    });
    assert.equal(r1.statusCode, 200, r1.body);
    const next = r1.json();
    assert.notEqual(next.refreshToken, s.refreshToken);
    assert.equal(next.sessionId, s.sessionId);
    assert.equal((await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(next.accessToken) })).statusCode, 200);

    // The first token again, from another client: someone copied it. Both holders lose the session.
    const reuse = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      headers: { 'user-agent': 'someone-else/1.0' },
      payload: { refreshToken: s.refreshToken },
    });
    assert.equal(reuse.statusCode, 401);
    assert.equal(reuse.json().code, 'AUTH_REFRESH_REUSED');
    const afterReuse = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refreshToken: next.refreshToken },
    });
    assert.equal(afterReuse.statusCode, 401, 'the newest token of a revoked family is dead too');
    const access = await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(next.accessToken) });
    assert.equal(access.statusCode, 401);
    assert.equal(access.json().code, 'AUTH_SESSION_REVOKED', 'access tokens of the session stop working at once');
  });

  it('lets the same client present a just-used refresh token again once its answer was lost, and no one else', async () => {
    const s = (await signup('grace')).json();
    const refreshWith = (refreshToken: string, userAgent = 'browser/1.0') =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/refresh',
        headers: { 'user-agent': userAgent },
        payload: { refreshToken },
      });
    const lost = await refreshWith(s.refreshToken);
    assert.equal(lost.statusCode, 200, lost.body);
    // The page reloaded before storing lost's token: it sends the old one again, and again.
    const retry = await refreshWith(s.refreshToken);
    assert.equal(retry.statusCode, 200, retry.body);
    const retry2 = await refreshWith(s.refreshToken);
    assert.equal(retry2.statusCode, 200, retry2.body);
    assert.equal(retry2.json().sessionId, s.sessionId, 'the same session goes on');
    const kept = await refreshWith(retry2.json().refreshToken);
    assert.equal(kept.statusCode, 200, 'the newest token works');

    // The old token after a later one was exchanged, even from the same client: reuse.
    const late = await refreshWith(s.refreshToken);
    assert.equal(late.statusCode, 401);
    assert.equal(late.json().code, 'AUTH_REFRESH_REUSED');
    assert.equal((await refreshWith(kept.json().refreshToken)).statusCode, 401, 'the session is revoked');

    // A successor superseded by a retry is dead: presenting it is reuse.
    const s2 = (await signup('grace-2')).json();
    const first = await refreshWith(s2.refreshToken);
    assert.equal((await refreshWith(s2.refreshToken)).statusCode, 200);
    const superseded = await refreshWith(first.json().refreshToken);
    assert.equal(superseded.statusCode, 401);
    assert.equal(superseded.json().code, 'AUTH_REFRESH_REUSED');

    // Another client within the window, or the same client after it: reuse.
    const s3 = (await signup('grace-3')).json();
    assert.equal((await refreshWith(s3.refreshToken)).statusCode, 200);
    assert.equal((await refreshWith(s3.refreshToken, 'thief/1.0')).json().code, 'AUTH_REFRESH_REUSED');
    const s4 = (await signup('grace-4')).json();
    assert.equal((await refreshWith(s4.refreshToken)).statusCode, 200);
    await getDb().handle.db.execute(
      sql`update refresh_tokens set used_at = used_at - interval '31 seconds' where session_id = ${s4.sessionId} and used_at is not null`,
    );
    assert.equal((await refreshWith(s4.refreshToken)).json().code, 'AUTH_REFRESH_REUSED');
  });

  it('ends a session on logout, and lists and revokes my other sessions', async () => {
    const address = email('sessions');
    const password = strong();
    const s1 = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/signup',
        payload: { email: address, password, name: 'S', organizationName: 'S' },
      })
    ).json();
    const s2 = (
      await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: address, password } })
    ).json();
    const list = (await t.app.inject({ url: '/api/v1/auth/sessions', headers: bearer(s1.accessToken) })).json();
    assert.deepEqual(list.data.map((x: { id: string }) => x.id).sort(), [s1.sessionId, s2.sessionId].sort());
    assert.equal(list.data.find((x: { current: boolean }) => x.current).id, s1.sessionId);

    const revoke = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/auth/sessions/${s2.sessionId}`,
      headers: bearer(s1.accessToken),
    });
    assert.equal(revoke.statusCode, 204);
    assert.equal((await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(s2.accessToken) })).statusCode, 401);

    const other = (await signup('stranger')).json();
    const foreign = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/auth/sessions/${s1.sessionId}`,
      headers: bearer(other.accessToken),
    });
    assert.equal(foreign.statusCode, 404, "no one can revoke someone else's session");

    assert.equal(
      (await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(s1.accessToken) })).statusCode,
      204,
    );
    assert.equal((await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(s1.accessToken) })).statusCode, 401);
    const refreshAfterLogout = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refreshToken: s1.refreshToken },
    });
    assert.equal(refreshAfterLogout.statusCode, 401);
  });

  it("keeps tenants apart: one organisation's token never reaches another's items", async () => {
    const a = (await signup('tenant-a')).json();
    const b = (await signup('tenant-b')).json();
    const item = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/items',
        headers: bearer(a.accessToken),
        payload: { name: 'A secret' },
      })
    ).json();
    assert.equal(
      (await t.app.inject({ url: `/api/v1/items/${item.id}`, headers: bearer(b.accessToken) })).statusCode,
      404,
    );
    assert.equal((await t.app.inject({ url: '/api/v1/items', headers: bearer(b.accessToken) })).json().data.length, 0);
    assert.equal(
      (await t.app.inject({ url: `/api/v1/items/${item.id}`, headers: bearer(a.accessToken) })).statusCode,
      200,
    );
  });

  it('switches tenant within a session when the user is a member, and old tokens for the previous tenant stop working', async () => {
    const a = (await signup('switcher')).json();
    const b = (await signup('host')).json();
    await getDb().handle.db.insert(memberships).values({ tenantId: b.tenant.id, userId: a.user.id, role: 'viewer' });
    const sw = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/switch-tenant',
      headers: bearer(a.accessToken),
      payload: { tenantId: b.tenant.id },
    });
    assert.equal(sw.statusCode, 200, sw.body);
    assert.deepEqual(sw.json().tenant, { id: b.tenant.id, name: b.tenant.name, role: 'viewer' });
    const me = (await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(sw.json().accessToken) })).json();
    assert.equal(me.tenant.id, b.tenant.id);
    assert.equal(me.memberships.length, 2);
    assert.equal((await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(a.accessToken) })).statusCode, 401);
    const viewerWrite = await t.app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: bearer(sw.json().accessToken),
      payload: { name: 'x' },
    });
    assert.equal(viewerWrite.statusCode, 403);
    assert.equal(viewerWrite.json().code, 'FORBIDDEN_PERMISSION');
    assert.equal(viewerWrite.json().requiredPermission, 'items:write');
    const stranger = (await signup('stranger2')).json();
    const notMember = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/switch-tenant',
      headers: bearer(stranger.accessToken),
      payload: { tenantId: a.tenant.id },
    });
    assert.equal(notMember.statusCode, 404);
  });
});

describeEachBackend('API keys and scopes', (getDb) => {
  let t: TestApp;
  let owner: { accessToken: string; tenant: { id: string } };
  before(async () => {
    t = await createTestApp(getDb(), { as: 'real' });
    owner = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/signup',
        payload: { email: email('keys'), password: strong(), name: 'Owner', organizationName: 'Keys Inc' },
      })
    ).json();
  });
  const asOwner = () => ({ authorization: `Bearer ${owner.accessToken}` });
  const makeKey = async (scopes: string[], headers: Record<string, string> = asOwner()) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers,
      payload: { name: `${scopes.join('+')} key`, scopes },
    });
    assert.equal(res.statusCode, 201, res.body);
    return res.json();
  };
  const as = (k: { key: string }) => ({ 'x-api-key': k.key });

  it('lets a key do exactly what its scopes say', async () => {
    const reader = await makeKey(['items:read']);
    const writer = await makeKey(['items:read', 'items:write']);
    const settings = await makeKey(['settings:write']);
    assert.match(reader.key, /^sy_/);
    assert.deepEqual(reader.scopes, ['items:read']);

    assert.equal((await t.app.inject({ url: '/api/v1/items', headers: as(reader) })).statusCode, 200);
    const readerPost = await t.app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: as(reader),
      payload: { name: 'no' },
    });
    assert.equal(readerPost.statusCode, 403);
    assert.equal(readerPost.json().code, 'FORBIDDEN_PERMISSION');
    assert.equal(readerPost.json().requiredPermission, 'items:write');
    assert.equal(
      (await t.app.inject({ url: '/api/v1/audit-logs', headers: as(reader) })).statusCode,
      403,
      'no audit:read scope',
    );

    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: { authorization: `Bearer ${writer.key}` },
      payload: { name: 'by key' },
    });
    assert.equal(created.statusCode, 201);
    const audit = (
      await t.app.inject({ url: `/api/v1/audit-logs?targetId=${created.json().id}`, headers: asOwner() })
    ).json();
    assert.deepEqual(audit.data[0].actor, { type: 'api_key', id: writer.id });

    const writerSetting = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/settings/general.timezone',
      headers: as(writer),
      payload: { value: 'Europe/Paris' },
    });
    assert.equal(writerSetting.statusCode, 403);
    const settingsKey = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/settings/general.timezone',
      headers: as(settings),
      payload: { value: 'Europe/Paris' },
    });
    assert.equal(settingsKey.statusCode, 200);
    assert.equal(
      (await t.app.inject({ url: '/api/v1/api-keys', headers: as(writer) })).statusCode,
      403,
      'managing keys needs api_keys:manage',
    );

    const listed = (await t.app.inject({ url: '/api/v1/api-keys', headers: asOwner() })).json().data;
    const used = listed.find((k: { id: string }) => k.id === writer.id);
    // last_used_at is written without making the request wait: allow it a moment to land.
    for (let i = 0; i < 20 && !used.lastUsedAt; i++) {
      await new Promise((r) => setTimeout(r, 25));
      const again = (await t.app.inject({ url: '/api/v1/api-keys', headers: asOwner() })).json().data;
      used.lastUsedAt = again.find((k: { id: string }) => k.id === writer.id).lastUsedAt;
    }
    assert.ok(used.lastUsedAt, 'last use is recorded');
  });

  it('never grants more than its creator holds, rejects unknown scopes, never shows a secret twice, and revoked keys stop at once', async () => {
    const key = await makeKey(['items:read', 'items:write']);
    const list = (await t.app.inject({ url: '/api/v1/api-keys', headers: asOwner() })).json();
    const listed = list.data.find((k: { id: string }) => k.id === key.id);
    assert.equal(listed.prefix, key.key.slice(0, 10));
    assert.equal(JSON.stringify(list).includes(key.key), false, 'the list never carries a secret');

    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: asOwner(),
      payload: { name: 'x', scopes: ['everything'] },
    });
    assert.equal(unknown.statusCode, 400);
    const roleField = await t.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: asOwner(),
      payload: { name: 'x', scopes: ['items:read'], role: 'owner' },
    });
    assert.equal(roleField.statusCode, 400, 'mass-assigning a role is refused');

    // A key that may manage keys still cannot mint one wider than itself.
    const manager = await makeKey(['api_keys:manage', 'items:read']);
    const wider = await t.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: as(manager),
      payload: { name: 'w', scopes: ['items:write'] },
    });
    assert.equal(wider.statusCode, 403);
    assert.equal(wider.json().code, 'API_KEY_SCOPE_TOO_WIDE');
    const narrower = await makeKey(['items:read'], as(manager));
    assert.deepEqual(narrower.scopes, ['items:read']);

    assert.equal(
      (await t.app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${key.id}`, headers: asOwner() })).statusCode,
      204,
    );
    const after = await t.app.inject({ url: '/api/v1/items', headers: { 'x-api-key': key.key } });
    assert.equal(after.statusCode, 401);
    assert.equal(after.json().code, 'AUTH_INVALID_API_KEY');
    const bogus = await t.app.inject({
      url: '/api/v1/items',
      headers: { 'x-api-key': 'sy_not-a-real-key-0000000000' },
    });
    assert.equal(bogus.statusCode, 401);
  });
});

describeEachBackend('first sign-up race', (getDb) => {
  it('yields exactly one operator when several first sign-ups arrive together', async () => {
    const t = await createTestApp(getDb(), { as: 'real' });
    try {
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          t.app.inject({
            method: 'POST',
            url: '/api/v1/auth/signup',
            payload: { email: email(`race${i}`), password: strong(), name: `R${i}`, organizationName: `R${i}` },
          }),
        ),
      );
      assert.deepEqual(
        results.map((r) => r.statusCode),
        [201, 201, 201, 201, 201],
      );
      assert.equal(results.filter((r) => r.json().user.isOperator).length, 1);
      assert.equal(results.filter((r) => r.json().tenant.id === BOOTSTRAP_TENANT_ID).length, 1);
    } finally {
      await t.app.close();
    }
  });
});
