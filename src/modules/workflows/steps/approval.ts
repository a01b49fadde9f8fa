import { z } from 'zod';
import type { Database } from '../../../platform/db/database.ts';
import { type ApprovalWaitState, recordApprovalWait } from '../approval-links.ts';
import { defineStepKind, StepPermanentError } from './step-kind.ts';

/** At most this many people are mailed a link by one approval step. */
export const APPROVAL_NOTIFY_MAX = 20;

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
    /**
     * Email addresses to mail a single-use decision link to; each entry may be a template, and one
     * that renders to a list of addresses counts as that many.
     */
    notify: z.array(z.string().min(1).max(1000)).max(APPROVAL_NOTIFY_MAX).optional(),
  })
  .strict();

const Address = z.email().max(254);

/**
 * Waits durably for a person's decision, given through the API
 * (`POST /api/v1/runs/:id/approvals/:stepId`) or a signed, single-use, expiring link mailed to
 * each address in `notify` (see approval-links.ts). Routes to the edges `when: "approved"` /
 * `when: "rejected"`; output `{ decision, by, comment, at }`.
 */
export const approvalStep = defineStepKind({
  type: 'approval',
  description: 'Wait for someone to approve or reject (optionally mailing them a decision link).',
  config: Config,
  pure: false,
  branches: () => ['approved', 'rejected'],
  async execute(config, ctx) {
    const message = String(await ctx.render(config.message));
    const expiresAt = new Date(Date.now() + config.expiresInMs);
    const recipients = config.notify?.length ? recipientsOf(await ctx.render(config.notify)) : [];
    const state = {
      message,
      expiresAt: expiresAt.toISOString(),
      ...(recipients.length ? { notify: recipients } : {}),
    };
    if (recipients.length) {
      const db = ctx.services.db as Database | undefined;
      if (!db) throw new StepPermanentError('Approval links are not available here.', 'STEP_UNAVAILABLE');
      const wait: ApprovalWaitState = { until: expiresAt.toISOString(), waitFor: 'approval', state };
      // The step records its wait itself, with the links and emails: see approval-links.ts.
      await recordApprovalWait(db, {
        tenantId: ctx.tenantId,
        runId: ctx.runId,
        stepId: ctx.stepId,
        attempt: ctx.attempt,
        wait,
        recipients,
        publicUrl: typeof ctx.services.publicUrl === 'string' ? ctx.services.publicUrl : 'http://localhost:3000',
      });
    }
    return { kind: 'wait', waitFor: 'approval', until: expiresAt, state };
  },
});

/** The rendered `notify` list: addresses, lists flattened, lower-cased, duplicates dropped. */
function recipientsOf(rendered: unknown): string[] {
  const flat = (Array.isArray(rendered) ? rendered : [rendered]).flat(2);
  const out = new Set<string>();
  for (const value of flat) {
    if (value === null || value === undefined || value === '') continue;
    const parsed = Address.safeParse(typeof value === 'string' ? value.trim() : value);
    if (!parsed.success) {
      throw new StepPermanentError(
        `notify: ${JSON.stringify(value).slice(0, 100)} is not an email address.`,
        'APPROVAL_NOTIFY_INVALID',
      );
    }
    out.add(parsed.data.toLowerCase());
  }
  if (out.size > APPROVAL_NOTIFY_MAX) {
    throw new StepPermanentError(
      `notify names ${out.size} addresses; at most ${APPROVAL_NOTIFY_MAX}.`,
      'APPROVAL_NOTIFY_INVALID',
    );
  }
  return [...out];
}
