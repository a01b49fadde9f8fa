import { z } from 'zod';
import { defineStepKind } from '../../workflows/steps/step-kind.ts';
import { compileSchema } from '../extract.ts';
import { asText, runAi } from './run-ai.ts';

const Config = z
  .object({
    /** The text to read; may hold templates (non-strings are read as JSON). */
    text: z.unknown(),
    /** The JSON Schema the data must match (≤ 32 KB; no remote `$ref`). Not a template. */
    schema: z.record(z.string(), z.unknown()).superRefine((schema, ctx) => {
      try {
        compileSchema(schema);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    }),
    /** Extra guidance for the model ("dates as YYYY-MM-DD"); may hold templates. */
    instructions: z.string().min(1).max(4000).optional(),
    /** Model calls in all, each retry sent the previous answer's validation errors (default 3). */
    maxAttempts: z.number().int().min(1).max(5).default(3),
  })
  .strict();

/**
 * Extracts structured data matching a JSON Schema from a text, with the tenant's model (the answer
 * is parsed with JSON.parse and validated with ajv, never evaluated). Needs a model provider:
 * without one `AI_PROVIDER_REQUIRED` (not retried). Output `{data, attempts, ai}`.
 */
export const aiExtractStep = defineStepKind({
  type: 'ai.extract',
  description: 'Extract data matching a JSON Schema from a text with the tenant’s AI model.',
  config: Config,
  pure: false,
  async execute(config, ctx) {
    const rendered = (await ctx.render({ text: config.text, instructions: config.instructions })) as {
      text?: unknown;
      instructions?: unknown;
    };
    const text = asText(rendered.text, 'text');
    const instructions =
      rendered.instructions === undefined ? undefined : asText(rendered.instructions, 'instructions');
    const { result, ai } = await runAi(ctx, 'extract', (model) =>
      model.extract(text, config.schema, {
        maxAttempts: config.maxAttempts,
        ...(instructions ? { instructions } : {}),
        signal: ctx.signal,
      }),
    );
    return { kind: 'done', output: { data: result.data, attempts: result.attempts, ai } };
  },
});
