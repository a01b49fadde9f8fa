import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { createTestApp, describeEachBackend, type TestApp } from '../../../test/support/app.ts';

describeEachBackend('settings API', (getDb) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(getDb());
  });

  it('lists every known setting with its default, description and JSON schema', async () => {
    const res = await t.app.inject({ url: '/api/v1/settings' });
    assert.equal(res.statusCode, 200);
    const byKey = Object.fromEntries(res.json().data.map((s: { key: string }) => [s.key, s]));
    assert.equal(byKey['general.timezone'].value, 'UTC');
    assert.equal(byKey['general.timezone'].isDefault, true);
    assert.equal(byKey['general.timezone'].version, 0);
    assert.equal(byKey['retention.auditLogDays'].schema.type, 'integer');
    assert.equal(byKey['retention.auditLogDays'].schema.maximum, 3650);
    assert.deepEqual(byKey['general.weekStartsOn'].schema.enum, ['monday', 'sunday', 'saturday']);
  });

  it('sets a value, versions it, audits before and after, and resets to the default', async () => {
    const put = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/settings/general.timezone',
      payload: { value: 'Europe/Paris' },
    });
    assert.equal(put.statusCode, 200);
    assert.equal(put.json().value, 'Europe/Paris');
    assert.equal(put.json().isDefault, false);
    assert.equal(put.json().version, 1);
    const again = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/settings/general.timezone',
      payload: { value: 'Asia/Tokyo' },
    });
    assert.equal(again.json().version, 2);

    const got = (await t.app.inject({ url: '/api/v1/settings/general.timezone' })).json();
    assert.equal(got.value, 'Asia/Tokyo');

    const reset = await t.app.inject({ method: 'DELETE', url: '/api/v1/settings/general.timezone' });
    assert.equal(reset.statusCode, 200);
    assert.equal(reset.json().value, 'UTC');
    assert.equal(reset.json().isDefault, true);

    const audit = (
      await t.app.inject({ url: '/api/v1/audit-logs?targetType=setting&targetId=general.timezone' })
    ).json();
    assert.deepEqual(
      audit.data.map((a: { action: string }) => a.action),
      ['setting.reset', 'setting.updated', 'setting.updated'],
    );
    assert.deepEqual(audit.data[2].changes.before, { value: 'UTC', isDefault: true });
    assert.deepEqual(audit.data[2].changes.after, { value: 'Europe/Paris', isDefault: false });
  });

  it('validates each value against its key: bad time zone, locale, range and type', async () => {
    const cases: [string, unknown][] = [
      ['general.timezone', 'Mars/Olympus'],
      ['general.locale', 'not a locale!'],
      ['retention.runDays', 0],
      ['retention.runDays', 3651],
      ['retention.runDays', 1.5],
      ['retention.runDays', '30'],
      ['general.displayName', ''],
      ['general.displayName', 'x'.repeat(101)],
      ['general.displayName', 'nul\u0000byte'],
      ['general.weekStartsOn', 'friday'],
    ];
    for (const [key, value] of cases) {
      const res = await t.app.inject({ method: 'PUT', url: `/api/v1/settings/${key}`, payload: { value } });
      assert.equal(res.statusCode, 400, `${key}=${JSON.stringify(value)}`);
      // A NUL byte is already refused by the envelope's JSON check, the rest by the key's schema.
      assert.equal(res.json().code, String(value).includes('\u0000') ? 'VALIDATION_FAILED' : 'SETTING_INVALID_VALUE');
      assert.equal(res.json().issues[0].path, 'body.value');
    }
    const after = (await t.app.inject({ url: '/api/v1/settings' })).json();
    assert.ok(
      after.data.every((s: { isDefault: boolean; key: string }) => s.isDefault || s.key === 'general.timezone'),
      'no rejected value was stored',
    );
  });

  it('answers 404 for an unknown key and 400 for a malformed one', async () => {
    const unknown = await t.app.inject({ url: '/api/v1/settings/general.favouriteColour' });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().code, 'SETTING_UNKNOWN_KEY');
    assert.ok(unknown.json().knownKeys.includes('general.timezone'));
    const put = await t.app.inject({ method: 'PUT', url: '/api/v1/settings/nope.nope', payload: { value: 1 } });
    assert.equal(put.statusCode, 404);
    const malformed = await t.app.inject({ url: '/api/v1/settings/Bad%20Key' });
    assert.equal(malformed.statusCode, 400);
  });

  it('applies a multi-key PATCH atomically: one bad value rejects all of them', async () => {
    const bad = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/settings',
      payload: { 'general.locale': 'fr-FR', 'retention.jobDays': -5, 'no.suchKey': true },
    });
    assert.equal(bad.statusCode, 400);
    assert.deepEqual(
      bad
        .json()
        .issues.map((i: { path: string }) => i.path)
        .sort(),
      ['body.no.suchKey', 'body.retention.jobDays'],
    );
    assert.equal((await t.app.inject({ url: '/api/v1/settings/general.locale' })).json().value, 'en');

    const good = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/settings',
      payload: { 'general.locale': 'fr-FR', 'retention.jobDays': 90 },
    });
    assert.equal(good.statusCode, 200);
    assert.deepEqual(
      good.json().data.map((s: { key: string; value: unknown }) => [s.key, s.value]),
      [
        ['general.locale', 'fr-FR'],
        ['retention.jobDays', 90],
      ],
    );
    const empty = await t.app.inject({ method: 'PATCH', url: '/api/v1/settings', payload: {} });
    assert.equal(empty.statusCode, 400);
  });

  it('keeps settings per tenant', async () => {
    await t.app.inject({
      method: 'PUT',
      url: '/api/v1/settings/general.displayName',
      payload: { value: 'Acme Studio' },
    });
    const other = await createTestApp(getDb());
    try {
      const theirs = (await other.app.inject({ url: '/api/v1/settings/general.displayName' })).json();
      assert.equal(theirs.value, 'My workspace');
      assert.equal(theirs.isDefault, true);
    } finally {
      await other.app.close();
    }
  });
});
