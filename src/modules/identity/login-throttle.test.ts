import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { signupUser } from '../../../test/support/identity.ts';
import { createTestApp, describeEachBackend, type TestApp } from '../../../test/support/app.ts';
import { lockRemaining } from './login-throttle.ts';

let seq = 0;
const email = (who: string) => `${who}.${process.pid}.${++seq}@example.test`;
const PASSWORD = 'velvet otter 42 climbs maple';
const NEW_PASSWORD = 'quiet heron 17 crosses the weir';
const MAX_FAILURES = 3;
const LOCKOUT_SECONDS = 900;

describeEachBackend('login throttling and lockout', (getDb) => {
  let t: TestApp;
  let operator: Session;
  type Session = { accessToken: string; user: { id: string; email: string }; tenant: { id: string } };
  const h = (s: { accessToken: string }) => ({ authorization: `Bearer ${s.accessToken}` });

  const signup = (who: string): Promise<Session> => signupUser(t.app, who, PASSWORD);
  const login = (address: string, password: string) =>
    t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: address, password } });
  /** Wrong passwords up to the limit; returns the answer to the last one. */
  async function failUntilLocked(address: string) {
    for (let i = 1; i < MAX_FAILURES; i++) {
      const res = await login(address, `wrong guess ${i}`);
      assert.equal(res.statusCode, 401, `failure ${i} is an ordinary wrong password`);
      assert.equal(res.json().code, 'AUTH_INVALID_CREDENTIALS');
    }
    return login(address, 'the last wrong guess');
  }
  async function tokenFromOutbox(to: string, kind: string): Promise<string> {
    const res = await t.app.inject({
      url: `/api/v1/operator/outbox?to=${encodeURIComponent(to)}&kind=${kind}`,
      headers: h(operator),
    });
    assert.equal(res.statusCode, 200, res.body);
    const m = /"token": "([^"]+)"/.exec(res.json().data[0]?.text ?? '');
    assert.ok(m?.[1], `an email of kind ${kind} to ${to} carries a token`);
    return m[1];
  }
  /** What a client can see of a refusal, minus what differs per request. */
  const visible = (res: Awaited<ReturnType<typeof login>>) => {
    const { requestId: _r, ...body } = res.json();
    return { status: res.statusCode, retryAfter: res.headers['retry-after'], body };
  };

  before(async () => {
    t = await createTestApp(getDb(), {
      as: 'real',
      auth: { loginMaxFailures: MAX_FAILURES, loginLockoutSeconds: LOCKOUT_SECONDS },
    });
    operator = await signup('operator');
  });

  it('locks an account after N wrong passwords and then refuses the right one too, saying when to retry', async () => {
    const victim = await signup('victim');
    const locking = await failUntilLocked(victim.user.email);
    assert.equal(locking.statusCode, 429, locking.body);
    assert.match(String(locking.headers['content-type']), /^application\/problem\+json/);
    assert.equal(locking.json().code, 'AUTH_ACCOUNT_LOCKED');
    assert.equal(locking.json().retryAfterSeconds, LOCKOUT_SECONDS);
    assert.equal(locking.headers['retry-after'], String(LOCKOUT_SECONDS));

    const right = await login(victim.user.email, PASSWORD);
    assert.equal(right.statusCode, 429, 'the right password does not get through a lock');
    assert.equal(right.json().code, 'AUTH_ACCOUNT_LOCKED');
    const left = Number(right.headers['retry-after']);
    assert.ok(left > 0 && left <= LOCKOUT_SECONDS, `retry-after ${left}`);
    assert.equal(right.json().retryAfterSeconds, left);
  });

  it("audits the wrong passwords in the user's tenant, naming the one that locked the account", async () => {
    const victim = await signup('audited');
    await failUntilLocked(victim.user.email);
    await login(victim.user.email, PASSWORD); // refused while locked: not audited
    const res = await t.app.inject({ url: '/api/v1/audit-logs?action=user.login_failed', headers: h(victim) });
    assert.equal(res.statusCode, 200, res.body);
    const entries = res.json().data as {
      actor: { type: string };
      target: { id: string };
      ip: string | null;
      changes: { after?: { outcome?: string } | null };
    }[];
    assert.equal(entries.length, MAX_FAILURES);
    assert.ok(entries.every((e) => e.target.id === victim.user.id && e.actor.type === 'anonymous' && e.ip));
    assert.deepEqual(entries.map((e) => e.changes.after?.outcome).sort(), [
      'locked_out',
      ...Array<string>(MAX_FAILURES - 1).fill('wrong_password'),
    ]);
  });

  it('locks an unknown email after as many attempts, with an answer indistinguishable from a real lock', async () => {
    const known = await signup('known');
    const knownLock = await failUntilLocked(known.user.email);
    const nobody = email('nobody');
    const unknownLock = await failUntilLocked(nobody);
    assert.equal(unknownLock.statusCode, 429);
    const withoutInstance = (r: typeof knownLock) => ({ ...visible(r), body: { ...visible(r).body, instance: '' } });
    assert.deepEqual(withoutInstance(unknownLock), withoutInstance(knownLock));
    const later = [await login(nobody, 'another guess'), await login(known.user.email, PASSWORD)];
    assert.deepEqual(
      later.map((r) => [r.statusCode, r.json().code]),
      [
        [429, 'AUTH_ACCOUNT_LOCKED'],
        [429, 'AUTH_ACCOUNT_LOCKED'],
      ],
    );
  });

  it('starts the count again after a right password', async () => {
    const user = await signup('forgetful');
    for (let round = 0; round < 2; round++) {
      for (let i = 1; i < MAX_FAILURES; i++) assert.equal((await login(user.user.email, 'nope')).statusCode, 401);
      const ok = await login(user.user.email, PASSWORD);
      assert.equal(ok.statusCode, 200, `round ${round}: ${ok.body}`);
    }
  });

  it('lifts the lock by a password reset from the emailed link; the new password then works, the old one not', async () => {
    const user = await signup('recovers');
    assert.equal((await failUntilLocked(user.user.email)).statusCode, 429);
    const forgot = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password/forgot',
      payload: { email: user.user.email },
    });
    assert.equal(forgot.statusCode, 202, 'asking for a reset works while locked');
    const token = await tokenFromOutbox(user.user.email, 'reset_password');
    const reset = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password/reset',
      payload: { token, password: NEW_PASSWORD },
    });
    assert.equal(reset.statusCode, 204, reset.body);

    const ok = await login(user.user.email, NEW_PASSWORD);
    assert.equal(ok.statusCode, 200, ok.body);
    const old = await login(user.user.email, PASSWORD);
    assert.equal(old.statusCode, 401);
    assert.equal(old.json().code, 'AUTH_INVALID_CREDENTIALS');
  });

  it('ends a lock once its time is up', async () => {
    const user = await signup('patient');
    await failUntilLocked(user.user.email);
    const db = getDb().handle.db;
    const left = await lockRemaining(db, user.user.email);
    assert.ok(left !== undefined && left <= LOCKOUT_SECONDS);
    // Looking from just past the lock's end rather than waiting for it.
    assert.equal(
      await lockRemaining(db, user.user.email, new Date(Date.now() + (LOCKOUT_SECONDS + 1) * 1000)),
      undefined,
    );
  });
});
