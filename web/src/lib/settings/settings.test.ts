import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildApiKeyBody, expiryState } from './api-key-form.ts';
import {
  auditQuery,
  changedKeys,
  countFilters,
  isoToLocalInput,
  localInputToIso,
  readAuditFilters,
  writeAuditFilters,
} from './audit-filters.ts';
import { describeUserAgent, recoveryCodesText, svgDataUrl } from './display.ts';
import { proofFieldErrors } from './proof-errors.ts';
import { assignableRoles, canManageMember, groupScopes, readScopes, scopesFor } from './roles.ts';
import { fromDraft, settingControl, settingGroup, settingLabel, toDraft } from './setting-field.ts';

describe('roles', () => {
  it('lets admins hand out up to admin and owners everything; others nothing', () => {
    assert.deepEqual(assignableRoles('owner'), ['viewer', 'editor', 'admin', 'owner']);
    assert.deepEqual(assignableRoles('admin'), ['viewer', 'editor', 'admin']);
    assert.deepEqual(assignableRoles('editor'), []);
  });

  it('keeps owners out of an admin’s reach', () => {
    assert.equal(canManageMember('admin', 'editor'), true);
    assert.equal(canManageMember('admin', 'owner'), false);
    assert.equal(canManageMember('owner', 'owner'), true);
    assert.equal(canManageMember('viewer', 'viewer'), false);
  });

  it('gives each role the scopes of the one below and more, grouped by resource', () => {
    assert.ok(scopesFor('viewer').every((s) => scopesFor('editor').includes(s)));
    assert.equal(scopesFor('admin').includes('organization:delete'), false);
    assert.equal(scopesFor('owner').includes('organization:delete'), true);
    const groups = groupScopes(['items:read', 'items:write', 'runs:read']);
    assert.deepEqual(groups, [
      { group: 'items', scopes: ['items:read', 'items:write'] },
      { group: 'runs', scopes: ['runs:read'] },
    ]);
    assert.deepEqual(readScopes(['items:read', 'items:write']), ['items:read']);
  });
});

describe('setting controls', () => {
  it('picks a control by JSON Schema type, seeing nullable numbers through anyOf', () => {
    assert.deepEqual(settingControl({ type: 'string', minLength: 1, maxLength: 100 }), {
      kind: 'text',
      nullable: false,
      maxLength: 100,
    });
    assert.deepEqual(settingControl({ type: 'string', enum: ['monday', 'sunday'] }), {
      kind: 'enum',
      nullable: false,
      options: ['monday', 'sunday'],
    });
    assert.deepEqual(settingControl({ anyOf: [{ type: 'integer', minimum: 0, maximum: 10 }, { type: 'null' }] }), {
      kind: 'number',
      nullable: true,
      integer: true,
      min: 0,
      max: 10,
    });
    assert.deepEqual(settingControl({ type: ['number', 'null'] }), { kind: 'number', nullable: true, integer: false });
    assert.deepEqual(settingControl({ type: 'object' }), { kind: 'json', nullable: false });
  });

  it('round-trips values, reading an empty nullable field as null', () => {
    const n = settingControl({ anyOf: [{ type: 'integer' }, { type: 'null' }] });
    assert.equal(toDraft(null, n), '');
    assert.deepEqual(fromDraft('', n), { ok: true, value: null });
    assert.deepEqual(fromDraft(' 42 ', n), { ok: true, value: 42 });
    assert.deepEqual(fromDraft('4.5', n), { ok: false, error: 'Enter a whole number.' });
    assert.deepEqual(fromDraft('abc', n), { ok: false, error: 'Enter a number.' });
    const t = settingControl({ type: 'string' });
    assert.deepEqual(fromDraft('', t), { ok: false, error: 'Required.' });
    assert.deepEqual(fromDraft('Acme', t), { ok: true, value: 'Acme' });
    const j = settingControl({});
    assert.deepEqual(fromDraft(toDraft({ a: 1 }, j), j), { ok: true, value: { a: 1 } });
    assert.equal(fromDraft('{', j).ok, false);
  });

  it('names settings and their sections for people', () => {
    assert.equal(settingLabel('general.weekStartsOn'), 'Week starts on');
    assert.equal(settingLabel('ai.monthlyCostLimitUsd'), 'Monthly cost limit (USD)');
    assert.equal(settingLabel('retention.auditLogDays'), 'Keep audit log entries (days)');
    assert.equal(settingLabel('retention.newThingDays'), 'New thing days');
    assert.deepEqual(settingGroup('retention.runDays'), { id: 'retention', title: 'Data retention' });
    assert.deepEqual(settingGroup('x.y'), { id: 'x', title: 'X' });
  });
});

