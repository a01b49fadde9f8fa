import { sql } from 'drizzle-orm';
import { hashToken, randomToken } from '../../platform/crypto/index.ts';
import type { Database } from '../../platform/db/database.ts';
import { rawQuery } from '../../platform/db/raw-query.ts';
import { inTenant } from '../../platform/db/tenant-scope.ts';
import { enqueueEmail } from '../mail/index.ts';
import { approvalLinks } from './approval-links.table.ts';

/**
 * Approval links: an approval step with a `notify` list mails each recipient a link of their own
 * (`<public URL>/approvals/<token>`). The token is the credential; only its SHA-256 is stored.
 *
 * Invariants:
 * - The step records its own wait, fenced like an engine commit (the attempt must still be
 *   `running` under the run's current lease epoch), in the transaction that stores the links and
 *   queues the emails: an email exists exactly when the wait it points at does. The engine's
 *   next commit writes the same wait again.
 * - A link is bound to one attempt: a retried step mails new links and the old ones are dead.
 * - A link is live while its attempt waits undecided; the first decision, through any link or
 *   the API, ends the wait and so every link of it (single use).
 */

export const APPROVAL_TOKEN_PREFIX = 'apl_';

/** The wait state as the engine stores it (`{until, waitFor, state}`), for an approval. */
export interface ApprovalWaitState {
  until: string;
  waitFor: 'approval';
  state: { message: string; expiresAt: string; notify?: string[] };
}

export interface ApprovalWaitInput {
  tenantId: string;
  runId: string;
  stepId: string;
  attempt: number;
  wait: ApprovalWaitState;
  recipients: string[];
  /** Links point here, e.g. `https://switchyard.example.com`. */
  publicUrl: string;
}

/** Thrown when the attempt is no longer ours to record (the lease moved on): nothing was written. */
export class ApprovalWaitFenced extends Error {
  override readonly name = 'ApprovalWaitFenced';
}

/** Records the wait, one link per recipient and their emails, in one transaction (see above). */
export async function recordApprovalWait(db: Database, input: ApprovalWaitInput): Promise<void> {
  const base = input.publicUrl.replace(/\/+$/, '');
  await inTenant(db, input.tenantId, async (tx) => {
    const fenced = (await tx.execute(sql`
      update step_attempts a set status = 'waiting', wait_state = ${JSON.stringify(input.wait)}::jsonb
      from runs r
      where r.id = ${input.runId} and r.tenant_id = ${input.tenantId} and r.status = 'running'
        and a.run_id = r.id and a.step_id = ${input.stepId} and a.attempt = ${input.attempt}
        and a.status = 'running' and a.lease_epoch = r.lease_epoch
      returning (select w.name from workflows w where w.id = r.workflow_id) as name`)) as unknown as {
      rows: { name: string | null }[];
    };
    const row = fenced.rows[0];
    if (!row) throw new ApprovalWaitFenced(`run ${input.runId} is no longer held by this attempt`);
    const workflow = row.name ?? 'a workflow';
    for (const to of input.recipients) {
      const token = `${APPROVAL_TOKEN_PREFIX}${randomToken(32)}`;
      await tx.insert(approvalLinks).values({
        tokenHash: hashToken(token),
        tenantId: input.tenantId,
        runId: input.runId,
        stepId: input.stepId,
        attempt: input.attempt,
        recipient: to,
        expiresAt: new Date(input.wait.until),
      });
      const link = `${base}/approvals/${token}`;
      await enqueueEmail(tx, {
        tenantId: input.tenantId,
        to,
        kind: 'approval_request',
        subject: `Approval needed: ${workflow}`.slice(0, 200),
        text:
          `${input.wait.state.message}\n\n` +
          `Workflow "${workflow}" (run ${input.runId}, step ${input.stepId}) waits for a decision until ` +
          `${input.wait.state.expiresAt}.\n\n` +
          `See what is asked: ${link}\n\n` +
          `Decide: POST ${link} with {"decision": "approved"} or {"decision": "rejected"}, and an optional ` +
          `"comment". The first decision by anyone asked closes the request; this link is yours (${to}).\n`,
      });
    }
  });
}

export interface ApprovalLinkRow {
  tenant_id: string;
  run_id: string;
  step_id: string;
  attempt: number;
  recipient: string;
  expires_at: Date | string;
  expired: boolean;
  workflow_id: string;
  workflow_name: string;
  run_status: string;
  attempt_status: string | null;
  wait_state: { waitFor?: string; resolution?: unknown; state?: { message?: string } } | null;
}

/**
 * A link by its token, with what decides whether it is live, in one prepared statement. Every
 * token (well-formed or not, known or not) costs the same lookup, so the answer's timing does
 * not tell an unknown token from a used one. Runs as the owner: the token is the credential and
 * names its tenant.
 */
export async function findApprovalLink(db: Database, token: string): Promise<ApprovalLinkRow | undefined> {
  const [row] = await rawQuery<ApprovalLinkRow>(db, {
    name: 'approval_link_lookup',
    text: `select l.tenant_id, l.run_id, l.step_id, l.attempt, l.recipient, l.expires_at, l.expires_at <= now() as expired,
             w.id as workflow_id, w.name as workflow_name, r.status as run_status,
             a.status as attempt_status, a.wait_state
           from approval_links l
           join runs r on r.id = l.run_id
           join workflows w on w.id = r.workflow_id
           left join step_attempts a on a.run_id = l.run_id and a.step_id = l.step_id and a.attempt = l.attempt
           where l.token_hash = $1`,
    values: [hashToken(token)],
  });
  return row;
}

/** What a looked-up link is good for: deciding, nothing any more (used, cancelled), or too late. */
export function linkState(row: ApprovalLinkRow | undefined): 'live' | 'dead' | 'expired' {
  if (!row) return 'dead';
  const wait = row.wait_state ?? {};
  if (row.attempt_status === 'succeeded' || wait.resolution) return 'dead'; // decided: single use
  if (row.expired) return 'expired';
  const waiting = row.attempt_status === 'waiting' && wait.waitFor === 'approval';
  return waiting && (row.run_status === 'running' || row.run_status === 'waiting') ? 'live' : 'dead';
}
