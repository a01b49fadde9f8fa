import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { Database } from '../../platform/db/database.ts';
import { rawQuery } from '../../platform/db/raw-query.ts';
import { newId } from '../../platform/ids.ts';
import {
  inSpan,
  restoreTraceContext,
  SpanKind,
  SpanStatusCode,
  traceContextForStart,
} from '../../platform/telemetry/tracing.ts';
import { context } from '@opentelemetry/api';
import { listenerFor } from '../../platform/queue/postgres-queue.ts';
import { backoffDelay, type Consumer, type QueueAdapter } from '../../platform/queue/queue.ts';
import type { WorkflowDefinition } from './definition.ts';
import { evaluate, render } from './expressions.ts';
import { compilePlan, type ExecutionPlan, isComplete, nextSteps, type PlanStep, type StepState } from './graph.ts';
import {
  type RunScope,
  type StepContext,
  type StepKind,
  type StepOutcome,
  StepPermanentError,
  type StepServices,
} from './steps/step-kind.ts';
import type { StepRegistry } from './steps/registry.ts';
import { RunPoller } from './run-poller.ts';

/**
 * The durable engine. A run's rows are the truth; the queue only says "advance run R".
 *
 * Advancing a run: take its lease (`lease_epoch` + 1, the fencing token), load the latest attempt
 * of every step, and execute the steps that are ready. Pure steps (transform, condition, switch)
 * run in memory and their attempt rows ride along with the next write. A step with side effects
 * first commits a `running` attempt (with everything pending), then its result. Every write is
 * one statement that renews the lease and only succeeds while the lease epoch is still ours, so
 * a worker that lost its lease (killed, paused past the lease) can never commit a late result.
 * Committed steps are never executed again; a crash re-runs at most the step in flight.
 */

export const RUNS_QUEUE = 'runs';
/** NOTIFY channel of the `table` dispatch: "a run became due". */
const RUNS_CHANNEL = 'switchyard_runs';

/**
 * When a run is due, as one expression: the later of its wake-up and its lease end (either may be
 * null). A live run whose due time has passed is claimable. Matches the `runs_due_idx` index.
 */
const DUE = `greatest(coalesce(wake_at, '-infinity'::timestamptz), coalesce(lease_until, '-infinity'::timestamptz))`;

/**
 * How workers find runs to advance.
 * - `table` (with the `postgres` queue adapter): the `runs` table is the queue. Workers claim due
 *   runs with `FOR UPDATE SKIP LOCKED`, so a run costs no queue message at all, and expired leases
 *   and due wake-ups are found by the same claim (no sweep).
 * - `queue` (BullMQ): an "advance run R" message per hand-off; the scheduler's sweep re-sends it
 *   for runs whose message was lost.
 */
export type Dispatch = 'table' | 'queue';

export interface EngineOptions {
  db: Database;
  queue: QueueAdapter;
  registry: StepRegistry;
  logger: Logger;
  services?: StepServices;
  /** How long a lease lasts without renewal. Default 30 s. */
  leaseMs?: number;
  /** Largest JSON output one step may produce. Default 1 MiB. */
  maxOutputBytes?: number;
  workerId?: string;
  /** Runs of one tenant executing at once, across workers (queued ones wait). Default 100. */
  tenantConcurrency?: number;
  /** Default: `table` with the `postgres` queue adapter, `queue` otherwise. */
  dispatch?: Dispatch;
  /** `table` dispatch: longest sleep between claims when nothing wakes the worker. Default 1 s. */
  pollMs?: number;
  /**
   * Called synchronously when this process ends a run, however it ended (including a cancel seen
   * mid-step): the finished-runs counter. Must be cheap and must not throw.
   */
  onRunFinished?: (
    status: 'succeeded' | 'failed' | 'cancelled',
    info?: { triggerType: string; seconds?: number | undefined },
  ) => void;
  /** Cheap synchronous counters (metrics): step attempts, retries, lease takeovers. Must not throw. */
  observer?: EngineObserver;
  /** Called after a run ends (run events for event triggers); errors are logged, not thrown. */
  onRunEnded?: (run: {
    id: string;
    tenantId: string;
    workflowId: string;
    status: string;
    triggerType: string;
    error: unknown;
  }) => Promise<void>;
}

export interface EngineObserver {
  stepAttempt(kind: string, outcome: 'succeeded' | 'waiting' | 'failed' | 'interrupted', seconds: number): void;
  stepRetry(kind: string): void;
  /** Runs claimed from a holder whose lease had expired. */
  leaseExpired(count: number): void;
}

export interface StartRunInput {
  tenantId: string;
  workflowId: string;
  /** Default: the workflow's current version. */
  version?: number;
  input: unknown;
  triggerType: 'manual' | 'webhook' | 'schedule' | 'event' | 'error' | 'subworkflow' | 'retry' | 'rerun';
  idempotencyKey?: string | undefined;
  /** Execute in this process now (webhook "wait" mode); otherwise a worker picks it up. */
  inline?: boolean;
  parentRunId?: string;
  parentStepId?: string;
  rerunOf?: string;
  /**
   * Webhook trigger: start only if the workflow still has this key, is active, is at `version`
   * and has this (sealed) signing secret — what the caller checked the request against, perhaps
   * from a cache. Otherwise startRun throws `TriggerChanged` and records nothing.
   */
  webhookGuard?: { key: string; sealedSecret: string | null };
  /** @internal Record this (deferred inline) run as running, held by this worker; do not execute it. */
  recordOnly?: { runId: string; traceContext?: string | null | undefined };
  /** Attempts copied from an earlier run (re-run from the failed step). */
  carryOver?: {
    stepId: string;
    stepType: string;
    output: unknown;
    branch: string | null;
    status: 'succeeded' | 'skipped';
  }[];
}

export interface RunSummary {
  id: string;
  status: string;
  output: unknown;
  error: unknown;
}

interface RunRow {
  id: string;
  tenant_id: string;
  workflow_id: string;
  version: number;
  status: string;
  input: unknown;
  lease_epoch: number;
  cancel_requested: boolean;
  started_at: Date | string | null;
  created_at: Date | string;
  parent_run_id: string | null;
  trigger_type: string;
  /** What started the run, as stored (`captureTraceContext`): every pass continues that trace. */
  trace_context?: string | null;
}

/** A run claimed by `claimDue`, with the latest attempt of each of its steps. */
interface ClaimedRun {
  row: RunRow;
  attempts: AttemptRow[];
}

interface AttemptRow {
  step_id: string;
  attempt: number;
  status: string;
  output: unknown;
  branch: string | null;
  error: unknown;
  wait_state: unknown;
  started_at: Date | string;
}

/** An attempt row to write (insert, or update of the same (run, step, attempt)). */
interface AttemptWrite {
  id: string;
  step_id: string;
  attempt: number;
  status: string;
  step_type: string;
  output: unknown;
  error: unknown;
  branch: string | null;
  wait_state: unknown;
  logs: unknown;
  started_at: string;
  finished_at: string | null;
}

/** The workflow changed since the trigger was checked (see `StartRunInput.webhookGuard`). */
export class TriggerChanged extends Error {
  override readonly name = 'TriggerChanged';
}

class LeaseLost extends Error {
  override readonly name = 'LeaseLost';
}

/** A cancel was requested while the run executed; the run is now recorded as cancelled. */
class RunCancelled extends Error {
  override readonly name = 'RunCancelled';
}

interface LoadedRun {
  row: RunRow;
  plan: ExecutionPlan;
  definition: WorkflowDefinition;
  epoch: number;
  /**
   * An inline run of pure steps only, not recorded yet: its first commit inserts it — finished,
   * with its attempts, in one statement, when it ends without waiting. Nothing outside the run
   * happens before that insert, and the caller answers only after it, so "a 2xx means the run is
   * durably recorded" holds with one write instead of two.
   */
  deferredInsert?: StartRunInput;
}

type RunUpdate =
  | { kind: 'progress' }
  | { kind: 'finish'; status: 'succeeded' | 'failed' | 'cancelled'; output?: unknown; error?: unknown }
  | { kind: 'park'; status: 'waiting' | 'queued'; wakeAt: Date | null };

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);

interface EngineInternals {
  opts: EngineOptions;
  leaseMs: number;
  maxOutputBytes: number;
  workerId: string;
  q<T>(name: string, text: string, values: unknown[]): Promise<T[]>;
  enqueueAdvance(runId: string, epoch: number, runAt?: Date): Promise<unknown>;
  startRun(input: StartRunInput): ReturnType<Engine['startRun']>;
  wakeQueued(workflowId: string): Promise<void>;
  wakeRun(runId: string): Promise<void>;
  finishRun(item: FinishItem): Promise<boolean>;
}

/** A run's final write: its end state and its pending attempts, fenced by its lease epoch. */
interface FinishItem {
  id: string;
  epoch: number;
  status: 'succeeded' | 'failed' | 'cancelled';
  output: unknown;
  error: unknown;
  attempts: AttemptWrite[];
}

/**
 * A step's config parsed by its kind, once per plan step: plans are cached per immutable version,
 * so the same step object comes back for every run of that version.
 */