describe('audit filters', () => {
  it('reads known, non-empty filters and drops unparsable times', () => {
    const f = readAuditFilters(
      new URLSearchParams('action=item.updated&actorId=&from=nope&to=2026-01-02T00:00:00Z&x=1'),
    );
    assert.deepEqual(f, { action: 'item.updated', to: '2026-01-02T00:00:00Z' });
    assert.equal(countFilters(f), 2);
  });

  it('writes filters in a stable order and keeps other keys', () => {
    const p = writeAuditFilters(new URLSearchParams('tab=x&action=old'), { targetId: 'i1', action: 'a' });
    assert.equal(p.toString(), 'tab=x&action=a&targetId=i1');
  });

  it('sends times as UTC instants and converts local input both ways', () => {
    assert.deepEqual(auditQuery({ from: '2026-01-02T03:04:00+02:00' }), { from: '2026-01-02T01:04:00.000Z' });
    const iso = localInputToIso('2026-03-04T05:06');
    assert.ok(iso);
    assert.equal(isoToLocalInput(iso), '2026-03-04T05:06');
    assert.equal(localInputToIso(''), undefined);
    assert.equal(isoToLocalInput(undefined), '');
  });

  it('lists the keys a change touched', () => {
    assert.deepEqual(changedKeys({ a: 1, b: 2 }, { a: 1, b: 3, c: 4 }), [
      { key: 'b', before: 2, after: 3 },
      { key: 'c', before: undefined, after: 4 },
    ]);
    assert.deepEqual(changedKeys(null, null), []);
  });
});

describe('API key form', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  it('builds a body with an expiry from a preset', () => {
    const r = buildApiKeyBody({ name: ' CI ', scopes: ['items:read'], expiry: '30', expiryDate: '' }, now);
    assert.deepEqual(r, {
      ok: true,
      body: { name: 'CI', scopes: ['items:read'], expiresAt: '2026-01-31T00:00:00.000Z' },
    });
    const never = buildApiKeyBody({ name: 'x', scopes: ['items:read'], expiry: 'never', expiryDate: '' }, now);
    assert.deepEqual(never, { ok: true, body: { name: 'x', scopes: ['items:read'] } });
  });

  it('asks for a name, a scope and a future date', () => {
    const r = buildApiKeyBody({ name: '', scopes: [], expiry: 'custom', expiryDate: '2025-01-01' }, now);
    assert.equal(r.ok, false);
    assert.deepEqual(r.ok ? [] : Object.keys(r.errors).sort(), ['expiryDate', 'name', 'scopes']);
  });

  it('flags keys that expire within a week', () => {
    assert.equal(expiryState(null, now), 'none');
    assert.equal(expiryState('2025-12-31T00:00:00Z', now), 'expired');
    assert.equal(expiryState('2026-01-03T00:00:00Z', now), 'soon');
    assert.equal(expiryState('2026-03-01T00:00:00Z', now), 'later');
  });
});

describe('display', () => {
  it('turns only SVG documents into image URLs', () => {
    const url = svgDataUrl('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>');
    assert.ok(url?.startsWith('data:image/svg+xml;charset=utf-8,%3Csvg'));
    assert.equal(svgDataUrl('<script>alert(1)</script>'), undefined);
    assert.equal(svgDataUrl('<svg><rect/>'), undefined);
  });

  it('names common browsers and systems', () => {
    const mac =
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
    assert.equal(describeUserAgent(mac), 'Chrome on macOS');
    assert.equal(describeUserAgent('curl/8.4.0'), 'curl');
    assert.equal(describeUserAgent(null), 'Unknown device');
  });

  it('writes recovery codes as a file with a heading', () => {
    const text = recoveryCodesText(['aaaa-bbbb-cccc'], 'ada@example.com', new Date('2026-01-01T00:00:00Z'));
    assert.match(text, /^Switchyard recovery codes for ada@example.com\n/);
    assert.match(text, /\naaaa-bbbb-cccc\n$/);
  });
});

describe('proofFieldErrors', () => {
  const err = (
    code: string,
    extra: Record<string, unknown> = {},
    issues: { path: string; message: string }[] = [],
  ) => ({
    code,
    message: 'The password is wrong.',
    issues,
    problem: extra,
  });
  it('places a refused password or code by the problem’s reason', () => {
    const f = { password: 'password', code: 'code' };
    assert.deepEqual(proofFieldErrors(err('MFA_VERIFICATION_FAILED', { reason: 'password' }), f), {
      fields: { password: 'The password is wrong.' },
      unplaced: false,
    });
    assert.deepEqual(Object.keys(proofFieldErrors(err('MFA_VERIFICATION_FAILED', { reason: 'code' }), f).fields), [
      'code',
    ]);
  });

  it('maps validation issues and a wrong current password; leaves the rest unplaced', () => {
    const r = proofFieldErrors(err('VALIDATION_FAILED', {}, [{ path: 'body.newPassword', message: 'Too short' }]), {
      password: 'currentPassword',
    });
    assert.deepEqual(r.fields, { newPassword: 'Too short' });
    assert.deepEqual(proofFieldErrors(err('AUTH_INVALID_CREDENTIALS'), { password: 'currentPassword' }).fields, {
      currentPassword: 'The password is wrong.',
    });
    assert.equal(proofFieldErrors(err('MFA_TOO_MANY_ATTEMPTS'), { code: 'code' }).unplaced, true);
  });
});
