// How a run and its step attempts read on the run page: errors in words, what a wait waits
// for, which approval is pending and where each attempt sits on the run's time axis.

/** The fields of a step attempt this module reads (a subset of the API's StepAttempt). */
export interface AttemptLike {
  id: string;
  stepId: string;
  stepType: string;
  attempt: number;
  status: string;
  error: unknown;
  waitState: unknown;
  startedAt: string;
  finishedAt: string | null;
}

export interface RunLike {
  status: string;
  error: unknown;
  startedAt: string | null;
  finishedAt: string | null;
  createdAt: string;
  attempts: AttemptLike[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `{code, message}` of a run or step error, whatever shape it arrived in (null when none). */
export function describeError(error: unknown): { code: string; message: string; stepId?: string } | null {
  if (error === null || error === undefined) return null;
  if (typeof error === 'string') return { code: 'ERROR', message: error };
  if (!isRecord(error)) return { code: 'ERROR', message: JSON.stringify(error) };
  const code = typeof error.code === 'string' ? error.code : 'ERROR';
  const message = typeof error.message === 'string' ? error.message : 'No message was recorded.';
  const stepId = typeof error.stepId === 'string' ? error.stepId : undefined;
  return { code, message, ...(stepId ? { stepId } : {}) };
}

export interface WaitInfo {
  waitFor: string;
  until: string | undefined;
  message: string | undefined;
  notify: string[];
}

/** What a waiting attempt waits for: an approval (with its question), a delay, a back-off… */
export function describeWait(waitState: unknown): WaitInfo | null {
  if (!isRecord(waitState)) return null;
  const state = isRecord(waitState.state) ? waitState.state : {};
  return {
    waitFor: typeof waitState.waitFor === 'string' ? waitState.waitFor : 'wait',
    until: typeof waitState.until === 'string' ? waitState.until : undefined,
    message: typeof state.message === 'string' ? state.message : undefined,
    notify: Array.isArray(state.notify) ? state.notify.filter((n): n is string => typeof n === 'string') : [],
  };
}

/** The latest attempt of each step, in the order the steps first ran. */
export function latestAttempts<A extends AttemptLike>(attempts: readonly A[]): A[] {
  const latest = new Map<string, A>();
  for (const a of attempts) {
    const seen = latest.get(a.stepId);
    if (!seen || a.attempt >= seen.attempt) latest.set(a.stepId, a);
  }
  return [...latest.values()];
}

/** The approval a person can decide now: a waiting run's latest `approval` attempt that waits. */
export function pendingApproval<A extends AttemptLike>(run: RunLike & { attempts: A[] }): A | undefined {
  if (run.status !== 'waiting') return undefined;
  return latestAttempts(run.attempts).find(
    (a) => a.stepType === 'approval' && a.status === 'waiting' && describeWait(a.waitState)?.waitFor === 'approval',
  );
}

/** The step a failed run failed at: named by the run's error, else its last failed attempt. */
export function failedStep(run: RunLike): string | undefined {
  if (run.status !== 'failed') return undefined;
  const named = describeError(run.error)?.stepId;
  if (named) return named;
  return [...run.attempts].reverse().find((a) => a.status === 'failed')?.stepId;
}

export interface Bar {
  /** Where the attempt starts on the run's time axis, 0–100. */
  offset: number;
  /** Its share of the axis, at least a sliver so an instant step stays visible. */
  width: number;
  durationMs: number | null;
}

/**
 * Each attempt's bar on one axis from the run's start to its end (or `now` while live), for the
 * Gantt-like strip of the timeline. Unfinished attempts run to `now`.
 */
export function timelineBars(run: RunLike, now: number): Map<string, Bar> {
  const t = (iso: string | null | undefined) => (iso ? new Date(iso).getTime() : Number.NaN);
  const starts = run.attempts.map((a) => t(a.startedAt)).filter(Number.isFinite);
  const start = Math.min(t(run.startedAt ?? run.createdAt), ...starts);
  const ends = run.attempts.map((a) => (a.finishedAt ? t(a.finishedAt) : now)).filter(Number.isFinite);
  const end = Math.max(run.finishedAt ? t(run.finishedAt) : now, ...ends, start + 1);
  const span = end - start;
  const bars = new Map<string, Bar>();
  for (const a of run.attempts) {
    const s = t(a.startedAt);
    const e = a.finishedAt ? t(a.finishedAt) : now;
    if (!Number.isFinite(s) || !Number.isFinite(e)) continue;
    const offset = Math.min(100, Math.max(0, ((s - start) / span) * 100));
    const width = Math.max(0.8, Math.min(100 - offset, ((e - s) / span) * 100));
    bars.set(a.id, { offset, width, durationMs: a.finishedAt ? e - s : null });
  }
  return bars;
}

export interface LogLine {
  level: string;
  message: string;
  at: string | undefined;
}

/** An attempt's logs as lines; the engine writes `[{level, message, at}]`, anything else is shown raw. */
export function logLines(logs: unknown): LogLine[] | null {
  if (logs === null || logs === undefined) return null;
  if (!Array.isArray(logs)) return [{ level: 'info', message: JSON.stringify(logs), at: undefined }];
  return logs.map((l) =>
    isRecord(l)
      ? {
          level: typeof l.level === 'string' ? l.level : 'info',
          message: typeof l.message === 'string' ? l.message : JSON.stringify(l),
          at: typeof l.at === 'string' ? l.at : undefined,
        }
      : { level: 'info', message: typeof l === 'string' ? l : JSON.stringify(l), at: undefined },
  );
}