const parsedConfigs = new WeakMap<object, unknown>();
/** Plans whose steps are all pure (see `Engine.pureOnly`); plans are immutable, so this is too. */
const pureOnlyPlans = new WeakMap<ExecutionPlan, boolean>();
function configOf(kind: StepKind, step: PlanStep): unknown {
  if (!parsedConfigs.has(step)) parsedConfigs.set(step, kind.config.parse(step.config));
  return parsedConfigs.get(step);
}

/**
 * The CTEs that write run ends (`fi` the ends, `fr` the runs updated, `fw` their attempts): $1 the
 * worker, `items` the placeholder of the ends as JSON. Used alone and before a claim.
 */
const finishCtes = (items: string) => `with fi as (
         select x.id, x.epoch, x.status, x.output, x.error, x.attempts
         from jsonb_to_recordset(${items}::jsonb) as x(id text, epoch int, status text, output jsonb, error jsonb, attempts jsonb)
       ), fr as (
         update runs set status = fi.status, output = fi.output, error = fi.error, wake_at = null, finished_at = now(),
           lease_until = null, lease_owner = null, updated_at = now()
         from fi where runs.id = fi.id and runs.lease_epoch = fi.epoch and runs.lease_owner = $1 and runs.status = 'running'
         returning runs.id, runs.tenant_id, runs.lease_epoch
       ), fw as (
         insert into step_attempts (id, tenant_id, run_id, step_id, attempt, status, step_type, output, error, branch,
           wait_state, logs, worker_id, lease_epoch, started_at, finished_at)
         select a.id, fr.tenant_id, fr.id, a.step_id, a.attempt, a.status, a.step_type, a.output, a.error, a.branch,
           a.wait_state, a.logs, $1, fr.lease_epoch, a.started_at, a.finished_at
         from fr join fi on fi.id = fr.id
           cross join lateral jsonb_to_recordset(fi.attempts) as a(id text, step_id text, attempt int, status text,
             step_type text, output jsonb, error jsonb, branch text, wait_state jsonb, logs jsonb,
             started_at timestamptz, finished_at timestamptz)
         on conflict (run_id, step_id, attempt) do update set status = excluded.status, output = excluded.output,
           error = excluded.error, branch = excluded.branch, wait_state = excluded.wait_state, logs = excluded.logs,
           finished_at = excluded.finished_at
         returning 1
       )`;

/**
 * The claim of due runs ($1 worker, $2 lease ms, $3 how many, $4 tenant limit). With `finishing`,
 * the same statement first ends the runs in $5 (`finishCtes`) and claims as many new ones: the
 * ending runs do not count against concurrency limits, and the worker goes from one batch of runs
 * to the next in one round trip.
 */
function claimSql(finishing: boolean): string {
  const notEnding = finishing ? ' and not exists (select 1 from fi where fi.id = x.id)' : '';
  return `${finishing ? finishCtes('$5') + ',' : 'with'} cand as (
         select id, tenant_id, workflow_id, version, status, created_at from runs
         where status in ('queued', 'running', 'waiting') and ${DUE} <= now()
         order by ${DUE}, created_at, id
         limit $3::int
         for update skip locked
       ), ranked as (
         select c.id, c.workflow_id, c.tenant_id, c.version,
           row_number() over (partition by c.workflow_id order by c.created_at, c.id) as wf_rank,
           row_number() over (partition by c.tenant_id order by c.created_at, c.id) as t_rank
         from cand c where c.status = 'queued'
       ), limits as (
         select r.*,
           (select count(*) from runs x where x.workflow_id = r.workflow_id and x.status = 'running'${notEnding}) as wf_running,
           coalesce((select (v.definition->'settings'->>'concurrency')::int from workflow_versions v
                     where v.workflow_id = r.workflow_id and v.version = r.version), 10) as wf_limit,
           (select count(*) from runs x where x.tenant_id = r.tenant_id and x.status = 'running'${notEnding}) as t_running
         from ranked r
       ), held as (
         select l.id, case when l.wf_rank + l.wf_running > l.wf_limit
             then 'Waiting: the workflow''s concurrency limit (' || l.wf_limit || ') is reached.'
             else 'Waiting: the tenant''s limit of ' || $4::int || ' running runs is reached.' end as reason
         from limits l
         where l.wf_rank + l.wf_running > l.wf_limit or l.t_rank + l.t_running > $4::int
       ), parked as (
         update runs set wake_at = now() + interval '1 second', queued_reason = h.reason, updated_at = now()
         from held h where runs.id = h.id
         returning runs.workflow_id
       ), claimed as (
         update runs set status = 'running', lease_owner = $1, lease_epoch = lease_epoch + 1,
           lease_until = now() + make_interval(secs => $2::double precision / 1000),
           started_at = coalesce(started_at, now()), wake_at = null, queued_reason = null, updated_at = now()
         from cand c where runs.id = c.id and not exists (select 1 from held h where h.id = c.id)
         returning runs.id, runs.tenant_id, runs.workflow_id, runs.version, runs.status, runs.input, runs.lease_epoch,
           runs.cancel_requested, runs.started_at, runs.created_at, runs.parent_run_id, runs.trigger_type,
           runs.trace_context
       ), abandoned as (
         update step_attempts a set status = 'failed', finished_at = now(),
           error = jsonb_build_object('code', 'WORKER_LOST', 'message',
             'The worker running this step stopped (crashed or lost its lease); the step was retried.',
             'stepId', a.step_id)
         from claimed c where a.run_id = c.id and a.status = 'running' and a.lease_epoch < c.lease_epoch
         returning a.id
       ), att as (
         select distinct on (a.run_id, a.step_id) a.run_id, a.step_id, a.attempt,
           case when a.status = 'running' then 'failed' else a.status end as status,
           a.output, a.branch, a.error, a.wait_state, a.started_at
         from step_attempts a join claimed c on a.run_id = c.id
         where a.status <> 'compensated'
         order by a.run_id, a.step_id, a.attempt desc
       )
       select${finishing ? " coalesce((select json_agg(fr.id) from fr), '[]'::json) as ok, (select count(*) from fw) as written," : ''}
         coalesce((select json_agg(json_build_object('row', to_json(c), 'attempts',
           coalesce((select json_agg(a) from att a where a.run_id = c.id), '[]'::json))) from claimed c), '[]'::json) as runs,
         coalesce((select json_agg(distinct p.workflow_id) from parked p), '[]'::json) as held,
         (select count(*) from abandoned) as abandoned,
         (select count(*)::int from cand c where c.status = 'running' and exists (select 1 from claimed x where x.id = c.id))
           as expired,
         (select (extract(epoch from (min(${DUE}) - now())) * 1000)::float8 from runs
           where status in ('queued', 'running', 'waiting') and ${DUE} > now()) as next_due_ms`;
}

const CLAIM_SQL = claimSql(false);
const FINISH_AND_CLAIM_SQL = claimSql(true);

export class Engine {
  readonly workerId: string;
  private readonly leaseMs: number;
  private readonly maxOutputBytes: number;
  private readonly plans = new LRUCache<string, { plan: ExecutionPlan; definition: WorkflowDefinition }>({ max: 500 });
  private consumer: Consumer | undefined;
  private poller: RunPoller<ClaimedRun> | undefined;
  private unlisten: Promise<() => Promise<void>> | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  readonly dispatch: Dispatch;
  /** Runs being executed by this process, so shutdown can wait for them. */
  private readonly active = new Set<Promise<unknown>>();
  private readonly listeners = new Map<string, Set<(run: RunSummary) => void>>();
  /** Workflows whose queued runs this process saw held back by a concurrency limit. */
  private readonly heldBack = new Set<string>();
  private readonly tenantConcurrency: number;

  /** @internal What a run execution uses of its engine: built once, not on every access. */
  readonly ctx: EngineInternals;

  constructor(private readonly opts: EngineOptions) {
    this.workerId = opts.workerId ?? `${process.pid}-${randomUUID().slice(0, 8)}`;
    this.leaseMs = opts.leaseMs ?? 30_000;
    this.maxOutputBytes = opts.maxOutputBytes ?? 1024 * 1024;
    this.tenantConcurrency = opts.tenantConcurrency ?? 100;
    this.dispatch = opts.dispatch ?? (opts.queue.kind === 'postgres' ? 'table' : 'queue');
    this.ctx = {
      opts: this.opts,
      leaseMs: this.leaseMs,
      maxOutputBytes: this.maxOutputBytes,
      workerId: this.workerId,
      q: this.q.bind(this),
      enqueueAdvance: this.enqueueAdvance.bind(this),
      startRun: this.startRun.bind(this),
      wakeQueued: this.wakeQueued.bind(this),
      wakeRun: this.wakeRun.bind(this),
      finishRun: this.finishRun.bind(this),
    };
  }

  // ---------------------------------------------------------------- group commit of run ends

  private finishing: { item: FinishItem; resolve: (ok: boolean) => void; reject: (err: unknown) => void }[] = [];
  private finishFlush: NodeJS.Immediate | undefined;

