import { z } from 'zod';
import { problems } from '../../../platform/http/openapi.ts';
import { boundedJsonObject, safeText } from '../../../platform/validation.ts';

/**
 * Request and response schemas of the AI routes. Text bounds come from `AI_MAX_INPUT_CHARS`, so
 * they are built per app; everything else is fixed here.
 */

export const UsageSchema = z.object({ inputTokens: z.number().int(), outputTokens: z.number().int() });

/** Who answered, on every response. */
export const Answerer = {
  provider: z.string().describe('`tenant:<kind>`, `instance:<kind>` or `offline`'),
  kind: z.string(),
  model: z.string(),
  usage: UsageSchema,
};

export const LabelSchema = z
  .object({
    name: safeText({ min: 1, max: 100 }),
    description: safeText({ max: 1000 }).optional(),
    examples: z
      .array(safeText({ max: 1000 }))
      .max(20)
      .optional(),
  })
  .strict();

const MessageSchema = z.object({ role: z.enum(['user', 'assistant']), content: z.string().min(1) }).strict();

export function requestSchemas(maxChars: number) {
  const text = z.string().min(1).max(maxChars);
  return {
    summarize: z.object({ text, maxSentences: z.number().int().min(1).max(20).optional() }).strict(),
    classify: z.object({ text, labels: z.array(LabelSchema).min(1).max(50) }).strict(),
    extract: z
      .object({
        text,
        schema: boundedJsonObject({ maxBytes: 32 * 1024, maxDepth: 16 }).describe(
          'A JSON Schema (draft-07/2019 keywords; formats checked; remote `$ref`s are not fetched), at most 32 KiB and 16 levels deep',
        ),
        instructions: z.string().max(2000).optional(),
        maxAttempts: z.number().int().min(1).max(5).optional(),
      })
      .strict(),
    generate: z
      .object({
        prompt: z.string().min(1).max(maxChars).optional(),
        messages: z
          .array(MessageSchema.extend({ content: z.string().min(1).max(maxChars) }))
          .min(1)
          .max(100)
          .optional(),
        system: z.string().max(20_000).optional(),
        maxOutputTokens: z.number().int().min(1).max(32_768).optional(),
        temperature: z.number().min(0).max(2).optional(),
      })
      .strict()
      .refine((b) => (b.prompt === undefined) !== (b.messages === undefined), {
        message: 'give either prompt or messages, not both',
        path: ['prompt'],
      }),
    analyze: z
      .object({
        text,
        kind: z.enum(['auto', 'contract', 'general']).default('auto'),
        maxSummarySentences: z.number().int().min(1).max(20).optional(),
      })
      .strict(),
  };
}

export const SummarySchema = z
  .object({
    summary: z.string(),
    sentences: z.array(z.object({ text: z.string(), index: z.number().int(), score: z.number() })).optional(),
    ...Answerer,
  })
  .meta({ id: 'AiSummary' });

export const ClassificationSchema = z
  .object({
    label: z.string().nullable(),
    confidence: z.number(),
    scores: z.array(z.object({ label: z.string(), score: z.number() })).optional(),
    ...Answerer,
  })
  .meta({ id: 'AiClassification' });

export const ExtractionSchema = z
  .object({ data: z.unknown(), attempts: z.number().int(), ...Answerer })
  .meta({ id: 'AiExtraction' });

export const GenerationSchema = z
  .object({ text: z.string(), finishReason: z.string(), warnings: z.array(z.string()), ...Answerer })
  .meta({ id: 'AiGeneration' });

const Risk = z.object({
  rule: z.string(),
  title: z.string(),
  severity: z.enum(['high', 'medium', 'low']),
  clause: z.string().nullable(),
  evidence: z.string(),
});

export const AnalysisSchema = z
  .object({
    ...Answerer,
    documentType: z.enum(['contract', 'general']),
    document: z.object({ chars: z.number().int(), mediaType: z.string(), filename: z.string().nullable() }),
    summary: z.string(),
    language: z.object({ code: z.string(), alpha2: z.string().nullable() }),
    sentiment: z.object({ label: z.string(), score: z.number() }),
    keywords: z.array(z.object({ phrase: z.string(), score: z.number(), count: z.number().int() })),
    entities: z.object({
      names: z.array(z.string()),
      emails: z.array(z.string()),
      urls: z.array(z.string()),
      percentages: z.array(z.string()),
    }),
    keyDates: z.array(z.object({ text: z.string(), iso: z.string().nullable() })),
    amounts: z.array(z.object({ text: z.string(), value: z.number(), currency: z.string() })),
    contract: z
      .object({
        signals: z.array(z.string()),
        clauses: z.array(
          z.object({
            number: z.string(),
            heading: z.string(),
            start: z.number().int(),
            end: z.number().int(),
            risks: z.array(z.string()),
          }),
        ),
        risks: z.array(Risk),
        modelReview: z.unknown(),
      })
      .optional(),
  })
  .meta({ id: 'AiDocumentAnalysis' });

export const ProviderViewSchema = z
  .object({
    source: z.enum(['tenant', 'instance', 'offline']),
    kind: z.enum(['openai', 'anthropic', 'ollama', 'openai-compatible', 'offline']),
    model: z.string(),
    baseUrl: z.string().nullable(),
    hasKey: z.boolean(),
    updatedAt: z.string().nullable(),
  })
  .meta({ id: 'AiProvider' });

export const PutProviderSchema = z
  .object({
    kind: z.enum(['openai', 'anthropic', 'ollama', 'openai-compatible']),
    model: safeText({ min: 1, max: 200 }),
    baseUrl: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .nullable()
      .optional(),
    apiKey: z
      .string()
      .min(1)
      .max(4096)
      .nullable()
      .optional()
      .describe('Write-only. Omitted: keep the stored key (same kind and base URL only). null: remove it.'),
  })
  .strict();

export const ProviderTestSchema = z
  .object({
    ok: z.boolean(),
    provider: z.string(),
    kind: z.string(),
    model: z.string(),
    latencyMs: z.number().int(),
    usage: UsageSchema,
    error: z.object({ code: z.string(), message: z.string(), status: z.number().int().optional() }).optional(),
  })
  .meta({ id: 'AiProviderTest' });

export const UsageMonthSchema = z
  .object({
    month: z.string(),
    calls: z.number().int(),
    inputTokens: z.number().int(),
    outputTokens: z.number().int(),
    costUsd: z.number(),
    byModel: z.array(
      z.object({
        provider: z.string(),
        model: z.string(),
        calls: z.number().int(),
        inputTokens: z.number().int(),
        outputTokens: z.number().int(),
        costUsd: z.number(),
        priced: z.boolean(),
      }),
    ),
    limits: z.object({ monthlyTokenLimit: z.number().nullable(), monthlyCostLimitUsd: z.number().nullable() }),
  })
  .meta({ id: 'AiUsageMonth' });

/** The problems any model-backed route can answer with. */
export const CALL_PROBLEMS = problems(400, 413, 422, 429, 502, 503, 504);
