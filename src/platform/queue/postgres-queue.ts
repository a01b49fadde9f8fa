import { randomUUID } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import { Cron } from 'croner';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { rawQuery } from '../db/raw-query.ts';
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
 * The default queue adapter: messages are rows of `queue_jobs` in the application's own
 * database, claimed with `FOR UPDATE SKIP LOCKED`. On PGlite it runs in-process; on PostgreSQL
 * any number of processes consume the same queues. Consumers wake on `NOTIFY` (sent in the
 * enqueuing transaction) and otherwise poll, at the latest when the next delayed message is due.
 */

const CHANNEL = 'switchyard_queue';

interface ClaimedRow {
  id: string;
  payload: unknown;
  attempts: number;
  max_attempts: number;
  backoff: BackoffPolicy | null;
}

export interface PostgresQueueOptions {
  logger?: Logger | undefined;
  /** Longest wait between polls when no notification arrives. Default 1 s. */
  pollMs?: number | undefined;
  /** A stable name for this process in `worker_id`. */
  workerId?: string | undefined;
  /** Messages whose lease expired, returned to waiting (or dead) by this process's maintenance. */
  onLeaseExpired?: ((queue: string, count: number) => void) | undefined;
}

export type Listen = (channel: string, onNotify: (payload: string) => void) => Promise<() => Promise<void>>;

/**
 * LISTEN on the application's database: on PostgreSQL a dedicated connection outside the pool that
 * reconnects (and reports `'*'` after each reconnect, since notifications in between are lost); on
 * PGlite its in-process channel. Also used by the engine's run dispatch.
 */
export function listenerFor(db: Database, logger: Logger | undefined): Listen {
  const client = (db as unknown as { $client: object }).$client;
  if ('totalCount' in client && 'idleCount' in client) {
    // PostgreSQL: LISTEN needs a connection of its own, outside the pool; reconnect on loss.
    const options = (client as unknown as { options: pg.ClientConfig }).options;
    return async (channel, onNotify) => {
      let closed = false;
      let current: pg.Client | undefined;
      let retry: NodeJS.Timeout | undefined;
      const connect = async (): Promise<void> => {
        const c = new pg.Client({ ...options, application_name: 'switchyard-queue-listener' });
        c.on('notification', (n) => onNotify(n.payload ?? ''));
        c.on('error', (err) => {
          logger?.warn({ err }, 'queue listener connection failed; reconnecting');
          void c.end().catch(() => undefined);
          if (current === c) current = undefined;
          if (!closed) retry = setTimeout(() => void connect().catch(() => undefined), 1_000);
        });
        try {
          await c.connect();
          await c.query(`listen ${channel}`);
          current = c;
          // Whatever was notified while we were away is found by the next poll.
          onNotify('*');
        } catch (err) {
          void c.end().catch(() => undefined);
          if (!closed) retry = setTimeout(() => void connect().catch(() => undefined), 1_000);
          throw err;
        }
      };
      await connect().catch((err: unknown) => logger?.warn({ err }, 'queue listener could not connect; polling'));
      return async () => {
        closed = true;
        if (retry) clearTimeout(retry);
        await current?.end().catch(() => undefined);
      };
    };
  }
  const lite = client as PGlite;
  return async (channel, onNotify) => {
    const unlisten = await lite.listen(channel, onNotify);
    return async () => {
      if (!lite.closed) await unlisten();
    };
  };
}

