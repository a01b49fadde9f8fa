import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { isAppError } from '../../../platform/errors.ts';
import { createAi } from '../ai.service.ts';
import type { LabelSpec } from './classify.ts';
import { parseNumber } from './entities.ts';
import { createOfflineEngine, OFFLINE_MODEL } from './offline-engine.ts';

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as T;

const sentimentCorpus = fixture<{ examples: { text: string; label: string }[] }>('sentiment.json');
const classificationCorpus = fixture<{ labels: LabelSpec[]; examples: { text: string; label: string }[] }>(
  'classification.json',
);
const summaryCorpus = fixture<{ documents: { id: string; text: string; mustContain: string[] }[] }>('summaries.json');

// One engine for the file: the English model loads once (~150 ms).
const engine = createOfflineEngine();
const ai = createAi({ offline: engine });

/*
 * Accuracy on the labelled corpus in ../fixtures. Measured when the engine was written (see the
 * README): sentiment 45/48, classification 30/36, summaries 4/5 key sentences. The thresholds sit
 * a little below, so a model update that costs an example or two passes but a real regression
 * does not. Everything here is deterministic.
 */
describe('offline engine on the labelled corpus', () => {
  it('labels sentiment (positive / negative / neutral) with at least 90% accuracy', (t) => {
    const misses = sentimentCorpus.examples.filter((e) => engine.sentiment(e.text).label !== e.label);
    const accuracy = 1 - misses.length / sentimentCorpus.examples.length;
    t.diagnostic(`sentiment accuracy ${(accuracy * 100).toFixed(1)}% (${misses.length} misses)`);
    assert.ok(accuracy >= 0.9, `accuracy ${accuracy}; missed: ${misses.map((m) => m.text).join(' | ')}`);
  });

  it('classifies support tickets into four caller-given labels with at least 80% accuracy', (t) => {
    const results = classificationCorpus.examples.map((e) => ({
      ...e,
      got: engine.classify(e.text, classificationCorpus.labels),
    }));
    const misses = results.filter((r) => r.got.label !== r.label);
    const accuracy = 1 - misses.length / results.length;
    t.diagnostic(`classification accuracy ${(accuracy * 100).toFixed(1)}% (${misses.length} misses)`);
    assert.ok(accuracy >= 0.8, `accuracy ${accuracy}; missed: ${misses.map((m) => m.text).join(' | ')}`);
    // Confidence means something: right answers are on average more confident than wrong ones.
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(xs.length, 1);
    const right = mean(results.filter((r) => r.got.label === r.label).map((r) => r.got.confidence));
    const wrong = mean(misses.map((r) => r.got.confidence));
    assert.ok(right > wrong, `right ${right} vs wrong ${wrong}`);
  });

  it('keeps at least 80% of the key sentences in three-sentence summaries, verbatim and in order', (t) => {
    let kept = 0;
    let total = 0;
    for (const doc of summaryCorpus.documents) {
      const s = engine.summarize(doc.text, 3);
      assert.equal(s.sentences.length, 3);
      assert.deepEqual(
        s.sentences.map((x) => x.index),
        [...s.sentences.map((x) => x.index)].sort((a, b) => a - b),
      );
      for (const sentence of s.sentences) assert.ok(doc.text.includes(sentence.text), 'extractive: verbatim');
      for (const key of doc.mustContain) {
        total++;
        if (s.sentences.some((x) => x.text === key)) kept++;
      }
    }
    t.diagnostic(`summaries kept ${kept}/${total} key sentences`);
    assert.ok(kept / total >= 0.8, `kept ${kept}/${total}`);
  });
});

