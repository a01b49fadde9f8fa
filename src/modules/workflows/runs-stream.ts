import { and, eq, sql } from 'drizzle-orm';
import type { ActorContext } from '../../platform/context.ts';
import { inTenant } from '../../platform/db/tenant-scope.ts';
import { getRun, type WorkflowsDeps } from './workflows.service.ts';
import { runs, type RunStatus } from './workflows.table.ts';

/** Options of a run's live stream; the defaults are what `GET /runs/:id/events` uses. */
export interface WatchOptions {
  /** How often the run's fingerprint is read (default 500 ms). */
  pollMs?: number;
  /** How often a comment keeps proxies from closing an idle stream (default 15 s). */
  heartbeatMs?: number;
  /** The longest a stream stays open; the client reconnects after (default 10 min). */
  maxMs?: number;
}

export type RunSnapshot = Awaited<ReturnType<typeof getRun>>;

/** What a watcher tells its writer: a snapshot, a keep-alive, or why it stopped. */
export type WatchEvent =
  | { type: 'run'; run: RunSnapshot }
  | { type: 'heartbeat' }
  | { type: 'end'; status: RunStatus; reason: 'finished' | 'time_limit' };

const FINISHED: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * A cheap token that changes whenever the run or any of its attempts does: one indexed row and
 * an aggregate over the run's attempts (by the unique run/step/attempt index), instead of loading
 * every attempt's output every 500 ms. Pure steps ride along with a later commit, so they change
 * the token when they land, as GET /runs/:id would show them.
 */
export async function runFingerprint(deps: WorkflowsDeps, ctx: ActorContext, runId: string) {
  const [row] = await inTenant(deps.db, ctx.tenantId, (tx) =>
    tx
      .select({
        status: runs.status,
        token: sql<string>`${runs.status} || '|' || ${runs.updatedAt}::text || '|' || (
          select count(*)::text || ':' || coalesce(md5(string_agg(
            a.id || a.status || coalesce(a.finished_at::text, '') || coalesce(a.wait_state::text, ''),
            ',' order by a.id)), '')
          from step_attempts a where a.run_id = ${runs.id})`,
      })
      .from(runs)
      .where(and(eq(runs.tenantId, ctx.tenantId), eq(runs.id, runId))),
  );
  return row;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * Emits the run's snapshot now and again whenever its fingerprint changes, a heartbeat when
 * nothing was sent for `heartbeatMs`, and `end` once the run finished (after its final snapshot)
 * or `maxMs` passed. Returns when `signal` aborts (the client went away) without emitting more.
 * The first snapshot goes through getRun, so an unknown or foreign run throws RUN_NOT_FOUND
 * before anything is written.
 */
export async function watchRun(
  deps: WorkflowsDeps,
  ctx: ActorContext,
  runId: string,
  emit: (event: WatchEvent) => void,
  opts: WatchOptions & { signal: AbortSignal },
): Promise<void> {
  const { pollMs = 500, heartbeatMs = 15_000, maxMs = 10 * 60_000, signal } = opts;
  const deadline = Date.now() + maxMs;
  let last = await runFingerprint(deps, ctx, runId);
  let run = await getRun(deps, ctx, runId);
  emit({ type: 'run', run });
  let lastSent = Date.now();
  for (;;) {
    if (FINISHED.has(run.status)) return emit({ type: 'end', status: run.status, reason: 'finished' });
    await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())), signal);
    if (signal.aborted) return;
    if (Date.now() >= deadline) return emit({ type: 'end', status: run.status, reason: 'time_limit' });
    const now = await runFingerprint(deps, ctx, runId);
    if (signal.aborted) return;
    // Deleted with its workflow while watched: the final word is the last state seen.
    if (!now) return emit({ type: 'end', status: run.status, reason: 'finished' });
    if (now.token !== last?.token) {
      // Read the fingerprint before the snapshot: a change between the two is seen next time.
      last = now;
      run = await getRun(deps, ctx, runId);
      if (signal.aborted) return;
      emit({ type: 'run', run });
      lastSent = Date.now();
    } else if (Date.now() - lastSent >= heartbeatMs) {
      emit({ type: 'heartbeat' });
      lastSent = Date.now();
    }
  }
}
