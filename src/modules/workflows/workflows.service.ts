import { createHmac, timingSafeEqual } from 'node:crypto';
import { and, asc, desc, eq, gte, inArray, lt, lte, type SQL, sql } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import type { ActorContext } from '../../platform/context.ts';
import type { KeyRing } from '../../platform/crypto/index.ts';
import { randomToken } from '../../platform/crypto/index.ts';
import type { Database } from '../../platform/db/database.ts';
import { rawQuery } from '../../platform/db/raw-query.ts';
import { inTenant } from '../../platform/db/tenant-scope.ts';
import { AppError, conflict, notFound } from '../../platform/errors.ts';
import { idPattern, newId } from '../../platform/ids.ts';
import type { QueueAdapter } from '../../platform/queue/queue.ts';
import { decodeCursor, encodeCursor } from '../../platform/validation.ts';
import { recordAudit } from '../audit/index.ts';
import type { WorkflowDefinition } from './definition.ts';
import { type Engine, type RunSummary, TriggerChanged } from './engine.ts';
import type { StepRegistry } from './steps/registry.ts';
import { validateDefinition } from './validate.ts';
import {
  type RunStatus,
  runs,
  stepAttempts,
  webhookSecretAad,
  workflows,
  workflowVersions,
} from './workflows.table.ts';

export interface WorkflowsDeps {
  db: Database;
  engine: Engine;
  queue: QueueAdapter;
  registry: StepRegistry;
  ring: KeyRing;
}

export const TRIGGER_QUEUE = 'workflow-triggers';

export interface WorkflowView {
  id: string;
  name: string;
  description: string;
  active: boolean;
  version: number;
  trigger: { type: string };
  webhookUrlPath: string | null;
  signedWebhook: boolean;
  createdAt: string;
  updatedAt: string;
}

type WorkflowRow = typeof workflows.$inferSelect;

function view(w: WorkflowRow, definition: WorkflowDefinition): WorkflowView {
  return {
    id: w.id,
    name: w.name,
    description: w.description,
    active: w.active,
    version: w.currentVersion,
    trigger: { type: definition.trigger.type },
    webhookUrlPath: definition.trigger.type === 'webhook' ? `/hooks/${w.webhookKey}` : null,
    signedWebhook: w.webhookSecret !== null,
    createdAt: w.createdAt.toISOString(),
    updatedAt: w.updatedAt.toISOString(),
  };
}

const workflowNotFound = (id: string) =>
  notFound('WORKFLOW_NOT_FOUND', `No workflow ${id} in this tenant.`, { workflowId: id });
const runNotFound = (id: string) => notFound('RUN_NOT_FOUND', `No run ${id} in this tenant.`, { runId: id });

/** Validates a definition; every problem becomes a field issue and the full list rides along. */
export function checkDefinition(registry: StepRegistry, input: unknown): WorkflowDefinition {
  const result = validateDefinition(input, registry);
  if (result.ok) return result.definition;
  throw new AppError('WORKFLOW_INVALID', 'invalid', 'The workflow definition has problems; see `problems`.', {
    issues: result.problems.map((p) => ({ path: `definition.${p.path}`.replace(/\.$/, ''), message: p.message })),
    extra: { problems: result.problems },
  });
}

export async function createWorkflow(
  deps: WorkflowsDeps,
  ctx: ActorContext,
  input: { name: string; description?: string | undefined; definition: unknown; webhookSecret?: string | undefined },
): Promise<WorkflowView & { definition: WorkflowDefinition }> {
  const definition = checkDefinition(deps.registry, input.definition);
  const id = newId('wfl');
  const row = await inTenant(deps.db, ctx.tenantId, async (tx) => {
    const [w] = await tx
      .insert(workflows)
      .values({
        id,
        tenantId: ctx.tenantId,
        name: input.name,
        description: input.description ?? '',
        webhookKey: `whk_${randomToken(24)}`,
        webhookSecret: input.webhookSecret ? deps.ring.seal(input.webhookSecret, webhookSecretAad(id)) : null,
      })
      .returning();
    if (!w) throw new Error('insert returned no row');
    await tx.insert(workflowVersions).values({
      workflowId: id,
      version: 1,
      tenantId: ctx.tenantId,
      definition,
      createdBy: `${ctx.actor.type}:${ctx.actor.id}`,
    });
    await recordAudit(tx, ctx, {
      action: 'workflow.created',
      targetType: 'workflow',
      targetId: id,
      after: { name: w.name, version: 1 },
    });
    return w;
  });
  return { ...view(row, definition), definition };
}

