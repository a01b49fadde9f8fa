import { type Anomaly, detectRise, type SeriesPoint } from './anomaly.ts';
import type { InsightKind, InsightSeverity } from './insights.table.ts';

/**
 * From one tenant's run history to insight drafts: pure, so every rule is tested on synthetic
 * history. The figures come from `history.repo.ts`; what is stored and raised, from
 * `insights.service.ts`.
 */

export const HOUR_MS = 3_600_000;

/** The rules' thresholds, in one place so the README and the tests can quote them. */
export const INSIGHT_RULES = {
  /** Hours of history an anomaly is judged against (the baseline plus the recent hours). */
  lookbackHours: 7 * 24,
  /** Hours the hot-spot rules (failing, retried, slow steps) look at. */
  hotWindowHours: 24,
  /** An hour counts in the failure-rate series only with at least this many finished runs. */
  minRunsPerHour: 5,
  /** …and in the latency series only with at least this many succeeded runs. */
  minSucceededPerHour: 3,
  /** Failure rate: deviations are measured on at least 5 points, and must rise by 10 points. */
  rateMinScale: 0.05,
  rateMinDelta: 0.1,
  /** Latency: deviations are measured on at least 10% of the median (50 ms), and must add 25% (100 ms). */
  latencyMinScaleShare: 0.1,
  latencyMinScaleMs: 50,
  latencyMinDeltaShare: 0.25,
  latencyMinDeltaMs: 100,
  /** A step that failed at least this many runs, and this share of the workflow's finished runs. */
  failingMinRuns: 3,
  failingMinShare: 0.1,
  /** A step retried at least this often, and this many times per run that executed it. */
  retryMinRetries: 5,
  retryMinPerRun: 0.25,
  /** A slow step: at least 5 timed attempts, p95 ≥ 1 s, and half of the workflow's step time. */
  slowMinAttempts: 5,
  slowMinP95Ms: 1_000,
  slowMinShare: 0.5,
  /** Hot spots of one kind raised per workflow per pass, worst first. */
  maxPerKind: 3,
} as const;

/** Finished runs of one workflow created in one hour. */
export interface HourBucket {
  workflowId: string;
  /** Start of the hour, ms since epoch. */
  t: number;
  finished: number;
  failed: number;
  succeeded: number;
  /** Median duration of the succeeded runs (ms), null without any. */
  p50Ms: number | null;
}