  /**
   * Records a run's end. Ends requested in the same turn of the event loop — the runs of one claim
   * finishing together — are written by one statement (one round trip, one transaction commit);
   * each is still fenced by its own lease epoch. Resolves false for a run that is no longer ours.
   */
  private finishRun(item: FinishItem): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.finishing.push({ item, resolve, reject });
      this.finishFlush ??= setImmediate(() => void this.flushFinishes());
    });
  }

  private async flushFinishes(): Promise<void> {
    const batch = this.finishing;
    this.finishing = [];
    this.finishFlush = undefined;
    try {
      const ok = await this.writeFinishes(
        batch.map((b) => b.item),
        this.poller,
      );
      for (const b of batch) b.resolve(ok.has(b.item.id));
    } catch (err) {
      if (batch.length === 1) {
        batch[0]?.reject(err);
        return;
      }
      // One bad end must not fail the others: write them one by one.
      for (const b of batch) {
        await this.writeFinishes([b.item]).then(
          (ok) => b.resolve(ok.has(b.item.id)),
          (e: unknown) => b.reject(e),
        );
      }
    }
  }

  private async writeFinishes(items: FinishItem[], poller?: RunPoller<ClaimedRun>): Promise<Set<string>> {
    const slots = Math.min(items.length, poller?.openSlots ?? 0);
    if (poller && slots > 0) {
      // This worker's own runs ending: claim as many new ones in the same statement.
      const [res] = await this.q<{ ok: string[]; runs: ClaimedRun[]; held: string[]; expired: number }>(
        'engine_finish_and_claim',
        FINISH_AND_CLAIM_SQL,
        [this.workerId, this.leaseMs, slots, this.tenantConcurrency, JSON.stringify(items)],
      );
      if (res?.expired) this.opts.observer?.leaseExpired(Number(res.expired));
      for (const w of res?.held ?? []) this.heldBack.add(w);
      if (res?.runs.length) poller.offer(res.runs);
      return new Set(res?.ok ?? []);
    }
    const [res] = await this.q<{ ok: string[] }>(
      'engine_finish_runs',
      `${finishCtes('$2')}
       select coalesce((select json_agg(fr.id) from fr), '[]'::json) as ok, (select count(*) from fw) as written`,
      [this.workerId, JSON.stringify(items)],
    );
    return new Set(res?.ok ?? []);
  }

  private q<T>(name: string, text: string, values: unknown[]): Promise<T[]> {
    return rawQuery<T>(this.opts.db, { name, text, values });
  }

  // ---------------------------------------------------------------- starting runs

  /** Records a run durably (the 2xx promise) and executes it inline or hands it to the queue. */
  async startRun(input: StartRunInput): Promise<{
    runId: string;
    created: boolean;
    done?: Promise<RunSummary>;
    /** Not recorded until `done` settles (a pure inline run, see `LoadedRun.deferredInsert`). */
    deferred?: boolean;
  }> {
    const runId = input.recordOnly?.runId ?? newId('run');
    const inline = input.inline ?? false;
    const traceContext =
      input.recordOnly?.traceContext ??
      traceContextForStart(`trigger ${input.triggerType}`, {
        'switchyard.run.id': runId,
        'switchyard.workflow.id': input.workflowId,
        'switchyard.tenant.id': input.tenantId,
      });
    if (
      inline &&
      !input.recordOnly &&
      input.version !== undefined &&
      !input.idempotencyKey &&
      !input.carryOver?.length &&
      !input.parentRunId &&
      !input.rerunOf
    ) {
      const compiled = await this.plan(input.workflowId, input.version);
      if (this.pureOnly(compiled.plan)) {
        const now = new Date();
        const row: RunRow = {
          id: runId,
          tenant_id: input.tenantId,
          workflow_id: input.workflowId,
          version: input.version,
          status: 'running',
          input: input.input ?? null,
          lease_epoch: 1,
          cancel_requested: false,
          started_at: now,
          created_at: now,
          parent_run_id: null,
          trigger_type: input.triggerType,
          trace_context: traceContext,
        };
        const done = this.track(this.executeLoaded({ row, epoch: 1, ...compiled, deferredInsert: input }, []));
        return { runId, created: true, done, deferred: true };
      }
    }
    const rows = await this.q<{ id: string; version: number; created: boolean; lease_epoch: number }>(
      'engine_start_run',
      `with wf as (
         select id, current_version from workflows where id = $2 and tenant_id = $3
           and ($14::text is null or (webhook_key = $14 and active and current_version = $4::int
             and webhook_secret is not distinct from $15::text))
       ), ins as (
         insert into runs (id, tenant_id, workflow_id, version, status, trigger_type, input, idempotency_key,
           parent_run_id, parent_step_id, rerun_of, lease_owner, lease_epoch, lease_until, started_at, trace_context)
         select $1, $3, wf.id, coalesce($4::int, wf.current_version),
           case when $9::boolean then 'running' else 'queued' end, $5, $6::jsonb, $7, $10, $11, $12,
           case when $9::boolean then $8 end, case when $9::boolean then 1 else 0 end,
           case when $9::boolean then now() + make_interval(secs => $13::double precision / 1000) end,
           case when $9::boolean then now() end, $16
         from wf
         on conflict (workflow_id, idempotency_key) where idempotency_key is not null do nothing
         returning id, version, lease_epoch
       )
       select id, version, lease_epoch, true as created from ins
       union all
       select id, version, lease_epoch, false from runs
       where $7::text is not null and workflow_id = $2 and idempotency_key = $7 and not exists (select 1 from ins)`,
      [
        runId,
        input.workflowId,
        input.tenantId,
        input.version ?? null,
        input.triggerType,
        JSON.stringify(input.input ?? null),
        input.idempotencyKey ?? null,
        this.workerId,
        inline,
        input.parentRunId ?? null,
        input.parentStepId ?? null,
        input.rerunOf ?? null,
        this.leaseMs,
        input.webhookGuard?.key ?? null,
        input.webhookGuard?.sealedSecret ?? null,
        traceContext,
      ],
    );
    let row = rows[0];
    if (!row && input.idempotencyKey) {
      // PostgreSQL: a start with the same key that committed while this statement ran is neither
      // inserted (conflict) nor visible to it (one snapshot); a new statement sees it.
      [row] = await this.q<{ id: string; version: number; created: boolean; lease_epoch: number }>(
        'engine_run_by_key',
        `select id, version, lease_epoch, false as created from runs
         where workflow_id = $1 and tenant_id = $2 and idempotency_key = $3`,
        [input.workflowId, input.tenantId, input.idempotencyKey],
      );
    }
    if (!row && input.webhookGuard) throw new TriggerChanged('the workflow changed since its trigger was checked');
    if (!row) throw new Error(`workflow ${input.workflowId} not found in tenant`);
    if (!row.created) return { runId: row.id, created: false };
    if (input.recordOnly) return { runId: row.id, created: true };
    if (input.carryOver?.length) await this.writeCarryOver(row.id, input.tenantId, input.carryOver);
    if (!inline) {
      await this.enqueueAdvance(row.id, row.lease_epoch);
      return { runId: row.id, created: true };
    }
    const now = new Date();
    const done = this.track(
      this.executeInline(
        {
          id: row.id,
          tenant_id: input.tenantId,
          workflow_id: input.workflowId,
          version: row.version,
          status: 'running',
          input: input.input ?? null,
          lease_epoch: row.lease_epoch,
          cancel_requested: false,
          started_at: now,
          created_at: now,
          parent_run_id: input.parentRunId ?? null,
          trigger_type: input.triggerType,
          trace_context: traceContext,
        },
        Boolean(input.carryOver?.length),
      ),
    );
    return { runId: row.id, created: true, done };
  }

  private async writeCarryOver(runId: string, tenantId: string, steps: NonNullable<StartRunInput['carryOver']>) {
    const now = new Date().toISOString();
    const rows = steps.map((s) => ({
      id: newId('sat'),
      step_id: s.stepId,
      attempt: 1,
      status: s.status,
      step_type: s.stepType,
      output: s.output,
      error: null,
      branch: s.branch,
      wait_state: null,
      logs: [{ level: 'info', message: 'result carried over from the earlier run', at: now }],
      started_at: now,
      finished_at: now,
    }));
    await this.q(
      'engine_carry_over',
      `insert into step_attempts (id, tenant_id, run_id, step_id, attempt, status, step_type, output, error, branch,
         wait_state, logs, worker_id, lease_epoch, started_at, finished_at)
       select x.id, $2, $1, x.step_id, x.attempt, x.status, x.step_type, x.output, x.error, x.branch, x.wait_state,
         x.logs, null, 0, x.started_at, x.finished_at
       from jsonb_to_recordset($3::jsonb) as x(id text, step_id text, attempt int, status text, step_type text,
         output jsonb, error jsonb, branch text, wait_state jsonb, logs jsonb, started_at timestamptz, finished_at timestamptz)`,
      [runId, tenantId, JSON.stringify(rows)],
    );
  }

  /**
   * Hands run R (at `epoch`) to a worker, now or at `runAt`. With `table` dispatch the run row
   * already says when it is due: wake this process's worker (a timer for `runAt`), or, in a process
   * with no worker, NOTIFY the others.
   */
  private async enqueueAdvance(runId: string, epoch: number, runAt?: Date): Promise<unknown> {
    if (this.dispatch === 'table') {
      if (this.poller) this.poller.wake(runAt);
      else if (!runAt || runAt.getTime() <= Date.now() + 1_000) {
        await this.q('engine_notify_due', `select pg_notify('${RUNS_CHANNEL}', '')`, []);
      }
      return undefined;
    }
    return this.opts.queue.enqueue(
      RUNS_QUEUE,
      { runId },
      {
        // A timed wake-up has a key of its own: a wake-up before it (an approval decided, a sub-run
        // ended) must not be swallowed as its duplicate while it is still pending.
        idempotencyKey: runAt ? `run:${runId}:${epoch}:at` : `run:${runId}:${epoch}`,
        runAt,
        maxAttempts: 10,
        backoff: { baseMs: 500, maxMs: 30_000, jitter: 0.5 },
      },
    );
  }

  /** Resolves when the run reaches a final state (or never, if it does not in this process's life). */
  waitForRun(runId: string, timeoutMs: number): Promise<RunSummary | undefined> {
    return new Promise((resolve) => {
      const set = this.listeners.get(runId) ?? new Set();
      const done = (r: RunSummary | undefined) => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.listeners.delete(runId);
        resolve(r);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      set.add(done);
      this.listeners.set(runId, set);
    });
  }

  private notify(run: RunSummary) {
    for (const l of this.listeners.get(run.id) ?? []) l(run);
  }

  /** A run ended outside an execution (cancelled over the API while nobody held it): counted like one. */
  countFinished(status: 'succeeded' | 'failed' | 'cancelled'): void {
    this.opts.onRunFinished?.(status);
  }

  /** Runs this process is executing now (worker claims and inline runs): the busy-slots gauge. */
  get activeRuns(): number {
    return this.active.size;
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.active.add(p);
    void p.finally(() => this.active.delete(p)).catch(() => undefined);
    return p;
  }

  // ---------------------------------------------------------------- worker side

  /** A run was made due outside the engine (an approval decided): have a worker advance it. */
  runReady(runId: string, epoch: number): Promise<unknown> {
    return this.enqueueAdvance(runId, epoch);
  }

  /** Advances runs as they become due (the worker role): claims them, or consumes "advance" messages. */
  startWorker(opts: { concurrency?: number } = {}): void {
    if (this.consumer || this.poller) return;
    if (this.dispatch === 'table') {
      const poller = new RunPoller<ClaimedRun>({
        concurrency: opts.concurrency ?? 8,
        pollMs: this.opts.pollMs ?? 1_000,
        logger: this.opts.logger,
        claim: (n) => this.claimDue(n),
        release: (items) => this.releaseClaims(items),
        handle: (c) => this.track(this.execute(c.row, c.row.lease_epoch, c.attempts)),
      });
      this.poller = poller;
      this.unlisten = listenerFor(this.opts.db, this.opts.logger)(RUNS_CHANNEL, () => poller.wake()).catch(
        (err: unknown) => {
          this.opts.logger.warn({ err }, 'run notifications unavailable; polling only');
          return async () => undefined;
        },
      );
      poller.start();
      return;
    }
    this.consumer = this.opts.queue.consume<{ runId: string }>(
      RUNS_QUEUE,
      async (msg) => {
        await this.track(this.advance(msg.payload.runId));
      },
      { concurrency: opts.concurrency ?? 8, leaseMs: this.leaseMs },
    );
  }

  /**
   * The scheduler's sweep: live runs nobody holds (a dead worker's expired lease, a wake-up
   * whose message was lost) get an "advance" message again. Idempotent per lease epoch.
   */
  startSweeper(intervalMs = 2_000): void {
    if (this.sweeper || this.dispatch === 'table') return; // table dispatch: the claim finds them
    const sweep = async () => {
      try {
        const due = await this.q<{ id: string; lease_epoch: number }>(
          'engine_sweep',
          `select id, lease_epoch from runs
           where status in ('queued', 'running', 'waiting') and ${DUE} <= now()
             -- A queued run's message is normally still on its way: only one that sat a whole lease
             -- is presumed lost (re-sending sooner raced with workers finishing the run).
             and updated_at < now() - case when status = 'queued' and queued_reason is null
               then make_interval(secs => $1::double precision / 1000) else interval '1 second' end
           order by ${DUE}, created_at, id limit 500`,
          [this.leaseMs],
        );
        for (const r of due) await this.enqueueAdvance(r.id, r.lease_epoch);
      } catch (err) {
        this.opts.logger.warn({ err }, 'run sweep failed');
      }
    };
    this.sweeper = setInterval(() => void sweep(), intervalMs);
    this.sweeper.unref();
    void sweep();
  }

  async stop(opts: { timeoutMs?: number } = {}): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    await this.consumer?.close({ drain: true, timeoutMs: opts.timeoutMs ?? 10_000 });
    this.consumer = undefined;
    await this.poller?.close();
    this.poller = undefined;
    if (this.unlisten) await (await this.unlisten)().catch(() => undefined);
    this.unlisten = undefined;
    // Inline runs (webhooks) still executing: give them the same time, then leave them to the sweep.
    let t: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.active]),
      new Promise((r) => {
        t = setTimeout(r, opts.timeoutMs ?? 10_000);
      }),
    ]);
    if (t) clearTimeout(t);
  }

  /**
   * Takes the run's lease if it is free and due, then executes it. One statement claims the run,
   * ends attempts a lost worker left `running` (WORKER_LOST), and returns the run with the latest
   * attempt of every step. A queued run is claimed only below its workflow's `concurrency` and the
   * tenant's limit; otherwise it stays queued with the reason (a soft limit: workers claiming at
   * the same instant can each pass the check once).
   */
  async advance(runId: string): Promise<void> {
    const [claimed] = await this.q<RunRow & { attempts: AttemptRow[]; expired: boolean }>(
      'engine_claim',
      `with prev as (select status from runs where id = $1), claimed as (
         update runs set status = 'running', lease_owner = $2, lease_epoch = lease_epoch + 1,
           lease_until = now() + make_interval(secs => $3::double precision / 1000),
           started_at = coalesce(started_at, now()), wake_at = null, queued_reason = null, updated_at = now()
         where id = $1 and status in ('queued', 'running', 'waiting')
           and (lease_until is null or lease_until < now())
           and (wake_at is null or wake_at <= now())
           and (status <> 'queued' or (
             (select count(*) from runs r where r.workflow_id = runs.workflow_id and r.status = 'running') <
               coalesce((select (v.definition->'settings'->>'concurrency')::int from workflow_versions v
                         where v.workflow_id = runs.workflow_id and v.version = runs.version), 10)
             and (select count(*) from runs r where r.tenant_id = runs.tenant_id and r.status = 'running') < $4::int))
         returning id, tenant_id, workflow_id, version, status, input, lease_epoch, cancel_requested, started_at, created_at,
           parent_run_id, trigger_type, trace_context
       ), abandoned as (
         update step_attempts a set status = 'failed', finished_at = now(),
           error = jsonb_build_object('code', 'WORKER_LOST', 'message',
             'The worker running this step stopped (crashed or lost its lease); the step was retried.',
             'stepId', a.step_id)
         from claimed c where a.run_id = c.id and a.status = 'running' and a.lease_epoch < c.lease_epoch
         returning a.id
       ), att as (
         select distinct on (a.step_id) a.step_id, a.attempt,
           case when a.status = 'running' then 'failed' else a.status end as status,
           a.output, a.branch, a.error, a.wait_state, a.started_at
         from step_attempts a join claimed c on a.run_id = c.id
         where a.status <> 'compensated'
         order by a.step_id, a.attempt desc
       )
       select c.*, (select count(*) from abandoned)::int as abandoned,
         (select status from prev) = 'running' as expired,
         coalesce((select json_agg(att) from att), '[]'::json) as attempts
       from claimed c`,
      [runId, this.workerId, this.leaseMs, this.tenantConcurrency],
    );
    if (!claimed) {
      await this.recordQueuedReason(runId);
      return; // finished, held by someone else, not due yet, or held back by a concurrency limit
    }
    if (claimed.expired) this.opts.observer?.leaseExpired(1);
    await this.execute(claimed, claimed.lease_epoch, claimed.attempts);
  }

  /**
   * `table` dispatch: claims up to `n` due runs in one statement — queued runs in order (held back,
   * with the reason and a retry in 1 s, when their workflow's or tenant's concurrency limit is
   * reached: exact within one claim, since queued candidates are ranked per workflow and tenant),
   * woken ones, and live runs whose lease expired (their abandoned attempts become WORKER_LOST).
   */
  private async claimDue(n: number): Promise<{ items: ClaimedRun[]; nextDueMs?: number | undefined }> {
    const [res] = await this.q<{
      runs: { row: RunRow; attempts: AttemptRow[] }[];
      held: string[];
      expired: number;
      next_due_ms: number | null;
    }>('engine_claim_due', CLAIM_SQL, [this.workerId, this.leaseMs, n, this.tenantConcurrency]);
    if (res?.expired) this.opts.observer?.leaseExpired(Number(res.expired));
    for (const w of res?.held ?? []) this.heldBack.add(w);
    let nextDueMs = res?.next_due_ms === null || res?.next_due_ms === undefined ? undefined : res.next_due_ms + 1;
    if (res?.held.length) nextDueMs = Math.min(nextDueMs ?? 1_000, 1_000);
    return { items: res?.runs ?? [], nextDueMs };
  }

  /** Gives back runs claimed for this worker but never started (shutdown): due again at once. */
  private async releaseClaims(items: ClaimedRun[]): Promise<void> {
    await this.q(
      'engine_release_claims',
      `update runs set lease_until = now(), lease_owner = null, updated_at = now()
       where id = any($1::text[]) and lease_owner = $2 and status = 'running'`,
      [items.map((c) => c.row.id), this.workerId],
    ).catch((err: unknown) =>
      this.opts.logger.warn({ err }, 'could not release claimed runs; their leases will expire'),
    );
  }

  /** Makes a waiting run due now and hands it to a worker (a sub-run ended, an approval was decided). */
  async wakeRun(runId: string): Promise<void> {
    const [r] = await this.q<{ lease_epoch: number }>(
      'engine_wake_run',
      `update runs set wake_at = now(), updated_at = now() where id = $1 and status = 'waiting' returning lease_epoch`,
      [runId],
    );
    if (r) await this.enqueueAdvance(runId, r.lease_epoch);
  }

  /** Says why a queued run was not claimed, when a concurrency limit held it back. */
  private async recordQueuedReason(runId: string): Promise<void> {
    const rows = await this.q<{ workflow_id: string }>(
      'engine_queued_reason',
      `with r as (select id, workflow_id, tenant_id, version from runs where id = $1 and status = 'queued'),
       limits as (
         select r.id, r.workflow_id,
           (select count(*) from runs x where x.workflow_id = r.workflow_id and x.status = 'running') as wf_running,
           coalesce((select (v.definition->'settings'->>'concurrency')::int from workflow_versions v
                     where v.workflow_id = r.workflow_id and v.version = r.version), 10) as wf_limit,
           (select count(*) from runs x where x.tenant_id = r.tenant_id and x.status = 'running') as tenant_running
         from r)
       update runs set updated_at = now(), queued_reason = case
           when l.wf_running >= l.wf_limit then 'Waiting: the workflow''s concurrency limit (' || l.wf_limit || ') is reached.'
           else 'Waiting: the tenant''s limit of ' || $2::int || ' running runs is reached.' end
       from limits l
       where runs.id = l.id and (l.wf_running >= l.wf_limit or l.tenant_running >= $2::int)
       returning runs.workflow_id`,
      [runId, this.tenantConcurrency],
    );
    for (const r of rows) this.heldBack.add(r.workflow_id);
  }

  /** After a run of a held-back workflow ends or parks, the oldest queued one gets a turn now. */
  /** @internal */ async wakeQueued(workflowId: string): Promise<void> {
    if (!this.heldBack.has(workflowId)) return;
    if (this.dispatch === 'table') {
      // Held-back runs wait with a wake-up 1 s out: make the workflow's due now.
      const rows = await this.q<{ id: string }>(
        'engine_unhold',
        `update runs set wake_at = null, updated_at = now()
         where workflow_id = $1 and status = 'queued' and wake_at is not null returning id`,
        [workflowId],
      );
      if (rows.length === 0) this.heldBack.delete(workflowId);
      else this.poller?.wake();
      return;
    }
    const [next] = await this.q<{ id: string; lease_epoch: number }>(
      'engine_next_queued',
      `select id, lease_epoch from runs where workflow_id = $1 and status = 'queued'
       order by created_at, id limit 1`,
      [workflowId],
    );
    if (!next) {
      this.heldBack.delete(workflowId);
      return;
    }
    await this.enqueueAdvance(next.id, next.lease_epoch);
  }

  /** Every step of the plan is pure (transform, condition, switch…): nothing it does leaves the run. */
  private pureOnly(plan: ExecutionPlan): boolean {
    let known = pureOnlyPlans.get(plan);
    if (known === undefined) {
      known = [...plan.steps.values()].every((step) => this.opts.registry.get(step.type)?.pure === true);
      pureOnlyPlans.set(plan, known);
    }
    return known;
  }

  private async plan(workflowId: string, version: number) {
    const key = `${workflowId}@${version}`;
    let compiled = this.plans.get(key);
    if (!compiled) {
      const [v] = await this.q<{ definition: WorkflowDefinition }>(
        'engine_load_version',
        `select definition from workflow_versions where workflow_id = $1 and version = $2`,
        [workflowId, version],
      );
      if (!v) throw new Error(`workflow ${workflowId} version ${version} is missing`);
      compiled = { definition: v.definition, plan: compilePlan(v.definition) };
      this.plans.set(key, compiled);
    }
    return compiled;
  }

  private async execute(row: RunRow, epoch: number, attempts: AttemptRow[]): Promise<RunSummary> {
    const compiled = await this.plan(row.workflow_id, row.version);
    return this.executeLoaded({ row, epoch, ...compiled }, attempts);
  }

  /** An inline run this process just created (and holds): nothing to load but its attempts, if carried over. */
  private async executeInline(row: RunRow, carriedOver: boolean): Promise<RunSummary> {
    const attempts = carriedOver
      ? await this.q<AttemptRow>(
          'engine_load_attempts',
          `select distinct on (step_id) step_id, attempt, status, output, branch, error, wait_state, started_at
           from step_attempts where run_id = $1 and status <> 'compensated'
           order by step_id, attempt desc`,
          [row.id],
        )
      : [];
    return this.execute(row, row.lease_epoch, attempts);
  }

  /**
   * One pass over a run, in a span that continues the trace of whatever started the run (the
   * webhook's request, the parent run's step, the schedule's tick), in whichever process.
   */
  private executeLoaded(run: LoadedRun, attempts: AttemptRow[]): Promise<RunSummary> {
    const row = run.row;
    return inSpan(
      'run',
      {
        kind: SpanKind.CONSUMER,
        parent: row.trace_context ? restoreTraceContext(row.trace_context) : context.active(),
        attributes: {
          'switchyard.run.id': row.id,
          'switchyard.workflow.id': row.workflow_id,
          'switchyard.workflow.version': row.version,
          'switchyard.tenant.id': row.tenant_id,
          'switchyard.run.trigger': row.trigger_type,
          'switchyard.run.pass': run.epoch,
        },
      },
      async (span) => {
        const summary = await this.executePass(run, attempts);
        span.setAttribute('switchyard.run.status', summary.status);
        if (summary.status === 'failed')
          span.setStatus({ code: SpanStatusCode.ERROR, message: errorCode(summary.error) });
        return summary;
      },
    );
  }

  private async executePass(run: LoadedRun, attempts: AttemptRow[]): Promise<RunSummary> {
    const runId = run.row.id;
    const epoch = run.epoch;
    try {
      const summary = await new RunExecution(this, run, attempts).execute();
      if (summary.status === 'succeeded' || summary.status === 'failed' || summary.status === 'cancelled') {
        this.opts.onRunFinished?.(summary.status, runEndInfo(run.row));
        this.notify(summary);
      }
      return summary;
    } catch (err) {
      if (err instanceof RunCancelled) {
        const summary = {
          id: runId,
          status: 'cancelled',
          output: null,
          error: { code: 'RUN_CANCELLED', message: 'Cancelled.' },
        };
        this.opts.onRunFinished?.('cancelled', runEndInfo(run.row));
        this.notify(summary);
        if (run.row.parent_run_id) await this.wakeRun(run.row.parent_run_id);
        return summary;
      }
      if (err instanceof LeaseLost) {
        this.opts.logger.warn({ runId, epoch }, 'lease lost; another worker owns this run now');
        return { id: runId, status: 'unknown', output: null, error: null };
      }
      throw err;
    }
  }

  // ---------------------------------------------------------------- shared with RunExecution
}