export function createPostgresQueue(db: Database, opts: PostgresQueueOptions = {}): QueueAdapter {
  const pollMs = opts.pollMs ?? 1_000;
  const workerId = opts.workerId ?? `${process.pid}-${randomUUID().slice(0, 8)}`;
  const logger = opts.logger;
  const listen = listenerFor(db, logger);
  const consumers = new Set<PgConsumer>();
  /** Wakes the consumers of a queue ('*' = all) — from NOTIFY or from this process directly. */
  const wake = (queue: string) => {
    for (const c of consumers) if (queue === '*' || c.queue === queue) c.wake();
  };
  let unlisten: Promise<() => Promise<void>> | undefined;
  const ensureListening = () => {
    unlisten ??= listen(CHANNEL, wake).catch((err: unknown) => {
      logger?.warn({ err }, 'queue notifications unavailable; polling only');
      return async () => undefined;
    });
    return unlisten;
  };
  let maintenance: NodeJS.Timeout | undefined;
  let maintaining = false;

  const q = <T>(name: string, text: string, values: unknown[]) => rawQuery<T>(db, { name, text, values });

  async function enqueue(queue: string, payload: unknown, o: EnqueueOptions = {}): Promise<EnqueueResult> {
    checkQueue(queue);
    const id = newId('msg');
    const runAt = o.runAt ?? null;
    const key = o.idempotencyKey ?? null;
    if (key !== null && (key.length === 0 || key.length > 200)) throw new RangeError('idempotencyKey: 1–200 chars');
    const maxAttempts = o.maxAttempts ?? 3;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100)
      throw new RangeError('maxAttempts: 1–100');
    const priority = o.priority ?? 0;
    if (!Number.isInteger(priority) || priority < 0 || priority > 1_000_000)
      throw new RangeError('priority: 0–1000000');
    const rows = await q<{ id: string; created: boolean }>(
      'queue_enqueue',
      `with ins as (
         insert into queue_jobs (id, queue, payload, priority, run_at, max_attempts, backoff, idempotency_key)
         values ($1, $2, $3::jsonb, $4::int, coalesce($5::timestamptz, now()), $6::int, $7::jsonb, $8)
         on conflict (queue, idempotency_key) where idempotency_key is not null do nothing
         returning id
       )
       -- NOTIFY from the main query: a WITH query nobody reads would never run.
       select id, true as created from ins cross join lateral (select pg_notify('${CHANNEL}', $2)) n
       union all
       select id, false from queue_jobs where $8::text is not null and queue = $2 and idempotency_key = $8
         and not exists (select 1 from ins)`,
      [
        id,
        queue,
        JSON.stringify(payload ?? null),
        priority,
        runAt,
        maxAttempts,
        o.backoff ? JSON.stringify(o.backoff) : null,
        key,
      ],
    );
    const row = rows[0];
    if (row) {
      if (row.created) wake(queue);
      return { id: row.id, created: row.created };
    }
    // The first message with this key finished between our insert and our select: enqueue anew.
    return enqueue(queue, payload, o);
  }

  async function cancel(queue: string, id: string): Promise<boolean> {
    const rows = await q<{ id: string }>(
      'queue_cancel',
      `delete from queue_jobs where id = $1 and queue = $2 and state = 'waiting' returning id`,
      [id, queue],
    );
    return rows.length > 0;
  }

  async function schedule(queue: string, name: string, when: CronSchedule, payload: unknown): Promise<void> {
    checkQueue(queue);
    const next = nextTick(when, new Date());
    await q(
      'queue_schedule_upsert',
      `insert into queue_schedules (queue, name, cron, timezone, payload, next_run_at)
       values ($1, $2, $3, $4, $5::jsonb, $6::timestamptz)
       on conflict (queue, name) do update set cron = excluded.cron, timezone = excluded.timezone,
         payload = excluded.payload, next_run_at = excluded.next_run_at, updated_at = now()`,
      [queue, name, when.cron, when.timezone ?? 'UTC', JSON.stringify(payload ?? null), next],
    );
  }

  async function unschedule(queue: string, name: string): Promise<boolean> {
    const rows = await q<{ name: string }>(
      'queue_unschedule',
      `delete from queue_schedules where queue = $1 and name = $2 returning name`,
      [queue, name],
    );
    return rows.length > 0;
  }

  /** Fires due cron ticks (each once: row lock + idempotency key) and expires stale leases. */
  async function maintain(): Promise<void> {
    if (maintaining) return;
    maintaining = true;
    try {
      const expired = await q<{ queue: string }>(
        'queue_expire_leases',
        `update queue_jobs set
           state = case when attempts >= max_attempts then 'dead' else 'waiting' end,
           last_error = case when attempts >= max_attempts then 'lease expired on the last attempt' else last_error end,
           lease_until = null, worker_id = null, updated_at = now()
         where state = 'active' and lease_until < now()
         returning queue`,
        [],
      );
      const perQueue = new Map<string, number>();
      for (const r of expired) perQueue.set(r.queue, (perQueue.get(r.queue) ?? 0) + 1);
      for (const [queue, n] of perQueue) {
        opts.onLeaseExpired?.(queue, n);
        wake(queue);
      }
      await db.transaction(async (tx) => {
        const due = (
          (await tx.execute(
            sql`select queue, name, cron, timezone, payload, next_run_at from queue_schedules
                where next_run_at <= now() order by next_run_at limit 100 for update skip locked`,
          )) as unknown as { rows: DueSchedule[] }
        ).rows;
        for (const s of due) {
          const tick = new Date(s.next_run_at);
          const next = nextTick({ cron: s.cron, timezone: s.timezone }, new Date());
          await tx.execute(
            sql`insert into queue_jobs (id, queue, payload, idempotency_key)
                values (${newId('msg')}, ${s.queue}, ${JSON.stringify(s.payload)}::jsonb, ${`cron:${s.name}:${tick.toISOString()}`})
                on conflict (queue, idempotency_key) where idempotency_key is not null do nothing`,
          );
          await tx.execute(
            sql`update queue_schedules set next_run_at = ${next.toISOString()}::timestamptz
                where queue = ${s.queue} and name = ${s.name}`,
          );
          await tx.execute(sql`select pg_notify(${CHANNEL}, ${s.queue})`);
        }
      });
    } catch (err) {
      logger?.warn({ err }, 'queue maintenance failed; retrying on the next tick');
    } finally {
      maintaining = false;
    }
  }

  const adapter: QueueAdapter = {
    kind: 'postgres',
    enqueue,
    cancel,
    schedule,
    unschedule,
    consume<P>(queue: string, handler: MessageHandler<P>, o: ConsumeOptions = {}): Consumer {
      checkQueue(queue);
      const consumer = new PgConsumer(queue, handler as MessageHandler, {
        concurrency: o.concurrency ?? 1,
        leaseMs: o.leaseMs ?? 30_000,
        pollMs,
        workerId,
        logger,
        q,
        onClose: () => consumers.delete(consumer),
      });
      consumers.add(consumer);
      void ensureListening();
      consumer.start();
      return consumer;
    },
    async counts(queue: string): Promise<QueueCounts> {
      const [row] = await q<QueueCounts>(
        'queue_counts',
        `select count(*) filter (where state = 'waiting' and run_at <= now())::int as waiting,
                count(*) filter (where state = 'waiting' and run_at > now())::int as delayed,
                count(*) filter (where state = 'active')::int as active,
                count(*) filter (where state = 'dead')::int as dead
         from queue_jobs where queue = $1`,
        [queue],
      );
      return row ?? { waiting: 0, delayed: 0, active: 0, dead: 0 };
    },
    async deadLetters(queue: string, limit = 100): Promise<DeadLetter[]> {
      const rows = await q<{
        id: string;
        queue: string;
        payload: unknown;
        attempts: number;
        last_error: string | null;
        updated_at: Date | string;
      }>(
        'queue_dead_letters',
        `select id, queue, payload, attempts, last_error, updated_at from queue_jobs
         where queue = $1 and state = 'dead' order by updated_at desc, id desc limit $2::int`,
        [queue, Math.min(Math.max(1, limit), 1000)],
      );
      return rows.map((r) => ({
        id: r.id,
        queue: r.queue,
        payload: r.payload,
        attempts: r.attempts,
        error: r.last_error,
        failedAt: new Date(r.updated_at),
      }));
    },
    async retryDead(queue: string, id: string): Promise<boolean> {
      const rows = await q<{ id: string }>(
        'queue_retry_dead',
        `update queue_jobs set state = 'waiting', attempts = 0, run_at = now(), last_error = null, updated_at = now()
         where id = $1 and queue = $2 and state = 'dead' returning id`,
        [id, queue],
      );
      if (rows.length) wake(queue);
      return rows.length > 0;
    },
    startMaintenance(o = {}) {
      if (maintenance) return;
      const every = o.intervalMs ?? 1_000;
      maintenance = setInterval(() => void maintain(), every);
      maintenance.unref();
      void maintain();
    },
    async close(o = {}) {
      if (maintenance) clearInterval(maintenance);
      maintenance = undefined;
      await Promise.all([...consumers].map((c) => c.close({ drain: true, timeoutMs: o.timeoutMs ?? 10_000 })));
      if (unlisten) await (await unlisten)();
      unlisten = undefined;
    },
  };
  return adapter;
}

