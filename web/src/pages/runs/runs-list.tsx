// /runs: every run of the tenant, newest first, filtered by status, workflow and time range in
// the URL (?status=failed&workflow=wfl_…&range=24h), a page at a time; it refreshes itself
// while a run on screen is queued, running or waiting.
import { useInfiniteQuery } from '@tanstack/react-query';
import { Workflow } from 'lucide-react';
import { useMemo } from 'react';
import { useSearchParams } from 'react-router';
import { api, call } from '../../api/client';
import { hasFilters, isLive, readRunFilters, runQuery, writeRunFilters } from '../../lib/runs/run-filters';
import { LinkButton } from '../../ui/button';
import { EmptyState, ErrorState, Loading } from '../../ui/feedback';
import { PageHeader } from '../../ui/layout';
import { RowList, RowListFooter } from '../../ui/row-list';
import { runKeys, useWorkflowNames } from './queries';
import { RUN_GRID, RunRow } from './run-row';
import { RunsFilters } from './runs-filters';

const PAGE = 25;
const POLL_MS = 3000;

export default function RunsList() {
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => readRunFilters(params), [params]);
  const names = useWorkflowNames();

  const q = useInfiniteQuery({
    queryKey: [...runKeys.all, 'list', filters],
    queryFn: ({ pageParam }) =>
      call(
        api.GET('/api/v1/runs', {
          params: {
            query: { limit: PAGE, ...runQuery(filters, Date.now()), ...(pageParam ? { cursor: pageParam } : {}) },
          },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    // Polls only while something on screen can still change by itself.
    refetchInterval: (query) =>
      query.state.data?.pages.some((p) => p.data.some((r) => isLive(r.status))) ? POLL_MS : false,
  });
  const runs = useMemo(() => q.data?.pages.flatMap((p) => p.data) ?? [], [q.data]);
  const live = runs.some((r) => isLive(r.status));
  const update = (next: typeof filters) => setParams(writeRunFilters(params, next), { replace: true });

  return (
    <div>
      <PageHeader
        title="Runs"
        description="Every execution of your workflows, step by step: what ran, what it returned, and why it failed."
      />
      <RunsFilters filters={filters} workflows={names.data?.list ?? []} onChange={update} />
      {q.isPending ? (
        <Loading label="Loading runs…" />
      ) : q.isError ? (
        <ErrorState error={q.error} onRetry={() => q.refetch()} />
      ) : runs.length === 0 ? (
        hasFilters(filters) ? (
          <EmptyState title="No run matches these filters">
            <button
              type="button"
              className="text-indigo-700 underline dark:text-indigo-300"
              onClick={() => update({ statuses: [], workflowId: undefined, range: 'all' })}
            >
              Clear filters
            </button>
          </EmptyState>
        ) : (
          <EmptyState
            icon={<Workflow className="size-10" aria-hidden="true" />}
            title="No runs yet"
            action={
              <LinkButton to="/workflows" variant="primary">
                Go to workflows
              </LinkButton>
            }
          >
            A run is one execution of a workflow. Create a workflow, then start it by hand, from a webhook, on a
            schedule or on an event — each run shows up here with every step's output.
          </EmptyState>
        )
      ) : (
        <>
          <RowList
            grid={RUN_GRID}
            columns={
              <>
                <span>Workflow</span>
                <span>Status</span>
                <span>Trigger</span>
                <span>Started</span>
                <span>Duration</span>
                <span />
              </>
            }
          >
            <ul aria-label="Runs" className="divide-y divide-slate-100 dark:divide-slate-800">
              {runs.map((r) => (
                <RunRow key={r.id} run={r} workflowName={names.data?.byId.get(r.workflowId)} />
              ))}
            </ul>
          </RowList>
          <RowListFooter more={q}>
            <span aria-live="polite">
              {runs.length} run{runs.length === 1 ? '' : 's'} shown
              {live && ' · refreshing every few seconds while some are live'}
            </span>
          </RowListFooter>
        </>
      )}
    </div>
  );
}
