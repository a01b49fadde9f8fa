// /jobs/:id — one job: status, attempts, progress, timings, input, and its result or error; a
// report's file downloads with the session's token. Refreshes itself while the job is live.
import { useMutation, useQuery } from '@tanstack/react-query';
import { Download } from 'lucide-react';
import { Link, useParams } from 'react-router';
import { api, call, type Schemas } from '../../api/client';
import { roleAtLeast, useMe } from '../../api/session';
import { downloadApiFile } from '../../lib/download';
import {
  durationBetween,
  formatBytes,
  formatDateTime,
  formatDuration,
  formatNumber,
  formatRelative,
} from '../../lib/format';
import { isLive, reportFile } from '../../lib/jobs/job-status';
import { StatusBadge } from '../../ui/badge';
import { Button } from '../../ui/button';
import { ErrorState, Loading, Notice } from '../../ui/feedback';
import { JsonView } from '../../ui/json-view';
import { Card, PageHeader } from '../../ui/layout';
import { JobActions } from './job-actions';
import { JobProgress } from './job-progress';
import { jobTypeLabel } from './job-row';

type Job = Schemas['Job'];

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs text-slate-500 dark:text-slate-400">{label}</dt>
      <dd className="mt-0.5 truncate text-sm">{children}</dd>
    </div>
  );
}

const When = ({ iso }: { iso: string | null }) =>
  iso ? (
    <time dateTime={iso} title={formatDateTime(iso)}>
      {formatRelative(iso)}
    </time>
  ) : (
    <>—</>
  );

function ReportDownload({ job }: { job: Job }) {
  const file = reportFile(job.result);
  const download = useMutation({
    mutationFn: (f: NonNullable<typeof file>) => downloadApiFile(`/api/v1/files/${f.fileId}`, f.name),
  });
  if (!file) return null;
  return (
    <div className="mb-3 flex flex-col gap-2 rounded-md border border-emerald-200 bg-emerald-50 p-3 sm:flex-row sm:items-center sm:justify-between dark:border-emerald-900 dark:bg-emerald-950/40">
      <p className="text-sm">
        <span className="font-medium break-all">{file.name}</span>
        <span className="text-slate-600 dark:text-slate-300">
          {file.rows !== undefined && ` · ${formatNumber(file.rows)} rows`}
          {file.bytes !== undefined && ` · ${formatBytes(file.bytes)}`}
        </span>
      </p>
      <Button
        variant="primary"
        size="sm"
        busy={download.isPending}
        icon={<Download aria-hidden="true" className="size-4" />}
        onClick={() => download.mutate(file)}
      >
        Download {file.name.split('.').pop()?.toUpperCase()}
      </Button>
      {download.isError && <ErrorState error={download.error} title="The file could not be downloaded." />}
    </div>
  );
}

function Outcome({ job }: { job: Job }) {
  if (job.status === 'succeeded')
    return (
      <Card title="Result">
        <ReportDownload job={job} />
        <JsonView value={job.result} label="result" />
      </Card>
    );
  if (job.error)
    return (
      <Card title={job.status === 'failed' ? 'Error' : 'Last error'}>
        <Notice tone={job.status === 'failed' ? 'danger' : 'warning'}>
          <p className="font-mono text-xs">{job.error.code}</p>
          <p className="mt-1">{job.error.message}</p>
          {job.status === 'queued' && (
            <p className="mt-2 text-xs">
              The attempt failed; it will be retried {formatRelative(job.runAt)} (attempt {job.attempts + 1} of{' '}
              {job.maxAttempts}).
            </p>
          )}
        </Notice>
      </Card>
    );
  if (job.status === 'cancelled')
    return (
      <Card title="Result">
        <p className="text-sm text-slate-500 dark:text-slate-400">Cancelled before it produced anything.</p>
      </Card>
    );
  return (
    <Card title="Result">
      <p className="text-sm text-slate-500 dark:text-slate-400">
        {job.status === 'running'
          ? 'Running… the result shows here when it ends.'
          : new Date(job.runAt).getTime() > Date.now()
            ? `Scheduled to run ${formatRelative(job.runAt)} (${formatDateTime(job.runAt)}).`
            : 'Waiting for a worker to pick it up.'}
      </p>
    </Card>
  );
}

export default function JobDetail() {
  const { id = '' } = useParams();
  const me = useMe();
  const q = useQuery({
    queryKey: ['jobs', id],
    queryFn: () => call(api.GET('/api/v1/jobs/{id}', { params: { path: { id } } })),
    // Live jobs are polled; one delayed for later only now and then, in case it is moved or cancelled.
    refetchInterval: (query) => {
      const j = query.state.data;
      if (!j || !isLive(j.status)) return false;
      return j.status === 'running' || new Date(j.runAt).getTime() < Date.now() + 1500 ? 1500 : 30_000;
    },
  });
  if (q.isPending) return <Loading label="Loading the job…" />;
  if (q.isError)
    return (
      <div>
        <PageHeader title="Job" description={<Link to="/jobs">← All jobs</Link>} />
        <ErrorState error={q.error} onRetry={() => q.refetch()} />
      </div>
    );
  const job = q.data;
  const future = job.status === 'queued' && new Date(job.runAt).getTime() > Date.now() + 1000;
  return (
    <div>
      <PageHeader
        title={
          <span className="flex items-center gap-3">
            {jobTypeLabel(job.type)} <StatusBadge status={job.status} />
          </span>
        }
        description={
          <>
            <Link to="/jobs" className="text-indigo-700 hover:underline dark:text-indigo-300">
              ← All jobs
            </Link>{' '}
            · <span className="font-mono">{job.id}</span>
          </>
        }
        actions={roleAtLeast(me, 'editor') && <JobActions job={job} />}
      />
      <div className="space-y-4">
        <Card>
          {(job.status === 'running' || job.progress > 0) && (
            <div className="mb-4">
              <JobProgress value={job.progress} status={job.status} />
            </div>
          )}
          <dl className="grid grid-cols-2 gap-4 sm:grid-cols-3 lg:grid-cols-6">
            <Fact label="Attempts">
              {job.attempts} of {job.maxAttempts}
            </Fact>
            <Fact label="Priority">{job.priority}</Fact>
            <Fact label="Created">
              <When iso={job.createdAt} />
            </Fact>
            <Fact label={future ? 'Runs' : 'Due'}>
              <When iso={job.runAt} />
            </Fact>
            <Fact label="Started">
              <When iso={job.startedAt} />
            </Fact>
            <Fact label={job.finishedAt ? 'Took' : job.startedAt ? 'Running for' : 'Duration'}>
              {job.startedAt ? formatDuration(durationBetween(job.startedAt, job.finishedAt)) : '—'}
            </Fact>
          </dl>
          <p className="mt-3 text-xs text-slate-500 dark:text-slate-400">
            Created by{' '}
            {job.createdBy === `user:${me.user.id}` ? 'you' : <span className="font-mono">{job.createdBy}</span>}
            {job.idempotencyKey && (
              <>
                {' '}
                · idempotency key <span className="font-mono">{job.idempotencyKey}</span>
              </>
            )}
            {isLive(job.status) && ' · refreshing while it is live'}
          </p>
        </Card>
        <div className="grid gap-4 lg:grid-cols-2 [&>*]:min-w-0">
          <Card title="Input">
            <JsonView value={job.payload} label="payload" />
          </Card>
          <Outcome job={job} />
        </div>
      </div>
    </div>
  );
}