async function loadWorkflow(deps: WorkflowsDeps, ctx: ActorContext, id: string, version?: number) {
  return inTenant(deps.db, ctx.tenantId, async (tx) => {
    const [w] = await tx
      .select()
      .from(workflows)
      .where(and(eq(workflows.tenantId, ctx.tenantId), eq(workflows.id, id)));
    if (!w) throw workflowNotFound(id);
    const [v] = await tx
      .select()
      .from(workflowVersions)
      .where(and(eq(workflowVersions.workflowId, id), eq(workflowVersions.version, version ?? w.currentVersion)));
    if (!v)
      throw notFound('WORKFLOW_VERSION_NOT_FOUND', `Workflow ${id} has no version ${version}.`, { workflowId: id });
    return { workflow: w, version: v, definition: v.definition as WorkflowDefinition };
  });
}

export async function getWorkflow(deps: WorkflowsDeps, ctx: ActorContext, id: string) {
  const { workflow, definition } = await loadWorkflow(deps, ctx, id);
  return { ...view(workflow, definition), definition };
}

const WorkflowCursor = z.object({ k: z.literal('wf'), id: z.string().regex(idPattern('wfl')) });

export async function listWorkflows(
  deps: WorkflowsDeps,
  ctx: ActorContext,
  q: { limit: number; cursor?: string | undefined },
) {
  const after = q.cursor ? decodeCursor(q.cursor, WorkflowCursor).id : undefined;
  const rows = await inTenant(deps.db, ctx.tenantId, (tx) =>
    tx
      .select({ w: workflows, definition: workflowVersions.definition })
      .from(workflows)
      .innerJoin(
        workflowVersions,
        and(eq(workflowVersions.workflowId, workflows.id), eq(workflowVersions.version, workflows.currentVersion)),
      )
      .where(and(eq(workflows.tenantId, ctx.tenantId), after ? lt(workflows.id, after) : undefined))
      .orderBy(desc(workflows.id))
      .limit(q.limit + 1),
  );
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    data: page.map((r) => view(r.w, r.definition as WorkflowDefinition)),
    nextCursor: rows.length > q.limit && last ? encodeCursor({ k: 'wf', id: last.w.id }) : null,
  };
}

/** A new definition makes a new immutable version; runs in flight keep the one they pinned. */
export async function updateWorkflow(
  deps: WorkflowsDeps,
  ctx: ActorContext,
  id: string,
  input: {
    name?: string | undefined;
    description?: string | undefined;
    definition?: unknown;
    expectedVersion?: number | undefined;
    /** A new HMAC secret for the webhook, or null to stop checking signatures. */
    webhookSecret?: string | null | undefined;
  },
) {
  const definition = input.definition === undefined ? undefined : checkDefinition(deps.registry, input.definition);
  const result = await inTenant(deps.db, ctx.tenantId, async (tx) => {
    const [current] = await tx
      .select()
      .from(workflows)
      .where(and(eq(workflows.tenantId, ctx.tenantId), eq(workflows.id, id)))
      .for('update');
    if (!current) throw workflowNotFound(id);
    if (input.expectedVersion !== undefined && input.expectedVersion !== current.currentVersion) {
      throw conflict(
        'WORKFLOW_VERSION_CONFLICT',
        `Workflow ${id} is at version ${current.currentVersion}, not ${input.expectedVersion}: someone else saved it. Reload and apply your change again.`,
        { currentVersion: current.currentVersion },
      );
    }
    const nextVersion = definition ? current.currentVersion + 1 : current.currentVersion;
    if (definition) {
      await tx.insert(workflowVersions).values({
        workflowId: id,
        version: nextVersion,
        tenantId: ctx.tenantId,
        definition,
        createdBy: `${ctx.actor.type}:${ctx.actor.id}`,
      });
    }
    const [w] = await tx
      .update(workflows)
      .set({
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.webhookSecret !== undefined
          ? {
              webhookSecret:
                input.webhookSecret === null ? null : deps.ring.seal(input.webhookSecret, webhookSecretAad(id)),
            }
          : {}),
        currentVersion: nextVersion,
        updatedAt: new Date(),
      })
      .where(eq(workflows.id, id))
      .returning();
    if (!w) throw new Error('locked row vanished');
    await recordAudit(tx, ctx, {
      action: 'workflow.updated',
      targetType: 'workflow',
      targetId: id,
      before: { name: current.name, version: current.currentVersion, signedWebhook: current.webhookSecret !== null },
      after: { name: w.name, version: nextVersion, signedWebhook: w.webhookSecret !== null },
    });
    return w;
  });
  const { definition: def } = await loadWorkflow(deps, ctx, id);
  if (result.active && definition) await syncTrigger(deps, result, def);
  return { ...view(result, def), definition: def };
}

