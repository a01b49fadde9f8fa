import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, it } from 'node:test';
import { eq } from 'drizzle-orm';
import { Secret, TOTP } from 'otpauth';
import { createTestApp, describeEachBackend, TEST_RING, type TestApp } from '../../../test/support/app.ts';
import { memberships, mfaChallenges, mfaRecoveryCodes, users } from './identity.table.ts';

const strong = () => `correct horse ${randomBytes(6).toString('hex')} battery`;
let seq = 0;
const email = (who: string) => `${who}.${process.pid}.${++seq}@example.test`;

const PERIOD_MS = 30_000;
/** The current TOTP time step. Tests use it and the next one only, so none waits for the clock. */
const stepNow = () => TOTP.counter({ timestamp: Date.now() });
const codeAt = (secret: string, step: number) =>
  TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: step * PERIOD_MS });
/** A code that matches no step the server could accept now. */
const wrongCode = (secret: string) => {
  const near = new Set([-1, 0, 1, 2].map((d) => codeAt(secret, stepNow() + d)));
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, '0');
    if (!near.has(candidate)) return candidate;
  }
};

interface Account {
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  sessionId: string;
  user: { id: string };
  tenant: { id: string };
}

describeEachBackend('multi-factor authentication', (getDb) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(getDb(), { as: 'real' });
  });

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const post = (url: string, payload: object, token?: string) =>
    t.app.inject({ method: 'POST', url: `/api/v1${url}`, payload, headers: token ? bearer(token) : {} });
  const get = (url: string, token: string) => t.app.inject({ url: `/api/v1${url}`, headers: bearer(token) });

  async function signup(who: string): Promise<Account> {
    const password = strong();
    const address = email(who);
    const res = await post('/auth/signup', { email: address, password, name: who, organizationName: `${who} org` });
    assert.equal(res.statusCode, 201, res.body);
    return { ...res.json(), email: address, password };
  }
  const login = (a: Account) => post('/auth/login', { email: a.email, password: a.password });
  async function challenge(a: Account): Promise<string> {
    const res = await login(a);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().mfaRequired, true);
    return res.json().mfaToken;
  }
  const secondStep = (mfaToken: string, code: string) => post('/auth/login/mfa', { mfaToken, code });

  /** Enrols and confirms with the current step's code; the next step's code is then still fresh. */
  async function enableMfa(a: Account) {
    const enrolled = await post('/auth/mfa/totp/enroll', { password: a.password }, a.accessToken);
    assert.equal(enrolled.statusCode, 200, enrolled.body);
    const secret: string = enrolled.json().secret;
    const step = stepNow();
    const confirmed = await post('/auth/mfa/totp/confirm', { code: codeAt(secret, step) }, a.accessToken);
    assert.equal(confirmed.statusCode, 200, confirmed.body);
    return { secret, next: codeAt(secret, step + 1), recoveryCodes: confirmed.json().recoveryCodes as string[] };
  }

  it('enrols, confirms, then asks for a code at login: a wrong one is refused, the right one starts a session', async () => {
    const a = await signup('flow');
    const enrolled = await post('/auth/mfa/totp/enroll', { password: a.password }, a.accessToken);
    assert.equal(enrolled.statusCode, 200, enrolled.body);
    const { secret, otpauthUri, qrSvg } = enrolled.json();
    assert.match(secret, /^[A-Z2-7]{32}$/, '160 bits in base32');
    const uri = new URL(otpauthUri);
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.searchParams.get('secret'), secret);
    assert.equal(uri.searchParams.get('issuer'), 'Switchyard');
    assert.deepEqual(
      [uri.searchParams.get('algorithm'), uri.searchParams.get('digits'), uri.searchParams.get('period')],
      ['SHA1', '6', '30'],
    );
    assert.ok(decodeURIComponent(uri.pathname).includes(a.email), 'the app shows which account it is');
    assert.match(qrSvg, /^<svg[\s\S]*<\/svg>\s*$/);

    const [stored] = await getDb().handle.db.select().from(users).where(eq(users.id, a.user.id));
    assert.ok(stored?.totpSecretSealed && !stored.totpSecretSealed.includes(secret), 'the secret is sealed at rest');
    assert.equal(TEST_RING.open(stored.totpSecretSealed, `user:${a.user.id}:totp`), secret);
    assert.equal(stored.mfaEnabledAt, null, 'not in force until confirmed');
    assert.ok((await login(a)).json().accessToken, 'an unconfirmed enrolment does not change login');

    const step = stepNow();
    const confirmed = await post('/auth/mfa/totp/confirm', { code: codeAt(secret, step) }, a.accessToken);
    assert.equal(confirmed.statusCode, 200, confirmed.body);
    const codes: string[] = confirmed.json().recoveryCodes;
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    for (const c of codes) assert.match(c, /^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$/);
    const hashes = await getDb()
      .handle.db.select()
      .from(mfaRecoveryCodes)
      .where(eq(mfaRecoveryCodes.userId, a.user.id));
    assert.equal(hashes.length, 10);
    const plain = (codes[0] ?? '?').replaceAll('-', '');
    assert.equal(JSON.stringify(hashes).includes(plain), false, 'recovery codes are stored hashed');
    assert.equal((await get('/auth/me', a.accessToken)).json().user.mfaEnabled, true);
    const status: Record<string, unknown> = (await get('/auth/mfa', a.accessToken)).json();
    assert.match(String(status.enabledAt), /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual(
      { ...status, enabledAt: 'set' },
      { enabled: true, enabledAt: 'set', enrollmentPending: false, recoveryCodesLeft: 10 },
    );

    assert.equal((await post('/auth/logout', {}, a.accessToken)).statusCode, 204);
    const first = await login(a);
    assert.equal(first.statusCode, 200, first.body);
    const body = first.json();
    assert.equal(body.mfaRequired, true);
    assert.equal(body.expiresIn, 300);
    assert.equal(body.accessToken, undefined, 'no session before the second step');
    assert.equal(body.refreshToken, undefined);

    const wrong = await secondStep(body.mfaToken, wrongCode(secret));
    assert.equal(wrong.statusCode, 401);
    assert.equal(wrong.json().code, 'MFA_INVALID_CODE');
    assert.equal(wrong.json().attemptsLeft, 4);
    const right = await secondStep(body.mfaToken, codeAt(secret, step + 1));
    assert.equal(right.statusCode, 200, right.body);
    const session = right.json();
    assert.equal(session.tokenType, 'Bearer');
    assert.equal(session.user.id, a.user.id);
    assert.equal(session.tenant.id, a.tenant.id);
    assert.equal((await get('/auth/me', session.accessToken)).statusCode, 200);
    const audit = (
      await get(`/audit-logs?action=user.logged_in&targetId=${session.sessionId}`, session.accessToken)
    ).json();
    assert.deepEqual(audit.data[0].changes.after, { mfa: 'totp' });

    const again = await secondStep(body.mfaToken, codeAt(secret, step + 1));
    assert.equal(again.statusCode, 401);
    assert.equal(again.json().code, 'MFA_CHALLENGE_EXPIRED', 'an MFA token works once');
  });

  it('refuses a code used before, even in another login, and lets only one of two simultaneous uses win', async () => {
    const a = await signup('replay');
    const { secret, next } = await enableMfa(a);
    const [c1, c2] = [await challenge(a), await challenge(a)];
    const results = await Promise.all([secondStep(c1, next), secondStep(c2, next)]);
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 401]);
    const loser = results.find((r) => r.statusCode === 401);
    assert.equal(loser?.json().code, 'MFA_CODE_REUSED');

    const c3 = await challenge(a);
    assert.equal((await secondStep(c3, next)).json().code, 'MFA_CODE_REUSED');
    const older = await secondStep(c3, codeAt(secret, stepNow() - 1));
    assert.ok(['MFA_CODE_REUSED', 'MFA_INVALID_CODE'].includes(older.json().code), 'an older step never works');
    assert.equal(older.statusCode, 401);
  });

  it('accepts each recovery code once, whatever its case and dashes', async () => {
    const a = await signup('recovery');
    const { recoveryCodes } = await enableMfa(a);
    const [first = '', second = ''] = recoveryCodes;
    const ok = await secondStep(await challenge(a), first.replaceAll('-', '').toUpperCase());
    assert.equal(ok.statusCode, 200, ok.body);
    const audit = (
      await get(`/audit-logs?action=user.logged_in&targetId=${ok.json().sessionId}`, ok.json().accessToken)
    ).json();
    assert.deepEqual(audit.data[0].changes.after, { mfa: 'recovery_code' });

    const spent = await secondStep(await challenge(a), first);
    assert.equal(spent.statusCode, 401);
    assert.equal(spent.json().code, 'MFA_INVALID_CODE');
    assert.equal((await secondStep(await challenge(a), ` ${second} `)).statusCode, 200);
    assert.equal((await get('/auth/mfa', ok.json().accessToken)).json().recoveryCodesLeft, 8);
  });

  it('kills a challenge after five wrong codes, and refuses unknown, expired and used ones alike', async () => {
    const a = await signup('attempts');
    const { secret, next } = await enableMfa(a);
    const token = await challenge(a);
    for (let left = 4; left >= 0; left--) {
      const res = await secondStep(token, wrongCode(secret));
      assert.equal(res.statusCode, 401);
      assert.equal(res.json().code, 'MFA_INVALID_CODE');
      assert.equal(res.json().attemptsLeft, left);
    }
    const dead = await secondStep(token, next);
    assert.equal(dead.statusCode, 401);
    assert.equal(dead.json().code, 'MFA_CHALLENGE_EXPIRED', 'even the right code needs the password again');
    const fresh = await challenge(a);
    assert.equal((await secondStep(fresh, next)).statusCode, 200, 'a new login works');
    const used = await secondStep(fresh, wrongCode(secret));
    assert.equal(used.statusCode, 401);
    assert.equal(used.json().code, 'MFA_CHALLENGE_EXPIRED');

    const unknown = await secondStep(`mfa_${randomBytes(32).toString('base64url')}`, next);
    assert.equal(unknown.json().code, 'MFA_CHALLENGE_EXPIRED');
    const stale = await challenge(a);
    await getDb()
      .handle.db.update(mfaChallenges)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(mfaChallenges.userId, a.user.id));
    const expired = await secondStep(stale, wrongCode(secret));
    assert.equal(expired.statusCode, 401);
    assert.equal(expired.json().code, 'MFA_CHALLENGE_EXPIRED');
  });

  it('stops checking codes for an account after ten wrong ones across its challenges', async () => {
    const a = await signup('budget');
    const { secret, next } = await enableMfa(a);
    for (let c = 0; c < 2; c++) {
      const token = await challenge(a);
      for (let i = 0; i < 5; i++) assert.equal((await secondStep(token, wrongCode(secret))).statusCode, 401);
    }
    const limited = await secondStep(await challenge(a), next);
    assert.equal(limited.statusCode, 429);
    assert.equal(limited.json().code, 'MFA_TOO_MANY_ATTEMPTS');
    assert.ok(limited.json().retryAfterSeconds > 0 && limited.json().retryAfterSeconds <= 900);
  });

  it('needs the right password to enrol, a valid code to confirm, and refuses a second enrolment', async () => {
    const a = await signup('enrol');
    const wrong = await post('/auth/mfa/totp/enroll', { password: `${a.password}x` }, a.accessToken);
    assert.equal(wrong.statusCode, 403);
    assert.equal(wrong.json().code, 'MFA_VERIFICATION_FAILED');
    assert.equal(wrong.json().reason, 'password');
    const [row] = await getDb().handle.db.select().from(users).where(eq(users.id, a.user.id));
    assert.equal(row?.totpSecretSealed, null, 'nothing stored');
    const early = await post('/auth/mfa/totp/confirm', { code: '123456' }, a.accessToken);
    assert.equal(early.statusCode, 409);
    assert.equal(early.json().code, 'MFA_NOT_ENROLLED');

    const { secret } = (await post('/auth/mfa/totp/enroll', { password: a.password }, a.accessToken)).json();
    const badCode = await post('/auth/mfa/totp/confirm', { code: wrongCode(secret) }, a.accessToken);
    assert.equal(badCode.statusCode, 403);
    assert.equal(badCode.json().reason, 'code');
    assert.equal((await get('/auth/me', a.accessToken)).json().user.mfaEnabled, false);

    await enableMfa(a);
    const twice = await post('/auth/mfa/totp/enroll', { password: a.password }, a.accessToken);
    assert.equal(twice.statusCode, 409);
    assert.equal(twice.json().code, 'MFA_ALREADY_ENABLED');
  });

  it('lets a viewer protect their own account', async () => {
    const viewer = await signup('viewer');
    const host = await signup('host');
    await getDb()
      .handle.db.insert(memberships)
      .values({ tenantId: host.tenant.id, userId: viewer.user.id, role: 'viewer' });
    const asViewer = (
      await post('/auth/login', { email: viewer.email, password: viewer.password, tenantId: host.tenant.id })
    ).json();
    assert.equal(asViewer.tenant.role, 'viewer');
    const { next } = await enableMfa({ ...viewer, accessToken: asViewer.accessToken });
    const res = await post('/auth/login', { email: viewer.email, password: viewer.password, tenantId: host.tenant.id });
    const session = (await secondStep(res.json().mfaToken, next)).json();
    assert.deepEqual(session.tenant, asViewer.tenant, 'the second step keeps the tenant chosen at login');
  });

  it('needs the password and a code to disable; afterwards login has no second step', async () => {
    const a = await signup('disable');
    const { secret, next } = await enableMfa(a);
    const badPassword = await post('/auth/mfa/disable', { password: 'wrong password!', code: next }, a.accessToken);
    assert.equal(badPassword.statusCode, 403);
    assert.equal(badPassword.json().reason, 'password');
    const badCode = await post('/auth/mfa/disable', { password: a.password, code: wrongCode(secret) }, a.accessToken);
    assert.equal(badCode.statusCode, 403);
    assert.equal(badCode.json().reason, 'code');
    assert.equal((await get('/auth/me', a.accessToken)).json().user.mfaEnabled, true, 'still on');

    const off = await post('/auth/mfa/disable', { password: a.password, code: next }, a.accessToken);
    assert.equal(off.statusCode, 204, off.body);
    assert.equal((await get('/auth/me', a.accessToken)).json().user.mfaEnabled, false);
    assert.deepEqual((await get('/auth/mfa', a.accessToken)).json(), {
      enabled: false,
      enabledAt: null,
      enrollmentPending: false,
      recoveryCodesLeft: 0,
    });
    const plain = await login(a);
    assert.equal(plain.statusCode, 200);
    assert.ok(plain.json().accessToken, 'a session straight from the password');
    assert.equal(plain.json().mfaRequired, undefined);
    const audit = (await get('/audit-logs?action=user.mfa_disabled', a.accessToken)).json();
    assert.equal(audit.data[0].target.id, a.user.id);
    const again = await post('/auth/mfa/disable', { password: a.password, code: next }, a.accessToken);
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().code, 'MFA_NOT_ENABLED');
  });

  it('replaces recovery codes on request: the old ones stop working', async () => {
    const a = await signup('regen');
    const { recoveryCodes: old } = await enableMfa(a);
    const res = await post('/auth/mfa/recovery-codes', { password: a.password, code: old[0] ?? '' }, a.accessToken);
    assert.equal(res.statusCode, 200, res.body);
    const fresh: string[] = res.json().recoveryCodes;
    assert.equal(fresh.length, 10);
    assert.equal(
      fresh.some((c) => old.includes(c)),
      false,
    );
    assert.equal((await secondStep(await challenge(a), old[1] ?? '')).json().code, 'MFA_INVALID_CODE');
    assert.equal((await secondStep(await challenge(a), fresh[0] ?? '')).statusCode, 200);
  });

  it('ends my other sessions when MFA is turned on or off, and keeps the one that did it', async () => {
    const a = await signup('sessions');
    const other = (await login(a)).json();
    const { next, recoveryCodes } = await enableMfa(a);
    const revoked = await get('/auth/me', other.accessToken);
    assert.equal(revoked.statusCode, 401);
    assert.equal(revoked.json().code, 'AUTH_SESSION_REVOKED');
    const refresh = await post('/auth/refresh', { refreshToken: other.refreshToken });
    assert.equal(refresh.statusCode, 401);
    assert.equal((await get('/auth/me', a.accessToken)).statusCode, 200, 'the enabling session lives on');
    const audit = (await get('/audit-logs?action=user.mfa_enabled', a.accessToken)).json();
    assert.deepEqual(audit.data[0].changes.after, { method: 'totp', revokedSessions: 1 });

    const viaMfa = (await secondStep(await challenge(a), next)).json();
    assert.equal((await get('/auth/me', viaMfa.accessToken)).statusCode, 200);
    const off = await post('/auth/mfa/disable', { password: a.password, code: recoveryCodes[0] }, a.accessToken);
    assert.equal(off.statusCode, 204, off.body);
    assert.equal((await get('/auth/me', viaMfa.accessToken)).statusCode, 401, 'disabling ends other sessions too');
    assert.equal((await get('/auth/me', a.accessToken)).statusCode, 200);
  });
});
