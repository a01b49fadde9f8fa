import { createHash, randomBytes } from 'node:crypto';
import {
  type BackoffOptions,
  type Job,
  type JobType,
  type JobsOptions,
  Queue,
  UnrecoverableError,
  Worker,
} from 'bullmq';
import { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import { newId } from '../ids.ts';
import {
  type BackoffPolicy,
  backoffDelay,
  type ConsumeOptions,
  type Consumer,
  type CronSchedule,
  DEFAULT_BACKOFF,
  type DeadLetter,
  type EnqueueOptions,
  type EnqueueResult,
  type MessageHandler,
  PermanentJobError,
  QUEUE_NAME,
  type QueueAdapter,
  type QueueCounts,
  type QueueMessage,
} from './queue.ts';

/**
 * The queue port on Redis through BullMQ, selected by `REDIS_URL` / `QUEUE_ADAPTER=bullmq`.
 *
 * How the port maps onto BullMQ:
 *
 * - a message is a job; its id is `msg_…` (`newId`), or `idem-<sha256(key)>` with an idempotency key, so a
 *   second enqueue with the key finds the first job while it is waiting, delayed, active or dead
 *   (completed jobs are removed, which frees the key);
 * - priority: BullMQ runs jobs without priority before prioritized ones, so every job gets
 *   `priority + 1` and the order is ours (lower first) for all of them;
 * - attempts: `attempt` is BullMQ's `attemptsStarted`, which counts deliveries, redeliveries after
 *   an expired lease included. A failure on the last attempt, a `PermanentJobError`, or a delivery
 *   past `maxAttempts` (the lease expired on the last one) becomes an `UnrecoverableError`, so the
 *   job lands in the failed set, which is the dead-letter state (`removeOnFail: false`);
 * - backoff: our policy travels in the job's `backoff` option (type `switchyard`) and a custom
 *   `backoffStrategy` turns it into a delay with `backoffDelay`;
 * - lease: BullMQ's lock (`lockDuration`). This adapter renews it itself, every third of the lease,
 *   so that it knows when a renewal failed (the handler's signal aborts) and can stop renewing
 *   abandoned deliveries. Locks that expire are found by the workers' stalled-job checks, which
 *   put the job back to waiting; `maxStalledCount` is effectively unlimited because `maxAttempts`
 *   already bounds redeliveries;
 * - delayed messages and cron ticks are promoted and produced by the workers themselves (BullMQ
 *   job schedulers create the next tick when one is taken, with a deterministic id per tick, so
 *   several processes never enqueue one tick twice). `startMaintenance` has nothing to run.
 *
 * Connections: one ioredis connection for every `Queue` (enqueue, counts, admin), and one per
 * consumer for its `Worker` (`maxRetriesPerRequest: null`, as BullMQ requires), which BullMQ
 * duplicates for its blocking fetch. ioredis reconnects after a Redis restart and the workers
 * resume fetching.
 */

export interface BullmqQueueOptions {
  /** `redis://` or `rediss://` URL. */
  url: string;
  /** Key prefix of every queue. Default `switchyard`. */
  prefix?: string | undefined;
  logger?: Logger | undefined;
  /** A delivery whose lock expired, found by a worker's stalled-job check and delivered again. */
  onLeaseExpired?: ((queue: string, count: number) => void) | undefined;
}

/** The BullMQ job name of ordinary messages; idempotent ones carry a random suffix (see enqueue). */
const JOB_NAME = 'msg';
const BACKOFF_TYPE = 'switchyard';
const DEFAULT_MAX_ATTEMPTS = 3;
const DEFAULT_LEASE_MS = 30_000;
const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;
const LEASE_EXPIRED = 'lease expired on the last attempt';
/** Error names BullMQ treats as control flow, not as a failure of the job. */
const RESERVED_ERROR_NAMES = new Set(['DelayedError', 'WaitingError', 'WaitingChildrenError', 'RateLimitError']);

type StoredBackoff = BackoffOptions & { maxMs: number };

export function createBullmqQueue(opts: BullmqQueueOptions): QueueAdapter {
  return new BullmqQueueAdapter(opts);
}

class BullmqQueueAdapter implements QueueAdapter {
  readonly kind = 'bullmq' as const;
  private readonly prefix: string;
  private readonly logger: Logger;
  private readonly logError: (err: unknown, context: Record<string, unknown>) => void;
  /** Shared by every Queue instance. */
  private readonly redis: Redis;
  private readonly queues = new Map<string, Queue>();
  private readonly consumers = new Set<BullmqConsumer>();
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: BullmqQueueOptions) {
    this.prefix = opts.prefix ?? 'switchyard';
    this.logger = opts.logger ?? pino({ level: 'silent' });
    this.logError = throttledErrorLog(this.logger);
    this.redis = this.connect('switchyard-queue', { maxRetriesPerRequest: 20 });
  }

  private connect(name: string, extra: { maxRetriesPerRequest: number | null }): Redis {
    const redis = new Redis(this.opts.url, { connectionName: name, ...extra });
    redis.on('error', (err: unknown) => this.logError(err, { connection: name }));
    return redis;
  }

  private queue(name: string): Queue {
    this.checkOpen();
    checkQueue(name);
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.redis, prefix: this.prefix });
      q.on('error', (err: unknown) => this.logError(err, { queue: name }));
      this.queues.set(name, q);
    }
    return q;
  }

  private checkOpen(): void {
    if (this.closing) throw new Error('queue adapter is closed');
  }

  async enqueue(queue: string, payload: unknown, o: EnqueueOptions = {}): Promise<EnqueueResult> {
    const q = this.queue(queue);
    const maxAttempts = o.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100) {
      throw new RangeError('maxAttempts: 1–100');
    }
    const priority = o.priority ?? 0;
    if (!Number.isInteger(priority) || priority < 0 || priority > 1_000_000) {
      throw new RangeError('priority: 0–1000000');
    }
    if (o.runAt && Number.isNaN(o.runAt.getTime())) throw new RangeError('runAt: invalid date');
    const key = o.idempotencyKey;
    if (key !== undefined && (key.length === 0 || key.length > 200)) {
      throw new RangeError('idempotencyKey: 1–200 chars');
    }
    const jobOpts: JobsOptions = {
      ...jobDefaults(maxAttempts, o.backoff ?? DEFAULT_BACKOFF),
      priority: priority + 1,
      delay: o.runAt ? Math.max(0, o.runAt.getTime() - Date.now()) : 0,
    };
    if (key === undefined) {
      // Our ids rather than BullMQ's counter, which is per queue and starts over with an empty Redis.
      const job = await q.add(JOB_NAME, payload ?? null, { ...jobOpts, jobId: newId('msg') });
      return { id: jobIdOf(job), created: true };
    }
    jobOpts.jobId = idempotentJobId(key);
    // BullMQ's add returns the existing job's id when the id is taken, without saying so. A random
    // job name tells the two apart: if the stored job has ours, this call created it.
    for (let tries = 0; ; tries++) {
      const name = `${JOB_NAME}.${randomBytes(8).toString('hex')}`;
      const id = jobIdOf(await q.add(name, payload ?? null, jobOpts));
      const stored = await this.redis.hget(q.toKey(id), 'name');
      if (stored !== null) return { id, created: stored === name };
      // Gone already: either ours, delivered and completed at once, or the previous holder of the
      // key, completed between our add and our read (then nothing was enqueued). Enqueue again:
      // a duplicate delivery is allowed, a lost message is not.
      if (tries >= 3) return { id, created: true };
    }
  }

  async cancel(queue: string, id: string): Promise<boolean> {
    const q = this.queue(queue);
    const state = await q.getJobState(id);
    if (state !== 'waiting' && state !== 'delayed' && state !== 'prioritized' && String(state) !== 'paused') {
      return false;
    }
    // Refuses (0) a job that became active meanwhile: it is locked. Cron ticks cannot be removed
    // on their own (-8): they belong to their schedule.
    return (await q.remove(id)) === 1;
  }

  async schedule(queue: string, name: string, when: CronSchedule, payload: unknown): Promise<void> {
    const q = this.queue(queue);
    await q.upsertJobScheduler(
      schedulerId(name),
      { pattern: when.cron, tz: when.timezone ?? 'UTC' },
      {
        name: JOB_NAME,
        data: payload ?? null,
        opts: { ...jobDefaults(DEFAULT_MAX_ATTEMPTS, DEFAULT_BACKOFF), priority: 1 },
      },
    );
  }

  async unschedule(queue: string, name: string): Promise<boolean> {
    return this.queue(queue).removeJobScheduler(schedulerId(name));
  }

  consume<P = unknown>(queue: string, handler: MessageHandler<P>, o: ConsumeOptions = {}): Consumer {
    this.checkOpen();
    checkQueue(queue);
    const concurrency = o.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency: an integer ≥ 1');
    const leaseMs = o.leaseMs ?? DEFAULT_LEASE_MS;
    if (!Number.isFinite(leaseMs) || leaseMs < 100) throw new RangeError('leaseMs: at least 100');
    const consumer = new BullmqConsumer({
      queue,
      handler: handler as MessageHandler,
      concurrency,
      leaseMs: Math.round(leaseMs),
      prefix: this.prefix,
      connection: this.connect(`switchyard-consumer:${queue}`, { maxRetriesPerRequest: null }),
      logger: this.logger,
      logError: this.logError,
      onLeaseExpired: this.opts.onLeaseExpired,
      onClosed: () => this.consumers.delete(consumer),
    });
    this.consumers.add(consumer);
    return consumer;
  }

  async counts(queue: string): Promise<QueueCounts> {
    const q = this.queue(queue);
    const [c, due] = await Promise.all([
      q.getJobCounts('waiting', 'paused' as JobType, 'prioritized', 'delayed', 'active', 'failed'),
      // Delayed jobs whose time has come are promoted when a worker next fetches: they are waiting.
      q.getDelayedCount(Date.now() + 1),
    ]);
    const n = (k: string) => c[k] ?? 0;
    const ready = Math.min(due, n('delayed'));
    return {
      waiting: n('waiting') + n('paused') + n('prioritized') + ready,
      delayed: n('delayed') - ready,
      active: n('active'),
      dead: n('failed'),
    };
  }

  async deadLetters(queue: string, limit = 100): Promise<DeadLetter[]> {
    const q = this.queue(queue);
    const n = Math.min(Math.max(1, Math.floor(limit)), 1000);
    const jobs = (await q.getFailed(0, n - 1)).filter((j): j is Job => Boolean(j));
    return jobs.map((job) => ({
      id: jobIdOf(job),
      queue,
      payload: job.data as unknown,
      attempts: Math.min(Math.max(job.attemptsStarted, job.attemptsMade), job.opts.attempts ?? Infinity),
      error: job.failedReason || null,
      failedAt: new Date(job.finishedOn ?? job.processedOn ?? job.timestamp),
    }));
  }

  async retryDead(queue: string, id: string): Promise<boolean> {
    const q = this.queue(queue);
    const job = await q.getJob(id);
    if (!job || (await job.getState()) !== 'failed') return false;
    try {
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      return true;
    } catch (err) {
      // No longer in the failed set (retried or removed by someone else meanwhile).
      this.logger.debug({ err, queue, id }, 'retryDead: job not dead any more');
      return false;
    }
  }

  startMaintenance(): void {
    // Nothing to start: BullMQ workers promote delayed jobs, put expired locks back to waiting
    // (stalled-job checks) and create each cron tick when they take the previous one.
  }

  close(o: { timeoutMs?: number } = {}): Promise<void> {
    this.closing ??= (async () => {
      const timeoutMs = o.timeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
      await Promise.all([...this.consumers].map((c) => c.close({ drain: true, timeoutMs })));
      await Promise.all([...this.queues.values()].map((q) => settleWithin(q.close(), 2_000)));
      this.queues.clear();
      await quit(this.redis);
    })();
    return this.closing;
  }
}