export async function setActive(deps: WorkflowsDeps, ctx: ActorContext, id: string, active: boolean) {
  const w = await inTenant(deps.db, ctx.tenantId, async (tx) => {
    const [row] = await tx
      .update(workflows)
      .set({ active, updatedAt: new Date() })
      .where(and(eq(workflows.tenantId, ctx.tenantId), eq(workflows.id, id)))
      .returning();
    if (!row) throw workflowNotFound(id);
    await recordAudit(tx, ctx, {
      action: active ? 'workflow.activated' : 'workflow.deactivated',
      targetType: 'workflow',
      targetId: id,
    });
    return row;
  });
  const { definition } = await loadWorkflow(deps, ctx, id);
  await syncTrigger(deps, w, definition);
  return { ...view(w, definition), definition };
}

/** Keeps the queue's cron schedule in step with an active schedule-triggered workflow. */
async function syncTrigger(deps: WorkflowsDeps, w: WorkflowRow, definition: WorkflowDefinition) {
  const trigger = definition.trigger;
  if (w.active && trigger.type === 'schedule') {
    const cfg = trigger.config as { cron: string; timezone?: string };
    await deps.queue.schedule(
      TRIGGER_QUEUE,
      w.id,
      { cron: cfg.cron, timezone: cfg.timezone ?? 'UTC' },
      {
        workflowId: w.id,
        tenantId: w.tenantId,
      },
    );
  } else {
    await deps.queue.unschedule(TRIGGER_QUEUE, w.id);
  }
}

export async function deleteWorkflow(deps: WorkflowsDeps, ctx: ActorContext, id: string) {
  await inTenant(deps.db, ctx.tenantId, async (tx) => {
    const [row] = await tx
      .delete(workflows)
      .where(and(eq(workflows.tenantId, ctx.tenantId), eq(workflows.id, id)))
      .returning({ name: workflows.name });
    if (!row) throw workflowNotFound(id);
    await recordAudit(tx, ctx, { action: 'workflow.deleted', targetType: 'workflow', targetId: id, before: row });
  });
  await deps.queue.unschedule(TRIGGER_QUEUE, id);
}

export async function listVersions(deps: WorkflowsDeps, ctx: ActorContext, id: string) {
  await loadWorkflow(deps, ctx, id);
  const rows = await inTenant(deps.db, ctx.tenantId, (tx) =>
    tx
      .select({
        version: workflowVersions.version,
        createdBy: workflowVersions.createdBy,
        createdAt: workflowVersions.createdAt,
      })
      .from(workflowVersions)
      .where(and(eq(workflowVersions.tenantId, ctx.tenantId), eq(workflowVersions.workflowId, id)))
      .orderBy(desc(workflowVersions.version))
      .limit(500),
  );
  return { data: rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })) };
}

export async function getVersion(deps: WorkflowsDeps, ctx: ActorContext, id: string, version: number) {
  const { version: v } = await loadWorkflow(deps, ctx, id, version);
  return {
    version: v.version,
    definition: v.definition as WorkflowDefinition,
    createdBy: v.createdBy,
    createdAt: v.createdAt.toISOString(),
  };
}

