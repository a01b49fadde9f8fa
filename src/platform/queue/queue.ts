/**
 * The queue port: reliable, at-least-once delivery of small JSON messages to handlers, with two
 * adapters that pass one contract suite (`queue.contract.ts`):
 *
 * - `postgres` (default): a table claimed with `FOR UPDATE SKIP LOCKED`, on PGlite in-process and
 *   on PostgreSQL across processes (`postgres-queue.ts`);
 * - `bullmq`: Redis, selected by `REDIS_URL` / `QUEUE_ADAPTER=bullmq` (`bullmq-queue.ts`).
 *
 * Messages carry work to do ("advance run R", "execute job J"); the domain rows stay the truth.
 * Handlers must therefore be idempotent: a message can be delivered again after a crash or an
 * expired lease.
 */

export interface BackoffPolicy {
  /** Delay before the 2nd attempt; doubles for each later one. */
  baseMs: number;
  /** Upper bound of one delay. */
  maxMs: number;
  /** 0–1: each delay is randomised down by up to this fraction ("equal jitter" at 0.5). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 5 * 60_000, jitter: 0.5 };

export interface EnqueueOptions {
  /** Not before this time (a delayed message). */
  runAt?: Date | undefined;
  /** Lower runs first among ready messages; default 0. Range 0–1,000,000. */
  priority?: number | undefined;
  /** Deliveries before the message goes to the dead-letter state; default 3. */
  maxAttempts?: number | undefined;
  backoff?: BackoffPolicy | undefined;
  /**
   * At most one live message per (queue, key): enqueuing again returns the first message's id
   * with `created: false` while it is waiting, delayed, active or dead. Max 200 chars.
   */
  idempotencyKey?: string | undefined;
}

export interface EnqueueResult {
  id: string;
  created: boolean;
}

export interface QueueMessage<P = unknown> {
  readonly id: string;
  readonly queue: string;
  readonly payload: P;
  /** 1 on the first delivery. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Aborted when the consumer is closing without drain or the lease could not be renewed. */
  readonly signal: AbortSignal;
}

/** Thrown by a handler to skip the remaining attempts and dead-letter the message at once. */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
}

export type MessageHandler<P = unknown> = (message: QueueMessage<P>) => Promise<void>;

export interface ConsumeOptions {
  /** Messages handled at once by this consumer. Default 1. */
  concurrency?: number | undefined;
  /**
   * How long a delivered message stays invisible to other consumers without a renewal. The
   * adapter renews it while the handler runs; if the process dies, the message is delivered
   * again once the lease has expired. Default 30 s.
   */
  leaseMs?: number | undefined;
}

export interface Consumer {
  /**
   * Stops taking messages. With `drain` (the default) waits for handlers in flight, up to
   * `timeoutMs`; the rest are abandoned (their leases expire and they are delivered again).
   */
  close(opts?: { drain?: boolean; timeoutMs?: number }): Promise<void>;
}

export type MessageState = 'waiting' | 'delayed' | 'active' | 'dead';

export interface DeadLetter {
  id: string;
  queue: string;
  payload: unknown;
  attempts: number;
  error: string | null;
  failedAt: Date;
}

export interface QueueCounts {
  waiting: number;
  delayed: number;
  active: number;
  dead: number;
}

export interface CronSchedule {
  /** Five-field cron (minute precision) or six with seconds. */
  cron: string;
  /** IANA time zone; default UTC. */
  timezone?: string | undefined;
}

export interface QueueAdapter {
  readonly kind: 'postgres' | 'bullmq';
  enqueue(queue: string, payload: unknown, opts?: EnqueueOptions): Promise<EnqueueResult>;
  /** Removes a waiting or delayed message; false when it is active, finished or unknown. */
  cancel(queue: string, id: string): Promise<boolean>;
  /**
   * Enqueues `payload` on every cron tick from now on (replacing a schedule of that name). A tick
   * is enqueued once even when several processes run the scheduler.
   */
  schedule(queue: string, name: string, when: CronSchedule, payload: unknown): Promise<void>;
  unschedule(queue: string, name: string): Promise<boolean>;
  consume<P = unknown>(queue: string, handler: MessageHandler<P>, opts?: ConsumeOptions): Consumer;
  counts(queue: string): Promise<QueueCounts>;
  deadLetters(queue: string, limit?: number): Promise<DeadLetter[]>;
  /** Puts a dead message back to waiting with its attempts reset. */
  retryDead(queue: string, id: string): Promise<boolean>;
  /**
   * Starts what fires cron ticks and delayed wake-ups and returns expired leases to waiting (the
   * scheduler role). Idempotent; stopped by `close`.
   */
  startMaintenance(opts?: { intervalMs?: number }): void;
  /** Closes consumers (draining), maintenance and connections owned by the adapter. */
  close(opts?: { timeoutMs?: number }): Promise<void>;
}

/** The delay before attempt `nextAttempt` (2, 3, …) under `policy`, with jitter. */
export function backoffDelay(policy: BackoffPolicy, nextAttempt: number, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, nextAttempt - 2));
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return Math.round(exp * (1 - jitter * random()));
}

export const QUEUE_NAME = /^[a-z][a-z0-9_.-]{0,63}$/;
