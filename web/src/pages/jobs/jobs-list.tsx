// /jobs: background jobs, newest first, filtered by status and type in the URL
// (?status=failed&type=cleanup), a page at a time; it refreshes itself while a job is live.
import { useInfiniteQuery } from '@tanstack/react-query';
import { Briefcase, Plus } from 'lucide-react';
import { useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, call } from '../../api/client';
import { roleAtLeast, useMe } from '../../api/session';
import { JOB_TYPE_INFO, JOB_TYPES, type JobType } from '../../lib/jobs/job-form';
import { isLive, JOB_STATUSES, readJobFilters, toggle, writeJobFilters } from '../../lib/jobs/job-status';
import { Button } from '../../ui/button';
import { EmptyState, ErrorState, Loading } from '../../ui/feedback';
import { FilterChips } from '../../ui/filter-chips';
import { Select } from '../../ui/form';
import { PageHeader } from '../../ui/layout';
import { RowList, RowListFooter } from '../../ui/row-list';
import { JobRow, JOB_GRID } from './job-row';
import { NewJobDialog } from './new-job-dialog';

const PAGE = 25;
const POLL_MS = 3000;

export default function JobsList() {
  const me = useMe();
  const canWrite = roleAtLeast(me, 'editor');
  const [params, setParams] = useSearchParams();
  const [creating, setCreating] = useState(false);
  const filters = useMemo(() => readJobFilters(params), [params]);

  const q = useInfiniteQuery({
    queryKey: ['jobs', 'list', filters],
    queryFn: ({ pageParam }) =>
      call(
        api.GET('/api/v1/jobs', {
          params: {
            query: {
              limit: PAGE,
              ...(filters.statuses.length ? { status: filters.statuses } : {}),
              ...(filters.types.length ? { type: filters.types } : {}),
              ...(pageParam ? { cursor: pageParam } : {}),
            },
          },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    // Polls only while something on screen can still change by itself.
    // A job delayed for later (a queued job whose runAt is ahead) is checked less often.
    refetchInterval: (query) => {
      const live = query.state.data?.pages.flatMap((p) => p.data.filter((j) => isLive(j.status))) ?? [];
      if (live.length === 0) return false;
      const dueSoon = live.some((j) => j.status === 'running' || new Date(j.runAt).getTime() < Date.now() + POLL_MS);
      return dueSoon ? POLL_MS : 30_000;
    },
  });
  const jobs = useMemo(() => q.data?.pages.flatMap((p) => p.data) ?? [], [q.data]);
  const filtered = filters.statuses.length > 0 || filters.types.length > 0;
  const live = jobs.some((j) => isLive(j.status));

  const update = (next: typeof filters) => setParams(writeJobFilters(params, next), { replace: true });

  return (
    <div>
      <PageHeader
        title="Jobs"
        description="Background work: data processing, notifications, reports and cleanups, retried until they succeed."
        actions={
          canWrite && (
            <Button
              variant="primary"
              icon={<Plus aria-hidden="true" className="size-4" />}
              onClick={() => setCreating(true)}
            >
              New job
            </Button>
          )
        }
      />
      {canWrite && <NewJobDialog open={creating} onClose={() => setCreating(false)} />}
      <div className="mb-4 flex flex-col gap-3 sm:flex-row sm:items-center sm:justify-between">
        <FilterChips
          legend="Status"
          options={JOB_STATUSES}
          selected={filters.statuses}
          onToggle={(s) => update({ ...filters, statuses: toggle(filters.statuses, s) })}
        />
        <label className="block sm:w-52">
          <span className="sr-only">Job type</span>
          <Select
            value={filters.types[0] ?? ''}
            onChange={(e) => update({ ...filters, types: e.target.value ? [e.target.value as JobType] : [] })}
          >
            <option value="">All types</option>
            {JOB_TYPES.map((t) => (
              <option key={t} value={t}>
                {JOB_TYPE_INFO[t].label}
              </option>
            ))}
          </Select>
        </label>
      </div>
      {q.isPending ? (
        <Loading label="Loading jobs…" />
      ) : q.isError ? (
        <ErrorState error={q.error} onRetry={() => q.refetch()} />
      ) : jobs.length === 0 ? (
        filtered ? (
          <EmptyState title="No job matches these filters">
            <button
              type="button"
              className="text-indigo-700 underline dark:text-indigo-300"
              onClick={() => update({ statuses: [], types: [] })}
            >
              Clear filters
            </button>
          </EmptyState>
        ) : (
          <EmptyState
            icon={<Briefcase className="size-10" />}
            title="No jobs yet"
            action={
              canWrite && (
                <Button
                  variant="primary"
                  icon={<Plus aria-hidden="true" className="size-4" />}
                  onClick={() => setCreating(true)}
                >
                  Queue your first job
                </Button>
              )
            }
          >
            A job is a piece of background work: evaluate an expression over JSON or CSV, send an email or a webhook,
            export items or runs as a file, or clean up old data. It is retried with back-off when it fails, and you can
            follow its progress here. Workflows can queue jobs too, with a <code>job</code> step.
          </EmptyState>
        )
      ) : (
        <>
          <RowList
            grid={JOB_GRID}
            columns={
              <>
                <span>Job</span>
                <span>Status</span>
                <span>Attempts</span>
                <span>Progress</span>
                <span>Created</span>
                <span>Duration</span>
              </>
            }
          >
            <ul aria-label="Jobs" className="divide-y divide-slate-100 dark:divide-slate-800">
              {jobs.map((j) => (
                <JobRow key={j.id} job={j} />
              ))}
            </ul>
          </RowList>
          <RowListFooter more={q}>
            <span aria-live="polite">
              {jobs.length} job{jobs.length === 1 ? '' : 's'} shown
              {live && ' · refreshing every few seconds while some are queued or running'}
            </span>
          </RowListFooter>
        </>
      )}
      {!canWrite && (
        <p className="mt-4 text-xs text-slate-500 dark:text-slate-400">
          Your role can read jobs; an editor can queue, retry and cancel them.
        </p>
      )}
    </div>
  );
}
