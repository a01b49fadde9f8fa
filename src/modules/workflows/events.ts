import type { Logger } from 'pino';
import type { Database } from '../../platform/db/database.ts';
import { rawQuery } from '../../platform/db/raw-query.ts';
import { newId } from '../../platform/ids.ts';
import type { Engine } from './engine.ts';
import { evaluate, truthy } from './expressions.ts';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { restoreTraceContext } from '../../platform/telemetry/tracing.ts';

/**
 * Event triggers. Item events come from the audit log, which every mutation writes in its own
 * transaction — the log is the outbox. The relay (scheduler role) reads it in id order from a
 * stored cursor and starts a run of every active workflow of that tenant listening for the event,
 * with the audit entry's id as idempotency key: several schedulers, or a relay that re-reads after
 * a crash, start each run once. Entries are read once they are a second old, so a transaction
 * that committed a little after a later one is not skipped.
 *
 * `job.failed` comes from the audit log too: the job worker audits a job that failed for good in
 * the transaction that marks it failed. So does `insight.raised`: the insights pass audits each new
 * insight in the transaction that stores it. An insight about a workflow never starts that same
 * workflow (its own runs would feed the next insight about it).
 *
 * Run events (`run.completed`, `run.failed`) are raised by the engine when a run ends, and
 * `job.succeeded` by the job worker when a job succeeds, in the process that recorded the outcome
 * (at most once: a crash between that commit and the start is not replayed). A run started by an
 * event raises no run event, and the jobs it creates raise no job event, so workflows cannot loop.
 */

/** Events read from the audit log: the action of the entry is the event's type. */
export const AUDIT_EVENTS = ['item.created', 'item.updated', 'item.deleted', 'job.failed', 'insight.raised'] as const;
const SUBSCRIPTIONS_TTL_MS = 2_000;

interface Subscription {
  workflowId: string;
  tenantId: string;
  event: string;
  filter: string | null;
  /** Events from before the workflow was (last) activated or changed do not start it. */
  since: number;
}

/** What the job worker audits about a job that ended (see jobs/worker.ts). */
interface JobAudit {
  type?: string;
  status?: string;
  attempts?: number;
  error?: unknown;
  createdBy?: string;
}

const jobEvent = (type: string, jobId: string, job: JobAudit, at: Date) => ({
  type,
  jobId,
  jobType: job.type ?? null,
  status: job.status ?? null,
  attempts: job.attempts ?? null,
  error: job.error ?? null,
  createdBy: job.createdBy ?? null,
  at: at.toISOString(),
});

/** What the insights pass audits about a new insight (see insights/insights.service.ts). */
const insightOf = (row: AuditEvent) => {
  const i = (row.changes?.after ?? {}) as Record<string, unknown>;
  return {
    workflowId: i.workflowId ?? null,
    kind: i.kind ?? null,
    severity: i.severity ?? null,
    title: i.title ?? null,
    details: i.details ?? null,
    windowStart: i.windowStart ?? null,
    windowEnd: i.windowEnd ?? null,
    at: new Date(row.created_at).toISOString(),
  };
};

interface AuditEvent {
  id: string;
  tenant_id: string;
  action: string;
  target_id: string;
  changes: { before: unknown; after: unknown } | null;
  created_at: Date | string;
  trace_context: string | null;
}

export class EventRelay {
  private subs: Subscription[] = [];
  private loadedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** When a pass last completed (ms since the epoch): the scheduler's heartbeat in the metrics. */
  lastTickAt: number | undefined;

  constructor(
    private readonly db: Database,
    private readonly engine: Engine,
    private readonly logger: Logger,
  ) {}

  /** Active event-triggered workflows (cached briefly: activation reaches the relay within 2 s). */
  private async subscriptions(fresh = false): Promise<Subscription[]> {
    if (!fresh && Date.now() - this.loadedAt < SUBSCRIPTIONS_TTL_MS) return this.subs;
    this.subs = (
      await rawQuery<{ id: string; tenant_id: string; event: string; filter: string | null; since: Date | string }>(
        this.db,
        {
          name: 'events_subscriptions',
          text: `select w.id, w.tenant_id, v.definition->'trigger'->'config'->>'event' as event,
                 v.definition->'trigger'->'config'->>'filter' as filter, w.updated_at as since
               from workflows w join workflow_versions v on v.workflow_id = w.id and v.version = w.current_version
               where w.active and v.definition->'trigger'->>'type' = 'event'`,
          values: [],
        },
      )
    ).map((r) => ({
      workflowId: r.id,
      tenantId: r.tenant_id,
      event: r.event,
      filter: r.filter,
      since: new Date(r.since).getTime(),
    }));
    this.loadedAt = Date.now();
    return this.subs;
  }

