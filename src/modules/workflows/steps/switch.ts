import { z } from 'zod';
import { branchLabel } from '../definition.ts';
import { jsonataExpression, truthy } from '../expressions.ts';
import { defineStepKind } from './step-kind.ts';

export const SWITCH_DEFAULT_BRANCH = 'default';

const SwitchConfig = z
  .strictObject({
    cases: z
      .array(
        z.strictObject({
          name: branchLabel.describe('The branch label edges name in `when`.'),
          expression: jsonataExpression().describe('JSONata; the first case whose value is truthy wins.'),
        }),
      )
      .min(1)
      .max(50),
    default: branchLabel.optional().describe(`The branch when no case matches (default "${SWITCH_DEFAULT_BRANCH}").`),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.cases.forEach((k, i) => {
      if (seen.has(k.name)) {
        ctx.addIssue({ code: 'custom', path: ['cases', i, 'name'], message: `case "${k.name}" is named twice` });
      }
      seen.add(k.name);
    });
  });
type SwitchConfig = z.output<typeof SwitchConfig>;

/** Multi-way branch: the first case whose expression is truthy names the branch taken. */
export const switchStep = defineStepKind<SwitchConfig>({
  type: 'switch',
  description:
    'Evaluates its cases in order and takes the branch named by the first truthy one, else the default branch.',
  config: SwitchConfig,
  pure: true,
  branches: (config) => [...new Set([...config.cases.map((c) => c.name), config.default ?? SWITCH_DEFAULT_BRANCH])],
  async execute(config, ctx) {
    for (const c of config.cases) {
      if (truthy(await ctx.evaluate(c.expression))) return { kind: 'done', output: { case: c.name }, branch: c.name };
    }
    const name = config.default ?? SWITCH_DEFAULT_BRANCH;
    return { kind: 'done', output: { case: name }, branch: name };
  },
});
