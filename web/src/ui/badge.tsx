import { cn } from '../lib/cn';

const TONES = {
  gray: 'bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-300',
  blue: 'bg-sky-100 text-sky-800 dark:bg-sky-900/60 dark:text-sky-200',
  green: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-900/60 dark:text-emerald-200',
  red: 'bg-red-100 text-red-800 dark:bg-red-900/60 dark:text-red-200',
  amber: 'bg-amber-100 text-amber-800 dark:bg-amber-900/60 dark:text-amber-200',
  violet: 'bg-violet-100 text-violet-800 dark:bg-violet-900/60 dark:text-violet-200',
} as const;
export type Tone = keyof typeof TONES;

export function Badge({
  tone = 'gray',
  children,
  className,
}: {
  tone?: Tone;
  children: React.ReactNode;
  className?: string;
}) {
  return (
    <span
      className={cn(
        'inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap',
        TONES[tone],
        className,
      )}
    >
      {children}
    </span>
  );
}

const STATUS_TONE: Record<string, Tone> = {
  succeeded: 'green',
  active: 'green',
  ok: 'green',
  failed: 'red',
  error: 'red',
  cancelled: 'gray',
  archived: 'gray',
  draft: 'amber',
  queued: 'blue',
  running: 'violet',
  waiting: 'amber',
  skipped: 'gray',
};

/** A run, step, job or item status as a coloured pill. */
export function StatusBadge({ status }: { status: string }) {
  return <Badge tone={STATUS_TONE[status] ?? 'gray'}>{status}</Badge>;
}