interface DueSchedule {
  queue: string;
  name: string;
  cron: string;
  timezone: string;
  payload: unknown;
  next_run_at: Date | string;
}

function checkQueue(queue: string): void {
  if (!QUEUE_NAME.test(queue)) throw new RangeError(`invalid queue name ${JSON.stringify(queue)}`);
}

export function nextTick(when: CronSchedule, after: Date): Date {
  const next = new Cron(when.cron, { timezone: when.timezone ?? 'UTC', paused: true }).nextRun(after);
  if (!next) throw new RangeError(`cron ${JSON.stringify(when.cron)} never fires again`);
  return next;
}

interface ConsumerDeps {
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  workerId: string;
  logger: Logger | undefined;
  q: <T>(name: string, text: string, values: unknown[]) => Promise<T[]>;
  onClose: () => void;
}

class PgConsumer implements Consumer {
  private closed = false;
  private readonly inFlight = new Map<string, { promise: Promise<void>; abort: AbortController }>();
  private timer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private pendingWake = false;

  constructor(
    readonly queue: string,
    private readonly handler: MessageHandler,
    private readonly deps: ConsumerDeps,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  wake(): void {
    this.pendingWake = true;
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      this.pendingWake = false;
      const free = this.deps.concurrency - this.inFlight.size;
      let claimed = 0;
      let nextDue: number | undefined;
      if (free > 0) {
        try {
          const rows = await this.claim(free);
          claimed = rows.length;
          for (const row of rows) this.dispatch(row);
          if (claimed < free) nextDue = await this.nextDueIn();
        } catch (err) {
          this.deps.logger?.warn({ err, queue: this.queue }, 'queue claim failed; retrying');
        }
      }
      if (this.closed) break;
      if (claimed > 0 && claimed === free && this.inFlight.size < this.deps.concurrency) continue;
      if (this.pendingWake && this.inFlight.size < this.deps.concurrency) continue;
      const wait = Math.max(5, Math.min(this.deps.pollMs, nextDue ?? this.deps.pollMs));
      await new Promise<void>((resolve) => {
        this.wakeUp = resolve;
        this.timer = setTimeout(resolve, wait);
      });
      if (this.timer) clearTimeout(this.timer);
      this.wakeUp = undefined;
    }
  }