interface ConsumerDeps {
  queue: string;
  handler: MessageHandler;
  concurrency: number;
  leaseMs: number;
  prefix: string;
  connection: Redis;
  logger: Logger;
  logError: (err: unknown, context: Record<string, unknown>) => void;
  onLeaseExpired: ((queue: string, count: number) => void) | undefined;
  onClosed: () => void;
}

interface Delivery {
  readonly abort: AbortController;
  /** Settles the handler's race: BullMQ stops waiting for an abandoned delivery. */
  abandon: (err: Error) => void;
  abandoned: boolean;
}

class AbandonedError extends Error {
  override readonly name = 'AbandonedError';
}

class BullmqConsumer implements Consumer {
  private readonly worker: Worker;
  private readonly inFlight = new Set<Delivery>();
  private closing: Promise<void> | undefined;

  constructor(private readonly deps: ConsumerDeps) {
    const { queue, leaseMs } = deps;
    this.worker = new Worker(queue, (job: Job, token?: string) => this.process(job, token), {
      connection: deps.connection,
      prefix: deps.prefix,
      concurrency: deps.concurrency,
      lockDuration: leaseMs,
      // Renewed by `process` (see there).
      skipLockRenewal: true,
      // An expired lock is found by the first check after it expired that follows a check that saw
      // the job active: redelivery comes at most about 1.5 leases after the last renewal.
      stalledInterval: Math.min(Math.max(Math.floor(leaseMs / 2), 100), 5_000),
      maxStalledCount: 1_000_000,
      settings: { backoffStrategy: backoffStrategy },
    });
    this.worker.on('error', (err: unknown) => deps.logError(err, { queue }));
    this.worker.on('stalled', () => deps.onLeaseExpired?.(queue, 1));
    this.worker.on('failed', (job, err) => {
      if (!job || err instanceof AbandonedError) return;
      const dead = err instanceof UnrecoverableError || err.name === 'UnrecoverableError';
      deps.logger[dead ? 'warn' : 'info'](
        { queue, id: job.id, attempt: job.attemptsStarted, err },
        dead ? 'queue message dead-lettered' : 'queue message failed; will retry',
      );
    });
  }

