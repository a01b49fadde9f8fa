import { z } from 'zod';
import { defineStepKind } from '../../workflows/steps/step-kind.ts';
import { AI_STEP_LIMITS } from './generate.ts';
import { asText, runAi } from './run-ai.ts';

const Config = z
  .object({
    /** The text to summarise; may hold templates (non-strings are summarised as JSON). */
    text: z.unknown(),
    /** At most this many sentences (default 3). */
    maxSentences: z.number().int().min(1).max(20).default(3),
  })
  .strict();

/**
 * Summarises a text: with the tenant's model, or offline (TextRank: the most central sentences,
 * verbatim) when there is none. The text goes to the model in a `<document>` block it is told is
 * data. Output `{summary, ai}`.
 */
export const aiSummarizeStep = defineStepKind({
  type: 'ai.summarize',
  description: 'Summarise a text (works offline without a model).',
  config: Config,
  pure: false,
  async execute(config, ctx) {
    const text = asText(await ctx.render(config.text), 'text');
    const { result, ai } = await runAi(ctx, 'summarize', async (model, journal) => {
      const r = await model.summarize(text, { maxSentences: config.maxSentences, signal: ctx.signal });
      if (r.kind === 'offline') journal.offline(r, text, { summary: r.summary });
      return r;
    });
    const summary =
      result.summary.length > AI_STEP_LIMITS.outputCharsDefault
        ? result.summary.slice(0, AI_STEP_LIMITS.outputCharsDefault)
        : result.summary;
    return { kind: 'done', output: { summary, ai } };
  },
});
