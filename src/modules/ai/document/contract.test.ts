import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contractSignals, reviewContract, splitClauses } from './contract.ts';
import { parseMultipart, readUpload } from './upload.ts';
import { CONTRACT } from '../fixtures/contract.ts';

describe('offline contract review', () => {
  it('splits clauses at numbered headings of every common style', () => {
    assert.deepEqual(
      splitClauses(CONTRACT).map((c) => [c.number, c.heading]),
      [
        ['1', 'Definitions'],
        ['2', 'Term and Renewal'],
        ['3', 'Fees and Payment'],
        ['4.1', 'Liability'],
        ['4.2', 'Indemnity'],
        ['5', 'Termination'],
        ['6', 'Exclusivity'],
        ['7', 'Restrictive covenants'],
        ['8', 'Changes'],
        ['9', 'Assignment'],
      ],
    );
  });

  it('flags each rule in the clause that raised it, with the words as evidence', () => {
    const { clauses, risks } = reviewContract(CONTRACT);
    const flagged = Object.fromEntries(clauses.filter((c) => c.risks.length).map((c) => [c.number, c.risks]));
    assert.deepEqual(flagged, {
      '2': ['auto_renewal'],
      '3': ['long_payment_terms'],
      '4.1': ['unlimited_liability'],
      '4.2': ['indemnification'],
      '5': ['termination_for_convenience'],
      '6': ['exclusivity'],
      '7': ['non_compete'],
      '8': ['unilateral_changes'],
      '9': ['assignment_without_consent'],
    });
    const documentLevel = risks.filter((r) => r.clause === null).map((r) => r.rule);
    assert.deepEqual(documentLevel, ['governing_law_missing', 'liability_cap_missing']);
    const renewal = risks.find((r) => r.rule === 'auto_renewal');
    assert.match(renewal?.evidence ?? '', /automatically renew/);
    assert.equal(renewal?.severity, 'medium');
  });

  it('does not flag the harmless versions: non-exclusive, 30-day payment, a capped liability, a governing law', () => {
    const benign = `1. Licence
Supplier grants Customer a non-exclusive licence.

2. Payment
Invoices are payable within 30 days.

3. Limitation of liability
Each party's aggregate liability shall not exceed the fees paid in the prior 12 months.

4. Governing law
This Agreement is governed by the laws of England and Wales.`;
    assert.deepEqual(reviewContract(benign).risks, []);
  });

  it('tells a contract from other documents by its signals', () => {
    assert.equal(contractSignals(CONTRACT).looksLikeContract, true);
    const memo = 'Team update: the agreement with the caterer is signed. Lunch moves to Friday. Thanks all!';
    assert.equal(contractSignals(memo).looksLikeContract, false);
  });
});

describe('document uploads', () => {
  it('reads text formats and refuses PDF and Word with a clear reason', () => {
    assert.equal(
      readUpload(Buffer.from('# Title\nBody'), 'text/markdown; charset=utf-8', 'a.md').mediaType,
      'text/markdown',
    );
    assert.throws(
      () => readUpload(Buffer.from('%PDF-1.7'), 'application/pdf', 'a.pdf'),
      (e: { code?: string; message?: string }) =>
        e.code === 'AI_DOCUMENT_TYPE_UNSUPPORTED' && /no parser/.test(e.message ?? ''),
    );
    assert.throws(
      () => readUpload(Buffer.from([0xff, 0xfe, 0x00]), 'text/plain', null),
      (e: { code?: string }) => e.code === 'AI_DOCUMENT_UNREADABLE',
    );
  });

  it('takes the file part of a multipart body, typed by its extension when sent as octet-stream', () => {
    const body = Buffer.from(
      [
        '--XyZ',
        'Content-Disposition: form-data; name="kind"',
        '',
        'contract',
        '--XyZ',
        'Content-Disposition: form-data; name="file"; filename="terms.md"',
        'Content-Type: application/octet-stream',
        '',
        '1. Term\r\nIt renews automatically.',
        '--XyZ--',
        '',
      ].join('\r\n'),
    );
    const doc = readUpload(body, 'multipart/form-data; boundary=XyZ', null);
    assert.deepEqual(
      { text: doc.text, type: doc.mediaType, name: doc.filename, fields: doc.fields },
      {
        text: '1. Term\r\nIt renews automatically.',
        type: 'text/markdown',
        name: 'terms.md',
        fields: { kind: 'contract' },
      },
    );
    const noFile = Buffer.from('--b\r\nContent-Disposition: form-data; name="note"\r\n\r\nhi\r\n--b--\r\n');
    assert.deepEqual(parseMultipart(noFile, 'multipart/form-data; boundary="b"'), {
      file: undefined,
      fields: { note: 'hi' },
    });
    assert.throws(() => readUpload(noFile, 'multipart/form-data; boundary=b', null), /no file/);
  });
});