/** One pass over a run, while we hold its lease. */
class RunExecution {
  private readonly state = new Map<string, StepState>();
  private readonly attempts = new Map<string, AttemptRow>();
  private readonly outputs: Record<string, { output: unknown }> = {};
  private pending: AttemptWrite[] = [];
  private readonly scope: RunScope;

  constructor(
    private readonly engine: Engine,
    private readonly run: LoadedRun,
    private readonly loaded: AttemptRow[],
  ) {
    this.scope = {
      trigger: run.row.input,
      steps: this.outputs,
      run: {
        id: run.row.id,
        workflowId: run.row.workflow_id,
        version: run.row.version,
        startedAt: iso(run.row.started_at) ?? new Date().toISOString(),
      },
    };
  }

  private get e() {
    return this.engine.ctx;
  }

  async execute(): Promise<RunSummary> {
    this.loadAttempts();
    await this.resolveSubRuns();
    if (this.run.row.cancel_requested)
      return this.finish('cancelled', null, { code: 'RUN_CANCELLED', message: 'Cancelled.' });
    const timeoutMs = this.run.definition.settings.timeoutMs;
    for (;;) {
      if (timeoutMs && Date.now() - Date.parse(this.scope.run.startedAt) > timeoutMs) {
        return this.fail({ code: 'RUN_TIMEOUT', message: `The run exceeded its ${timeoutMs} ms timeout.` });
      }
      const { ready, skip, passThrough } = nextSteps(this.run.plan, this.state);
      for (const id of skip) this.markSkipped(id);
      for (const id of passThrough) {
        const now = new Date().toISOString();
        const type = this.run.plan.steps.get(id)?.type ?? 'unknown';
        this.succeed(id, type, (this.attempts.get(id)?.attempt ?? 0) + 1, { kind: 'done', output: null }, now, [
          { level: 'info', message: 'step disabled: passed through', at: now },
        ]);
      }
      if (ready.length === 0 && (skip.length || passThrough.length)) continue;
      if (ready.length === 0) {
        if (isComplete(this.run.plan, this.state)) return this.finish('succeeded', this.runOutput(), null);
        return this.park();
      }
      // Pure steps first (no I/O), then the rest concurrently.
      const pure = ready.filter((id) => this.kindOf(id).pure);
      const effectful = ready.filter((id) => !this.kindOf(id).pure);
      for (const id of pure) {
        const outcome = await this.runPure(id);
        if (outcome) return outcome;
      }
      // One at a time: parallel branches with side effects run in turn (a loop step bounds its own
      // concurrency), so every commit sees one consistent state.
      for (const id of effectful) {
        const outcome = await this.runEffectful(id);
        if (outcome) return outcome;
      }
    }
  }

