import { aiError } from '../errors.ts';
import type { AiProvider, AiStream } from '../provider.ts';
import { classifyOffline, type Classification, type LabelSpec } from './classify.ts';
import { findEntities, type EntityFindings } from './entities.ts';
import { keyphrases, type Keyphrase } from './keywords.ts';
import { detectLanguage, type LanguageGuess } from './language.ts';
import { createParser, type Parser } from './nlp.ts';
import { sentimentOf, type Sentiment } from './sentiment.ts';
import { summarizeExtractive, type ExtractiveSummary } from './summarize.ts';

/** How the offline engine labels itself in results: honest about what answered. */
export const OFFLINE_MODEL = 'offline engine (wink-nlp 2 with wink-eng-lite-web-model 1, English; franc-min 6)';

/**
 * The engine used when no provider is configured: extractive summaries, keyphrases, entities,
 * sentiment, language and classification into caller-given labels, all computed locally from
 * models that ship inside npm packages. It never generates text.
 */
export interface OfflineEngine {
  summarize(text: string, maxSentences: number): ExtractiveSummary;
  classify(text: string, labels: readonly LabelSpec[]): Classification;
  sentiment(text: string): Sentiment;
  keywords(text: string, limit: number): Keyphrase[];
  entities(text: string): EntityFindings;
  language(text: string): LanguageGuess;
}

/** The English model loads on first use (~150 ms), not at start, so processes that never use AI pay nothing. */
export function createOfflineEngine(): OfflineEngine {
  let parser: Parser | undefined;
  const nlp = () => (parser ??= createParser());
  return {
    summarize: (text, maxSentences) => summarizeExtractive(nlp().parse(text), maxSentences),
    classify: (text, labels) => classifyOffline(nlp(), text, labels),
    sentiment: (text) => sentimentOf(nlp().parse(text)),
    keywords: (text, limit) => keyphrases(nlp().parse(text), limit),
    entities: (text) => findEntities(text, nlp().parse(text)),
    language: (text) => detectLanguage(text),
  };
}

/** The provider that stands for the offline engine: it answers analysis, never generation. */
export function createOfflineProvider(): AiProvider {
  const refuse = () =>
    aiError(
      'PROVIDER_REQUIRED',
      'Free-form generation needs an AI provider (OpenAI, Anthropic, Ollama or an OpenAI-compatible server). ' +
        'Without one, only the offline engine is available: summaries, classification, entities, keywords, sentiment and language.',
    );
  return {
    id: 'offline',
    kind: 'offline',
    model: OFFLINE_MODEL,
    generate: () => Promise.reject(refuse()),
    stream: (): AiStream => {
      const result = Promise.reject(refuse());
      result.catch(() => undefined);
      return {
        result,
        [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(refuse()) }),
      };
    },
  };
}
