import { and, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { ActorContext } from '../../platform/context.ts';
import type { Database, Executor } from '../../platform/db/database.ts';
import { inTenant } from '../../platform/db/tenant-scope.ts';
import { inSpan, restoreTraceContext, SpanKind } from '../../platform/telemetry/tracing.ts';
import { idPattern } from '../../platform/ids.ts';
import type { OutboundFetch } from '../../platform/net/index.ts';
import { type Consumer, PermanentJobError, type QueueAdapter, type QueueMessage } from '../../platform/queue/queue.ts';
import { boundedJson } from '../../platform/validation.ts';
import { recordAudit } from '../audit/index.ts';
import { cleanup } from './handlers/cleanup.ts';
import { generateReport } from './handlers/generate-report.ts';
import { JobCancelled, type JobContext, JobFailure, type JobHandler } from './handlers/handler.ts';
import { processData } from './handlers/process-data.ts';
import { sendNotification } from './handlers/send-notification.ts';
import { JOB_LIMITS, type JobType } from './jobs.dto.ts';
import { JOBS_QUEUE } from './jobs.service.ts';
import { jobs } from './jobs.table.ts';

export const JOB_HANDLERS: Record<JobType, JobHandler> = {
  'process-data': processData,
  'send-notification': sendNotification,
  'generate-report': generateReport,
  cleanup,
};

export interface JobWorkerOptions {
  db: Database;
  queue: QueueAdapter;
  logger: Logger;
  fetch: OutboundFetch;
  /** Test seam: handlers by type (default `JOB_HANDLERS`). */
  handlers?: Partial<Record<string, JobHandler>>;
  /** Least time between two progress writes of one job. Default 500 ms. */
  progressIntervalMs?: number;
  /** How often the sweep looks for jobs without a live message. Default 15 s. */
  sweepIntervalMs?: number;
  /** How long a message stays leased without renewal. Default 30 s. */
  leaseMs?: number;
  /**
   * Called after a job succeeded, in the process that recorded it (the `job.succeeded` event:
   * at most once, like run events); errors are logged, not thrown. Failures need no hook: the
   * `job.failed` audit entry, written with the failure, is their durable event.
   */
  onJobSucceeded?: (job: EndedJob) => Promise<void>;
  /** Every attempt that ran its handler, with how it ended (metrics); cheap, must not throw. */
  onJobAttempt?: (type: string, outcome: 'succeeded' | 'retrying' | 'failed', seconds: number) => void;
}

/** What a job event carries. */
export interface EndedJob {
  id: string;
  tenantId: string;
  type: string;
  status: 'succeeded' | 'failed';
  attempts: number;
  createdBy: string;
  error: JobError | null;
}

export interface JobWorker {
  start(concurrency?: number): void;
  stop(timeoutMs?: number): Promise<void>;
}

const JobMessage = boundedJson({ maxBytes: 1024, maxDepth: 2 });
const JOB_ID = idPattern('job');
const ERROR_MESSAGE_MAX = 1000;
const resultSchema = boundedJson({ maxBytes: JOB_LIMITS.resultMaxBytes, maxDepth: 64 });

interface JobError {
  code: string;
  message: string;
}

/** The worker as an audit actor. */
const systemActor = (tenantId: string): ActorContext => ({
  tenantId,
  actor: { type: 'system', id: 'jobs' },
  requestId: undefined,
  ip: undefined,
  userAgent: undefined,
});

/**
 * A job that failed for good is audited as `job.failed` in the transaction that marks it so: the
 * audit log is the outbox the event relay reads, so `job.failed` event triggers see every one.
 */
async function auditFailure(tx: Executor, job: Omit<EndedJob, 'status'>): Promise<void> {
  await recordAudit(tx, systemActor(job.tenantId), {
    action: 'job.failed',
    targetType: 'job',
    targetId: job.id,
    after: { type: job.type, status: 'failed', attempts: job.attempts, error: job.error, createdBy: job.createdBy },
  });
}

const SYSTEM_ERROR = 'JOB_FAILED';

/**
 * Executes jobs: consumes `{ jobId }` messages of the `jobs` queue. The `jobs` row is the truth,
 * and its `message_id` is the fencing token: an attempt claims the row for its message, and every
 * later write of that attempt (progress, result, error) applies only while the row still names
 * that message and is `running`. A cancel, a retry or another message that took the job over
 * therefore makes a stale attempt's writes no-ops. Runs as the tables' owner (it crosses
 * tenants), naming the tenant in every statement; handlers read and write tenant data under the
 * tenant's row-level security.
 */
export function createJobWorker(opts: JobWorkerOptions): JobWorker {
  const { db, queue, logger } = opts;
  const handlers: Partial<Record<string, JobHandler>> = { ...JOB_HANDLERS, ...opts.handlers };
  const progressIntervalMs = opts.progressIntervalMs ?? 500;
  let consumer: Consumer | undefined;
  let sweeper: NodeJS.Timeout | undefined;
  let sweeping: Promise<void> | undefined;

  /** The fence: the row still runs this attempt of this message. */
  const ours = (tenantId: string, jobId: string, msg: QueueMessage<unknown>) =>
    and(
      eq(jobs.tenantId, tenantId),
      eq(jobs.id, jobId),
      eq(jobs.messageId, msg.id),
      eq(jobs.attempts, msg.attempt),
      eq(jobs.status, 'running'),
    );

  async function handle(msg: QueueMessage<unknown>): Promise<void> {
    const parsed = JobMessage.safeParse(msg.payload);
    const jobId = parsed.success ? (msg.payload as { jobId?: unknown }).jobId : undefined;
    if (typeof jobId !== 'string' || !JOB_ID.test(jobId)) {
      logger.warn({ messageId: msg.id }, 'job message without a valid jobId; dropped');
      return;
    }
    // The one lookup by id alone: it tells which tenant the job belongs to.
    const [found] = await db.select({ tenantId: jobs.tenantId }).from(jobs).where(eq(jobs.id, jobId));
    if (!found) return; // deleted (cleanup, tenant purge): nothing to do
    const tenantId = found.tenantId;

    const [claimed] = await db
      .update(jobs)
      .set({
        status: 'running',
        attempts: msg.attempt,
        messageId: msg.id,
        startedAt: sql`now()`,
        updatedAt: sql`now()`,
      })
      .where(
        and(
          eq(jobs.tenantId, tenantId),
          eq(jobs.id, jobId),
          inArray(jobs.status, ['queued', 'running']),
          sql`(${jobs.messageId} is null or ${jobs.messageId} = ${msg.id})`,
        ),
      )
      .returning({
        type: jobs.type,
        payload: jobs.payload,
        maxAttempts: jobs.maxAttempts,
        createdBy: jobs.createdBy,
        traceContext: jobs.traceContext,
      });
    // Cancelled, finished, or owned by another message (a duplicate enqueue): acknowledge.
    if (!claimed) return;
    // The attempt continues the trace of the request that submitted the job, in whichever process.
    await inSpan(
      `job ${claimed.type}`,
      {
        kind: SpanKind.CONSUMER,
        parent: claimed.traceContext ? restoreTraceContext(claimed.traceContext) : undefined,
        attributes: {
          'switchyard.job.id': jobId,
          'switchyard.job.type': claimed.type,
          'switchyard.job.attempt': msg.attempt,
          'switchyard.tenant.id': tenantId,
        },
      },
      () => execute(msg, jobId, tenantId, claimed),
    );
  }

  async function execute(
    msg: QueueMessage<unknown>,
    jobId: string,
    tenantId: string,
    claimed: { type: string; payload: unknown; maxAttempts: number; createdBy: string },
  ): Promise<void> {
    const log = logger.child({ jobId, tenantId, jobType: claimed.type, attempt: msg.attempt });
    const startedAt = performance.now();
    const took = () => (performance.now() - startedAt) / 1000;
    let lastWrite = 0;
    let lastProgress = -1;
    const ctx: JobContext = {
      jobId,
      tenantId,
      attempt: msg.attempt,
      signal: msg.signal,
      db,
      fetch: opts.fetch,
      logger: log,
      async checkpoint(progress) {
        if (msg.signal.aborted) throw interrupted();
        const now = Date.now();
        if (now - lastWrite < progressIntervalMs) return;
        lastWrite = now;
        const value = progress === undefined ? undefined : Math.max(0, Math.min(100, Math.round(progress)));
        const set =
          value !== undefined && value > lastProgress
            ? { progress: value, updatedAt: sql`now()` }
            : { updatedAt: sql`now()` };
        // The fenced write doubles as the cancellation check: no row, no longer ours.
        const rows = await db
          .update(jobs)
          .set(set)
          .where(ours(tenantId, jobId, msg))
          .returning({ id: jobs.id });
        if (rows.length === 0) throw new JobCancelled(`job ${jobId} was cancelled or taken over`);
        if (value !== undefined && value > lastProgress) lastProgress = value;
      },
    };

    try {
      const handler = handlers[claimed.type];
      if (!handler) throw new JobFailure('JOB_TYPE_UNKNOWN', `No handler for job type ${claimed.type}.`, true);
      const outcome = await handler(claimed.payload, ctx);
      await inTenant(db, tenantId, async (tx) => {
        const result = outcome.commit ? await outcome.commit(tx) : outcome.result;
        const value = result === undefined ? null : result;
        const check = resultSchema.safeParse(value);
        if (!check.success) {
          throw new JobFailure(
            'JOB_RESULT_TOO_LARGE',
            `The result cannot be stored: it ${check.error.issues[0]?.message ?? 'is invalid'}.`,
            true,
          );
        }
        const rows = await tx
          .update(jobs)
          .set({
            status: 'succeeded',
            result: value,
            error: null,
            progress: 100,
            finishedAt: sql`now()`,
            updatedAt: sql`now()`,
          })
          .where(ours(tenantId, jobId, msg))
          .returning({ id: jobs.id });
        // Cancelled meanwhile: roll back whatever `commit` wrote.
        if (rows.length === 0) throw new JobCancelled(`job ${jobId} was cancelled before it finished`);
      });
      log.info('job succeeded');
      opts.onJobAttempt?.(claimed.type, 'succeeded', took());
    } catch (err) {
      if (err instanceof JobCancelled) {
        log.info('job attempt stopped: cancelled or taken over');
        return;
      }
      await fail(
        msg,
        { tenantId, jobId, type: claimed.type, createdBy: claimed.createdBy },
        claimed.maxAttempts,
        err,
        log,
        took(),
      );
      return;
    }
    await opts
      .onJobSucceeded?.({
        id: jobId,
        tenantId,
        type: claimed.type,
        status: 'succeeded',
        attempts: msg.attempt,
        createdBy: claimed.createdBy,
        error: null,
      })
      .catch((err: unknown) => log.warn({ err }, 'job-succeeded hook failed'));
  }

  /** Records a failed attempt (retry pending or failed) and tells the queue what to do. */
  async function fail(
    msg: QueueMessage<unknown>,
    job: { tenantId: string; jobId: string; type: string; createdBy: string },
    maxAttempts: number,
    err: unknown,
    log: Logger,
    seconds: number,
  ): Promise<void> {
    const { tenantId, jobId } = job;
    const permanent =
      (err instanceof JobFailure && err.permanent) ||
      err instanceof PermanentJobError ||
      (err as { name?: string } | null)?.name === 'PermanentJobError';
    const last = permanent || msg.attempt >= maxAttempts;
    const error = describe(msg.signal.aborted ? interrupted() : err);
    if (error.code === SYSTEM_ERROR) log.error({ err }, 'job attempt failed unexpectedly');
    else log.info({ code: error.code, permanent }, 'job attempt failed');
    const record = async (tx: Executor) => {
      const updated = await tx
        .update(jobs)
        .set({
          status: last ? 'failed' : 'queued',
          error,
          finishedAt: last ? sql`now()` : null,
          updatedAt: sql`now()`,
        })
        .where(ours(tenantId, jobId, msg))
        .returning({ id: jobs.id });
      if (last && updated.length) {
        await auditFailure(tx, {
          id: jobId,
          tenantId,
          type: job.type,
          attempts: msg.attempt,
          createdBy: job.createdBy,
          error,
        });
      }
      return updated;
    };
    const rows = last ? await inTenant(db, tenantId, record) : await record(db);
    // No longer ours (cancelled meanwhile): nothing to retry.
    if (rows.length === 0) return;
    opts.onJobAttempt?.(job.type, last ? 'failed' : 'retrying', seconds);
    if (permanent) throw new PermanentJobError(error.message);
    throw err instanceof Error ? err : new Error(error.message);
  }

  /**
   * Repairs what a crash can leave behind: a queued job whose enqueue never happened (the API
   * process died between commit and enqueue), and a job whose message died without the handler
   * recording it (a lease that expired on the last attempt).
   */
  async function sweep(): Promise<void> {
    try {
      const orphans = await db
        .select({
          id: jobs.id,
          tenantId: jobs.tenantId,
          runAt: jobs.runAt,
          priority: jobs.priority,
          maxAttempts: jobs.maxAttempts,
        })
        .from(jobs)
        .where(
          and(
            eq(jobs.status, 'queued'),
            isNull(jobs.messageId),
            lt(jobs.updatedAt, sql`now() - interval '10 seconds'`),
          ),
        )
        .limit(100);
      for (const o of orphans) {
        const { id: messageId } = await queue.enqueue(
          JOBS_QUEUE,
          { jobId: o.id },
          {
            runAt: o.runAt.getTime() > Date.now() ? o.runAt : undefined,
            priority: o.priority,
            maxAttempts: o.maxAttempts,
          },
        );
        await db
          .update(jobs)
          .set({ messageId })
          .where(
            and(eq(jobs.tenantId, o.tenantId), eq(jobs.id, o.id), isNull(jobs.messageId), eq(jobs.status, 'queued')),
          );
      }
      const dead = await queue.deadLetters(JOBS_QUEUE, 100);
      const byMessage = new Map<string, string>();
      for (const d of dead) {
        const jobId = (d.payload as { jobId?: unknown } | null)?.jobId;
        if (typeof jobId === 'string' && JOB_ID.test(jobId)) byMessage.set(d.id, jobId);
      }
      if (byMessage.size === 0) return;
      const lost = await db
        .select({
          id: jobs.id,
          tenantId: jobs.tenantId,
          messageId: jobs.messageId,
          type: jobs.type,
          attempts: jobs.attempts,
          createdBy: jobs.createdBy,
        })
        .from(jobs)
        .where(and(inArray(jobs.id, [...byMessage.values()]), inArray(jobs.status, ['queued', 'running'])));
      for (const l of lost) {
        const messageId = l.messageId;
        if (!messageId || byMessage.get(messageId) !== l.id) continue;
        const error = { code: 'JOB_LOST', message: 'The job stopped without recording an outcome (worker lost).' };
        await inTenant(db, l.tenantId, async (tx) => {
          const updated = await tx
            .update(jobs)
            .set({ status: 'failed', error, finishedAt: sql`now()`, updatedAt: sql`now()` })
            .where(
              and(
                eq(jobs.tenantId, l.tenantId),
                eq(jobs.id, l.id),
                eq(jobs.messageId, messageId),
                inArray(jobs.status, ['queued', 'running']),
              ),
            )
            .returning({ id: jobs.id });
          if (updated.length) await auditFailure(tx, { ...l, error });
        });
      }
    } catch (err) {
      logger.warn({ err }, 'job sweep failed; retrying on the next tick');
    }
  }

  return {
    start(concurrency = 4) {
      if (consumer) return;
      consumer = queue.consume(JOBS_QUEUE, handle, { concurrency, leaseMs: opts.leaseMs ?? 30_000 });
      sweeper = setInterval(() => {
        sweeping ??= sweep().finally(() => {
          sweeping = undefined;
        });
      }, opts.sweepIntervalMs ?? 15_000);
      sweeper.unref();
    },
    async stop(timeoutMs = 10_000) {
      if (sweeper) clearInterval(sweeper);
      sweeper = undefined;
      await consumer?.close({ drain: true, timeoutMs });
      consumer = undefined;
      await sweeping;
    },
  };
}

const interrupted = () =>
  new JobFailure('JOB_INTERRUPTED', 'The attempt was interrupted (the worker shut down or lost its lease).');

/** The `error` a job shows: a stable code and a message, never a stack or an internal detail. */
function describe(err: unknown): JobError {
  if (err instanceof JobFailure) return { code: err.code, message: err.message.slice(0, ERROR_MESSAGE_MAX) };
  if (err instanceof PermanentJobError || (err as { name?: string } | null)?.name === 'PermanentJobError') {
    return { code: 'JOB_PAYLOAD_INVALID', message: String((err as Error).message).slice(0, ERROR_MESSAGE_MAX) };
  }
  return { code: SYSTEM_ERROR, message: 'The job failed unexpectedly; the worker logged the details.' };
}