  private async claim(n: number): Promise<ClaimedRow[]> {
    return this.deps.q<ClaimedRow>(
      'queue_claim',
      `with next as (
         select id from queue_jobs
         where queue = $1 and state = 'waiting' and run_at <= now()
         order by priority, run_at, id
         limit $2::int
         for update skip locked
       )
       update queue_jobs j set state = 'active', attempts = j.attempts + 1,
         lease_until = now() + make_interval(secs => $3::double precision / 1000), worker_id = $4, updated_at = now()
       from next where j.id = next.id
       returning j.id, j.payload, j.attempts, j.max_attempts, j.backoff`,
      [this.queue, n, this.deps.leaseMs, this.deps.workerId],
    );
  }

  /** Milliseconds until the earliest delayed message of this queue is due, if any. */
  private async nextDueIn(): Promise<number | undefined> {
    const [row] = await this.deps.q<{ ms: number | null }>(
      'queue_next_due',
      `select (extract(epoch from (min(run_at) - now())) * 1000)::float8 as ms
       from queue_jobs where queue = $1 and state = 'waiting'`,
      [this.queue],
    );
    return row?.ms === null || row?.ms === undefined ? undefined : Math.max(0, row.ms) + 2;
  }

  private dispatch(row: ClaimedRow): void {
    const abort = new AbortController();
    const message: QueueMessage = {
      id: row.id,
      queue: this.queue,
      payload: row.payload,
      attempt: row.attempts,
      maxAttempts: row.max_attempts,
      signal: abort.signal,
    };
    let settled = false;
    const renew = setInterval(
      () => void this.renew(row, abort, () => settled),
      Math.max(50, Math.floor(this.deps.leaseMs / 3)),
    );
    renew.unref();
    // Set as soon as the handler returns, before the completion is written: a renewal still on its
    // way then finds the row deleted, which is not a lost lease (it aborted a finished delivery).
    const done = () => {
      settled = true;
      clearInterval(renew);
    };
    const promise = (async () => {
      try {
        try {
          await this.handler(message);
        } finally {
          done();
        }
        await this.deps.q(
          'queue_complete',
          `delete from queue_jobs where id = $1 and state = 'active' and attempts = $2::int`,
          [row.id, row.attempts],
        );
      } catch (err) {
        await this.fail(row, err).catch((e: unknown) =>
          this.deps.logger?.warn({ err: e, id: row.id }, 'could not record a failed delivery; the lease will expire'),
        );
      } finally {
        done();
        this.inFlight.delete(row.id);
        this.wake();
      }
    })();
    this.inFlight.set(row.id, { promise, abort });
  }

