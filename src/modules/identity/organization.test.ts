import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { createTestApp, describeEachBackend, type TestApp } from '../../../test/support/app.ts';

let seq = 0;
const email = (who: string) => `${who}.${process.pid}.${++seq}@example.test`;
const PASSWORD = 'velvet otter 42 climbs maple';

describeEachBackend('members, invitations, accounts and the operator', (getDb) => {
  let t: TestApp;
  let operator: Session;
  type Session = {
    accessToken: string;
    refreshToken: string;
    sessionId: string;
    user: { id: string; email: string };
    tenant: { id: string };
  };
  const h = (s: { accessToken: string }) => ({ authorization: `Bearer ${s.accessToken}` });

  async function signup(who: string, password = PASSWORD): Promise<Session> {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/signup',
      payload: { email: email(who), password, name: who, organizationName: `${who} org` },
    });
    assert.equal(res.statusCode, 201, res.body);
    return res.json();
  }
  /** Reads the newest email to an address from the outbox and pulls the token out of it. */
  async function tokenFromOutbox(to: string, kind: string): Promise<string> {
    const res = await t.app.inject({
      url: `/api/v1/operator/outbox?to=${encodeURIComponent(to)}&kind=${kind}`,
      headers: h(operator),
    });
    assert.equal(res.statusCode, 200, res.body);
    const mail = res.json().data[0];
    assert.ok(mail, `an email of kind ${kind} to ${to}`);
    const m = /"token": "([^"]+)"/.exec(mail.text);
    assert.ok(m?.[1], 'the email carries a token');
    return m[1];
  }

  before(async () => {
    t = await createTestApp(getDb(), { as: 'real' });
    operator = await signup('operator');
  });

  it('invites by email, the invitee signs up from the link and joins with the invited role, once', async () => {
    const owner = await signup('owner1');
    const invitee = email('invitee');
    const inv = await t.app.inject({
      method: 'POST',
      url: '/api/v1/invitations',
      headers: h(owner),
      payload: { email: invitee, role: 'editor' },
    });
    assert.equal(inv.statusCode, 201, inv.body);
    assert.equal(inv.json().status, 'pending');
    const token = await tokenFromOutbox(invitee, 'invitation');

    const joined = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/signup-invited',
      payload: { token, name: 'Invitee', password: PASSWORD },
    });
    assert.equal(joined.statusCode, 201, joined.body);
    assert.equal(joined.json().tenant.id, owner.tenant.id);
    assert.equal(joined.json().tenant.role, 'editor');
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/signup-invited',
      payload: { token, name: 'Again', password: PASSWORD },
    });
    assert.equal(again.statusCode, 404, 'an invitation works once');

    const members = (await t.app.inject({ url: '/api/v1/members', headers: h(owner) })).json();
    assert.deepEqual(members.data.map((m: { role: string }) => m.role).sort(), ['editor', 'owner']);
    const list = (await t.app.inject({ url: '/api/v1/invitations', headers: h(owner) })).json();
    assert.equal(list.data[0].status, 'accepted');
  });

  it('lets an existing user accept an invitation for their address only, then switch into that tenant', async () => {
    const owner = await signup('owner2');
    const guest = await signup('guest');
    const other = await signup('other');
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/invitations',
      headers: h(owner),
      payload: { email: guest.user.email, role: 'viewer' },
    });
    const token = await tokenFromOutbox(guest.user.email, 'invitation');
    const wrongPerson = await t.app.inject({
      method: 'POST',
      url: '/api/v1/invitations/accept',
      headers: h(other),
      payload: { token },
    });
    assert.equal(wrongPerson.statusCode, 403);
    assert.equal(wrongPerson.json().code, 'INVITATION_EMAIL_MISMATCH');
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/v1/invitations/accept',
      headers: h(guest),
      payload: { token },
    });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ok.json().role, 'viewer');
    const sw = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/switch-tenant',
      headers: h(guest),
      payload: { tenantId: owner.tenant.id },
    });
    assert.equal(sw.statusCode, 200);
  });

  it('resends with a fresh link (the old one dies), revokes, and refuses roles above the inviter', async () => {
    const owner = await signup('owner3');
    const address = email('resend');
    const inv = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/invitations',
        headers: h(owner),
        payload: { email: address, role: 'admin' },
      })
    ).json();
    const first = await tokenFromOutbox(address, 'invitation');
    const resent = await t.app.inject({
      method: 'POST',
      url: `/api/v1/invitations/${inv.id}/resend`,
      headers: h(owner),
    });
    assert.equal(resent.statusCode, 200);
    const second = await tokenFromOutbox(address, 'invitation');
    assert.notEqual(first, second);
    const old = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/signup-invited',
      payload: { token: first, name: 'x', password: PASSWORD },
    });
    assert.equal(old.statusCode, 404);
    assert.equal(
      (await t.app.inject({ method: 'DELETE', url: `/api/v1/invitations/${inv.id}`, headers: h(owner) })).statusCode,
      204,
    );
    const revoked = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/signup-invited',
      payload: { token: second, name: 'x', password: PASSWORD },
    });
    assert.equal(revoked.statusCode, 404);

    // An admin cannot invite an owner.
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/invitations',
      headers: h(owner),
      payload: { email: email('adm'), role: 'admin' },
    });
    const adminAddress = email('admin-user');
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/invitations',
      headers: h(owner),
      payload: { email: adminAddress, role: 'admin' },
    });
    const admin = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/signup-invited',
        payload: { token: await tokenFromOutbox(adminAddress, 'invitation'), name: 'Adm', password: PASSWORD },
      })
    ).json();
    const tooHigh = await t.app.inject({
      method: 'POST',
      url: '/api/v1/invitations',
      headers: h(admin),
      payload: { email: email('x'), role: 'owner' },
    });
    assert.equal(tooHigh.statusCode, 403);
  });

  it('changes roles, keeps at least one owner, transfers ownership, and removal ends the removed sessions', async () => {
    const owner = await signup('owner4');
    const address = email('member4');
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/invitations',
      headers: h(owner),
      payload: { email: address, role: 'viewer' },
    });
    const member: Session = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/signup-invited',
        payload: { token: await tokenFromOutbox(address, 'invitation'), name: 'M', password: PASSWORD },
      })
    ).json();

    const demoteSelf = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/members/${owner.user.id}`,
      headers: h(owner),
      payload: { role: 'admin' },
    });
    assert.equal(demoteSelf.statusCode, 409);
    assert.equal(demoteSelf.json().code, 'MEMBER_LAST_OWNER');
    const leave = await t.app.inject({ method: 'DELETE', url: `/api/v1/members/${owner.user.id}`, headers: h(owner) });
    assert.equal(leave.statusCode, 409);

    const promote = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/members/${member.user.id}`,
      headers: h(owner),
      payload: { role: 'editor' },
    });
    assert.equal(promote.statusCode, 200);
    assert.equal(promote.json().role, 'editor');
    // The role is read live: the member's existing token can write now.
    const write = await t.app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: h(member),
      payload: { name: 'as editor' },
    });
    assert.equal(write.statusCode, 201);

    const transfer = await t.app.inject({
      method: 'POST',
      url: '/api/v1/members/transfer-ownership',
      headers: h(owner),
      payload: { userId: member.user.id },
    });
    assert.equal(transfer.statusCode, 204);
    const roles = (await t.app.inject({ url: '/api/v1/members', headers: h(owner) })).json().data;
    assert.deepEqual(Object.fromEntries(roles.map((m: { userId: string; role: string }) => [m.userId, m.role])), {
      [owner.user.id]: 'admin',
      [member.user.id]: 'owner',
    });

    const removeOwner = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/members/${member.user.id}`,
      headers: h(owner),
    });
    assert.equal(removeOwner.statusCode, 403, 'an admin cannot remove an owner');
    // The soon-removed admin made an API key: it must leave with them.
    const key = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: h(owner),
        payload: { name: 'mine', scopes: ['items:read'] },
      })
    ).json();
    assert.equal((await t.app.inject({ url: '/api/v1/items', headers: { 'x-api-key': key.key } })).statusCode, 200);
    const removeAdmin = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/members/${owner.user.id}`,
      headers: h(member),
    });
    assert.equal(removeAdmin.statusCode, 204);
    const after = await t.app.inject({ url: '/api/v1/items', headers: h(owner) });
    assert.equal(after.statusCode, 401, 'the removed member is out at once');
    const keyAfter = await t.app.inject({ url: '/api/v1/items', headers: { 'x-api-key': key.key } });
    assert.equal(keyAfter.statusCode, 401, "the removed member's API key is revoked with them");
  });

  it('changes a password (other sessions end), and resets a forgotten one from the emailed link', async () => {
    const a = await signup('pw');
    const second = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: a.user.email, password: PASSWORD },
      })
    ).json();
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password/change',
      headers: h(a),
      payload: { currentPassword: 'nope-nope-nope', newPassword: 'amber falcon 77 river stone' },
    });
    assert.equal(wrong.statusCode, 401);
    const changed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password/change',
      headers: h(a),
      payload: { currentPassword: PASSWORD, newPassword: 'amber falcon 77 river stone' },
    });
    assert.equal(changed.statusCode, 204, changed.body);
    assert.equal(
      (await t.app.inject({ url: '/api/v1/auth/me', headers: h(a) })).statusCode,
      200,
      'the current session stays',
    );
    assert.equal(
      (await t.app.inject({ url: '/api/v1/auth/me', headers: h(second) })).statusCode,
      401,
      'the other one ends',
    );

    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password/forgot',
      payload: { email: email('nobody') },
    });
    const known = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password/forgot',
      payload: { email: a.user.email },
    });
    assert.equal(unknown.statusCode, 202);
    assert.equal(known.statusCode, 202);
    assert.equal(unknown.body, known.body, 'the answer does not reveal whether the address exists');
    const token = await tokenFromOutbox(a.user.email, 'reset_password');
    const weak = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password/reset',
      payload: { token, password: 'password' },
    });
    assert.equal(weak.statusCode, 400);
    const reset = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password/reset',
      payload: {
        token: await tokenFromOutbox(a.user.email, 'reset_password'),
        password: 'crimson kite 19 drifts west',
      },
    });
    assert.equal(reset.statusCode, 204, reset.body);
    assert.equal(
      (await t.app.inject({ url: '/api/v1/auth/me', headers: h(a) })).statusCode,
      401,
      'a reset ends every session',
    );
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: a.user.email, password: 'crimson kite 19 drifts west' },
    });
    assert.equal(login.statusCode, 200);
  });

  it('verifies an email address from its link', async () => {
    const a = await signup('verify');
    const me = async () => (await t.app.inject({ url: '/api/v1/auth/me', headers: h(a) })).json().user.emailVerified;
    assert.equal(await me(), false, 'a new sign-up has not proved its address yet');
    assert.equal(
      (await t.app.inject({ method: 'POST', url: '/api/v1/auth/verify-email/request', headers: h(a) })).statusCode,
      202,
    );
    const token = await tokenFromOutbox(a.user.email, 'verify_email');
    assert.equal(
      (await t.app.inject({ method: 'POST', url: '/api/v1/auth/verify-email', payload: { token } })).statusCode,
      204,
    );
    assert.equal(
      (await t.app.inject({ method: 'POST', url: '/api/v1/auth/verify-email', payload: { token } })).statusCode,
      400,
      'links work once',
    );
    assert.equal(await me(), true);
    assert.equal(
      (await t.app.inject({ method: 'POST', url: '/api/v1/auth/verify-email/request', headers: h(a) })).statusCode,
      409,
    );
  });

  it('renames, creates and deletes organisations; a deleted one stops working', async () => {
    const a = await signup('orgs');
    const renamed = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/organization',
      headers: h(a),
      payload: { name: 'Renamed Ltd' },
    });
    assert.equal(renamed.json().name, 'Renamed Ltd');
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/organizations',
      headers: h(a),
      payload: { name: 'Second Ltd' },
    });
    assert.equal(created.statusCode, 201);
    const me = (await t.app.inject({ url: '/api/v1/auth/me', headers: h(a) })).json();
    assert.equal(me.memberships.length, 2);
    assert.equal(
      (await t.app.inject({ method: 'DELETE', url: '/api/v1/organization', headers: h(a) })).statusCode,
      204,
    );
    assert.equal((await t.app.inject({ url: '/api/v1/items', headers: h(a) })).statusCode, 401);
    const relogin = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: a.user.email, password: PASSWORD },
    });
    assert.equal(relogin.json().tenant.id, created.json().id, 'login skips the deleted organisation');
  });

  it('gives the operator the tenant list and suspension; nobody else', async () => {
    const a = await signup('suspended');
    const denied = await t.app.inject({ url: '/api/v1/operator/tenants', headers: h(a) });
    assert.equal(denied.statusCode, 403);
    assert.equal(denied.json().code, 'OPERATOR_ONLY');
    const list = (await t.app.inject({ url: '/api/v1/operator/tenants?limit=200', headers: h(operator) })).json();
    assert.ok(list.data.some((x: { id: string; members: number }) => x.id === a.tenant.id && x.members === 1));
    assert.equal(
      (
        await t.app.inject({
          method: 'POST',
          url: `/api/v1/operator/tenants/${a.tenant.id}/suspend`,
          headers: h(operator),
        })
      ).statusCode,
      204,
    );
    const blocked = await t.app.inject({ url: '/api/v1/items', headers: h(a) });
    assert.equal(blocked.statusCode, 401, 'sessions of a suspended tenant end');
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: a.user.email, password: PASSWORD },
    });
    assert.equal(login.statusCode, 403);
    assert.equal(
      (
        await t.app.inject({
          method: 'POST',
          url: `/api/v1/operator/tenants/${a.tenant.id}/resume`,
          headers: h(operator),
        })
      ).statusCode,
      204,
    );
    assert.equal(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { email: a.user.email, password: PASSWORD },
        })
      ).statusCode,
      200,
    );
  });

  it('lets the operator set quotas that stop new items and members, and lift them again', async () => {
    const a = await signup('quota');
    const set = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/operator/tenants/${a.tenant.id}/quotas`,
      headers: h(operator),
      payload: { items: 2, members: 1 },
    });
    assert.equal(set.statusCode, 200, set.body);
    assert.deepEqual(set.json(), { items: 2, members: 1 });
    assert.equal(
      (
        await t.app.inject({
          method: 'PUT',
          url: `/api/v1/operator/tenants/${a.tenant.id}/quotas`,
          headers: h(a),
          payload: { items: 99 },
        })
      ).statusCode,
      403,
    );

    const post = (name: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/items', headers: h(a), payload: { name } });
    assert.equal((await post('one')).statusCode, 201);
    assert.equal((await post('two')).statusCode, 201);
    const third = await post('three');
    assert.equal(third.statusCode, 409);
    assert.equal(third.json().code, 'QUOTA_ITEMS_EXCEEDED');
    const audit = (await t.app.inject({ url: '/api/v1/audit-logs?action=item.created', headers: h(a) })).json();
    assert.equal(audit.data.length, 2, 'a refused item leaves no audit entry');

    const invite = await t.app.inject({
      method: 'POST',
      url: '/api/v1/invitations',
      headers: h(a),
      payload: { email: email('over'), role: 'viewer' },
    });
    assert.equal(invite.statusCode, 409);
    assert.equal(invite.json().code, 'QUOTA_MEMBERS_EXCEEDED');

    const lifted = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/operator/tenants/${a.tenant.id}/quotas`,
      headers: h(operator),
      payload: { items: null },
    });
    assert.deepEqual(lifted.json(), { items: null, members: 1 });
    assert.equal((await post('three again')).statusCode, 201);
    const listed = (await t.app.inject({ url: '/api/v1/operator/tenants?limit=200', headers: h(operator) })).json()
      .data;
    assert.deepEqual(listed.find((x: { id: string }) => x.id === a.tenant.id).quotas, { items: null, members: 1 });
  });

  it('shows the operator the size and health of the instance', async () => {
    const res = await t.app.inject({ url: '/api/v1/operator/instance', headers: h(operator) });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.ok(body.tenants.total >= body.tenants.active + body.tenants.suspended);
    assert.ok(body.users.total >= 1);
    assert.ok(body.uptimeSeconds >= 0 && body.memoryRssBytes > 0);
    const other = await signup('not-operator');
    assert.equal((await t.app.inject({ url: '/api/v1/operator/instance', headers: h(other) })).statusCode, 403);
  });
});
