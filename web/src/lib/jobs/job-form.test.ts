import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildJobBody, emptyJobForm, localToIso, mapIssues } from './job-form.ts';
import { readJobFilters, reportFile, toggle, writeJobFilters } from './job-status.ts';

describe('buildJobBody', () => {
  it('builds a process-data body from JSON data', () => {
    const r = buildJobBody(emptyJobForm('process-data'));
    assert.deepEqual(r, {
      ok: true,
      body: {
        type: 'process-data',
        payload: {
          format: 'json',
          data: { orders: [{ total: 12 }, { total: 30 }] },
          expression: '$sum(data.orders.total)',
        },
      },
    });
  });

  it('sends CSV as text and reports JSON that does not parse next to its field', () => {
    const csv = buildJobBody({ ...emptyJobForm(), dataFormat: 'csv', data: 'a,b\n1,2' });
    assert.equal(csv.ok && csv.body.payload.data, 'a,b\n1,2');
    const bad = buildJobBody({ ...emptyJobForm(), data: '{nope' });
    assert.equal(bad.ok, false);
    assert.match(bad.ok ? '' : (bad.errors.data ?? ''), /not valid JSON/);
  });

  it('requires the email fields and a single-line subject', () => {
    const r = buildJobBody({ ...emptyJobForm('send-notification'), subject: 'a\nb' });
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.errors.to, 'A recipient is required.');
    assert.equal(r.errors.subject, 'The subject must be a single line.');
    assert.equal(r.errors.text, 'A message is required.');
  });

  it('builds a webhook notification with a parsed body', () => {
    const r = buildJobBody({ ...emptyJobForm('send-notification'), channel: 'webhook', url: ' https://x.test/h ' });
    assert.deepEqual(r.ok && r.body.payload, { channel: 'webhook', url: 'https://x.test/h', body: { text: 'Hello' } });
  });

  it('turns report bounds into instants and refuses an empty range', () => {
    const ok = buildJobBody({ ...emptyJobForm('generate-report'), from: '2026-01-01T00:00', reportFormat: 'json' });
    assert.equal(ok.ok, true);
    assert.equal(ok.ok && ok.body.payload.from, new Date('2026-01-01T00:00').toISOString());
    assert.equal(ok.ok && ok.body.payload.format, 'json');
    const bad = buildJobBody({
      ...emptyJobForm('generate-report'),
      from: '2026-02-01T00:00',
      until: '2026-01-01T00:00',
    });
    assert.equal(bad.ok ? undefined : bad.errors.until, 'Must be after “From”.');
  });

  it('adds the common options only when given, checking their bounds', () => {
    const r = buildJobBody({ ...emptyJobForm('cleanup'), priority: '5', maxAttempts: '2' });
    assert.deepEqual(r, {
      ok: true,
      body: { type: 'cleanup', payload: { dryRun: true }, priority: 5, maxAttempts: 2 },
    });
    const bad = buildJobBody({ ...emptyJobForm('cleanup'), priority: '101', maxAttempts: '1.5' });
    assert.equal(bad.ok, false);
    assert.deepEqual(bad.ok ? {} : Object.keys(bad.errors).sort(), ['maxAttempts', 'priority']);
  });

  it('reads an empty local date as no value', () => {
    assert.equal(localToIso('  '), undefined);
    assert.equal(localToIso('not a date'), undefined);
  });
});

describe('mapIssues', () => {
  it('puts server issues next to their fields and keeps the rest', () => {
    const r = mapIssues('send-notification', { 'payload.to': 'Invalid email', 'payload.extra': 'Unrecognized key' });
    assert.deepEqual(r.fields, { to: 'Invalid email' });
    assert.deepEqual(r.rest, ['payload.extra: Unrecognized key']);
  });

  it('reads payload.to and payload.format of a report as its bound and file format', () => {
    const r = mapIssues('generate-report', { 'payload.to': 'from must be before to', 'payload.format': 'bad' });
    assert.deepEqual(r.fields, { until: 'from must be before to', reportFormat: 'bad' });
  });
});

describe('job filters in the URL', () => {
  it('reads known statuses and types once each and drops the rest', () => {
    const f = readJobFilters(new URLSearchParams('status=failed&status=bogus&status=failed&type=cleanup&type=x'));
    assert.deepEqual(f, { statuses: ['failed'], types: ['cleanup'] });
  });

  it('writes them in a stable order and keeps other keys', () => {
    const p = writeJobFilters(new URLSearchParams('cursor=abc&status=queued'), {
      statuses: ['failed', 'queued'],
      types: ['cleanup'],
    });
    assert.equal(p.toString(), 'cursor=abc&status=queued&status=failed&type=cleanup');
  });

  it('toggles a value in and out of a list', () => {
    assert.deepEqual(toggle(['a'], 'b'), ['a', 'b']);
    assert.deepEqual(toggle(['a', 'b'], 'a'), ['b']);
  });
});

describe('reportFile', () => {
  it('finds the file of a report result and ignores other results', () => {
    assert.deepEqual(reportFile({ fileId: 'fil_abc', name: 'items.csv', rows: 3, bytes: 40, downloadUrl: '/x' }), {
      fileId: 'fil_abc',
      name: 'items.csv',
      rows: 3,
      bytes: 40,
    });
    assert.equal(reportFile({ fileId: '../etc' }), null);
    assert.equal(reportFile(42), null);
    assert.equal(reportFile(null), null);
  });
});