  private async process(job: Job, token: string | undefined): Promise<void> {
    const { queue, handler } = this.deps;
    const attempt = Math.max(1, job.attemptsStarted);
    const maxAttempts = Math.max(1, job.opts.attempts ?? 1);
    // Only reachable through redeliveries after expired leases (a failure on the last attempt
    // is made unrecoverable below).
    if (attempt > maxAttempts) throw new UnrecoverableError(LEASE_EXPIRED);

    const abort = new AbortController();
    let abandon: (err: Error) => void = () => undefined;
    const abandoned = new Promise<never>((_, reject) => {
      abandon = reject;
    });
    const delivery: Delivery = { abort, abandon, abandoned: false };
    this.inFlight.add(delivery);
    const stopRenewal = token ? this.renewLease(job, token, abort) : () => undefined;
    const message: QueueMessage = {
      id: jobIdOf(job),
      queue,
      payload: job.data as unknown,
      attempt,
      maxAttempts,
      signal: abort.signal,
    };
    try {
      await Promise.race([Promise.resolve().then(() => handler(message)), abandoned]);
    } catch (err) {
      // An abandoned delivery's outcome is not recorded (the connection is closed by then).
      if (delivery.abandoned) throw err;
      throw toBullmqError(err, attempt >= maxAttempts);
    } finally {
      stopRenewal();
      this.inFlight.delete(delivery);
    }
  }

