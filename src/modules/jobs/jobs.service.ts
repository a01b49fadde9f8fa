import { and, desc, eq, getTableColumns, inArray, isNull, lt, or, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { ActorContext } from '../../platform/context.ts';
import type { Database, Executor } from '../../platform/db/database.ts';
import { inTenant } from '../../platform/db/tenant-scope.ts';
import { conflict, notFound } from '../../platform/errors.ts';
import { idPattern, newId } from '../../platform/ids.ts';
import type { QueueAdapter } from '../../platform/queue/queue.ts';
import { traceContextForStart } from '../../platform/telemetry/tracing.ts';
import { decodeCursor, encodeCursor, invalidCursor } from '../../platform/validation.ts';
import { recordAudit } from '../audit/index.ts';
import type { CreateJobInput, Job, JobSummary, ListJobsQuery } from './jobs.dto.ts';
import { files, JOB_STATUSES, type JobStatus, jobs } from './jobs.table.ts';

/** The queue that carries `{ jobId }` messages to the job worker. */
export const JOBS_QUEUE = 'jobs';

export interface JobsDeps {
  db: Database;
  queue: QueueAdapter;
}

/** Where a service reports what it could not do but the caller need not fail for. */
export interface JobsLog {
  warn(obj: object, msg: string): void;
}

export type JobRow = typeof jobs.$inferSelect;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const toJobSummary = (r: JobRow): JobSummary => ({
  id: r.id,
  type: r.type,
  status: r.status,
  priority: r.priority,
  runAt: r.runAt.toISOString(),
  attempts: r.attempts,
  maxAttempts: r.maxAttempts,
  progress: r.progress,
  error: (r.error as { code: string; message: string } | null) ?? null,
  idempotencyKey: r.idempotencyKey,
  createdBy: r.createdBy,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
  startedAt: iso(r.startedAt),
  finishedAt: iso(r.finishedAt),
});

export const toJob = (r: JobRow): Job => ({ ...toJobSummary(r), payload: r.payload, result: r.result ?? null });

const jobNotFound = (id: string) => notFound('JOB_NOT_FOUND', `No job ${id} in this tenant.`, { jobId: id });

/** What the audit log records of a job: everything but the payload (up to a megabyte). */
const auditView = (r: JobRow) => ({
  type: r.type,
  status: r.status,
  priority: r.priority,
  maxAttempts: r.maxAttempts,
  runAt: r.runAt.toISOString(),
  idempotencyKey: r.idempotencyKey,
});

/**
 * Hands a job to the queue and records the message id. Runs after the row committed: should the
 * queue be unreachable, the row stays `queued` without a message and the worker's sweep enqueues
 * it later. The `message_id is null` guard leaves alone a row a worker already claimed.
 */
async function enqueueJob(deps: JobsDeps, row: JobRow, log: JobsLog | undefined): Promise<void> {
  try {
    const { id: messageId } = await deps.queue.enqueue(
      JOBS_QUEUE,
      { jobId: row.id },
      {
        runAt: row.runAt.getTime() > Date.now() ? row.runAt : undefined,
        priority: row.priority,
        maxAttempts: row.maxAttempts,
      },
    );
    await inTenant(deps.db, row.tenantId, (tx) =>
      tx
        .update(jobs)
        .set({ messageId })
        .where(
          and(eq(jobs.tenantId, row.tenantId), eq(jobs.id, row.id), isNull(jobs.messageId), eq(jobs.status, 'queued')),
        ),
    );
  } catch (err) {
    log?.warn({ err, jobId: row.id }, 'could not enqueue a job; the worker sweep will enqueue it');
  }
}

/**
 * Records a job and enqueues it. With an idempotency key, a second request with the same key in
 * the same tenant returns the job the first one created (`created: false`), whatever its body.
 */
export async function createJob(
  deps: JobsDeps,
  ctx: ActorContext,
  input: CreateJobInput,
  opts: { idempotencyKey?: string | undefined; log?: JobsLog | undefined } = {},
): Promise<{ job: Job; created: boolean }> {
  const now = new Date();
  const id = newId('job', now.getTime());
  const key = opts.idempotencyKey ?? null;
  const { row, created } = await inTenant(deps.db, ctx.tenantId, async (tx) => {
    const insert = tx.insert(jobs).values({
      id,
      tenantId: ctx.tenantId,
      type: input.type,
      payload: input.payload,
      status: 'queued',
      priority: input.priority,
      runAt: input.runAt ?? now,
      maxAttempts: input.maxAttempts,
      idempotencyKey: key,
      createdBy: `${ctx.actor.type}:${ctx.actor.id}`,
      traceContext: traceContextForStart(`submit ${input.type}`, { 'switchyard.job.id': id }),
      createdAt: now,
      updatedAt: now,
    });
    const [inserted] = await (key === null
      ? insert.returning()
      : insert
          .onConflictDoNothing({
            target: [jobs.tenantId, jobs.idempotencyKey],
            where: sql`idempotency_key is not null`,
          })
          .returning());
    if (!inserted) {
      const [existing] = await tx
        .select()
        .from(jobs)
        .where(and(eq(jobs.tenantId, ctx.tenantId), eq(jobs.idempotencyKey, key ?? '')));
      if (!existing) throw new Error('idempotency conflict without an existing job');
      return { row: existing, created: false };
    }
    await recordAudit(tx, ctx, { action: 'job.created', targetType: 'job', targetId: id, after: auditView(inserted) });
    return { row: inserted, created: true };
  });
  if (created) await enqueueJob(deps, row, opts.log);
  return { job: toJob(row), created };
}

export async function getJob(db: Database, ctx: ActorContext, id: string): Promise<Job> {
  const [row] = await inTenant(db, ctx.tenantId, (tx) =>
    tx
      .select()
      .from(jobs)
      .where(and(eq(jobs.tenantId, ctx.tenantId), eq(jobs.id, id))),
  );
  if (!row) throw jobNotFound(id);
  return toJob(row);
}

const JobCursor = z.object({ k: z.literal('job'), c: z.iso.datetime(), id: z.string().regex(idPattern('job')) });

/** Newest first, keyset-paginated on (createdAt, id). The list leaves out payloads and results. */
export async function listJobs(db: Database, ctx: ActorContext, query: ListJobsQuery) {
  const where: SQL[] = [eq(jobs.tenantId, ctx.tenantId)];
  if (query.status) where.push(inArray(jobs.status, query.status));
  if (query.type) where.push(inArray(jobs.type, query.type));
  if (query.cursor) {
    const c = decodeCursor(query.cursor, JobCursor);
    const at = new Date(c.c);
    if (Number.isNaN(at.getTime())) throw invalidCursor();
    const before = or(lt(jobs.createdAt, at), and(eq(jobs.createdAt, at), lt(jobs.id, c.id)));
    if (before) where.push(before);
  }
  const { payload: _payload, result: _result, ...summaryColumns } = getTableColumns(jobs);
  const rows = await inTenant(db, ctx.tenantId, (tx) =>
    tx
      .select(summaryColumns)
      .from(jobs)
      .where(and(...where))
      .orderBy(desc(jobs.createdAt), desc(jobs.id))
      .limit(query.limit + 1),
  );
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    data: page.map((r) => toJobSummary({ ...r, payload: null, result: null })),
    nextCursor:
      rows.length > query.limit && last
        ? encodeCursor({ k: 'job', c: last.createdAt.toISOString(), id: last.id })
        : null,
  };
}

