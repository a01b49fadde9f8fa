import type { StreamState } from './use-run-stream';

/** Whether the page follows the run as it happens (stream) or checks every few seconds (polling). */
export function LiveIndicator({ state }: { state: StreamState }) {
  const live = state === 'live';
  return (
    <span
      role="status"
      className="inline-flex items-center gap-1.5 rounded-full border border-slate-200 px-2 py-0.5 text-xs font-medium text-slate-600 dark:border-slate-700 dark:text-slate-300"
      title={live ? 'Updates arrive as the run advances' : 'Checking for updates every 2 seconds'}
    >
      <span
        aria-hidden="true"
        className={live ? 'size-2 animate-pulse rounded-full bg-emerald-500' : 'size-2 rounded-full bg-amber-500'}
      />
      {live ? 'Live' : state === 'connecting' ? 'Connecting…' : 'Polling'}
    </span>
  );
}
