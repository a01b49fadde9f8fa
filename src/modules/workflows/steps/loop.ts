import { z } from 'zod';
import { jsonataExpression } from '../expressions.ts';
import type { AnyStepKind } from './registry.ts';
import { defineStepKind, StepPermanentError, type StepContext } from './step-kind.ts';

const Config = z
  .object({
    /** JSONata giving the array to iterate, e.g. `trigger.body.orders`. */
    items: jsonataExpression(),
    /** The step run once per element; its config sees `item` and `index` in expressions and templates. */
    step: z.object({ type: z.enum(['http', 'code', 'transform']), config: z.unknown() }).strict(),
    /** Elements processed at once. */
    concurrency: z.number().int().min(1).max(20).default(4),
    maxItems: z.number().int().min(1).max(1000).default(1000),
  })
  .strict();

/**
 * For-each: runs an inner `http`, `code` or `transform` step once per element of an array, at most
 * `concurrency` at a time, and collects the outputs in order. The loop is one step: if an element
 * fails, the loop fails (with the element's index) and is retried as a whole by its retry policy.
 */
export const loopStep = defineStepKind({
  type: 'loop',
  description: 'Run a step for each element of an array, with a concurrency bound; outputs collected in order.',
  config: Config,
  pure: false,
  async execute(config, ctx) {
    const registry = ctx.services.registry as { get(type: string): AnyStepKind | undefined } | undefined;
    const kind = registry?.get(config.step.type);
    if (!kind) throw new StepPermanentError(`No step kind ${config.step.type} here.`, 'STEP_UNAVAILABLE');
    const parsed = kind.config.safeParse(config.step.config);
    if (!parsed.success) {
      throw new StepPermanentError(
        `The loop's inner step config is invalid: ${parsed.error.message}`,
        'STEP_CONFIG_INVALID',
      );
    }
    const renderWith = ctx.services.renderWith as ((value: unknown, scope: unknown) => Promise<unknown>) | undefined;
    const list = await ctx.evaluate(config.items);
    if (!Array.isArray(list))
      throw new StepPermanentError('`items` did not evaluate to an array.', 'LOOP_NOT_AN_ARRAY');
    if (list.length > config.maxItems) {
      throw new StepPermanentError(
        `${list.length} elements, over maxItems (${config.maxItems}).`,
        'LOOP_TOO_MANY_ITEMS',
      );
    }
    const outputs: unknown[] = new Array(list.length);
    let next = 0;
    const worker = async () => {
      while (next < list.length) {
        if (ctx.signal.aborted) throw ctx.signal.reason as Error;
        const index = next++;
        const item: unknown = list[index];
        const scope = { ...ctx.scope, item, index };
        const inner: StepContext = {
          ...ctx,
          scope,
          evaluate: (expression, extra) => ctx.evaluate(expression, { item, index, ...extra }),
          render: (value) => (renderWith ? renderWith(value, scope) : ctx.render(value)),
        };
        try {
          const outcome = await kind.execute(parsed.data, inner);
          if (outcome.kind !== 'done')
            throw new StepPermanentError('A loop element cannot wait.', 'LOOP_ELEMENT_WAITED');
          outputs[index] = outcome.output;
        } catch (err) {
          const e = err as Error & { code?: string };
          const message = `element ${index}: ${e.message}`;
          if (err instanceof StepPermanentError) throw new StepPermanentError(message, err.code, { index });
          throw Object.assign(new Error(message), { code: e.code ?? 'LOOP_ELEMENT_FAILED' });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(config.concurrency, list.length) }, worker));
    return { kind: 'done', output: outputs };
  },
});
