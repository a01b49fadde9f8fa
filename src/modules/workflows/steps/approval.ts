import { z } from 'zod';
import { defineStepKind } from './step-kind.ts';

const Config = z
  .object({
    /** Shown to the approver; may hold `{{ }}` templates. */
    message: z.string().max(4000).default('Approve this step?'),
    /** The decision expires after this long (then the step fails with APPROVAL_EXPIRED). */
    expiresInMs: z
      .number()
      .int()
      .min(60_000)
      .max(30 * 86_400_000)
      .default(7 * 86_400_000),
  })
  .strict();

/**
 * Waits durably for a person's decision, given through the API
 * (`POST /api/v1/runs/:id/approvals/:stepId`) or a signed, single-use, expiring link. Routes to
 * the edges `when: "approved"` / `when: "rejected"`; output `{ decision, by, comment, at }`.
 */
export const approvalStep = defineStepKind({
  type: 'approval',
  description: 'Wait for someone to approve or reject.',
  config: Config,
  pure: false,
  branches: () => ['approved', 'rejected'],
  async execute(config, ctx) {
    const message = String(await ctx.render(config.message));
    const expiresAt = new Date(Date.now() + config.expiresInMs);
    return {
      kind: 'wait',
      waitFor: 'approval',
      until: expiresAt,
      state: { message, expiresAt: expiresAt.toISOString() },
    };
  },
});