  private kindOf(stepId: string): StepKind {
    const step = this.run.plan.steps.get(stepId);
    const kind = step && this.e.opts.registry.get(step.type);
    if (!step || !kind) throw new Error(`step ${stepId} has an unknown kind`);
    return kind;
  }

  private loadAttempts() {
    const rows = this.loaded;
    for (const a of rows) {
      this.attempts.set(a.step_id, a);
      if (a.status === 'succeeded') {
        this.state.set(a.step_id, { status: 'done', branch: a.branch ?? undefined });
        this.outputs[a.step_id] = { output: a.output };
      } else if (a.status === 'skipped') {
        this.state.set(a.step_id, { status: 'skipped' });
      } else if (a.status === 'waiting') {
        // Resolved (delay passed, approval decided): ready to complete; otherwise still waiting.
        this.state.set(a.step_id, { status: resolveWait(a) ? 'pending' : 'waiting' });
      } else {
        // failed (to be retried) or running (a crash mid-step): pending again.
        this.state.set(a.step_id, { status: 'pending' });
      }
    }
    for (const id of this.run.plan.order) if (!this.state.has(id)) this.state.set(id, { status: 'pending' });
  }

  /** A step waiting for a sub-run completes when that run has ended: its row is the truth. */
  private async resolveSubRuns(): Promise<void> {
    const waiting = [...this.attempts.values()].filter(
      (a) => a.status === 'waiting' && (a.wait_state as { waitFor?: string } | null)?.waitFor === 'subworkflow',
    );
    for (const a of waiting) {
      const w = a.wait_state as { state?: { childRunId?: string }; resolution?: unknown };
      const childId = w.state?.childRunId;
      if (!childId) continue;
      const [child] = await this.e.q<{
        status: string;
        output: unknown;
        error: { code?: string; message?: string } | null;
      }>('engine_child_run', `select status, output, error from runs where id = $1`, [childId]);
      if (!child || !['succeeded', 'failed', 'cancelled'].includes(child.status)) continue;
      w.resolution =
        child.status === 'succeeded'
          ? { output: child.output }
          : {
              error: {
                code: 'SUBWORKFLOW_FAILED',
                message: `The sub-workflow run ${childId} ${child.status}: ${child.error?.message ?? ''}`.trim(),
              },
            };
      this.state.set(a.step_id, { status: 'pending' });
    }
  }

