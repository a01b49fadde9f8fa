// /runs/:id: one run — its outcome, a timeline of every step attempt with output, error and logs,
// the trigger payload, and the actions a person can take. While the run is live it follows the
// server's event stream (GET /runs/:id/events), or polls if the stream is unavailable.
import { useQuery } from '@tanstack/react-query';
import { ArrowLeft } from 'lucide-react';
import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, ApiError, call } from '../../api/client';
import { roleAtLeast, useMe } from '../../api/session';
import { isLive } from '../../lib/runs/run-filters';
import { timelineBars } from '../../lib/runs/run-view';
import { EmptyState, ErrorState, Loading } from '../../ui/feedback';
import { JsonView } from '../../ui/json-view';
import { Card, PageHeader } from '../../ui/layout';
import { AttemptItem } from './attempt-item';
import { LiveIndicator } from './live-indicator';
import { runKeys } from './queries';
import { RunActions } from './run-actions';
import { RunSummary } from './run-summary';
import { useRunStream } from './use-run-stream';

const POLL_MS = 2000;

export default function RunDetail() {
  const { id = '' } = useParams();
  const me = useMe();
  const [stream, setStream] = useState(true);
  const q = useQuery({
    queryKey: runKeys.detail(id),
    queryFn: () => call(api.GET('/api/v1/runs/{id}', { params: { path: { id } } })),
    // The stream keeps the cache fresh; polling only while live and the stream is not working.
    refetchInterval: (query) => (query.state.data && isLive(query.state.data.status) && !stream ? POLL_MS : false),
  });
  const run = q.data;
  const live = run ? isLive(run.status) : false;
  const state = useRunStream(id, live);
  useEffect(() => setStream(state === 'live' || state === 'connecting'), [state]);
  const workflow = useQuery({
    queryKey: ['runs', 'workflow', run?.workflowId],
    queryFn: () => call(api.GET('/api/v1/workflows/{id}', { params: { path: { id: run?.workflowId ?? '' } } })),
    enabled: Boolean(run?.workflowId),
    staleTime: 60_000,
  });
  // Re-renders live durations and bars every second while nothing else changes.
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!live) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [live]);

  const back = (
    <Link
      to="/runs"
      className="mb-3 inline-flex items-center gap-1 text-sm text-slate-600 hover:underline dark:text-slate-300"
    >
      <ArrowLeft aria-hidden="true" className="size-4" /> All runs
    </Link>
  );
  if (q.isPending) return <Loading label="Loading run…" />;
  if (q.isError) {
    return (
      <div>
        {back}
        {q.error instanceof ApiError && q.error.status === 404 ? (
          <EmptyState title="Run not found">
            This run does not exist in this organisation, or it was deleted with its workflow.
          </EmptyState>
        ) : (
          <ErrorState error={q.error} onRetry={() => q.refetch()} />
        )}
      </div>
    );
  }
  const r = q.data;
  const bars = timelineBars(r, live ? now : Date.now());
  const name = workflow.data?.name;
  return (
    <div>
      {back}
      <PageHeader
        title={
          <span className="flex items-center gap-3">
            <span className="truncate">{name ?? 'Run'}</span>
            {live && <LiveIndicator state={state} />}
          </span>
        }
        description={
          <>
            <span className="font-mono">{r.id}</span> ·{' '}
            <Link className="text-indigo-700 hover:underline dark:text-indigo-300" to={`/workflows/${r.workflowId}`}>
              {name ? `Open ${name}` : 'Open workflow'}
            </Link>
          </>
        }
        actions={roleAtLeast(me, 'editor') ? <RunActions run={r} /> : undefined}
      />
      <RunSummary run={r} />
      {!roleAtLeast(me, 'editor') && (
        <p className="mt-3 text-xs text-slate-500 dark:text-slate-400">
          Your role can read runs; an editor can cancel, retry, re-run and decide approvals.
        </p>
      )}
      <div className="mt-6 grid grid-cols-[minmax(0,1fr)] gap-6 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <Card title={`Steps (${r.attempts.length} attempt${r.attempts.length === 1 ? '' : 's'})`}>
          {r.attempts.length === 0 ? (
            <p className="text-sm text-slate-500 dark:text-slate-400">
              {live ? 'No step has started yet.' : 'No step ran.'}
            </p>
          ) : (
            <ol aria-label="Step attempts">
              {r.attempts.map((a, i) => (
                <AttemptItem
                  key={a.id}
                  attempt={a}
                  bar={bars.get(a.id)}
                  last={i === r.attempts.length - 1}
                  runLive={live}
                />
              ))}
            </ol>
          )}
        </Card>
        <div className="min-w-0 space-y-6">
          {r.output !== null && r.output !== undefined && (
            <Card title="Run output">
              <JsonView value={r.output} label="output" />
            </Card>
          )}
          <Card title="Trigger payload">
            <JsonView value={r.input} label="input" />
          </Card>
          {r.error !== null && r.error !== undefined && (
            <Card title="Run error">
              <JsonView value={r.error} label="error" />
            </Card>
          )}
        </div>
      </div>
    </div>
  );
}
