import { z } from 'zod';
import { branchLabel } from '../../workflows/definition.ts';
import { defineStepKind } from '../../workflows/steps/step-kind.ts';
import { asText, runAi } from './run-ai.ts';

/** The branch taken when no label fits (offline: no shared word; or under `minConfidence`). */
export const UNMATCHED_BRANCH = 'unmatched';

const Label = z
  .object({
    /** The label, and the branch edges name in `when`. */
    name: branchLabel.refine((n) => n !== UNMATCHED_BRANCH, `"${UNMATCHED_BRANCH}" is the branch when no label fits`),
    description: z.string().max(1000).optional(),
    examples: z.array(z.string().max(1000)).max(20).optional(),
  })
  .strict();

const Config = z
  .object({
    /** The text to classify; may hold templates (non-strings are classified as JSON). */
    text: z.unknown(),
    labels: z.array(Label).min(1).max(50),
    /** Below this confidence (0–1) the step takes the `unmatched` branch (default 0). */
    minConfidence: z.number().min(0).max(1).default(0),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.labels.forEach((l, i) => {
      if (seen.has(l.name))
        ctx.addIssue({ code: 'custom', path: ['labels', i, 'name'], message: `label "${l.name}" is named twice` });
      seen.add(l.name);
    });
  });
type Config = z.output<typeof Config>;

/**
 * Puts a text in one of the given labels and takes that label's branch (`unmatched` when none
 * fits). With the tenant's model, by structured extraction into the labels; offline, by
 * nearest-centroid BM25 over names, descriptions and examples. Output
 * `{label, confidence, branch, ai}` (offline also `scores`).
 */
export const aiClassifyStep = defineStepKind<Config>({
  type: 'ai.classify',
  description: 'Classify a text into one of your labels and branch on it (works offline without a model).',
  config: Config,
  pure: false,
  branches: (config) => [...config.labels.map((l) => l.name), UNMATCHED_BRANCH],
  async execute(config, ctx) {
    const text = asText(await ctx.render(config.text), 'text');
    const { result, ai } = await runAi(ctx, 'classify', async (model, journal) => {
      const r = await model.classify(text, config.labels, { signal: ctx.signal });
      if (r.kind === 'offline')
        journal.offline(r, text, { label: r.label, confidence: r.confidence, scores: r.scores });
      return r;
    });
    // The label comes back validated against the names (an enum); checked again, as model output is data.
    const known = result.label !== null && config.labels.some((l) => l.name === result.label);
    const branch = known && result.confidence >= config.minConfidence ? (result.label as string) : UNMATCHED_BRANCH;
    return {
      kind: 'done',
      output: {
        label: known ? result.label : null,
        confidence: result.confidence,
        branch,
        ...(result.scores ? { scores: result.scores.slice(0, 10) } : {}),
        ai,
      },
      branch,
    };
  },
});
