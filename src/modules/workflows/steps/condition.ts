import { z } from 'zod';
import { jsonataExpression, truthy } from '../expressions.ts';
import { defineStepKind } from './step-kind.ts';

/** Two-way branch: follows the edges whose `when` is "true" or "false". */
export const conditionStep = defineStepKind({
  type: 'condition',
  description:
    'Evaluates a JSONata expression and takes the "true" or "false" branch (JSONata truthiness: empty, 0, null and no match are false).',
  config: z.strictObject({
    expression: jsonataExpression().describe('JSONata; its effective boolean value picks the branch.'),
  }),
  pure: true,
  branches: () => ['true', 'false'],
  async execute(config, ctx) {
    const result = truthy(await ctx.evaluate(config.expression));
    return { kind: 'done', output: { result }, branch: result ? 'true' : 'false' };
  },
});
