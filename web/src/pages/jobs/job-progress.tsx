import { cn } from '../../lib/cn';

/** A job's 0–100 progress as a bar with its number, announced as a progressbar. */
export function JobProgress({ value, status, className }: { value: number; status: string; className?: string }) {
  const pct = Math.max(0, Math.min(100, Math.round(value)));
  return (
    <div className={cn('flex items-center gap-2', className)}>
      <div
        role="progressbar"
        aria-label="Progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
        className="h-2 w-full min-w-16 overflow-hidden rounded-full bg-slate-200 dark:bg-slate-800"
      >
        <div
          className={cn(
            'h-full rounded-full transition-[width]',
            status === 'failed' ? 'bg-red-500' : status === 'succeeded' ? 'bg-emerald-500' : 'bg-indigo-500',
          )}
          style={{ width: `${pct}%` }}
        />
      </div>
      <span className="w-9 text-right text-xs text-slate-500 tabular-nums dark:text-slate-400">{pct}%</span>
    </div>
  );
}