  start(intervalMs = 1_000): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One pass over new audit entries. Exposed for tests. */
  async tick(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    try {
      // Read fresh each pass: the cursor must never pass an event a just-activated workflow awaits.
      const subs = (await this.subscriptions(true)).filter((x) =>
        (AUDIT_EVENTS as readonly string[]).includes(x.event),
      );
      let cursor = await this.cursor();
      if (subs.length === 0) {
        // Nobody listens: skip ahead to a second ago (events before an activation never start it).
        const ahead = `aud_${newId('aud', Date.now() - 1_000).slice(4, 14)}`;
        if (ahead > cursor) await this.saveCursor(ahead);
        this.lastTickAt = Date.now();
        return 0;
      }
      let started = 0;
      for (let page = 0; page < 10; page++) {
        const rows = await rawQuery<AuditEvent>(this.db, {
          name: 'events_audit_page',
          text: `select id, tenant_id, action, target_id, changes, created_at, trace_context from audit_logs
                 where id > $1 and created_at < now() - interval '1 second' and action = any($2::text[])
                 order by id limit 500`,
          values: [cursor, [...AUDIT_EVENTS]],
        });
        for (const row of rows) {
          const listeners = subs.filter(
            (sub) =>
              sub.tenantId === row.tenant_id &&
              sub.event === row.action &&
              new Date(row.created_at).getTime() >= sub.since &&
              !(row.action === 'insight.raised' && sub.workflowId === insightOf(row).workflowId),
          );
          if (listeners.length === 0) continue;
          const event = await this.auditEvent(row);
          if (!event) continue;
          // The runs it starts continue the trace of the request that made the change.
          const parent = row.trace_context ? restoreTraceContext(row.trace_context) : ROOT_CONTEXT;
          for (const sub of listeners) {
            if (await context.with(parent, () => this.trigger(sub, event, `event:${row.id}`))) started++;
          }
        }
        const last = rows.at(-1)?.id;
        if (last && last > cursor) {
          cursor = last;
          await this.saveCursor(last);
        }
        if (rows.length < 500) break;
      }
      this.lastTickAt = Date.now();
      return started;
    } catch (err) {
      this.logger.warn({ err }, 'event relay pass failed; retrying');
      return 0;
    } finally {
      this.running = false;
    }
  }

  /** Raised by the engine when a run ends. */
  async runEnded(run: {
    id: string;
    tenantId: string;
    workflowId: string;
    status: string;
    triggerType: string;
    error: unknown;
  }) {
    if (run.triggerType === 'event' || (run.status !== 'succeeded' && run.status !== 'failed')) return;
    const type = run.status === 'succeeded' ? 'run.completed' : 'run.failed';
    const subs = (await this.subscriptions()).filter(
      (s) => s.tenantId === run.tenantId && s.event === type && s.workflowId !== run.workflowId,
    );
    for (const sub of subs) {
      await this.trigger(
        sub,
        { type, runId: run.id, workflowId: run.workflowId, status: run.status, error: run.error ?? null },
        `event:${run.id}`,
      );
    }
  }

  /** Raised by the job worker when a job succeeds. */
  async jobSucceeded(job: { id: string; tenantId: string; type: string; attempts: number; createdBy: string }) {
    const subs = (await this.subscriptions()).filter((s) => s.tenantId === job.tenantId && s.event === 'job.succeeded');
    if (subs.length === 0 || (await this.byEventRun(job.createdBy))) return;
    const event = jobEvent('job.succeeded', job.id, { ...job, status: 'succeeded', error: null }, new Date());
    for (const sub of subs) await this.trigger(sub, event, `event:job.succeeded:${job.id}`);
  }

  /** The event an audit entry stands for; undefined when it must not start runs. */
  private async auditEvent(row: AuditEvent): Promise<Record<string, unknown> | undefined> {
    const at = new Date(row.created_at);
    if (row.action === 'insight.raised') return { type: row.action, insightId: row.target_id, ...insightOf(row) };
    if (row.action.startsWith('job.')) {
      const job = (row.changes?.after ?? {}) as JobAudit;
      return (await this.byEventRun(job.createdBy)) ? undefined : jobEvent(row.action, row.target_id, job, at);
    }
    return {
      type: row.action,
      itemId: row.target_id,
      item: row.changes?.after ?? null,
      before: row.changes?.before ?? null,
      at: at.toISOString(),
    };
  }

  /** Whether a job was created by a run that an event started (its events would loop). */
  private async byEventRun(createdBy: string | undefined): Promise<boolean> {
    const runId = /^system:run:(run_[0-9a-z]+)$/.exec(createdBy ?? '')?.[1];
    if (!runId) return false;
    const [run] = await rawQuery<{ trigger_type: string }>(this.db, {
      name: 'events_run_trigger',
      text: `select trigger_type from runs where id = $1`,
      values: [runId],
    });
    return run?.trigger_type === 'event';
  }

  private async trigger(sub: Subscription, event: Record<string, unknown>, key: string): Promise<boolean> {
    try {
      if (sub.filter && !truthy(await evaluate(sub.filter, { event, ...event }))) return false;
      const r = await this.engine.startRun({
        tenantId: sub.tenantId,
        workflowId: sub.workflowId,
        input: { event },
        triggerType: 'event',
        idempotencyKey: key,
      });
      return r.created;
    } catch (err) {
      this.logger.warn({ err, workflowId: sub.workflowId }, 'event trigger could not start a run');
      return false;
    }
  }

  private async cursor(): Promise<string> {
    const [row] = await rawQuery<{ position: string }>(this.db, {
      name: 'events_cursor',
      text: `select position from event_cursors where name = 'audit'`,
      values: [],
    });
    if (row) return row.position;
    // First start: from now on, not the whole history.
    const start = `aud_${newId('aud').slice(4, 14)}`;
    await this.saveCursor(start);
    return start;
  }

  private async saveCursor(position: string): Promise<void> {
    await rawQuery(this.db, {
      name: 'events_cursor_save',
      text: `insert into event_cursors (name, position) values ('audit', $1)
             on conflict (name) do update set position = greatest(event_cursors.position, excluded.position), updated_at = now()`,
      values: [position],
    });
  }
}