  private markSkipped(stepId: string) {
    const step = this.run.plan.steps.get(stepId);
    const now = new Date().toISOString();
    this.state.set(stepId, { status: 'skipped' });
    this.pending.push({
      id: newId('sat'),
      step_id: stepId,
      attempt: (this.attempts.get(stepId)?.attempt ?? 0) + 1,
      status: 'skipped',
      step_type: step?.type ?? 'unknown',
      output: null,
      error: null,
      branch: null,
      wait_state: null,
      logs: null,
      started_at: now,
      finished_at: now,
    });
  }

  private stepContext(stepId: string, attempt: number, signal: AbortSignal, logs: unknown[]): StepContext {
    const scope = this.scope;
    return {
      tenantId: this.run.row.tenant_id,
      runId: this.run.row.id,
      stepId,
      attempt,
      scope,
      signal,
      log: (level, message, data) => {
        if (logs.length < 200)
          logs.push({ level, message: message.slice(0, 2000), data, at: new Date().toISOString() });
      },
      evaluate: (expression, extra) => evaluate(expression, extra ? { ...scope, ...extra } : scope),
      render: (value) => render(value, scope),
      services: {
        ...(this.e.opts.services ?? {}),
        startSubRun: this.e.startRun,
        registry: this.e.opts.registry,
        db: this.e.opts.db,
        queue: this.e.opts.queue,
        renderWith: (value: unknown, s: RunScope) => render(value, s),
      },
    };
  }

  /** A step attempt's span (`step <kind>`), a child of the run's; ends with the attempt's outcome. */
  private stepSpan<O extends StepOutcome>(step: PlanStep, attempt: number, fn: () => Promise<O>): Promise<O> {
    return inSpan(
      `step ${step.type}`,
      {
        attributes: {
          'switchyard.step.id': step.id,
          'switchyard.step.type': step.type,
          'switchyard.step.attempt': attempt,
          'switchyard.run.id': this.run.row.id,
        },
      },
      async (span) => {
        const started = performance.now();
        const observer = this.e.opts.observer;
        try {
          const outcome = await fn();
          const result = outcome.kind === 'wait' ? 'waiting' : 'succeeded';
          span.setAttribute('switchyard.step.outcome', result);
          observer?.stepAttempt(step.type, result, (performance.now() - started) / 1000);
          return outcome;
        } catch (err) {
          const result = err instanceof LeaseLost || err instanceof RunCancelled ? 'interrupted' : 'failed';
          span.setAttribute('switchyard.step.outcome', result);
          observer?.stepAttempt(step.type, result, (performance.now() - started) / 1000);
          throw err;
        }
      },
    );
  }

  private checkOutput(output: unknown): void {
    const size = Buffer.byteLength(JSON.stringify(output ?? null));
    if (size > this.e.maxOutputBytes) {
      throw new StepPermanentError(
        `The step's output is ${size} bytes, over the ${this.e.maxOutputBytes}-byte limit.`,
        'STEP_OUTPUT_TOO_LARGE',
      );
    }
  }

  /** A pure step: computed in memory; its row waits for the next write. */
  private async runPure(stepId: string): Promise<RunSummary | undefined> {
    const step = this.run.plan.steps.get(stepId);
    if (!step) throw new Error(`unknown step ${stepId}`);
    const kind = this.kindOf(stepId);
    const attempt = (this.attempts.get(stepId)?.attempt ?? 0) + 1;
    const started = new Date().toISOString();
    const logs: unknown[] = [];
    try {
      const config = configOf(kind, step);
      const outcome = await this.stepSpan(step, attempt, async () => {
        const o = await kind.execute(config, this.stepContext(stepId, attempt, new AbortController().signal, logs));
        if (o.kind !== 'done') throw new StepPermanentError('A pure step cannot wait.', 'STEP_INVALID_OUTCOME');
        this.checkOutput(o.output);
        return o as Extract<StepOutcome, { kind: 'done' }>;
      });
      this.succeed(stepId, step.type, attempt, outcome, started, logs);
      return undefined;
    } catch (err) {
      // Deterministic: retrying would fail the same way.
      this.pending.push(this.failedRow(stepId, step.type, attempt, err, started, logs));
      return this.fail(errorOf(err, stepId));
    }
  }

  private succeed(
    stepId: string,
    type: string,
    attempt: number,
    outcome: Extract<StepOutcome, { kind: 'done' }>,
    started: string,
    logs: unknown[],
  ) {
    this.state.set(stepId, { status: 'done', branch: outcome.branch });
    this.outputs[stepId] = { output: outcome.output };
    this.pending.push({
      id: newId('sat'),
      step_id: stepId,
      attempt,
      status: 'succeeded',
      step_type: type,
      output: outcome.output ?? null,
      error: null,
      branch: outcome.branch ?? null,
      wait_state: null,
      logs: logs.length ? logs : null,
      started_at: started,
      finished_at: new Date().toISOString(),
    });
  }

  private failedRow(
    stepId: string,
    type: string,
    attempt: number,
    err: unknown,
    started: string,
    logs: unknown[],
  ): AttemptWrite {
    return {
      id: newId('sat'),
      step_id: stepId,
      attempt,
      status: 'failed',
      step_type: type,
      output: null,
      error: errorOf(err, stepId),
      branch: null,
      wait_state: null,
      logs: logs.length ? logs : null,
      started_at: started,
      finished_at: new Date().toISOString(),
    };
  }

