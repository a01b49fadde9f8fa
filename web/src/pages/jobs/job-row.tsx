import { Link } from 'react-router';
import type { Schemas } from '../../api/client';
import { durationBetween, formatDateTime, formatDuration, formatRelative } from '../../lib/format';
import { JOB_TYPE_INFO, JOB_TYPES, type JobType } from '../../lib/jobs/job-form';
import { StatusBadge } from '../../ui/badge';
import { JobProgress } from './job-progress';

type JobSummary = Schemas['JobSummary'];

export const JOB_GRID =
  'md:grid md:grid-cols-[minmax(0,2fr)_6.5rem_5rem_minmax(7rem,1fr)_8rem_6rem] md:items-center md:gap-3';

export const jobTypeLabel = (type: string) =>
  (JOB_TYPES as readonly string[]).includes(type) ? JOB_TYPE_INFO[type as JobType].label : type;

function Label({ children }: { children: string }) {
  return <span className="text-xs text-slate-500 md:hidden dark:text-slate-400">{children}: </span>;
}

export function JobRow({ job: j }: { job: JobSummary }) {
  const future = j.status === 'queued' && new Date(j.runAt).getTime() > Date.now() + 1000;
  return (
    <li
      className={`${JOB_GRID} relative flex flex-wrap items-center gap-x-4 gap-y-1.5 px-4 py-3 hover:bg-slate-50 dark:hover:bg-slate-800/50`}
    >
      <div className="min-w-0 basis-full md:basis-auto">
        {/* The link covers the whole row (after:inset-0), so any click on it opens the job. */}
        <Link
          to={`/jobs/${j.id}`}
          className="font-medium text-indigo-700 after:absolute after:inset-0 hover:underline dark:text-indigo-300"
        >
          {jobTypeLabel(j.type)}
        </Link>
        <p className="truncate font-mono text-xs text-slate-500 dark:text-slate-400">{j.id}</p>
        {j.error && (
          <p className="truncate text-xs text-red-700 dark:text-red-400" title={j.error.message}>
            {j.error.code}: {j.error.message}
          </p>
        )}
      </div>
      <div>
        <StatusBadge status={j.status} />
      </div>
      <div className="text-sm tabular-nums">
        <Label>Attempts</Label>
        {j.attempts}/{j.maxAttempts}
      </div>
      <div className="w-32 md:w-auto">
        {j.status === 'running' || j.progress > 0 ? (
          <JobProgress value={j.progress} status={j.status} />
        ) : (
          <span className="text-xs text-slate-500 dark:text-slate-400">
            {future ? `Runs ${formatRelative(j.runAt)}` : '—'}
          </span>
        )}
      </div>
      <div className="text-xs whitespace-nowrap text-slate-500 dark:text-slate-400" title={formatDateTime(j.createdAt)}>
        <Label>Created</Label>
        {formatRelative(j.createdAt)}
      </div>
      <div className="text-xs whitespace-nowrap text-slate-500 tabular-nums dark:text-slate-400">
        <Label>Took</Label>
        {j.startedAt ? formatDuration(durationBetween(j.startedAt, j.finishedAt)) : '—'}
      </div>
    </li>
  );
}