describe('offline engine: the other analyses', () => {
  it('finds entities, ISO dates, amounts with currencies and proper names', () => {
    const text =
      'Anna Schmidt from Acme Corp will visit Berlin on 12 March 2025 and again next Friday. ' +
      'The invoice of EUR 1,200.50 (plus $45.99 shipping and 12,50 € fees) is due 2025-04-01; ' +
      'questions to billing@acme.example or https://acme.example/help. The date 03/04/2025 is ambiguous.';
    const found = engine.entities(text);
    assert.deepEqual(found.dates, [
      { text: '12 March 2025', iso: '2025-03-12' },
      { text: '2025-04-01', iso: '2025-04-01' },
      { text: '03/04/2025', iso: null },
      { text: 'next Friday', iso: null },
    ]);
    assert.deepEqual(found.amounts, [
      { text: 'EUR 1,200.50', value: 1200.5, currency: 'EUR' },
      { text: '$45.99', value: 45.99, currency: 'USD' },
      { text: '12,50 €', value: 12.5, currency: 'EUR' },
    ]);
    assert.deepEqual(found.names, ['Anna Schmidt', 'Acme Corp', 'Berlin']);
    const types = new Set(found.entities.map((e) => e.type));
    for (const type of ['EMAIL', 'URL', 'DATE']) assert.ok(types.has(type), `no ${type} in ${[...types].join(',')}`);
  });

  it('parses numbers written the English and the continental way', () => {
    assert.deepEqual(
      ['1,200.50', '1.200,50', "1'200", '12,50', '45.99', '1,200', '1,200,300'].map(parseNumber),
      [1200.5, 1200.5, 1200, 12.5, 45.99, 1200, 1_200_300],
    );
  });

  it('extracts keyphrases, most telling first', () => {
    const doc = summaryCorpus.documents.find((d) => d.id === 'product-update');
    const keywords = engine.keywords(doc?.text ?? '', 5);
    assert.equal(keywords[0]?.phrase, 'offline mode');
    assert.equal(keywords[0]?.count, 2);
    assert.equal(keywords.length, 5);
  });

  it('detects languages, and says undetermined for a few words', () => {
    assert.equal(engine.language('Dies ist ein ganz normaler deutscher Satz über das Wetter.').alpha2, 'de');
    assert.equal(engine.language('Ceci est une phrase en français, avec quelques mots.').code, 'fra');
    assert.equal(engine.language('This is an ordinary English sentence about the weather.').alpha2, 'en');
    assert.deepEqual(engine.language('ok thanks'), { code: 'und', alpha2: null, candidates: [] });
  });

  it('returns no label, with zero confidence, when a text shares no word with any label', () => {
    const r = engine.classify('Lorem ipsum dolor sit amet.', classificationCorpus.labels);
    assert.equal(r.label, null);
    assert.equal(r.confidence, 0);
  });

  it('scores mixed texts per sentence', () => {
    const s = engine.sentiment('The food was delicious. The service was terribly slow and rude.');
    assert.deepEqual(
      s.sentences.map((x) => x.label),
      ['positive', 'negative'],
    );
  });
});

describe('AI operations without a provider', () => {
  it('label every answer as the offline engine, with no token usage', async () => {
    const results = await Promise.all([
      ai.summarize(summaryCorpus.documents[0]?.text ?? '', { maxSentences: 2 }),
      ai.classify('I was charged twice', classificationCorpus.labels),
      ai.sentiment('Great work!'),
      ai.keywords('Card payments failed during the database migration.'),
      ai.entities('Pay $5 by 1 May 2026.'),
      ai.detectLanguage('A sentence long enough to be recognised as English.'),
    ]);
    for (const r of results) {
      assert.deepEqual(
        { provider: r.provider, kind: r.kind, model: r.model, usage: r.usage },
        { provider: 'offline', kind: 'offline', model: OFFLINE_MODEL, usage: { inputTokens: 0, outputTokens: 0 } },
      );
    }
    assert.equal(ai.provider.kind, 'offline');
  });

  it('refuse free-form generation, streaming and schema extraction with AI_PROVIDER_REQUIRED', async () => {
    const required = (err: unknown) => {
      assert.ok(isAppError(err));
      assert.equal(err.code, 'AI_PROVIDER_REQUIRED');
      assert.equal(err.kind, 'unprocessable');
      assert.match(err.message, /needs an AI provider/);
      return true;
    };
    await assert.rejects(ai.generate({ prompt: 'Write a poem.' }), required);
    const stream = ai.stream({ prompt: 'Write a poem.' });
    await assert.rejects(async () => {
      for await (const _ of stream) void _;
    }, required);
    await assert.rejects(stream.result, required);
    await assert.rejects(ai.extract('Invoice 42', { type: 'object' }), required);
  });

  it('bound the input and check the labels', async () => {
    const small = createAi({ offline: engine, maxInputChars: 10 });
    await assert.rejects(small.sentiment('far more than ten characters'), { code: 'AI_INPUT_TOO_LARGE' });
    await assert.rejects(ai.classify('x', []), { code: 'AI_REQUEST_INVALID' });
    await assert.rejects(
      ai.classify('x', [{ name: 'a' }, { name: 'a' }, { name: '' }]),
      (err: unknown) =>
        isAppError(err) && JSON.stringify(err.issues?.map((i) => i.path)) === '["labels.1.name","labels.2.name"]',
    );
  });
});
