import { Link } from 'react-router';
import type { Schemas } from '../../api/client';
import { durationBetween, formatDateTime, formatDuration } from '../../lib/format';
import { describeError } from '../../lib/runs/run-view';
import { StatusBadge } from '../../ui/badge';
import { CopyButton } from '../../ui/copy-button';
import { Notice } from '../../ui/feedback';

type Run = Schemas['RunDetail'];

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs font-medium text-slate-500 dark:text-slate-400">{label}</dt>
      <dd className="mt-0.5 text-sm break-words">{children}</dd>
    </div>
  );
}

/** Status, version, trigger and timings at a glance, and the run's outcome in words. */
export function RunSummary({ run }: { run: Run }) {
  const error = describeError(run.error);
  return (
    <div className="space-y-4">
      <dl className="grid grid-cols-2 gap-4 rounded-lg border border-slate-200 bg-white p-4 sm:grid-cols-3 lg:grid-cols-6 dark:border-slate-800 dark:bg-slate-900">
        <Fact label="Status">
          <span data-testid="run-status">
            <StatusBadge status={run.status} />
          </span>
        </Fact>
        <Fact label="Version">
          <Link
            className="text-indigo-700 underline-offset-2 hover:underline dark:text-indigo-300"
            to={`/workflows/${run.workflowId}/versions?v=${run.version}`}
          >
            v{run.version}
          </Link>
        </Fact>
        <Fact label="Trigger">
          <span className="capitalize">{run.triggerType}</span>
        </Fact>
        <Fact label="Created">{formatDateTime(run.createdAt)}</Fact>
        <Fact label="Started">{run.startedAt ? formatDateTime(run.startedAt) : 'not yet'}</Fact>
        <Fact label="Duration">
          <span className="tabular-nums">
            {run.startedAt ? formatDuration(durationBetween(run.startedAt, run.finishedAt)) : '—'}
            {run.startedAt && !run.finishedAt && ' so far'}
          </span>
        </Fact>
      </dl>
      {run.traceId && (
        <p className="flex flex-wrap items-center gap-2 text-xs text-slate-500 dark:text-slate-400">
          <span>
            Trace <code className="font-mono text-slate-700 dark:text-slate-300">{run.traceId}</code> — search it in
            your tracing backend (Jaeger, Tempo) to see every step across processes.
          </span>
          <CopyButton text={run.traceId} label="Copy trace id" />
        </p>
      )}
      {run.status === 'queued' && (
        <Notice tone="info">
          Queued{run.queuedReason ? `: ${run.queuedReason}` : ' — a worker picks it up in a moment.'}
        </Notice>
      )}
      {error && (
        <Notice tone={run.status === 'cancelled' ? 'warning' : 'danger'}>
          <p className="font-medium">
            {run.status === 'cancelled' ? 'The run was cancelled' : 'The run failed'}
            {error.stepId && (
              <>
                {' '}
                at step <code className="font-mono">{error.stepId}</code>
              </>
            )}
            .
          </p>
          <p className="mt-1">
            <code className="font-semibold">{error.code}</code> — {error.message}
          </p>
        </Notice>
      )}
      {run.status === 'succeeded' && <Notice tone="success">The run succeeded.</Notice>}
    </div>
  );
}