  /** A step with side effects: checkpoint `running`, execute, commit its result. */
  private async runEffectful(stepId: string): Promise<RunSummary | undefined> {
    const step = this.run.plan.steps.get(stepId);
    if (!step) throw new Error(`unknown step ${stepId}`);
    const kind = this.kindOf(stepId);
    const previous = this.attempts.get(stepId);

    // A waiting step whose wait is over (a delay) or was resolved (an approval) completes now.
    if (previous?.status === 'waiting') {
      const resolved = resolveWait(previous);
      if (!resolved) return this.park(); // not reached: unresolved waits are not ready
      if (resolved.kind === 'failed') {
        this.pending.push(
          this.failedRow(stepId, step.type, previous.attempt, resolved.error, iso(previous.started_at) ?? '', []),
        );
        return this.fail(errorOf(resolved.error, stepId));
      }
      this.succeed(
        stepId,
        step.type,
        previous.attempt,
        { kind: 'done', output: resolved.output, branch: resolved.branch },
        iso(previous.started_at) ?? new Date().toISOString(),
        [],
      );
      return undefined;
    }

    const attempt = (previous?.attempt ?? 0) + 1;
    const started = new Date().toISOString();
    const running: AttemptWrite = {
      id: newId('sat'),
      step_id: stepId,
      attempt,
      status: 'running',
      step_type: step.type,
      output: null,
      error: null,
      branch: null,
      wait_state: null,
      logs: null,
      started_at: started,
      finished_at: null,
    };
    this.pending.push(running);
    await this.commit({ kind: 'progress' });

    const logs: unknown[] = [];
    const timeoutMs = step.policy.timeoutMs;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error(`step timed out after ${timeoutMs} ms`)), timeoutMs);
    // Keep the lease alive while a long step runs.
    const heartbeat = setInterval(
      () => void this.commit({ kind: 'progress' }).catch((err: unknown) => abort.abort(err)),
      Math.max(100, Math.floor(this.e.leaseMs / 3)),
    );
    let outcome: StepOutcome;
    try {
      const config = configOf(kind, step);
      outcome = await this.stepSpan(step, attempt, async () => {
        const o = await raceAbort(
          kind.execute(config, this.stepContext(stepId, attempt, abort.signal, logs)),
          abort.signal,
        );
        if (o.kind === 'done') this.checkOutput(o.output);
        return o;
      });
    } catch (err) {
      clearTimeout(timer);
      clearInterval(heartbeat);
      if (err instanceof LeaseLost || err instanceof RunCancelled) throw err;
      return this.stepFailed(stepId, step, attempt, err, started, logs);
    }
    clearTimeout(timer);
    clearInterval(heartbeat);

    if (outcome.kind === 'wait') {
      this.pending.push({
        ...running,
        status: 'waiting',
        wait_state: {
          until: outcome.until?.toISOString() ?? null,
          waitFor: outcome.waitFor ?? null,
          state: outcome.state ?? null,
        },
        logs: logs.length ? logs : null,
      });
      this.attempts.set(stepId, {
        step_id: stepId,
        attempt,
        status: 'waiting',
        output: null,
        branch: null,
        error: null,
        wait_state: { until: outcome.until?.toISOString() ?? null, waitFor: outcome.waitFor ?? null },
        started_at: started,
      });
      this.state.set(stepId, { status: 'waiting' });
      return undefined;
    }
    // Same (run, step, attempt) as the `running` row: the commit turns that row into the result.
    this.succeed(stepId, step.type, attempt, outcome, started, logs);
    return undefined;
  }

  private async stepFailed(
    stepId: string,
    step: PlanStep,
    attempt: number,
    err: unknown,
    started: string,
    logs: unknown[],
  ): Promise<RunSummary> {
    const retry = step.policy.retry;
    const maxAttempts = retry.maxAttempts;
    const permanent = err instanceof StepPermanentError;
    const row = this.failedRow(stepId, step.type, attempt, err, started, logs);
    this.pending.push(row);
    this.state.set(stepId, { status: 'failed' });
    if (!permanent && attempt < maxAttempts) {
      this.e.opts.observer?.stepRetry(step.type);
      const delay = backoffDelay({ baseMs: retry.backoffMs, maxMs: retry.maxBackoffMs, jitter: 0.5 }, attempt + 1);
      const wakeAt = new Date(Date.now() + delay);
      await this.commit({ kind: 'park', status: 'waiting', wakeAt });
      await this.e.enqueueAdvance(this.run.row.id, this.run.epoch, wakeAt);
      return { id: this.run.row.id, status: 'waiting', output: null, error: null };
    }
    return this.fail(errorOf(err, stepId));
  }

  /** Nothing ready and not complete: some step waits. Sleep until the earliest timed wake-up. */
  private async park(): Promise<RunSummary> {
    let wakeAt: Date | null = null;
    let external = false;
    for (const [id, s] of this.state) {
      if (s.status !== 'waiting') continue;
      const w = (this.attempts.get(id)?.wait_state ?? {}) as { until?: string | null };
      if (w.until) {
        const t = new Date(w.until);
        if (!wakeAt || t < wakeAt) wakeAt = t;
      } else external = true;
    }
    // An external wait (approval) with no timed one: wake only when resolved (the API sets wake_at).
    const until = wakeAt ?? (external ? new Date('9999-12-31T00:00:00Z') : new Date(Date.now() + 1_000));
    await this.commit({ kind: 'park', status: 'waiting', wakeAt: until });
    if (wakeAt) await this.e.enqueueAdvance(this.run.row.id, this.run.epoch, wakeAt);
    // A sub-run that ended before we parked could not wake us: look once more.
    const children = [...this.attempts.values()]
      .map((a) =>
        a.status === 'waiting'
          ? (a.wait_state as { state?: { childRunId?: string } } | null)?.state?.childRunId
          : undefined,
      )
      .filter((id): id is string => Boolean(id));
    if (children.length) {
      const [ended] = await this.e.q<{ n: number }>(
        'engine_children_ended',
        `select count(*)::int as n from runs where id = any($1::text[]) and status in ('succeeded', 'failed', 'cancelled')`,
        [children],
      );
      if (ended?.n) await this.e.wakeRun(this.run.row.id);
    }
    return { id: this.run.row.id, status: 'waiting', output: null, error: null };
  }

  private runOutput(): unknown {
    const respond =
      this.run.definition.trigger.type === 'webhook'
        ? (this.run.definition.trigger.config as { responseStep?: string }).responseStep
        : undefined;
    if (respond && this.outputs[respond]) return this.outputs[respond].output;
    const leaves = this.run.plan.leaves.filter((id) => this.outputs[id]);
    if (leaves.length === 1 && leaves[0]) return this.outputs[leaves[0]]?.output ?? null;
    return Object.fromEntries(leaves.map((id) => [id, this.outputs[id]?.output ?? null]));
  }

  private async fail(error: { code: string; message: string; stepId?: string }): Promise<RunSummary> {
    await this.compensate();
    const summary = await this.finish('failed', null, error);
    const errorWorkflowId = this.run.definition.settings.errorWorkflowId;
    if (errorWorkflowId) {
      await this.e
        .startRun({
          tenantId: this.run.row.tenant_id,
          workflowId: errorWorkflowId,
          triggerType: 'error',
          input: { failedRun: { id: this.run.row.id, workflowId: this.run.row.workflow_id, error } },
          idempotencyKey: `error-of:${this.run.row.id}`,
        })
        .catch((err: unknown) =>
          this.e.opts.logger.warn({ err, runId: this.run.row.id }, 'error workflow did not start'),
        );
    }
    return summary;
  }

  /** Saga: undo completed steps that can be undone, newest first. Best effort, recorded. */
  private async compensate(): Promise<void> {
    const done = this.run.plan.order.filter((id) => this.state.get(id)?.status === 'done').reverse();
    for (const id of done) {
      const step = this.run.plan.steps.get(id);
      const kind = step && this.e.opts.registry.get(step.type);
      if (!step || !kind?.compensate) continue;
      const logs: unknown[] = [];
      const started = new Date().toISOString();
      let error: unknown = null;
      try {
        await kind.compensate(
          configOf(kind, step),
          this.stepContext(id, 0, new AbortController().signal, logs),
          this.outputs[id]?.output,
        );
      } catch (err) {
        error = errorOf(err, id);
      }
      this.pending.push({
        id: newId('sat'),
        step_id: id,
        attempt: (this.attempts.get(id)?.attempt ?? 1) + 1000,
        status: 'compensated',
        step_type: step.type,
        output: null,
        error,
        branch: null,
        wait_state: null,
        logs: logs.length ? logs : null,
        started_at: started,
        finished_at: new Date().toISOString(),
      });
    }
  }

  private async finish(
    status: 'succeeded' | 'failed' | 'cancelled',
    output: unknown,
    error: unknown,
  ): Promise<RunSummary> {
    await this.commit({ kind: 'finish', status, output, error });
    // A sub-run wakes the run waiting for it.
    if (this.run.row.parent_run_id) await this.e.wakeRun(this.run.row.parent_run_id);
    await this.e.opts
      .onRunEnded?.({
        id: this.run.row.id,
        tenantId: this.run.row.tenant_id,
        workflowId: this.run.row.workflow_id,
        status,
        triggerType: this.run.row.trigger_type,
        error,
      })
      .catch((err: unknown) => this.e.opts.logger.warn({ err, runId: this.run.row.id }, 'run-ended hook failed'));
    return { id: this.run.row.id, status, output, error };
  }

  /** A deferred inline run's only write: the run, finished, with its attempts (see `deferredInsert`). */
  private async insertFinished(input: StartRunInput, update: Extract<RunUpdate, { kind: 'finish' }>): Promise<void> {
    const rows = this.pending;
    this.pending = [];
    const [res] = await this.e.q<{ ok: number }>(
      'engine_insert_finished',
      `with wf as (
         select id from workflows where id = $2 and tenant_id = $3
           and ($10::text is null or (webhook_key = $10 and active and current_version = $4::int
             and webhook_secret is not distinct from $11::text))
       ), r as (
         insert into runs (id, tenant_id, workflow_id, version, status, trigger_type, input, output, error,
           lease_owner, lease_epoch, lease_until, started_at, finished_at, trace_context)
         select $1, $3, wf.id, $4::int, $5, $6, $7::jsonb, $8::jsonb, $9::jsonb, null, 1, null, $12::timestamptz, now(), $15
         from wf
         returning id, tenant_id
       ), w as (
         insert into step_attempts (id, tenant_id, run_id, step_id, attempt, status, step_type, output, error, branch,
           wait_state, logs, worker_id, lease_epoch, started_at, finished_at)
         select x.id, r.tenant_id, r.id, x.step_id, x.attempt, x.status, x.step_type, x.output, x.error, x.branch,
           x.wait_state, x.logs, $13, 1, x.started_at, x.finished_at
         from r, jsonb_to_recordset($14::jsonb) as x(id text, step_id text, attempt int, status text, step_type text,
           output jsonb, error jsonb, branch text, wait_state jsonb, logs jsonb, started_at timestamptz, finished_at timestamptz)
         returning 1
       )
       select count(*)::int as ok from r`,
      [
        this.run.row.id,
        input.workflowId,
        input.tenantId,
        this.run.row.version,
        update.status,
        input.triggerType,
        JSON.stringify(input.input ?? null),
        JSON.stringify(update.output ?? null),
        JSON.stringify(update.error ?? null),
        input.webhookGuard?.key ?? null,
        input.webhookGuard?.sealedSecret ?? null,
        this.scope.run.startedAt,
        this.e.workerId,
        JSON.stringify(rows),
        this.run.row.trace_context ?? null,
      ],
    );
    if (res?.ok !== 1) {
      if (input.webhookGuard) throw new TriggerChanged('the workflow changed since its trigger was checked');
      throw new Error(`workflow ${input.workflowId} not found in tenant`);
    }
  }

  /**
   * Writes pending attempt rows and the run's new state in one statement, fenced by the lease
   * epoch (and renewing the lease); a run's end goes through `finishRun` (written with others).
   * Throws LeaseLost when the run is no longer ours; finishes the run as cancelled when a cancel
   * was requested meanwhile.
   */
  private async commit(update: RunUpdate): Promise<void> {
    if (this.run.deferredInsert) {
      const input = this.run.deferredInsert;
      this.run.deferredInsert = undefined;
      if (update.kind === 'finish') return this.insertFinished(input, update);
      // It has to wait or checkpoint after all: record it as running first, then go on as usual.
      await this.e.startRun({
        ...input,
        inline: true,
        recordOnly: { runId: this.run.row.id, traceContext: this.run.row.trace_context },
      });
    }
    const rows = this.pending;
    this.pending = [];
    if (update.kind === 'finish') {
      const ok = await this.e.finishRun({
        id: this.run.row.id,
        epoch: this.run.epoch,
        status: update.status,
        output: update.output ?? null,
        error: update.error ?? null,
        attempts: rows,
      });
      if (!ok) throw new LeaseLost(`run ${this.run.row.id} is no longer ours (epoch ${this.run.epoch})`);
      await this.e.wakeQueued(this.run.row.workflow_id);
      return;
    }
    const status = update.kind === 'park' ? update.status : null;
    const release = update.kind !== 'progress';
    const [res] = await this.e.q<{ ok: number; cancel: boolean | null }>(
      'engine_commit',
      `with r as (
         update runs set
           status = coalesce($4::text, status),
           wake_at = $5::timestamptz,
           lease_until = case when $6::boolean then null else now() + make_interval(secs => $7::double precision / 1000) end,
           lease_owner = case when $6::boolean then null else lease_owner end,
           updated_at = now()
         where id = $1 and lease_epoch = $2 and lease_owner = $3 and status = 'running' and not cancel_requested
         returning id, tenant_id
       ), w as (
         insert into step_attempts (id, tenant_id, run_id, step_id, attempt, status, step_type, output, error, branch,
           wait_state, logs, worker_id, lease_epoch, started_at, finished_at)
         select x.id, r.tenant_id, r.id, x.step_id, x.attempt, x.status, x.step_type, x.output, x.error, x.branch,
           x.wait_state, x.logs, $3, $2, x.started_at, x.finished_at
         from r, jsonb_to_recordset($8::jsonb) as x(id text, step_id text, attempt int, status text, step_type text,
           output jsonb, error jsonb, branch text, wait_state jsonb, logs jsonb, started_at timestamptz, finished_at timestamptz)
         on conflict (run_id, step_id, attempt) do update set status = excluded.status, output = excluded.output,
           error = excluded.error, branch = excluded.branch, wait_state = excluded.wait_state, logs = excluded.logs,
           finished_at = excluded.finished_at
         returning 1
       )
       select (select count(*)::int from r) as ok,
              (select cancel_requested from runs where id = $1 and not exists (select 1 from r)) as cancel`,
      [
        this.run.row.id,
        this.run.epoch,
        this.e.workerId,
        status,
        update.kind === 'park' ? (update.wakeAt?.toISOString() ?? null) : null,
        release,
        this.e.leaseMs,
        JSON.stringify(rows),
      ],
    );
    if (res?.ok === 1) {
      if (release) await this.e.wakeQueued(this.run.row.workflow_id);
      return;
    }
    if (res?.cancel) {
      // Cancelled while we worked: record what we have and stop.
      this.pending = rows;
      const [again] = await this.e.q<{ ok: number }>(
        'engine_cancel_finish',
        `with r as (update runs set status = 'cancelled', finished_at = now(), lease_owner = null, lease_until = null,
             error = '{"code":"RUN_CANCELLED","message":"Cancelled."}'::jsonb, updated_at = now()
           where id = $1 and lease_epoch = $2 and lease_owner = $3 and status = 'running' returning id, tenant_id)
         select count(*)::int as ok from r`,
        [this.run.row.id, this.run.epoch, this.e.workerId],
      );
      if (again?.ok) throw new RunCancelled('run cancelled');
      throw new LeaseLost('run is no longer ours');
    }
    throw new LeaseLost(`run ${this.run.row.id} is no longer ours (epoch ${this.run.epoch})`);
  }
}

