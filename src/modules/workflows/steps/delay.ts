import { z } from 'zod';
import { defineStepKind, StepPermanentError } from './step-kind.ts';

const Config = z
  .object({
    /** Wait this long… */
    ms: z
      .number()
      .int()
      .min(0)
      .max(366 * 86_400_000)
      .optional(),
    /** …or until this time (ISO 8601; may be a `{{ }}` template). */
    until: z.string().max(200).optional(),
  })
  .strict()
  .refine((c) => (c.ms === undefined) !== (c.until === undefined), { message: 'give exactly one of ms or until' });

/**
 * Parks the run durably: no worker is held while it waits; the run wakes when the time comes,
 * also across restarts. `until` in the past completes at once.
 */
export const delayStep = defineStepKind({
  type: 'delay',
  description: 'Wait for a duration or until a time, durably.',
  config: Config,
  pure: false,
  async execute(config, ctx) {
    let until: Date;
    if (config.ms !== undefined) until = new Date(Date.now() + config.ms);
    else {
      const rendered = String(await ctx.render(config.until));
      until = new Date(rendered);
      if (Number.isNaN(until.getTime())) {
        throw new StepPermanentError(`Not a date: ${rendered.slice(0, 100)}`, 'DELAY_INVALID_UNTIL');
      }
    }
    if (until.getTime() <= Date.now()) return { kind: 'done', output: { waitedUntil: until.toISOString() } };
    return { kind: 'wait', until };
  },
});
