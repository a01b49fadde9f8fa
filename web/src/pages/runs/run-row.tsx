import { ChevronRight } from 'lucide-react';
import { Link } from 'react-router';
import type { Schemas } from '../../api/client';
import { durationBetween, formatDateTime, formatDuration, formatRelative } from '../../lib/format';
import { StatusBadge } from '../../ui/badge';

type Run = Schemas['Run'];

/** One row of the grid; the header in runs-list.tsx uses the same columns. */
export const RUN_GRID =
  'sm:grid sm:grid-cols-[minmax(0,2fr)_7rem_6rem_minmax(0,1.3fr)_6rem_1rem] sm:items-center sm:gap-3';

export function RunRow({ run, workflowName }: { run: Run; workflowName: string | undefined }) {
  const duration = run.startedAt ? durationBetween(run.startedAt, run.finishedAt) : null;
  return (
    <li>
      <Link
        to={`/runs/${run.id}`}
        className={`${RUN_GRID} flex flex-col gap-1 px-4 py-3 hover:bg-slate-50 focus-visible:bg-slate-50 focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-indigo-500 dark:hover:bg-slate-800/60 dark:focus-visible:bg-slate-800/60`}
      >
        <span className="min-w-0">
          <span className="block truncate font-medium">{workflowName ?? run.workflowId}</span>
          <span className="block truncate font-mono text-xs text-slate-500 dark:text-slate-400">
            {run.id} · v{run.version}
          </span>
        </span>
        <span className="flex items-center gap-2">
          <StatusBadge status={run.status} />
          {run.queuedReason && (
            <span className="truncate text-xs text-slate-500 sm:hidden dark:text-slate-400">{run.queuedReason}</span>
          )}
        </span>
        <span className="text-xs text-slate-600 capitalize dark:text-slate-300">
          <span className="sm:hidden">Trigger: </span>
          {run.triggerType}
        </span>
        <span className="text-xs text-slate-600 dark:text-slate-300" title={formatDateTime(run.createdAt)}>
          <span className="sm:hidden">Started </span>
          {formatRelative(run.startedAt ?? run.createdAt)}
        </span>
        <span className="text-xs text-slate-600 tabular-nums dark:text-slate-300">
          <span className="sm:hidden">Duration </span>
          {run.status === 'queued' ? 'not started' : formatDuration(duration)}
        </span>
        <ChevronRight aria-hidden="true" className="hidden size-4 text-slate-400 sm:block" />
      </Link>
    </li>
  );
}
