import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createTestApp, describeEachBackend, type TestApp } from '../../../../test/support/app.ts';
import { CONTRACT } from '../fixtures/contract.ts';
import { type FakeLlmServer, startFakeLlmServer } from '../testing/fake-llm-server.ts';

const MEMO =
  'Hello team. Anna Schmidt from Globex called on 12 March 2026 about invoice 4411 for $1,250.00. ' +
  'She is angry about the terrible delay and the awful support, and wants a reply by Friday. Her address is anna@globex.example.';

describeEachBackend('AI document analysis', (getDb) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(getDb(), { ai: { maxInputChars: 5_000 } });
  });
  after(() => t.app.close());

  const analyze = (payload: object) => t.app.inject({ method: 'POST', url: '/api/v1/ai/analyze-document', payload });

  it('analyses a general document offline: summary, entities, dates, amounts, keywords, language, sentiment', async () => {
    const res = await analyze({ text: MEMO });
    assert.equal(res.statusCode, 200, res.body);
    const a = res.json();
    assert.equal(a.provider, 'offline');
    assert.equal(a.documentType, 'general');
    assert.equal(a.contract, undefined);
    assert.equal(a.language.alpha2, 'en');
    assert.equal(a.sentiment.label, 'negative');
    assert.deepEqual(a.keyDates, [
      { text: '12 March 2026', iso: '2026-03-12' },
      { text: 'Friday', iso: null },
    ]);
    assert.deepEqual(a.amounts, [{ text: '$1,250.00', value: 1250, currency: 'USD' }]);
    assert.deepEqual(a.entities.emails, ['anna@globex.example']);
    assert.ok(a.entities.names.includes('Anna Schmidt'), JSON.stringify(a.entities.names));
    assert.ok(a.summary.length > 0 && a.keywords.length > 0);
    assert.deepEqual(a.document, { chars: MEMO.length, mediaType: 'text/plain', filename: null });
  });

  it('reviews a contract offline: clauses and rule-based risk flags, no model review', async () => {
    const res = await analyze({ text: CONTRACT });
    assert.equal(res.statusCode, 200, res.body);
    const { documentType, contract } = res.json();
    assert.equal(documentType, 'contract');
    assert.equal(contract.clauses.length, 10);
    assert.ok(contract.signals.includes('agreement'));
    const rules = new Set(contract.risks.map((r: { rule: string }) => r.rule));
    for (const rule of [
      'auto_renewal',
      'unlimited_liability',
      'long_payment_terms',
      'non_compete',
      'governing_law_missing',
    ]) {
      assert.ok(rules.has(rule), rule);
    }
    assert.equal(contract.modelReview, null);
    // kind: general turns the contract review off; kind: contract forces it.
    assert.equal((await analyze({ text: CONTRACT, kind: 'general' })).json().contract, undefined);
    assert.equal((await analyze({ text: MEMO, kind: 'contract' })).json().documentType, 'contract');
  });

  it('takes uploads as a raw body or a multipart file, and refuses PDF with 415', async () => {
    const raw = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ai/analyze-document/upload?filename=msa.md',
      headers: { 'content-type': 'text/markdown; charset=utf-8' },
      payload: CONTRACT,
    });
    assert.equal(raw.statusCode, 200, raw.body);
    assert.equal(raw.json().documentType, 'contract');
    assert.deepEqual(raw.json().document, { chars: CONTRACT.length, mediaType: 'text/markdown', filename: 'msa.md' });

    const form = [
      '--sy',
      'Content-Disposition: form-data; name="kind"',
      '',
      'general',
      '--sy',
      'Content-Disposition: form-data; name="file"; filename="notes.txt"',
      'Content-Type: text/plain',
      '',
      MEMO,
      '--sy--',
      '',
    ].join('\r\n');
    const multipart = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ai/analyze-document/upload',
      headers: { 'content-type': 'multipart/form-data; boundary=sy' },
      payload: form,
    });
    assert.equal(multipart.statusCode, 200, multipart.body);
    assert.equal(multipart.json().document.filename, 'notes.txt');

    const pdf = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ai/analyze-document/upload',
      headers: { 'content-type': 'application/pdf' },
      payload: Buffer.from('%PDF-1.7\n…'),
    });
    assert.equal(pdf.statusCode, 415);
    assert.equal(pdf.json().code, 'AI_DOCUMENT_TYPE_UNSUPPORTED');
    assert.match(pdf.json().detail, /no parser/);
  });

  it('bounds the document: over AI_MAX_INPUT_CHARS is 413, in JSON (400) or uploaded', async () => {
    const big = 'word '.repeat(1_200);
    const json = await analyze({ text: big });
    assert.equal(json.statusCode, 400);
    const upload = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ai/analyze-document/upload',
      headers: { 'content-type': 'text/plain' },
      payload: big,
    });
    assert.equal(upload.statusCode, 413);
    assert.equal(upload.json().code, 'AI_INPUT_TOO_LARGE');
  });
});

describeEachBackend('AI document analysis with a provider', (getDb) => {
  let server: FakeLlmServer;
  let t: TestApp;
  before(async () => {
    server = await startFakeLlmServer();
    t = await createTestApp(getDb(), { ai: { allowedBaseUrls: [server.origin] } });
    await t.app.inject({
      method: 'PUT',
      url: '/api/v1/ai/provider',
      payload: { kind: 'openai', model: 'gpt-4o-mini', baseUrl: `${server.origin}/v1`, apiKey: 'sk-x' },
    });
  });
  after(async () => {
    await t.app.close();
    await server.close();
  });

  it("adds the model's review next to the offline rules, and notes a review that would not validate", async () => {
    const review = {
      parties: ['Acme Corp', 'Beta LLC'],
      effectiveDate: '2025-03-01',
      risks: [{ rule: 'auto_renewal', clause: '2', severity: 'medium', explanation: 'Renews unless cancelled.' }],
    };
    server.script(
      { kind: 'text', text: 'A services agreement with risky terms.', usage: { input: 900, output: 12 } },
      { kind: 'text', text: JSON.stringify(review), usage: { input: 1000, output: 80 } },
    );
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/ai/analyze-document', payload: { text: CONTRACT } });
    assert.equal(res.statusCode, 200, res.body);
    const a = res.json();
    assert.equal(a.summary, 'A services agreement with risky terms.');
    assert.equal(a.provider, 'tenant:openai');
    assert.deepEqual(a.usage, { inputTokens: 1900, outputTokens: 92 });
    assert.deepEqual(a.contract.modelReview, { provider: 'tenant:openai', model: 'gpt-4o-mini', ...review });
    assert.ok(a.contract.risks.length >= 9, 'the offline findings stand on their own');

    server.setDefault({ kind: 'text', text: 'not json at all' });
    const degraded = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ai/analyze-document',
      payload: { text: CONTRACT },
    });
    assert.equal(degraded.statusCode, 200, degraded.body);
    assert.equal(degraded.json().contract.modelReview.error.code, 'AI_EXTRACTION_FAILED');
  });
});