/**
 * Cancels a queued or running job. A queued job's message is removed from the queue (if a worker
 * claims it meanwhile, it finds the job cancelled and skips it). A running job is marked
 * cancelled at once; its handler notices between chunks and stops, best effort: what it already
 * did (a webhook sent) stays done, and what it produces is not stored.
 */
export async function cancelJob(
  deps: JobsDeps,
  ctx: ActorContext,
  id: string,
  log?: JobsLog | undefined,
): Promise<Job> {
  const { before, after } = await inTenant(deps.db, ctx.tenantId, async (tx) => {
    const current = await lockJob(tx, ctx.tenantId, id);
    if (current.status !== 'queued' && current.status !== 'running') {
      throw conflict(
        'JOB_NOT_CANCELLABLE',
        `Job ${id} already ${current.status}: only queued or running jobs cancel.`,
        {
          jobId: id,
          status: current.status,
        },
      );
    }
    const now = new Date();
    const [row] = await tx
      .update(jobs)
      .set({ status: 'cancelled', finishedAt: now, updatedAt: now })
      .where(and(eq(jobs.tenantId, ctx.tenantId), eq(jobs.id, id)))
      .returning();
    if (!row) throw new Error('locked job vanished during cancel');
    await recordAudit(tx, ctx, {
      action: 'job.cancelled',
      targetType: 'job',
      targetId: id,
      before: { status: current.status },
      after: { status: row.status },
    });
    return { before: current, after: row };
  });
  if (before.status === 'queued' && before.messageId) {
    await deps.queue
      .cancel(JOBS_QUEUE, before.messageId)
      .catch((err: unknown) => log?.warn({ err, jobId: id }, 'could not remove a cancelled job from the queue'));
  }
  return toJob(after);
}