  /**
   * Extends the job's lock every third of the lease while the handler runs. The signal aborts when
   * the lock is someone else's (it expired and the job was redelivered) or when no renewal has
   * succeeded for a whole lease (Redis unreachable): the delivery may be running elsewhere by now.
   */
  private renewLease(job: Job, token: string, abort: AbortController): () => void {
    const { leaseMs } = this.deps;
    let lastRenewed = Date.now();
    let pending = false;
    const timer = setInterval(
      () => {
        if (abort.signal.aborted) return clearInterval(timer);
        if (Date.now() - lastRenewed > leaseMs) {
          abort.abort(new Error('lease lost: could not renew it'));
          return clearInterval(timer);
        }
        if (pending) return;
        pending = true;
        job
          .extendLock(token, leaseMs)
          .then(
            (ok) => {
              if (ok) lastRenewed = Date.now();
              else if (!abort.signal.aborted) abort.abort(new Error('lease lost: held by another delivery'));
            },
            (err: unknown) => this.deps.logError(err, { queue: this.deps.queue, id: job.id, op: 'renew lease' }),
          )
          .finally(() => {
            pending = false;
          });
      },
      Math.max(30, Math.floor(leaseMs / 3)),
    );
    timer.unref();
    return () => clearInterval(timer);
  }

  close(o: { drain?: boolean; timeoutMs?: number } = {}): Promise<void> {
    this.closing ??= this.shutdown(o.drain ?? true, o.timeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS);
    return this.closing;
  }

  private async shutdown(drain: boolean, timeoutMs: number): Promise<void> {
    const { queue, logError } = this.deps;
    // With drain, BullMQ stops fetching and waits for the jobs in flight; without, it stops
    // fetching and lets go of them (their outcome is no longer written).
    const closed = this.worker.close(!drain).catch((err: unknown) => logError(err, { queue, op: 'close' }));
    const drained = drain && (await settleWithin(closed, timeoutMs));
    if (!drained) {
      // Abandon what still runs. The connection goes first, so nothing at all is written for these
      // deliveries whatever their handlers do from now on: their locks expire without renewal and
      // they are delivered again.
      await hardDisconnect(this.deps.connection);
      void this.worker.disconnect().catch(() => undefined);
      for (const d of this.inFlight) {
        d.abandoned = true;
        d.abort.abort(new Error('consumer closed'));
        d.abandon(new AbandonedError('consumer closed; delivery abandoned'));
      }
      // With Redis up BullMQ now finishes closing at once. During an outage it may never (it waits
      // for connections that cannot end); nothing of it is left running that would keep the
      // process alive, so do not wait for it.
      await settleWithin(closed, 1_000);
    }
    await quit(this.deps.connection);
    this.deps.onClosed();
  }
}

