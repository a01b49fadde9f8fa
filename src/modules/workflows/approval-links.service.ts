import type { ActorContext } from '../../platform/context.ts';
import { AppError, isAppError, notFound } from '../../platform/errors.ts';
import { type ApprovalLinkRow, findApprovalLink, linkState } from './approval-links.ts';
import { decideApproval, type WorkflowsDeps } from './workflows.service.ts';

/**
 * The public side of approval links (`/approvals/:token`, no authentication: the token is the
 * credential). Looking at a link never decides anything — mail scanners fetch links before people
 * do — only a POST does. Unknown, malformed and used links all answer the same 404.
 */

const linkNotFound = () =>
  notFound('APPROVAL_LINK_NOT_FOUND', 'This approval link is unknown or no longer valid (it was already used).');
const linkExpired = () =>
  new AppError('APPROVAL_EXPIRED', 'gone', 'This approval link has expired; nobody decided in time.');

export interface ApprovalLinkView {
  workflow: { id: string; name: string };
  runId: string;
  stepId: string;
  message: string;
  recipient: string;
  expiresAt: string;
}

async function liveLink(deps: WorkflowsDeps, token: string): Promise<ApprovalLinkRow> {
  const row = await findApprovalLink(deps.db, token);
  const state = linkState(row);
  if (state === 'expired') throw linkExpired();
  if (state !== 'live' || !row) throw linkNotFound();
  return row;
}

/** What the link asks to approve. Reads only. */
export async function describeApprovalLink(deps: WorkflowsDeps, token: string): Promise<ApprovalLinkView> {
  const row = await liveLink(deps, token);
  return {
    workflow: { id: row.workflow_id, name: row.workflow_name },
    runId: row.run_id,
    stepId: row.step_id,
    message: row.wait_state?.state?.message ?? '',
    recipient: row.recipient,
    expiresAt: new Date(row.expires_at).toISOString(),
  };
}

/**
 * Decides through a link, as `decideApproval` does for the API, for the attempt the link was
 * minted for; audited with the actor `approval-link:<recipient>`.
 */
export async function decideByApprovalLink(
  deps: WorkflowsDeps,
  token: string,
  input: { decision: 'approved' | 'rejected'; comment?: string | undefined },
  request: { requestId: string | undefined; ip: string | undefined; userAgent: string | undefined },
) {
  const row = await liveLink(deps, token);
  const ctx: ActorContext = {
    tenantId: row.tenant_id,
    actor: { type: 'anonymous', id: `approval-link:${row.recipient}` },
    ...request,
  };
  try {
    return await decideApproval(deps, ctx, row.run_id, row.step_id, input, { attempt: row.attempt });
  } catch (err) {
    // Someone decided between the lookup and the lock: the link is used now.
    if (isAppError(err) && err.code === 'APPROVAL_NOT_PENDING') throw linkNotFound();
    if (isAppError(err) && err.code === 'APPROVAL_EXPIRED') throw linkExpired();
    throw err;
  }
}
