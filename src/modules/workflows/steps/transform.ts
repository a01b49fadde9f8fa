import { z } from 'zod';
import { jsonataExpression } from '../expressions.ts';
import { defineStepKind } from './step-kind.ts';

/** Reshapes data: the output is the value of a JSONata expression over the run scope. */
export const transformStep = defineStepKind({
  type: 'transform',
  description: 'Computes its output from a JSONata expression over the trigger and earlier steps.',
  config: z.strictObject({
    expression: jsonataExpression().describe('JSONata; its value is the step output (null when nothing matches).'),
  }),
  pure: true,
  async execute(config, ctx) {
    const output = await ctx.evaluate(config.expression);
    return { kind: 'done', output: output === undefined ? null : output };
  },
});