/** What the finished-runs metrics record of a run that ends in this pass. */
function runEndInfo(row: RunRow): { triggerType: string; seconds: number } {
  const started = new Date(row.started_at ?? row.created_at).getTime();
  return { triggerType: row.trigger_type, seconds: (Date.now() - started) / 1000 };
}

/** A run error's code, for a span's status message. */
function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'failed';
}

function errorOf(err: unknown, stepId: string): { code: string; message: string; stepId: string; details?: unknown } {
  if (err instanceof StepPermanentError) {
    return { code: err.code, message: err.message, stepId, ...(err.details ? { details: err.details } : {}) };
  }
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' && /^[A-Z][A-Z0-9_]{2,60}$/.test(e.code) ? e.code : 'STEP_FAILED';
  const message = typeof e?.message === 'string' ? e.message.slice(0, 2000) : String(err).slice(0, 2000);
  return { code, message, stepId };
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** A waiting attempt's resolution: a passed delay, or the decision an approval recorded. */
function resolveWait(
  a: AttemptRow,
): { kind: 'done'; output: unknown; branch?: string } | { kind: 'failed'; error: unknown } | undefined {
  const w = (a.wait_state ?? {}) as {
    until?: string | null;
    waitFor?: string | null;
    resolution?: { output?: unknown; branch?: string; error?: { code: string; message: string } };
  };
  if (w.resolution) {
    if (w.resolution.error)
      return { kind: 'failed', error: new StepPermanentError(w.resolution.error.message, w.resolution.error.code) };
    return {
      kind: 'done',
      output: w.resolution.output ?? null,
      ...(w.resolution.branch ? { branch: w.resolution.branch } : {}),
    };
  }
  if (w.until && Date.parse(w.until) <= Date.now()) {
    if (w.waitFor === 'approval') {
      return {
        kind: 'failed',
        error: new StepPermanentError('Nobody decided before the approval expired.', 'APPROVAL_EXPIRED'),
      };
    }
    if (!w.waitFor) return { kind: 'done', output: { waitedUntil: w.until } };
  }
  return undefined;
}