  private async renew(row: ClaimedRow, abort: AbortController, settled: () => boolean): Promise<void> {
    if (abort.signal.aborted || settled()) return;
    try {
      const rows = await this.deps.q<{ id: string }>(
        'queue_renew',
        `update queue_jobs set lease_until = now() + make_interval(secs => $3::double precision / 1000)
         where id = $1 and state = 'active' and attempts = $2::int returning id`,
        [row.id, row.attempts, this.deps.leaseMs],
      );
      // No row: the lease expired and someone else may hold the message now — unless the handler
      // finished (and the row was deleted) while this renewal was on its way.
      if (rows.length === 0 && !settled()) abort.abort(new Error('lease lost'));
    } catch (err) {
      this.deps.logger?.warn({ err, id: row.id }, 'lease renewal failed');
    }
  }

  private async fail(row: ClaimedRow, err: unknown): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    const permanent =
      err instanceof PermanentJobError || (err as { name?: string } | null)?.name === 'PermanentJobError';
    const last = permanent || row.attempts >= row.max_attempts;
    const delay = last ? 0 : backoffDelay(row.backoff ?? DEFAULT_BACKOFF, row.attempts + 1);
    await this.deps.q(
      'queue_fail',
      `update queue_jobs set state = case when $3::boolean then 'dead' else 'waiting' end,
         run_at = case when $3::boolean then run_at else now() + make_interval(secs => $4::double precision / 1000) end,
         last_error = left($5, 2000), lease_until = null, worker_id = null, updated_at = now()
       where id = $1 and state = 'active' and attempts = $2::int`,
      [row.id, row.attempts, last, delay, message],
    );
  }

  async close(o: { drain?: boolean; timeoutMs?: number } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wakeUp?.();
    await this.loop;
    const drain = o.drain ?? true;
    const pending = [...this.inFlight.values()];
    if (!drain) for (const p of pending) p.abort.abort(new Error('consumer closed'));
    const all = Promise.allSettled(pending.map((p) => p.promise));
    if (drain) {
      let t: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        all.then(() => false),
        new Promise<boolean>((r) => {
          t = setTimeout(() => r(true), o.timeoutMs ?? 10_000);
        }),
      ]);
      if (t) clearTimeout(t);
      if (timedOut) for (const p of this.inFlight.values()) p.abort.abort(new Error('drain timed out'));
    }
    this.deps.onClose();
  }
}
