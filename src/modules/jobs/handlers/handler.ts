import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Database, Transaction } from '../../../platform/db/database.ts';
import type { OutboundFetch } from '../../../platform/net/index.ts';

/** What a handler gets besides its payload. */
export interface JobContext {
  readonly jobId: string;
  readonly tenantId: string;
  /** 1 on the first attempt. */
  readonly attempt: number;
  /** Aborted when the worker shuts down or lost the message's lease. */
  readonly signal: AbortSignal;
  readonly db: Database;
  /** The SSRF-guarded fetch. */
  readonly fetch: OutboundFetch;
  readonly logger: Logger;
  /**
   * Call between chunks of work: records `progress` (0–100; written at most every
   * `progressIntervalMs`) and throws `JobCancelled` once the job was cancelled (or retried, or
   * taken over) and the signal's reason once it aborted. Cheap to call often.
   */
  checkpoint(progress?: number): Promise<void>;
}

/**
 * What a handler produced. `commit`, when given, runs in the transaction that marks the job
 * succeeded (bound to the job's tenant): rows it writes (a report file, an outbox email) exist
 * exactly when the job succeeded, never for a cancelled or superseded attempt. Its return value,
 * when not undefined, is the job's result.
 */
export interface JobOutcome {
  result?: unknown;
  commit?: (tx: Transaction) => Promise<unknown>;
}

export type JobHandler = (payload: unknown, ctx: JobContext) => Promise<JobOutcome>;

/**
 * A failure with a stable code for the job's `error`. Permanent failures skip the remaining
 * attempts (bad payloads, a 4xx from a webhook); the others are retried with back-off.
 */
export class JobFailure extends Error {
  override readonly name = 'JobFailure';
  constructor(
    readonly code: string,
    message: string,
    readonly permanent = false,
  ) {
    super(message);
  }
}

/** Thrown by `checkpoint` when the job is no longer this attempt's to finish. */
export class JobCancelled extends Error {
  override readonly name = 'JobCancelled';
}

/** Parses a stored payload again: one that no longer fits its schema fails for good. */
export function parsePayload<S extends z.ZodType>(schema: S, payload: unknown): z.output<S> {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first?.path.length ? `payload.${first.path.join('.')}: ` : '';
    throw new JobFailure('JOB_PAYLOAD_INVALID', `The stored payload is invalid: ${where}${first?.message}`, true);
  }
  return parsed.data;
}
