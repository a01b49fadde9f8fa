import { useState } from 'react';
import type { Schemas } from '../../api/client';
import { cn } from '../../lib/cn';
import { formatDateTime, formatDuration } from '../../lib/format';
import { type Bar, describeError, describeWait, logLines } from '../../lib/runs/run-view';
import { StatusBadge } from '../../ui/badge';
import { JsonView } from '../../ui/json-view';

type Attempt = Schemas['StepAttempt'];

export const DOT: Record<string, string> = {
  succeeded: 'bg-emerald-500',
  failed: 'bg-red-500',
  running: 'bg-violet-500 animate-pulse',
  waiting: 'bg-amber-500',
  skipped: 'bg-slate-300 dark:bg-slate-600',
  compensated: 'bg-sky-500',
};
const BAR: Record<string, string> = {
  succeeded: 'bg-emerald-400 dark:bg-emerald-500',
  failed: 'bg-red-400 dark:bg-red-500',
  running: 'bg-violet-400 dark:bg-violet-500',
  waiting: 'bg-amber-300 dark:bg-amber-500',
  skipped: 'bg-slate-300 dark:bg-slate-600',
  compensated: 'bg-sky-400 dark:bg-sky-500',
};

type Panel = 'output' | 'error' | 'logs';

/** One attempt on the timeline: a dot, what it was, when, a duration bar, and its panels. */
export function AttemptItem({
  attempt: a,
  bar,
  last,
  runLive,
}: {
  attempt: Attempt;
  bar: Bar | undefined;
  last: boolean;
  /** A wait of a run that has ended (failed, cancelled) is over: it is not shown as pending. */
  runLive: boolean;
}) {
  const error = describeError(a.error);
  const wait = describeWait(a.waitState);
  const logs = logLines(a.logs);
  const [open, setOpen] = useState<Panel | undefined>(a.status === 'failed' ? 'error' : undefined);
  const panels: { key: Panel; label: string; show: boolean }[] = [
    // A step that has not produced anything yet (running, waiting, failed) has no output to show.
    { key: 'output', label: 'Output', show: a.status === 'succeeded' || (a.output !== null && a.output !== undefined) },
    { key: 'error', label: 'Error', show: error !== null },
    { key: 'logs', label: `Logs${logs ? ` (${logs.length})` : ''}`, show: logs !== null && logs.length > 0 },
  ];
  const panelId = `attempt-${a.id}-panel`;
  return (
    <li className="relative flex gap-3 pb-5" data-testid={`attempt-${a.stepId}`}>
      {!last && (
        <span aria-hidden="true" className="absolute top-4 bottom-0 left-[7px] w-px bg-slate-200 dark:bg-slate-700" />
      )}
      <span
        aria-hidden="true"
        className={cn(
          'relative mt-1 size-3.5 shrink-0 rounded-full ring-4 ring-white dark:ring-slate-900',
          DOT[a.status] ?? 'bg-slate-400',
        )}
      />
      <div className="min-w-0 flex-1">
        <div className="flex flex-wrap items-center gap-x-2 gap-y-1">
          <h3 className="font-mono text-sm font-semibold break-all">{a.stepId}</h3>
          <span className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-600 dark:bg-slate-800 dark:text-slate-300">
            {a.stepType}
          </span>
          <StatusBadge status={a.status} />
          {a.attempt > 1 && <span className="text-xs text-slate-500 dark:text-slate-400">attempt {a.attempt}</span>}
          {a.branch && (
            <span className="text-xs text-slate-600 dark:text-slate-300">
              branch <strong className="font-mono">{a.branch}</strong>
            </span>
          )}
        </div>
        <p className="mt-1 text-xs text-slate-500 dark:text-slate-400">
          <time dateTime={a.startedAt}>{formatDateTime(a.startedAt)}</time>
          {a.finishedAt ? ` → ${formatDuration(bar?.durationMs)}` : a.status === 'running' ? ' · running' : ''}
          {a.workerId && <span className="break-all"> · worker {a.workerId}</span>}
        </p>
        {bar && (
          <div className="mt-1.5 h-1.5 w-full max-w-md rounded-full bg-slate-100 dark:bg-slate-800" aria-hidden="true">
            <div
              className={cn('h-full rounded-full', BAR[a.status] ?? 'bg-slate-400')}
              style={{ marginLeft: `${bar.offset}%`, width: `${bar.width}%` }}
            />
          </div>
        )}
        {wait && a.status === 'waiting' && runLive && (
          <p className="mt-2 text-sm text-amber-800 dark:text-amber-200">
            {wait.waitFor === 'approval' ? 'Waiting for a decision' : 'Waiting'}
            {wait.message && <>: “{wait.message}”</>}
            {wait.until && <> · until {formatDateTime(wait.until)}</>}
            {wait.notify.length > 0 && <> · asked {wait.notify.join(', ')}</>}
          </p>
        )}
        {error && (
          <p className="mt-2 text-sm text-red-700 dark:text-red-300">
            <code className="font-semibold">{error.code}</code> — {error.message}
          </p>
        )}
        <div className="mt-2 flex flex-wrap gap-1.5">
          {panels
            .filter((p) => p.show)
            .map((p) => (
              <button
                key={p.key}
                type="button"
                aria-expanded={open === p.key}
                aria-controls={panelId}
                onClick={() => setOpen(open === p.key ? undefined : p.key)}
                className={cn(
                  'rounded-md border px-2 py-0.5 text-xs font-medium focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-500',
                  open === p.key
                    ? 'border-indigo-500 bg-indigo-50 text-indigo-800 dark:border-indigo-400 dark:bg-indigo-950 dark:text-indigo-200'
                    : 'border-slate-300 text-slate-700 hover:bg-slate-50 dark:border-slate-700 dark:text-slate-200 dark:hover:bg-slate-800',
                )}
              >
                {p.label}
              </button>
            ))}
        </div>
        {open && (
          <div id={panelId} className="mt-2">
            {open === 'output' && <JsonView value={a.output ?? null} label={`${a.stepId} output`} />}
            {open === 'error' && <JsonView value={a.error} label={`${a.stepId} error`} />}
            {open === 'logs' && logs && (
              <ol
                aria-label={`${a.stepId} logs`}
                className="max-h-64 overflow-auto rounded-md border border-slate-200 bg-slate-50 p-2 font-mono text-xs dark:border-slate-800 dark:bg-slate-950"
              >
                {logs.map((l, i) => (
                  <li
                    key={i}
                    className={cn(
                      l.level === 'error'
                        ? 'text-red-700 dark:text-red-300'
                        : l.level === 'warn'
                          ? 'text-amber-700 dark:text-amber-300'
                          : '',
                    )}
                  >
                    {l.at && <span className="text-slate-400">{l.at.slice(11, 23)} </span>}
                    <span className="uppercase">{l.level}</span> {l.message}
                  </li>
                ))}
              </ol>
            )}
          </div>
        )}
      </div>
    </li>
  );
}
