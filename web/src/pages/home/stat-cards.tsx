import { Boxes, Briefcase, PlayCircle, Sparkles } from 'lucide-react';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import type { Schemas } from '../../api/client';
import { formatNumber } from '../../lib/format';
import { formatPercent, successRate } from '../../lib/stats/runs-series';

type Stats = Schemas['Stats'];

function StatCard({
  to,
  icon,
  label,
  value,
  children,
}: {
  to?: string;
  icon: ReactNode;
  label: string;
  value: ReactNode;
  children: ReactNode;
}) {
  const body = (
    <>
      <div className="flex items-start justify-between gap-2 text-sm font-medium text-slate-500 dark:text-slate-400">
        {label}
        <span aria-hidden className="text-slate-400 dark:text-slate-500">
          {icon}
        </span>
      </div>
      <div className="mt-2 text-2xl font-semibold sm:text-3xl tracking-tight tabular-nums">{value}</div>
      <div className="mt-2 text-xs text-slate-500 dark:text-slate-400">{children}</div>
    </>
  );
  const cls =
    'block min-w-0 rounded-lg border border-slate-200 bg-white p-3 shadow-sm sm:p-4 dark:border-slate-800 dark:bg-slate-900';
  return to ? (
    <Link
      to={to}
      className={`${cls} transition-colors hover:border-indigo-300 focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:outline-none dark:hover:border-indigo-700`}
    >
      {body}
    </Link>
  ) : (
    <section className={cls}>{body}</section>
  );
}

/** "3 active · 1 draft", the non-zero statuses only. */
function breakdown(byStatus: Record<string, number>, order: string[]): string {
  const parts = order.filter((s) => (byStatus[s] ?? 0) > 0).map((s) => `${formatNumber(byStatus[s])} ${s}`);
  return parts.length ? parts.join(' · ') : 'None yet';
}

const usd = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD', maximumFractionDigits: 2 });

export function StatCards({ stats }: { stats: Stats }) {
  const runs = stats.runs.byStatus;
  const rate = successRate(runs);
  const live = runs.queued + runs.running + runs.waiting;
  const month = new Date(`${stats.ai.month}-01T00:00:00Z`).toLocaleDateString(undefined, {
    month: 'long',
    timeZone: 'UTC',
  });
  return (
    <div className="grid grid-cols-2 gap-3 sm:gap-4 xl:grid-cols-4">
      <StatCard to="/items" icon={<Boxes className="size-5" />} label="Items" value={formatNumber(stats.items.total)}>
        {breakdown(stats.items.byStatus, ['active', 'draft', 'archived'])}
      </StatCard>
      <StatCard
        to="/runs"
        icon={<PlayCircle className="size-5" />}
        label="Workflow runs"
        value={formatNumber(stats.runs.total)}
      >
        {stats.runs.total === 0 ? (
          'None yet'
        ) : (
          <>
            <span
              className={rate !== undefined && rate < 0.9 ? 'font-medium text-red-600 dark:text-red-400' : undefined}
            >
              {formatPercent(rate)} succeeded
            </span>
            {' · '}
            {formatNumber(runs.failed)} failed{live > 0 ? ` · ${formatNumber(live)} in progress` : ''}
          </>
        )}
      </StatCard>
      <StatCard to="/jobs" icon={<Briefcase className="size-5" />} label="Jobs" value={formatNumber(stats.jobs.total)}>
        {breakdown(stats.jobs.byStatus, ['queued', 'running', 'succeeded', 'failed', 'cancelled'])}
      </StatCard>
      <StatCard
        icon={<Sparkles className="size-5" />}
        label={`AI usage in ${month}`}
        value={formatNumber(stats.ai.calls)}
      >
        calls · {formatNumber(stats.ai.inputTokens + stats.ai.outputTokens)} tokens · {usd.format(stats.ai.costUsd)}
      </StatCard>
    </div>
  );
}