// ------------------------------------------------------------------------------------ runs

export async function startManualRun(
  deps: WorkflowsDeps,
  ctx: ActorContext,
  id: string,
  input: unknown,
  opts: { idempotencyKey?: string | undefined; version?: number | undefined } = {},
) {
  const { workflow } = await loadWorkflow(deps, ctx, id, opts.version);
  const started = await deps.engine.startRun({
    tenantId: ctx.tenantId,
    workflowId: workflow.id,
    version: opts.version,
    input: { body: input ?? null, startedBy: `${ctx.actor.type}:${ctx.actor.id}` },
    triggerType: 'manual',
    idempotencyKey: opts.idempotencyKey,
  });
  return { runId: started.runId, created: started.created };
}

export interface RunFilter {
  limit: number;
  cursor?: string | undefined;
  workflowId?: string | undefined;
  status?: RunStatus[] | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

const RunCursor = z.object({ k: z.literal('run'), id: z.string().regex(idPattern('run')) });

type RunRow = typeof runs.$inferSelect;
const runView = (r: RunRow) => ({
  id: r.id,
  workflowId: r.workflowId,
  version: r.version,
  status: r.status,
  triggerType: r.triggerType,
  queuedReason: r.queuedReason,
  error: r.error,
  startedAt: r.startedAt?.toISOString() ?? null,
  finishedAt: r.finishedAt?.toISOString() ?? null,
  createdAt: r.createdAt.toISOString(),
  // The trace id inside the stored `traceparent` (version-traceid-spanid-flags).
  traceId: r.traceContext?.split('-')[1] ?? null,
});

export async function listRuns(deps: WorkflowsDeps, ctx: ActorContext, f: RunFilter) {
  const where: (SQL | undefined)[] = [eq(runs.tenantId, ctx.tenantId)];
  if (f.workflowId) where.push(eq(runs.workflowId, f.workflowId));
  if (f.status?.length) where.push(inArray(runs.status, f.status));
  if (f.from) where.push(gte(runs.createdAt, new Date(f.from)));
  if (f.to) where.push(lte(runs.createdAt, new Date(f.to)));
  if (f.cursor) where.push(lt(runs.id, decodeCursor(f.cursor, RunCursor).id));
  const rows = await inTenant(deps.db, ctx.tenantId, (tx) =>
    tx
      .select()
      .from(runs)
      .where(and(...where))
      .orderBy(desc(runs.id))
      .limit(f.limit + 1),
  );
  const page = rows.slice(0, f.limit);
  const last = page.at(-1);
  return {
    data: page.map(runView),
    nextCursor: rows.length > f.limit && last ? encodeCursor({ k: 'run', id: last.id }) : null,
  };
}

export async function getRun(deps: WorkflowsDeps, ctx: ActorContext, id: string) {
  return inTenant(deps.db, ctx.tenantId, async (tx) => {
    const [r] = await tx
      .select()
      .from(runs)
      .where(and(eq(runs.tenantId, ctx.tenantId), eq(runs.id, id)));
    if (!r) throw runNotFound(id);
    const attempts = await tx
      .select()
      .from(stepAttempts)
      .where(and(eq(stepAttempts.tenantId, ctx.tenantId), eq(stepAttempts.runId, id)))
      .orderBy(asc(stepAttempts.startedAt), asc(stepAttempts.attempt));
    // Steps batched in one commit share a millisecond: break ties by the definition's order.
    const [v] = await tx
      .select({ definition: workflowVersions.definition })
      .from(workflowVersions)
      .where(and(eq(workflowVersions.workflowId, r.workflowId), eq(workflowVersions.version, r.version)));
    const order = new Map(((v?.definition as WorkflowDefinition | undefined)?.steps ?? []).map((s, i) => [s.id, i]));
    const end = (a: (typeof attempts)[number]) => a.finishedAt?.getTime() ?? Number.MAX_SAFE_INTEGER;
    attempts.sort(
      (x, y) =>
        x.startedAt.getTime() - y.startedAt.getTime() ||
        (x.status === 'compensated' ? 1 : 0) - (y.status === 'compensated' ? 1 : 0) ||
        end(x) - end(y) ||
        (order.get(x.stepId) ?? 0) - (order.get(y.stepId) ?? 0) ||
        x.attempt - y.attempt,
    );
    return {
      ...runView(r),
      input: r.input,
      output: r.output,
      attempts: attempts.map((a) => ({
        id: a.id,
        stepId: a.stepId,
        stepType: a.stepType,
        attempt: a.attempt,
        status: a.status,
        output: a.output,
        error: a.error,
        branch: a.branch,
        waitState: a.waitState,
        logs: a.logs,
        workerId: a.workerId,
        startedAt: a.startedAt.toISOString(),
        finishedAt: a.finishedAt?.toISOString() ?? null,
      })),
    };
  });
}

/** Stops a run between steps. A run nobody holds is cancelled at once; a held one at its next commit. */
export async function cancelRun(deps: WorkflowsDeps, ctx: ActorContext, id: string) {
  const outcome = await inTenant(deps.db, ctx.tenantId, async (tx) => {
    const [r] = await tx
      .select({ status: runs.status, parentRunId: runs.parentRunId })
      .from(runs)
      .where(and(eq(runs.tenantId, ctx.tenantId), eq(runs.id, id)))
      .for('update');
    if (!r) throw runNotFound(id);
    if (r.status === 'succeeded' || r.status === 'failed' || r.status === 'cancelled') {
      throw conflict('RUN_FINISHED', `Run ${id} already ${r.status}.`, { status: r.status });
    }
    const updated = (await tx.execute(sql`update runs set cancel_requested = true, updated_at = now(),
        status = case when lease_until is null or lease_until < now() then 'cancelled' else status end,
        finished_at = case when lease_until is null or lease_until < now() then now() else finished_at end,
        error = case when lease_until is null or lease_until < now()
          then '{"code":"RUN_CANCELLED","message":"Cancelled."}'::jsonb else error end
      where id = ${id} returning status`)) as unknown as { rows: { status: string }[] };
    await recordAudit(tx, ctx, { action: 'run.cancelled', targetType: 'run', targetId: id });
    return { ...r, endedHere: updated.rows[0]?.status === 'cancelled' };
  });
  // Nobody held it, so no worker will end it: count it here (a held one is counted by its worker).
  if (outcome.endedHere) deps.engine.countFinished('cancelled');
  // A cancelled sub-run fails the step waiting for it (the parent sees it when it wakes).
  if (outcome.parentRunId) await deps.engine.wakeRun(outcome.parentRunId);
  return { id, previousStatus: outcome.status, cancelRequested: true };
}

/** A new run of the same version with the same input. */
export async function retryRun(deps: WorkflowsDeps, ctx: ActorContext, id: string) {
  const r = await getRunRow(deps, ctx, id);
  const started = await deps.engine.startRun({
    tenantId: ctx.tenantId,
    workflowId: r.workflowId,
    version: r.version,
    input: r.input,
    triggerType: 'retry',
    rerunOf: r.id,
  });
  return { runId: started.runId };
}

/**
 * A new run that starts where a failed one stopped: the steps that succeeded there are carried
 * over (not executed again) and the failed step runs anew — on the pinned version, or on the
 * latest one (steps carried over only where the id and type still match).
 */
export async function rerunFromFailed(
  deps: WorkflowsDeps,
  ctx: ActorContext,
  id: string,
  opts: { latestVersion?: boolean },
) {
  const r = await getRunRow(deps, ctx, id);
  if (r.status !== 'failed') {
    throw conflict('RUN_NOT_FAILED', `Run ${id} is ${r.status}; only a failed run can be re-run from its failed step.`);
  }
  const { workflow, definition } = await loadWorkflow(
    deps,
    ctx,
    r.workflowId,
    opts.latestVersion ? undefined : r.version,
  );
  const attempts = await inTenant(deps.db, ctx.tenantId, (tx) =>
    tx
      .select()
      .from(stepAttempts)
      .where(and(eq(stepAttempts.tenantId, ctx.tenantId), eq(stepAttempts.runId, id))),
  );
  const latest = new Map<string, (typeof attempts)[number]>();
  for (const a of attempts) {
    if (a.status === 'compensated') continue;
    const prev = latest.get(a.stepId);
    if (!prev || a.attempt > prev.attempt) latest.set(a.stepId, a);
  }
  const types = new Map(definition.steps.map((s) => [s.id, s.type]));
  const carryOver = [...latest.values()]
    .filter((a) => (a.status === 'succeeded' || a.status === 'skipped') && types.get(a.stepId) === a.stepType)
    .map((a) => ({
      stepId: a.stepId,
      stepType: a.stepType,
      output: a.output,
      branch: a.branch,
      status: a.status as 'succeeded' | 'skipped',
    }));
  const started = await deps.engine.startRun({
    tenantId: ctx.tenantId,
    workflowId: workflow.id,
    version: workflow.currentVersion && opts.latestVersion ? workflow.currentVersion : r.version,
    input: r.input,
    triggerType: 'rerun',
    rerunOf: r.id,
    carryOver,
  });
  return { runId: started.runId, carriedOver: carryOver.map((c) => c.stepId) };
}

async function getRunRow(deps: WorkflowsDeps, ctx: ActorContext, id: string) {
  const [r] = await inTenant(deps.db, ctx.tenantId, (tx) =>
    tx
      .select()
      .from(runs)
      .where(and(eq(runs.tenantId, ctx.tenantId), eq(runs.id, id))),
  );
  if (!r) throw runNotFound(id);
  return r;
}

/**
 * Records a decision on a waiting approval step and wakes the run; approvals and rejections are
 * both audited. Used by the API (`POST /runs/:id/approvals/:stepId`) and by approval links, which
 * pin the attempt their link was minted for. A decision is taken only while the run is parked
 * (`waiting`): while a worker holds it (another branch's step is executing, or the wait is being
 * recorded) its next commit would not see the decision, so the caller is asked to try again.
 */
export async function decideApproval(
  deps: WorkflowsDeps,
  ctx: ActorContext,
  runId: string,
  stepId: string,
  input: { decision: 'approved' | 'rejected'; comment?: string | undefined },
  opts: { attempt?: number } = {},
) {
  const epoch = await inTenant(deps.db, ctx.tenantId, async (tx) => {
    // The run row first, then the attempt: the order the engine's commits lock them in.
    const [run] = await tx
      .select({ status: runs.status })
      .from(runs)
      .where(and(eq(runs.tenantId, ctx.tenantId), eq(runs.id, runId)))
      .for('update');
    const [a] = await tx
      .select()
      .from(stepAttempts)
      .where(
        and(
          eq(stepAttempts.tenantId, ctx.tenantId),
          eq(stepAttempts.runId, runId),
          eq(stepAttempts.stepId, stepId),
          eq(stepAttempts.status, 'waiting'),
          opts.attempt === undefined ? undefined : eq(stepAttempts.attempt, opts.attempt),
        ),
      )
      .orderBy(desc(stepAttempts.attempt))
      .limit(1)
      .for('update');
    const wait = (a?.waitState ?? {}) as { waitFor?: string; until?: string; resolution?: unknown };
    const live = run?.status === 'running' || run?.status === 'waiting';
    if (!a || !live || wait.waitFor !== 'approval' || wait.resolution) {
      throw notFound('APPROVAL_NOT_PENDING', `Step ${stepId} of run ${runId} is not waiting for an approval.`);
    }
    if (wait.until && Date.parse(wait.until) < Date.now()) {
      throw conflict('APPROVAL_EXPIRED', 'This approval has expired.');
    }
    if (run?.status !== 'waiting') {
      throw conflict('APPROVAL_NOT_READY', 'The run is busy with another step; send the decision again in a moment.', {
        retryAfterSeconds: 2,
      });
    }
    const resolution = {
      output: {
        decision: input.decision,
        // A link holder is anonymous: named by the id alone (`approval-link:<email>`).
        by: ctx.actor.type === 'anonymous' ? ctx.actor.id : `${ctx.actor.type}:${ctx.actor.id}`,
        comment: input.comment ?? null,
        at: new Date().toISOString(),
      },
      branch: input.decision,
    };
    await tx
      .update(stepAttempts)
      .set({ waitState: { ...wait, resolution } })
      .where(eq(stepAttempts.id, a.id));
    const [r] = await tx
      .update(runs)
      .set({ wakeAt: new Date(), updatedAt: new Date() })
      .where(and(eq(runs.id, runId), eq(runs.status, 'waiting')))
      .returning({ epoch: runs.leaseEpoch });
    await recordAudit(tx, ctx, {
      action: input.decision === 'approved' ? 'run.approval.approved' : 'run.approval.rejected',
      targetType: 'run',
      targetId: runId,
      after: { stepId, comment: input.comment ?? null },
    });
    return r?.epoch;
  });
  if (epoch !== undefined) {
    await deps.engine.runReady(runId, epoch);
  }
  return { runId, stepId, decision: input.decision };
}

// -------------------------------------------------------------------------------- webhooks

export interface WebhookResult {
  status: 200 | 202;
  body: unknown;
  runId: string;
  /** A repeated `Idempotency-Key`: the answer describes the run the first request started. */
  replayed?: boolean;
}

interface WebhookTarget {
  id: string;
  tenant_id: string;
  active: boolean;
  current_version: number;
  webhook_secret: string | null;
  trigger: WorkflowDefinition['trigger'] | null;
}

/**
 * Webhook targets by key, per runtime. A cached target is never trusted blindly: the run is
 * recorded only if the workflow still has that key, is active, is at that version and has that
 * secret (`webhookGuard`, checked in the same statement that records the run), so a change made by
 * any process takes effect at once; the cache only saves the lookup round trip.
 */
const webhookTargets = new WeakMap<WorkflowsDeps, LRUCache<string, WebhookTarget>>();

async function lookupWebhook(deps: WorkflowsDeps, key: string, fresh: boolean): Promise<WebhookTarget | undefined> {
  let cache = webhookTargets.get(deps);
  if (!cache) {
    cache = new LRUCache<string, WebhookTarget>({ max: 5_000, ttl: 5 * 60_000 });
    webhookTargets.set(deps, cache);
  }
  if (!fresh) {
    const hit = cache.get(key);
    if (hit) return hit;
  }
  const [w] = await rawQuery<WebhookTarget>(deps.db, {
    name: 'webhook_lookup',
    text: `select w.id, w.tenant_id, w.active, w.current_version, w.webhook_secret, v.definition->'trigger' as trigger
           from workflows w
           join workflow_versions v on v.workflow_id = w.id and v.version = w.current_version
           where w.webhook_key = $1`,
    values: [key],
  });
  if (w?.active && w.trigger?.type === 'webhook') cache.set(key, w);
  else cache.delete(key);
  return w;
}

function signatureValid(
  deps: WorkflowsDeps,
  w: WebhookTarget,
  request: { headers: Record<string, string | string[] | undefined>; rawBody: Buffer },
): boolean {
  if (!w.webhook_secret) return true;
  const secret = deps.ring.open(w.webhook_secret, webhookSecretAad(w.id));
  const header = request.headers['x-switchyard-signature'];
  const given = typeof header === 'string' ? header.replace(/^sha256=/, '') : '';
  const expected = createHmac('sha256', secret).update(request.rawBody).digest('hex');
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

/**
 * `POST /hooks/:key`: finds the workflow by its unguessable key (across tenants: the key is the
 * credential), checks the optional HMAC signature, and starts a run. "immediately" answers 202 with
 * the run id once the run is durably recorded; "wait" executes the run in this process and answers
 * with the response step's output, or 202 with the run id if it takes longer than the timeout.
 */
export async function handleWebhook(
  deps: WorkflowsDeps,
  key: string,
  request: {
    body: unknown;
    rawBody: Buffer;
    headers: Record<string, string | string[] | undefined>;
    query: unknown;
    idempotencyKey?: string | undefined;
  },
): Promise<WebhookResult> {
  // Unknown, inactive and non-webhook workflows all answer alike.
  const missing = () => notFound('WEBHOOK_NOT_FOUND', 'No active webhook at this address.');
  const headers = Object.fromEntries(
    Object.entries(request.headers).filter(([k]) => !/^(authorization|cookie|x-switchyard-signature)$/i.test(k)),
  );
  // At most two tries: the cached target, then (if it turns out stale) the database's.
  for (let fresh = false; ; fresh = true) {
    const w = await lookupWebhook(deps, key, fresh);
    if (!w || !w.active || w.trigger?.type !== 'webhook') throw missing();
    if (!signatureValid(deps, w, request)) {
      if (!fresh) continue; // the secret may have been rotated since it was cached
      throw new AppError('WEBHOOK_SIGNATURE_INVALID', 'unauthenticated', 'The webhook signature is missing or wrong.');
    }
    const cfg = w.trigger.config as { respond?: 'immediately' | 'wait'; timeoutMs?: number };
    const wait = cfg.respond === 'wait';
    let started: Awaited<ReturnType<Engine['startRun']>>;
    try {
      started = await deps.engine.startRun({
        tenantId: w.tenant_id,
        workflowId: w.id,
        version: w.current_version,
        input: { body: request.body ?? null, headers, query: request.query ?? {} },
        triggerType: 'webhook',
        idempotencyKey: request.idempotencyKey,
        inline: wait,
        webhookGuard: { key, sealedSecret: w.webhook_secret },
      });
    } catch (err) {
      if (err instanceof TriggerChanged && !fresh) continue;
      if (err instanceof TriggerChanged) throw missing();
      throw err;
    }
    if (!started.created) return replayWebhook(deps, w.tenant_id, started.runId, wait);
    if (!wait || !started.done) {
      return { status: 202, body: { runId: started.runId, status: 'queued' }, runId: started.runId };
    }
    let result: RunSummary | undefined;
    try {
      // A deferred run is not recorded before it ends, so no 202 may name it earlier; it runs pure
      // steps only, which end without waiting for anything outside.
      result = started.deferred
        ? await started.done
        : await Promise.race([
            started.done,
            new Promise<undefined>((r) => setTimeout(() => r(undefined), cfg.timeoutMs ?? 30_000).unref()),
          ]);
    } catch (err) {
      // A run of pure steps is recorded when it ends, with the same check (engine: deferredInsert).
      if (err instanceof TriggerChanged && !fresh) continue;
      if (err instanceof TriggerChanged) throw missing();
      throw err;
    }
    if (!result) return { status: 202, body: { runId: started.runId, status: 'running' }, runId: started.runId };
    return webhookAnswer(started.runId, result);
  }
}

/**
 * A repeated `Idempotency-Key`: the run the key started, as it is now. A `wait` webhook whose run
 * ended answers as the first request did (the response step's output, or the failure).
 */
async function replayWebhook(
  deps: WorkflowsDeps,
  tenantId: string,
  runId: string,
  wait: boolean,
): Promise<WebhookResult> {
  const [r] = await rawQuery<{ status: string; output: unknown; error: unknown }>(deps.db, {
    name: 'webhook_replay',
    text: `select status, output, error from runs where id = $1 and tenant_id = $2`,
    values: [runId, tenantId],
  });
  const status = r?.status ?? 'queued';
  if (wait && r && (status === 'succeeded' || status === 'failed' || status === 'cancelled')) {
    return { ...webhookAnswer(runId, { id: runId, status, output: r.output, error: r.error }), replayed: true };
  }
  return { status: 202, body: { runId, status }, runId, replayed: true };
}

function webhookAnswer(runId: string, result: RunSummary): WebhookResult {
  if (result.status === 'succeeded') return { status: 200, body: result.output, runId };
  if (result.status === 'waiting') return { status: 202, body: { runId, status: 'waiting' }, runId };
  const error = (result.error ?? {}) as { code?: string; message?: string; stepId?: string };
  throw new AppError('WEBHOOK_RUN_FAILED', 'unavailable', `The run failed: ${error.message ?? result.status}`, {
    extra: { runId, stepId: error.stepId ?? null, runError: error.code ?? null },
  });
}
