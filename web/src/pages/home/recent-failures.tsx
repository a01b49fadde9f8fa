import { Link } from 'react-router';
import { formatDateTime, formatRelative } from '../../lib/format';
import { ErrorState, Loading } from '../../ui/feedback';
import { Card } from '../../ui/layout';
import { useRecentFailures, useWorkflowNames } from './queries';

/** What a failed run's error says, whatever shape the engine gave it. */
function errorMessage(error: unknown): string {
  if (error && typeof error === 'object') {
    const e = error as { message?: unknown; code?: unknown; stepId?: unknown };
    const msg = typeof e.message === 'string' ? e.message : typeof e.code === 'string' ? e.code : '';
    return typeof e.stepId === 'string' && msg ? `${e.stepId}: ${msg}` : msg || 'Failed';
  }
  return 'Failed';
}

export function RecentFailures() {
  const failures = useRecentFailures();
  const workflows = useWorkflowNames();
  const names = new Map((workflows.data?.data ?? []).map((w) => [w.id, w.name]));
  return (
    <Card
      title="Recent failures"
      actions={
        <Link
          to="/runs?status=failed"
          className="text-xs font-medium text-indigo-700 hover:underline dark:text-indigo-300"
        >
          All failed runs
        </Link>
      }
    >
      {failures.isPending ? (
        <Loading />
      ) : failures.isError ? (
        <ErrorState error={failures.error} onRetry={() => failures.refetch()} />
      ) : failures.data.data.length === 0 ? (
        <p className="text-sm text-slate-500 dark:text-slate-400">No failed runs.</p>
      ) : (
        <ul className="-my-2 divide-y divide-slate-100 dark:divide-slate-800">
          {failures.data.data.map((run) => (
            <li key={run.id} className="py-2">
              <Link
                to={`/runs/${run.id}`}
                className="group block rounded focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:outline-none"
              >
                <span className="flex items-baseline justify-between gap-2">
                  <span className="truncate text-sm font-medium group-hover:underline">
                    {names.get(run.workflowId) ?? run.workflowId}
                  </span>
                  <time
                    dateTime={run.createdAt}
                    title={formatDateTime(run.createdAt)}
                    className="shrink-0 text-xs text-slate-500 dark:text-slate-400"
                  >
                    {formatRelative(run.createdAt)}
                  </time>
                </span>
                <span className="block truncate text-xs text-red-700 dark:text-red-300">{errorMessage(run.error)}</span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
