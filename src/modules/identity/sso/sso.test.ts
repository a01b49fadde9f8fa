import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import { and, eq, sql } from 'drizzle-orm';
import { createTestApp, describeEachBackend, type TestApp } from '../../../../test/support/app.ts';
import { auditLogs } from '../../audit/audit.table.ts';
import { hashToken } from '../../../platform/crypto/index.ts';
import { identityProviders, memberships, ssoStates, userIdentities, users } from '../identity.table.ts';
import { followUntil, startGithubServer, startOidcProvider, type TestIdp } from './test-idp.ts';

const strong = () => `correct horse ${randomBytes(6).toString('hex')} battery`;
let seq = 0;
const uniq = (who: string) => `${who}.${process.pid}.${++seq}`;
const ALLOW_LOCAL = { allowlist: ['127.0.0.1'] };
const PUBLIC_URL = 'http://localhost:3000';

describeEachBackend('single sign-on', (getDb) => {
  let t: TestApp;
  let idp: TestIdp;
  let github: Awaited<ReturnType<typeof startGithubServer>>;
  let operatorToken: string;
  let providerId: string;
  const clientSecret = `s3cret-${randomBytes(12).toString('hex')}`;

  const inject = (method: 'GET' | 'POST' | 'DELETE', url: string, token?: string, payload?: object) =>
    t.app.inject({
      method,
      url,
      ...(payload ? { payload } : {}),
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });

  async function signup(email: string, password = strong()) {
    const res = await inject('POST', '/api/v1/auth/signup', undefined, {
      email,
      password,
      name: 'Person',
      organizationName: `Org ${email}`,
    });
    assert.equal(res.statusCode, 201, res.body);
    return res.json() as { accessToken: string; user: { id: string }; tenant: { id: string } };
  }

  async function addOidcProvider(url: string, token: string, name = 'Test IdP') {
    const res = await inject('POST', url, token, {
      kind: 'oidc',
      name,
      issuer: idp.issuer,
      clientId: `client-${randomBytes(4).toString('hex')}`,
      clientSecret,
    });
    assert.equal(res.statusCode, 201, res.body);
    const p = res.json() as { id: string; clientId: string; callbackUrl: string };
    await idp.addClient({ clientId: p.clientId, clientSecret, redirectUri: p.callbackUrl });
    return p;
  }

  /** Start → IdP login as `account` → the callback URL the IdP sends the browser to. */
  async function toCallback(id: string, account: string, opts: { tamper?: (u: URL) => void; app?: TestApp } = {}) {
    const app = opts.app ?? t;
    idp.nextLogin = account;
    const start = await app.app.inject({ method: 'GET', url: `/api/v1/auth/sso/${id}/start?redirectTo=/welcome` });
    assert.equal(start.statusCode, 302, start.body);
    const cookie = String(start.headers['set-cookie']).split(';')[0] ?? '';
    const authorize = new URL(String(start.headers.location));
    opts.tamper?.(authorize);
    const back = await followUntil(authorize.href, `${PUBLIC_URL}/api/v1/auth/sso/${id}/callback`);
    return { path: back.pathname + back.search, cookie, state: back.searchParams.get('state') ?? '' };
  }

  async function callback(cb: { path: string; cookie: string }, app = t) {
    return app.app.inject({ method: 'GET', url: cb.path, headers: { cookie: cb.cookie } });
  }

  /** What a browser navigating back from the provider sends. */
  const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
  async function browserCallback(cb: { path: string; cookie: string }) {
    return t.app.inject({ method: 'GET', url: cb.path, headers: { cookie: cb.cookie, accept: BROWSER_ACCEPT } });
  }
  const setCookies = (res: { headers: Record<string, unknown> }) => {
    const raw = res.headers['set-cookie'];
    return (Array.isArray(raw) ? raw : raw ? [raw] : []).map(String);
  };
  const cookieValue = (list: string[], name: string) =>
    list
      .find((c) => c.startsWith(`${name}=`))
      ?.split(';')[0]
      ?.slice(name.length + 1) ?? '';

  function idpAccount(verified = true) {
    const sub = uniq('sub');
    idp.accounts.set(sub, { email: `${sub}@idp.example`, email_verified: verified, name: 'Ada Lovelace' });
    return sub;
  }

  before(async () => {
    idp = await startOidcProvider();
    github = await startGithubServer({ clientId: 'gh-client', clientSecret });
    t = await createTestApp(getDb(), {
      as: 'real',
      outbound: ALLOW_LOCAL,
      sso: { githubOauthUrl: github.oauthUrl, githubApiUrl: github.apiUrl },
    });
    // The first account of the instance is its operator.
    operatorToken = (await signup(`${uniq('operator')}@example.test`)).accessToken;
    providerId = (await addOidcProvider('/api/v1/operator/sso/providers', operatorToken)).id;
  });
  after(async () => {
    await t.app.close();
    await idp.close();
    await github.close();
  });

  it('stores the client secret sealed, never returns or logs it, and shows the callback URL', async () => {
    const list = await inject('GET', '/api/v1/operator/sso/providers', operatorToken);
    assert.equal(list.statusCode, 200);
    const [p] = (list.json() as { data: Record<string, unknown>[] }).data.filter((x) => x.id === providerId);
    assert.ok(p);
    assert.equal(p.hasSecret, true);
    assert.equal(p.callbackUrl, `${PUBLIC_URL}/api/v1/auth/sso/${providerId}/callback`);
    assert.ok(!list.body.includes(clientSecret));
    const [row] = await getDb().handle.db.select().from(identityProviders).where(eq(identityProviders.id, providerId));
    assert.ok(row && !row.clientSecretSealed.includes(clientSecret) && row.clientSecretSealed.startsWith('v1.'));
    assert.ok(!t.logs.lines.some((l) => l.includes(clientSecret)));
    const login = await inject('GET', '/api/v1/auth/sso/providers');
    assert.ok((login.json() as { data: { id: string }[] }).data.some((x) => x.id === providerId));
  });

  it('creates a new user with their own organisation, then reuses the link on the next login', async () => {
    const sub = idpAccount();
    const first = await callback(await toCallback(providerId, sub));
    assert.equal(first.statusCode, 200, first.body);
    assert.equal(first.headers['cache-control'], 'no-store');
    const tokens = first.json() as { accessToken: string; user: { id: string; email: string }; redirectTo: string };
    assert.equal(tokens.user.email, `${sub}@idp.example`);
    assert.equal(tokens.redirectTo, '/welcome');
    const me = await inject('GET', '/api/v1/auth/me', tokens.accessToken);
    assert.equal(me.statusCode, 200, me.body);
    const body = me.json() as { user: { id: string; isOperator: boolean }; tenant: { role: string } };
    assert.equal(body.user.id, tokens.user.id);
    assert.equal(body.user.isOperator, false);
    assert.equal(body.tenant.role, 'owner');
    const db = getDb().handle.db;
    const [u] = await db.select().from(users).where(eq(users.id, tokens.user.id));
    assert.equal(u?.passwordHash, null);
    const audit = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, 'user.logged_in'), eq(auditLogs.actorId, tokens.user.id)));
    assert.deepEqual(audit[0]?.changes.after, { via: 'sso', provider: providerId });

    const second = await callback(await toCallback(providerId, sub));
    assert.equal(second.statusCode, 200, second.body);
    assert.equal((second.json() as { user: { id: string } }).user.id, tokens.user.id);
    const links = await db.select().from(userIdentities).where(eq(userIdentities.userId, tokens.user.id));
    assert.equal(links.length, 1);
    assert.equal(links[0]?.subject, sub);
  });

  it('links an existing password account with the same verified email, and refuses an unverified one', async () => {
    const sub = idpAccount();
    const email = `${sub}@idp.example`;
    const local = await signup(email);
    // The local address is not verified yet: linking would hand a pre-registered account over.
    const refused = await callback(await toCallback(providerId, sub));
    assert.equal(refused.statusCode, 409, refused.body);
    assert.equal(refused.json().code, 'SSO_ACCOUNT_NOT_VERIFIED');
    const db = getDb().handle.db;
    await db.update(users).set({ emailVerifiedAt: new Date() }).where(eq(users.id, local.user.id));

    const res = await callback(await toCallback(providerId, sub));
    assert.equal(res.statusCode, 200, res.body);
    const tokens = res.json() as { user: { id: string }; tenant: { id: string; role: string } };
    assert.equal(tokens.user.id, local.user.id);
    assert.equal(tokens.tenant.id, local.tenant.id);
    assert.equal(tokens.tenant.role, 'owner');
    const [link] = await db.select().from(userIdentities).where(eq(userIdentities.userId, local.user.id));
    assert.equal(link?.subject, sub);
  });

  it('still asks for the second factor when the account has MFA on', async () => {
    const sub = idpAccount();
    const first = await callback(await toCallback(providerId, sub));
    assert.equal(first.statusCode, 200, first.body);
    const userId = (first.json() as { user: { id: string } }).user.id;
    const db = getDb().handle.db;
    await db.update(users).set({ mfaEnabledAt: new Date() }).where(eq(users.id, userId));
    const res = await callback(await toCallback(providerId, sub));
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json() as { mfaRequired?: boolean; mfaToken?: string; accessToken?: string };
    assert.equal(body.mfaRequired, true);
    assert.match(body.mfaToken ?? '', /^mfa_/);
    assert.equal(body.accessToken, undefined);
  });

  it('refuses an email the provider does not mark verified, and links nothing', async () => {
    const sub = idpAccount(false);
    const res = await callback(await toCallback(providerId, sub));
    assert.equal(res.statusCode, 409, res.body);
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(res.json().code, 'SSO_EMAIL_NOT_VERIFIED');
    const db = getDb().handle.db;
    assert.equal((await db.select().from(userIdentities).where(eq(userIdentities.subject, sub))).length, 0);
    const found = await db
      .select()
      .from(users)
      .where(sql`lower(${users.email}) = ${`${sub}@idp.example`}`);
    assert.equal(found.length, 0);
  });

  it('refuses a replayed state, an unknown state and a callback without the state cookie', async () => {
    const sub = idpAccount();
    const cb = await toCallback(providerId, sub);
    assert.equal((await callback(cb)).statusCode, 200);
    const replay = await callback(cb);
    assert.equal(replay.statusCode, 400);
    assert.equal(replay.json().code, 'SSO_STATE_INVALID');

    const forged = 'x'.repeat(43);
    const unknown = await callback({
      path: `/api/v1/auth/sso/${providerId}/callback?code=abc&state=${forged}`,
      cookie: `switchyard_sso_state=${forged}`,
    });
    assert.equal(unknown.statusCode, 400);
    assert.equal(unknown.json().code, 'SSO_STATE_INVALID');

    const fresh = await toCallback(providerId, sub);
    const noCookie = await callback({ path: fresh.path, cookie: '' });
    assert.equal(noCookie.statusCode, 400);
    assert.equal(noCookie.json().code, 'SSO_STATE_MISMATCH');
  });

  it('hands a browser the session as cookies and redirects it to redirectTo', async () => {
    const res = await browserCallback(await toCallback(providerId, idpAccount()));
    assert.equal(res.statusCode, 302, res.body);
    assert.equal(res.headers.location, '/welcome');
    assert.equal(res.headers['cache-control'], 'no-store');
    const cookies = setCookies(res);
    assert.ok(cookies.some((c) => c.startsWith('switchyard_sso_state=;') && c.includes('Max-Age=0')));
    const refresh = cookies.find((c) => c.startsWith('sy_refresh='));
    assert.ok(refresh?.includes('HttpOnly') && refresh.includes('SameSite=Strict') && refresh.includes('Secure'));
    assert.ok(!res.body.includes('accessToken'));
    // The dashboard's bootstrap: renew from the cookie with the double-submit CSRF header.
    const csrf = decodeURIComponent(cookieValue(cookies, 'sy_csrf'));
    const renewed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      headers: {
        'x-session-transport': 'cookie',
        'x-csrf-token': csrf,
        cookie: `sy_refresh=${cookieValue(cookies, 'sy_refresh')}; sy_csrf=${cookieValue(cookies, 'sy_csrf')}`,
      },
      payload: {},
    });
    assert.equal(renewed.statusCode, 200, renewed.body);
    const { accessToken } = renewed.json() as { accessToken: string };
    assert.equal((await inject('GET', '/api/v1/auth/me', accessToken)).statusCode, 200);
  });

  it('sends a browser that owes its second factor to the login page, the MFA token in the fragment', async () => {
    const sub = idpAccount();
    const first = await callback(await toCallback(providerId, sub));
    const userId = (first.json() as { user: { id: string } }).user.id;
    await getDb().handle.db.update(users).set({ mfaEnabledAt: new Date() }).where(eq(users.id, userId));
    const res = await browserCallback(await toCallback(providerId, sub));
    assert.equal(res.statusCode, 302, res.body);
    assert.match(String(res.headers.location), /^\/login\?next=%2Fwelcome#mfaToken=mfa_[\w-]+$/);
    assert.ok(!setCookies(res).some((c) => c.startsWith('sy_refresh=')));
  });

  it('sends a browser to the login page with the error code, and keeps problems for API clients', async () => {
    const cb = await toCallback(providerId, idpAccount());
    assert.equal((await browserCallback(cb)).statusCode, 302);
    const replay = await browserCallback(cb);
    assert.equal(replay.statusCode, 302);
    assert.equal(replay.headers.location, '/login?ssoError=SSO_STATE_INVALID');
    assert.ok(!setCookies(replay).some((c) => c.startsWith('sy_refresh=')));

    const noState = await browserCallback({ path: `/api/v1/auth/sso/${providerId}/callback?code=x`, cookie: '' });
    assert.equal(noState.headers.location, '/login?ssoError=VALIDATION_FAILED');
    const unverified = await browserCallback(await toCallback(providerId, idpAccount(false)));
    assert.equal(unverified.headers.location, '/login?ssoError=SSO_EMAIL_NOT_VERIFIED');

    const api = await callback({ path: `/api/v1/auth/sso/${providerId}/callback?code=x`, cookie: '' });
    assert.equal(api.statusCode, 400);
    assert.equal(api.json().code, 'VALIDATION_FAILED');
  });

  it('never redirects a browser off this server, even with a stored redirectTo that is not a local path', async () => {
    for (const evil of ['//evil.example', 'https://evil.example/', '/\\evil.example', '/ok\nSet-Cookie: x=y']) {
      const cb = await toCallback(providerId, idpAccount());
      await getDb()
        .handle.db.update(ssoStates)
        .set({ redirectTo: evil })
        .where(eq(ssoStates.stateHash, hashToken(cb.state)));
      const res = await browserCallback(cb);
      assert.equal(res.statusCode, 302, evil);
      assert.equal(res.headers.location, '/', evil);
    }
  });

  it('refuses an ID token whose nonce is not the one this sign-in sent', async () => {
    const sub = idpAccount();
    const cb = await toCallback(providerId, sub, { tamper: (u) => u.searchParams.set('nonce', 'attacker-nonce') });
    const res = await callback(cb);
    assert.equal(res.statusCode, 401, res.body);
    assert.equal(res.json().code, 'SSO_ID_TOKEN_INVALID');
    const found = await getDb()
      .handle.db.select()
      .from(users)
      .where(sql`lower(${users.email}) = ${`${sub}@idp.example`}`);
    assert.equal(found.length, 0);
  });

  it('accepts only a relative redirectTo, and 404s an unknown provider', async () => {
    for (const bad of ['https://evil.example/', '//evil.example', '/\\evil.example']) {
      const res = await inject('GET', `/api/v1/auth/sso/${providerId}/start?redirectTo=${encodeURIComponent(bad)}`);
      assert.equal(res.statusCode, 400, bad);
    }
    const res = await inject('GET', '/api/v1/auth/sso/idp_00000000000000000000000000/start');
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().code, 'SSO_PROVIDER_NOT_FOUND');
  });

  it('refuses an issuer on a private address unless that host is allow-listed', async () => {
    const strict = await createTestApp(getDb(), { as: 'real' });
    try {
      const body = { kind: 'oidc', name: 'x', issuer: idp.issuer, clientId: 'c', clientSecret: 's' };
      const local = await strict.app.inject({
        method: 'POST',
        url: '/api/v1/operator/sso/providers',
        headers: { authorization: `Bearer ${operatorToken}` },
        payload: body,
      });
      assert.equal(local.statusCode, 400, local.body);
      assert.equal(local.json().code, 'OUTBOUND_URL_FORBIDDEN');
      for (const issuer of ['http://169.254.169.254/latest', 'https://10.1.2.3/realms/x', 'https://[::1]/']) {
        const res = await inject('POST', '/api/v1/operator/sso/providers', operatorToken, { ...body, issuer });
        assert.equal(res.statusCode, 400, issuer);
        assert.equal(res.json().code, 'OUTBOUND_URL_FORBIDDEN', issuer);
      }
    } finally {
      await strict.app.close();
    }
  });

  it('lets only the operator add instance providers, and only admins add tenant ones', async () => {
    const owner = await signup(`${uniq('owner')}@example.test`);
    const res = await inject('POST', '/api/v1/operator/sso/providers', owner.accessToken, {
      kind: 'github',
      name: 'GitHub',
      clientId: 'x',
      clientSecret: 'y',
    });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().code, 'OPERATOR_ONLY');
    const missing = await inject('POST', '/api/v1/sso/providers', owner.accessToken, {
      kind: 'oidc',
      name: 'No issuer',
      clientId: 'x',
      clientSecret: 'y',
    });
    assert.equal(missing.statusCode, 400);
  });

  it("makes new people viewers of a tenant through that tenant's provider, and keeps outsiders out", async () => {
    const admin = await signup(`${uniq('admin')}@example.test`);
    const p = await addOidcProvider('/api/v1/sso/providers', admin.accessToken, 'Corp SSO');
    const list = await inject('GET', `/api/v1/auth/sso/providers?tenantId=${admin.tenant.id}`);
    const shown = (list.json() as { data: { id: string; scope: string }[] }).data.find((x) => x.id === p.id);
    assert.equal(shown?.scope, 'tenant');

    const sub = idpAccount();
    const res = await callback(await toCallback(p.id, sub));
    assert.equal(res.statusCode, 200, res.body);
    const tokens = res.json() as { tenant: { id: string; role: string } };
    assert.deepEqual([tokens.tenant.id, tokens.tenant.role], [admin.tenant.id, 'viewer']);

    // Someone with an account elsewhere cannot be claimed by this tenant's IdP.
    const outsider = await signup(`${uniq('outsider')}@idp.example`);
    const db = getDb().handle.db;
    await db.update(users).set({ emailVerifiedAt: new Date() }).where(eq(users.id, outsider.user.id));
    const [outsiderRow] = await db.select().from(users).where(eq(users.id, outsider.user.id));
    const outsiderSub = uniq('sub');
    idp.accounts.set(outsiderSub, { email: outsiderRow?.email ?? '', email_verified: true, name: 'Out' });
    const claimed = await callback(await toCallback(p.id, outsiderSub));
    assert.equal(claimed.statusCode, 409, claimed.body);
    assert.equal(claimed.json().code, 'SSO_EMAIL_IN_USE');
    const outsiderMemberships = await db.select().from(memberships).where(eq(memberships.userId, outsider.user.id));
    assert.equal(outsiderMemberships.length, 1);

    const del = await inject('DELETE', `/api/v1/sso/providers/${p.id}`, admin.accessToken);
    assert.equal(del.statusCode, 204);
    const gone = await inject('GET', `/api/v1/auth/sso/${p.id}/start`);
    assert.equal(gone.statusCode, 404);
  });

  it('refuses new accounts through an instance provider when sign-up is closed', async () => {
    const closed = await createTestApp(getDb(), {
      as: 'real',
      outbound: ALLOW_LOCAL,
      auth: { signupMode: 'closed' },
    });
    try {
      const res = await callback(await toCallback(providerId, idpAccount(), { app: closed }), closed);
      assert.equal(res.statusCode, 403, res.body);
      assert.equal(res.json().code, 'AUTH_SIGNUP_CLOSED');
    } finally {
      await closed.app.close();
    }
  });

  it('signs in with GitHub using only a primary, verified email', async () => {
    const res = await inject('POST', '/api/v1/operator/sso/providers', operatorToken, {
      kind: 'github',
      name: 'GitHub',
      clientId: 'gh-client',
      clientSecret,
    });
    assert.equal(res.statusCode, 201, res.body);
    const gh = res.json() as { id: string; scopes: string; issuer: null };
    assert.equal(gh.scopes, 'read:user user:email');
    const login = uniq('octo');
    github.state.nextUser = {
      id: 1000 + seq,
      login,
      name: null,
      emails: [
        { email: `${login}@old.example`, primary: false, verified: true },
        { email: `${login}@users.example`, primary: true, verified: true },
      ],
    };
    const ok = await callback(await toCallback(gh.id, ''));
    assert.equal(ok.statusCode, 200, ok.body);
    const tokens = ok.json() as { accessToken: string; user: { email: string; name: string } };
    assert.equal(tokens.user.email, `${login}@users.example`);
    assert.equal(tokens.user.name, login);
    assert.equal((await inject('GET', '/api/v1/auth/me', tokens.accessToken)).statusCode, 200);

    const other = uniq('octo');
    github.state.nextUser = {
      id: 5000 + seq,
      login: other,
      name: 'Unverified',
      emails: [{ email: `${other}@users.example`, primary: true, verified: false }],
    };
    const refused = await callback(await toCallback(gh.id, ''));
    assert.equal(refused.statusCode, 409, refused.body);
    assert.equal(refused.json().code, 'SSO_EMAIL_NOT_VERIFIED');
  });
});