/** Options shared by every job we create: attempts, backoff, completed removed, failed kept. */
function jobDefaults(maxAttempts: number, policy: BackoffPolicy): JobsOptions {
  const backoff: StoredBackoff = {
    type: BACKOFF_TYPE,
    delay: Math.max(0, policy.baseMs),
    jitter: Math.min(1, Math.max(0, policy.jitter)),
    maxMs: Math.max(0, policy.maxMs),
  };
  return { attempts: maxAttempts, backoff, removeOnComplete: true, removeOnFail: false };
}

/** BullMQ's custom backoff strategy: our policy from the job's options, for the next attempt. */
function backoffStrategy(attemptsMade: number, type?: string, _err?: Error, job?: { opts: JobsOptions }): number {
  const stored = job?.opts.backoff;
  const policy: BackoffPolicy =
    type === BACKOFF_TYPE && typeof stored === 'object'
      ? {
          baseMs: stored.delay ?? DEFAULT_BACKOFF.baseMs,
          maxMs: (stored as Partial<StoredBackoff>).maxMs ?? DEFAULT_BACKOFF.maxMs,
          jitter: stored.jitter ?? DEFAULT_BACKOFF.jitter,
        }
      : DEFAULT_BACKOFF;
  // Deliveries so far (redeliveries after an expired lease included), when BullMQ passes the job.
  const started = (job as { attemptsStarted?: number } | undefined)?.attemptsStarted;
  const delivered = Math.max(attemptsMade, started ?? 0);
  // 0 would mean "retry at once" to BullMQ; keep at least 1 ms so the retry goes through delayed.
  return Math.max(1, backoffDelay(policy, delivered + 1));
}

function toBullmqError(err: unknown, last: boolean): Error {
  const message = err instanceof Error ? err.message : String(err);
  const permanent =
    err instanceof PermanentJobError || (err as { name?: unknown } | null)?.name === 'PermanentJobError';
  let out: Error;
  if (permanent || last) out = new UnrecoverableError(message);
  else if (err instanceof Error && !RESERVED_ERROR_NAMES.has(err.name) && !err.message.startsWith('bullmq:')) {
    return err;
  } else out = new Error(message);
  if (err instanceof Error && err.stack) out.stack = err.stack;
  return out;
}

function checkQueue(queue: string): void {
  if (!QUEUE_NAME.test(queue)) throw new RangeError(`invalid queue name ${JSON.stringify(queue)}`);
}

function jobIdOf(job: { id?: string | undefined }): string {
  if (!job.id) throw new Error('BullMQ job without an id');
  return job.id;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** BullMQ refuses custom ids with ':' (and integer ones), so the key is hashed. */
function idempotentJobId(key: string): string {
  return `idem-${sha256(key)}`;
}

/** Scheduler ids end up in tick job ids (`repeat:<id>:<millis>`): no ':' allowed. */
function schedulerId(name: string): string {
  return /^[A-Za-z0-9_.-]{1,100}$/.test(name) ? name : `h-${sha256(name).slice(0, 40)}`;
}

/** Resolves true when `p` settled within `ms`, false otherwise; never rejects. */
async function settleWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p.then(
        () => true,
        () => true,
      ),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/**
 * Closes a connection for good, without waiting for replies. A connected one is waited for until
 * it has ended, so that no command can still be written. One that is reconnecting has no socket:
 * ioredis then cancels the retry and leaves it as is, never to send anything again.
 */
async function hardDisconnect(redis: Redis): Promise<void> {
  const status = redis.status;
  if (status === 'end') return;
  const ended = new Promise<void>((resolve) => redis.once('end', () => resolve()));
  redis.disconnect();
  if (status !== 'reconnecting' && status !== 'wait') await settleWithin(ended, 1_000);
}

async function quit(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status !== 'ready' || !(await settleWithin(redis.quit(), 2_000))) redis.disconnect();
}

/** Logs an error once per 30 s per message: a Redis outage repeats the same one every retry. */
function throttledErrorLog(logger: Logger): (err: unknown, context: Record<string, unknown>) => void {
  const seen = new Map<string, number>();
  return (err, context) => {
    const key = err instanceof Error ? err.message : String(err);
    const now = Date.now();
    if ((seen.get(key) ?? 0) > now - 30_000) return;
    if (seen.size > 100) seen.clear();
    seen.set(key, now);
    logger.warn({ err, ...context }, 'bullmq queue error');
  };
}
