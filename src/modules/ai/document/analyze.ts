import { isAppError } from '../../../platform/errors.ts';
import type { Ai } from '../ai.service.ts';
import type { AmountMention, DateMention } from '../offline/entities.ts';
import type { Keyphrase } from '../offline/keywords.ts';
import { addUsage, type AiAnswerer, type AiUsage, zeroUsage } from '../provider.ts';
import { type Clause, contractSignals, reviewContract, RISK_RULE_IDS, type RiskFinding } from './contract.ts';

export type DocumentKind = 'auto' | 'contract' | 'general';

export interface ModelReview {
  provider: string;
  model: string;
  parties: string[];
  effectiveDate: string | null;
  risks: { rule: string; clause: string | null; severity: 'high' | 'medium' | 'low'; explanation: string }[];
}

export interface DocumentAnalysis {
  /** Who wrote the summary (the configured provider, or `offline`); usage sums every call. */
  provider: string;
  model: string;
  usage: AiUsage;
  documentType: 'contract' | 'general';
  summary: string;
  language: { code: string; alpha2: string | null };
  sentiment: { label: string; score: number };
  keywords: Keyphrase[];
  entities: { names: string[]; emails: string[]; urls: string[]; percentages: string[] };
  keyDates: DateMention[];
  amounts: AmountMention[];
  contract?: {
    /** The signals that made it look like a contract (empty when `kind: 'contract'` forced it). */
    signals: string[];
    clauses: Clause[];
    /** From the offline rule list: always computed. */
    risks: RiskFinding[];
    /** The model's view (with a provider only): null offline; `{ error }` when it failed. */
    modelReview: ModelReview | { error: { code: string; message: string } } | null;
  };
  /** Every call made, for usage records: offline ones at zero tokens. */
  answerers: AiAnswerer[];
}

const cap = <T>(items: readonly T[], n: number) => items.slice(0, n);
const uniq = (items: readonly string[]) => [...new Set(items)];

/**
 * Summary, entities, key dates and amounts, keywords, language and sentiment; and for a contract
 * (detected, or `kind: 'contract'`) its clauses and risk flags from the offline rules, plus the
 * model's own review through `extract` when a provider is configured. Provider failures of the
 * summary fail the request; a review that does not validate is reported as `modelReview.error`
 * beside the offline findings, which stand on their own.
 */
export async function analyzeDocument(
  ai: Ai,
  text: string,
  options: { kind?: DocumentKind; maxSummarySentences?: number; signal?: AbortSignal } = {},
): Promise<DocumentAnalysis> {
  const [summary, entities, keywords, language, sentiment] = await Promise.all([
    ai.summarize(text, {
      maxSentences: options.maxSummarySentences ?? 5,
      ...(options.signal ? { signal: options.signal } : {}),
    }),
    ai.entities(text),
    ai.keywords(text, { limit: 15 }),
    ai.detectLanguage(text),
    ai.sentiment(text),
  ]);
  const answerers: AiAnswerer[] = [summary, entities, keywords, language, sentiment];
  const signals = contractSignals(text);
  const isContract = options.kind === 'contract' || (options.kind !== 'general' && signals.looksLikeContract);
  const byType = (type: string) => uniq(entities.entities.filter((e) => e.type === type).map((e) => e.text));

  const analysis: DocumentAnalysis = {
    provider: summary.provider,
    model: summary.model,
    usage: zeroUsage(),
    documentType: isContract ? 'contract' : 'general',
    summary: summary.summary,
    language: { code: language.code, alpha2: language.alpha2 },
    sentiment: { label: sentiment.label, score: sentiment.score },
    keywords: keywords.keywords,
    entities: {
      names: cap(entities.names, 100),
      emails: cap(byType('EMAIL'), 100),
      urls: cap(byType('URL'), 100),
      percentages: cap(byType('PERCENT'), 100),
    },
    keyDates: cap(entities.dates, 200),
    amounts: cap(entities.amounts, 200),
    answerers,
  };
  if (isContract) {
    const { clauses, risks } = reviewContract(text);
    analysis.contract = {
      signals: options.kind === 'contract' ? [] : signals.signals,
      clauses,
      risks,
      modelReview: null,
    };
    if (ai.provider.kind !== 'offline') {
      analysis.contract.modelReview = await modelReview(ai, text, answerers, options.signal);
    }
  }
  analysis.usage = answerers.reduce((u, a) => addUsage(u, a.usage), zeroUsage());
  return analysis;
}

const REVIEW_SCHEMA = {
  type: 'object',
  properties: {
    parties: { type: 'array', items: { type: 'string', maxLength: 200 }, maxItems: 20 },
    effectiveDate: { type: ['string', 'null'], maxLength: 40 },
    risks: {
      type: 'array',
      maxItems: 30,
      items: {
        type: 'object',
        properties: {
          rule: { enum: [...RISK_RULE_IDS, 'other'] },
          clause: { type: ['string', 'null'], maxLength: 20 },
          severity: { enum: ['high', 'medium', 'low'] },
          explanation: { type: 'string', maxLength: 500 },
        },
        required: ['rule', 'clause', 'severity', 'explanation'],
        additionalProperties: false,
      },
    },
  },
  required: ['parties', 'effectiveDate', 'risks'],
  additionalProperties: false,
};

async function modelReview(
  ai: Ai,
  text: string,
  answerers: AiAnswerer[],
  signal: AbortSignal | undefined,
): Promise<ModelReview | { error: { code: string; message: string } }> {
  try {
    const r = await ai.extract<Omit<ModelReview, 'provider' | 'model'>>(text, REVIEW_SCHEMA, {
      instructions:
        'Review this contract for risks to the party receiving it. Use these rule ids where they fit: ' +
        `${RISK_RULE_IDS.join(', ')}; otherwise "other". Give the clause number as written, or null. ` +
        'Dates as YYYY-MM-DD where the contract states them.',
      ...(signal ? { signal } : {}),
    });
    answerers.push(r);
    return { provider: r.provider, model: r.model, ...r.data };
  } catch (err) {
    // Only an answer that would not validate degrades to a note; provider failures fail the call.
    if (!isAppError(err) || err.code !== 'AI_EXTRACTION_FAILED') throw err;
    const usage = err.extra?.usage as AiUsage | undefined;
    if (usage) answerers.push({ provider: ai.provider.id, kind: ai.provider.kind, model: ai.provider.model, usage });
    return { error: { code: err.code, message: err.message } };
  }
}