/** One step of one workflow over the hot window (carried-over attempts left out). */
export interface StepStats {
  workflowId: string;
  stepId: string;
  stepType: string;
  /** Runs in which the step executed at least once. */
  runs: number;
  /** Attempts after the first (each one a retry). */
  retries: number;
  /** Timed attempts (succeeded, executed here) and their duration percentiles. */
  timed: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

/** Error codes by step: of failed runs (`runs`), or of failed attempts (`attempts`). */
export interface StepErrors {
  workflowId: string;
  stepId: string;
  code: string;
  n: number;
}

export interface TenantHistory {
  /** Exclusive end of the history: the start of the current hour (only whole hours count). */
  end: Date;
  buckets: HourBucket[];
  steps: StepStats[];
  runFailures: StepErrors[];
  attemptErrors: StepErrors[];
}

export interface InsightDraft {
  workflowId: string;
  kind: InsightKind;
  severity: InsightSeverity;
  title: string;
  details: Record<string, unknown>;
  windowStart: Date;
  windowEnd: Date;
  /** Names the finding: the same finding in a later pass has the same key. */
  dedupeKey: string;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;
const ms = (x: number) =>
  x >= 10_000 ? `${(x / 1000).toFixed(0)} s` : x >= 1000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`;
const day = (d: Date) => d.toISOString().slice(0, 10);
const group = <T extends { workflowId: string }>(rows: readonly T[]) => {
  const m = new Map<string, T[]>();
  for (const r of rows) m.set(r.workflowId, [...(m.get(r.workflowId) ?? []), r]);
  return m;
};

/** Every insight the history shows, before deduplication against what was raised already. */
export function findInsights(history: TenantHistory): InsightDraft[] {
  const end = history.end.getTime();
  const drafts: InsightDraft[] = [];
  const buckets = group(history.buckets);
  for (const [workflowId, rows] of buckets) drafts.push(...anomalies(workflowId, rows, end));
  const hotStart = end - INSIGHT_RULES.hotWindowHours * HOUR_MS;
  const finishedInWindow = new Map<string, number>();
  for (const b of history.buckets) {
    if (b.t >= hotStart) finishedInWindow.set(b.workflowId, (finishedInWindow.get(b.workflowId) ?? 0) + b.finished);
  }
  const window = { windowStart: new Date(hotStart), windowEnd: history.end };
  const codes = (rows: readonly StepErrors[], workflowId: string, stepId: string) =>
    rows
      .filter((r) => r.workflowId === workflowId && r.stepId === stepId)
      .sort((a, b) => b.n - a.n || a.code.localeCompare(b.code))
      .slice(0, 5)
      .map(({ code, n }) => ({ code, n }));

  // Steps that fail runs most.
  const failing = new Map<string, { workflowId: string; stepId: string; n: number }>();
  for (const f of history.runFailures) {
    const key = `${f.workflowId}\u0000${f.stepId}`;
    const cur = failing.get(key) ?? { workflowId: f.workflowId, stepId: f.stepId, n: 0 };
    cur.n += f.n;
    failing.set(key, cur);
  }
  for (const [workflowId, rows] of group([...failing.values()])) {
    const runs = finishedInWindow.get(workflowId) ?? 0;
    rows
      .filter((r) => r.n >= INSIGHT_RULES.failingMinRuns && runs > 0 && r.n / runs >= INSIGHT_RULES.failingMinShare)
      .sort((a, b) => b.n - a.n || a.stepId.localeCompare(b.stepId))
      .slice(0, INSIGHT_RULES.maxPerKind)
      .forEach((r) => {
        const share = r.n / runs;
        drafts.push({
          workflowId,
          kind: 'failing_step',
          severity: share >= 0.5 ? 'critical' : share >= 0.2 ? 'warning' : 'info',
          title: `Step "${r.stepId}" failed ${r.n} of ${runs} runs in the last ${INSIGHT_RULES.hotWindowHours} h`,
          details: {
            stepId: r.stepId,
            failedRuns: r.n,
            runs,
            share,
            codes: codes(history.runFailures, workflowId, r.stepId),
          },
          ...window,
          dedupeKey: `${workflowId}:failing_step:${r.stepId}:${day(history.end)}`,
        });
      });
  }

  for (const [workflowId, steps] of group(history.steps)) {
    // Retry hot spots.
    steps
      .filter(
        (s) =>
          s.retries >= INSIGHT_RULES.retryMinRetries &&
          s.runs > 0 &&
          s.retries / s.runs >= INSIGHT_RULES.retryMinPerRun,
      )
      .sort((a, b) => b.retries - a.retries || a.stepId.localeCompare(b.stepId))
      .slice(0, INSIGHT_RULES.maxPerKind)
      .forEach((s) => {
        const perRun = s.retries / s.runs;
        drafts.push({
          workflowId,
          kind: 'retry_hotspot',
          severity: perRun >= 1 ? 'warning' : 'info',
          title: `Step "${s.stepId}" was retried ${s.retries} times in ${s.runs} runs in the last ${INSIGHT_RULES.hotWindowHours} h`,
          details: {
            stepId: s.stepId,
            stepType: s.stepType,
            retries: s.retries,
            runs: s.runs,
            retriesPerRun: perRun,
            codes: codes(history.attemptErrors, workflowId, s.stepId),
          },
          ...window,
          dedupeKey: `${workflowId}:retry_hotspot:${s.stepId}:${day(history.end)}`,
        });
      });
    // The slowest step, when it dominates the workflow's step time.
    const timed = steps.filter((s) => s.timed >= INSIGHT_RULES.slowMinAttempts && s.p50Ms !== null);
    const total = timed.reduce((sum, s) => sum + (s.p50Ms ?? 0), 0);
    const slowest = [...timed].sort((a, b) => (b.p50Ms ?? 0) - (a.p50Ms ?? 0))[0];
    if (
      slowest &&
      total > 0 &&
      (slowest.p95Ms ?? 0) >= INSIGHT_RULES.slowMinP95Ms &&
      (slowest.p50Ms ?? 0) / total >= INSIGHT_RULES.slowMinShare
    ) {
      drafts.push({
        workflowId,
        kind: 'slow_step',
        severity: 'info',
        title: `Step "${slowest.stepId}" takes ${pct((slowest.p50Ms ?? 0) / total)} of the run time (median ${ms(slowest.p50Ms ?? 0)}, p95 ${ms(slowest.p95Ms ?? 0)})`,
        details: {
          stepId: slowest.stepId,
          stepType: slowest.stepType,
          p50Ms: slowest.p50Ms,
          p95Ms: slowest.p95Ms,
          attempts: slowest.timed,
          share: (slowest.p50Ms ?? 0) / total,
        },
        ...window,
        dedupeKey: `${workflowId}:slow_step:${slowest.stepId}:${day(history.end)}`,
      });
    }
  }
  return drafts;
}

/** Failure-rate and latency rises of one workflow, judged on whole hours up to `end`. */
function anomalies(workflowId: string, rows: readonly HourBucket[], end: number): InsightDraft[] {
  const start = end - INSIGHT_RULES.lookbackHours * HOUR_MS;
  const inRange = rows.filter((b) => b.t >= start && b.t < end).sort((a, b) => a.t - b.t);
  const lastHour = end - HOUR_MS;
  const out: InsightDraft[] = [];
  const window = { windowStart: new Date(start), windowEnd: new Date(end) };
  const severity = (a: Anomaly): InsightSeverity =>
    a.type === 'spike' ? 'info' : a.levelScore >= 7 ? 'critical' : 'warning';
  // Only fresh data can raise: an anomaly whose last point is days old was judged back then.
  const fresh = (s: SeriesPoint[]) => s.at(-1)?.t === lastHour;

  const rates = inRange
    .filter((b) => b.finished >= INSIGHT_RULES.minRunsPerHour)
    .map((b) => ({ t: b.t, value: b.failed / b.finished, runs: b.finished }));
  const rate = fresh(rates)
    ? detectRise(rates, { minScale: () => INSIGHT_RULES.rateMinScale, minDelta: INSIGHT_RULES.rateMinDelta })
    : null;
  if (rate) {
    out.push({
      workflowId,
      kind: 'failure_rate_anomaly',
      severity: severity(rate),
      title:
        rate.type === 'shift'
          ? `Failure rate up to ${pct(rate.level)} since ${new Date(rate.since).toISOString().slice(0, 13)}:00Z (usually ${pct(rate.baseline.median)})`
          : `Failure rate spiked to ${pct(rate.peak)} at ${new Date(rate.since).toISOString().slice(0, 13)}:00Z (usually ${pct(rate.baseline.median)})`,
      details: { metric: 'failure_rate', ...describe(rate), recent: recentHours(rates) },
      ...window,
      dedupeKey: `${workflowId}:failure_rate_anomaly:${rate.type}:${new Date(rate.since).toISOString()}`,
    });
  }

  const latencies = inRange
    .filter((b) => b.succeeded >= INSIGHT_RULES.minSucceededPerHour && b.p50Ms !== null)
    .map((b) => ({ t: b.t, value: b.p50Ms as number, runs: b.succeeded }));
  const latency = fresh(latencies)
    ? detectRise(latencies, {
        minScale: (m) => Math.max(m * INSIGHT_RULES.latencyMinScaleShare, INSIGHT_RULES.latencyMinScaleMs),
        minDelta: (m) => Math.max(m * INSIGHT_RULES.latencyMinDeltaShare, INSIGHT_RULES.latencyMinDeltaMs),
      })
    : null;
  if (latency) {
    out.push({
      workflowId,
      kind: 'latency_anomaly',
      severity: severity(latency),
      title:
        latency.type === 'shift'
          ? `Runs slower: median ${ms(latency.level)} since ${new Date(latency.since).toISOString().slice(0, 13)}:00Z (usually ${ms(latency.baseline.median)})`
          : `Runs spiked to a median of ${ms(latency.peak)} at ${new Date(latency.since).toISOString().slice(0, 13)}:00Z (usually ${ms(latency.baseline.median)})`,
      details: { metric: 'p50_ms', ...describe(latency), recent: recentHours(latencies) },
      ...window,
      dedupeKey: `${workflowId}:latency_anomaly:${latency.type}:${new Date(latency.since).toISOString()}`,
    });
  }
  return out;
}

/** The last six hours of a series, readable. */
const recentHours = (s: readonly (SeriesPoint & { runs: number })[]) =>
  s.slice(-6).map((p) => ({ hour: new Date(p.t).toISOString(), value: round(p.value), runs: p.runs }));

const round = (x: number) => Math.round(x * 10_000) / 10_000;

function describe(a: Anomaly) {
  return {
    type: a.type,
    since: new Date(a.since).toISOString(),
    baseline: {
      median: round(a.baseline.median),
      mad: round(a.baseline.mad),
      scale: round(a.baseline.scale),
      hours: a.baseline.points,
    },
    level: round(a.level),
    levelScore: round(a.levelScore),
    peak: round(a.peak),
    peakScore: round(a.peakScore),
  };
}