/** The tenant's job, locked for the rest of the transaction; another tenant's id is not found. */
async function lockJob(tx: Executor, tenantId: string, id: string) {
  const [current] = await tx
    .select()
    .from(jobs)
    .where(and(eq(jobs.tenantId, tenantId), eq(jobs.id, id)))
    .for('update');
  if (!current) throw jobNotFound(id);
  return current;
}

/** Runs a failed or cancelled job again now, as a new message with its attempts reset. */
export async function retryJob(deps: JobsDeps, ctx: ActorContext, id: string, log?: JobsLog | undefined): Promise<Job> {
  const row = await inTenant(deps.db, ctx.tenantId, async (tx) => {
    const current = await lockJob(tx, ctx.tenantId, id);
    if (current.status !== 'failed' && current.status !== 'cancelled') {
      throw conflict('JOB_NOT_RETRYABLE', `Job ${id} is ${current.status}: only failed or cancelled jobs retry.`, {
        jobId: id,
        status: current.status,
      });
    }
    const now = new Date();
    const [updated] = await tx
      .update(jobs)
      .set({
        status: 'queued',
        attempts: 0,
        progress: 0,
        result: null,
        error: null,
        messageId: null,
        runAt: now,
        startedAt: null,
        finishedAt: null,
        updatedAt: now,
      })
      .where(and(eq(jobs.tenantId, ctx.tenantId), eq(jobs.id, id)))
      .returning();
    if (!updated) throw new Error('locked job vanished during retry');
    await recordAudit(tx, ctx, {
      action: 'job.retried',
      targetType: 'job',
      targetId: id,
      before: { status: current.status, attempts: current.attempts },
      after: { status: updated.status, attempts: updated.attempts },
    });
    return updated;
  });
  await enqueueJob(deps, row, log);
  return toJob(row);
}

export async function countJobsByStatus(db: Database, tenantId: string): Promise<Record<JobStatus, number>> {
  const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
  const rows = await inTenant(db, tenantId, (tx) =>
    tx
      .select({ status: jobs.status, count: sql<number>`count(*)::int` })
      .from(jobs)
      .where(eq(jobs.tenantId, tenantId))
      .groupBy(jobs.status),
  );
  for (const r of rows) counts[r.status] = Number(r.count);
  return counts;
}

export interface StoredFile {
  id: string;
  name: string;
  contentType: string;
  size: number;
  content: Buffer;
}

export async function getFile(db: Database, ctx: ActorContext, id: string): Promise<StoredFile> {
  const [row] = await inTenant(db, ctx.tenantId, (tx) =>
    tx
      .select()
      .from(files)
      .where(and(eq(files.tenantId, ctx.tenantId), eq(files.id, id))),
  );
  if (!row) throw notFound('FILE_NOT_FOUND', `No file ${id} in this tenant.`, { fileId: id });
  const raw = row.content as Uint8Array;
  return {
    id: row.id,
    name: row.name,
    contentType: row.contentType,
    size: row.size,
    content: Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength),
  };
}
