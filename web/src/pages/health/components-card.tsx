import { CheckCircle2, XCircle } from 'lucide-react';
import { cn } from '../../lib/cn';
import { ErrorState, Loading } from '../../ui/feedback';
import { Card } from '../../ui/layout';
import type { Readiness } from './queries';

const NAMES: Record<string, string> = {
  database: 'Database',
  redis: 'Redis',
  queue: 'Queue',
  server: 'Server',
  storage: 'Storage',
};

/** One row per dependency /health/ready checks: colour and words, never colour alone. */
export function ComponentsCard({
  ready,
  error,
  loading,
}: {
  ready: Readiness | undefined;
  error: unknown;
  loading: boolean;
}) {
  return (
    <Card title="Components">
      {loading ? (
        <Loading />
      ) : !ready ? (
        <ErrorState error={error} title="Readiness could not be read." />
      ) : (
        <ul className="divide-y divide-slate-100 dark:divide-slate-800">
          {Object.entries(ready.components).map(([name, c]) => {
            const up = c.status === 'up';
            return (
              <li key={name} className="flex items-start gap-3 py-2.5 first:pt-0 last:pb-0">
                {up ? (
                  <CheckCircle2 aria-hidden className="mt-0.5 size-5 shrink-0 text-emerald-600 dark:text-emerald-400" />
                ) : (
                  <XCircle aria-hidden className="mt-0.5 size-5 shrink-0 text-red-600 dark:text-red-400" />
                )}
                <div className="min-w-0 flex-1">
                  <p className="text-sm font-medium">{NAMES[name] ?? name}</p>
                  {c.error && <p className="text-xs break-words text-red-700 dark:text-red-300">{c.error}</p>}
                </div>
                <span
                  className={cn(
                    'shrink-0 rounded-full px-2 py-0.5 text-xs font-medium',
                    up
                      ? 'bg-emerald-100 text-emerald-800 dark:bg-emerald-900/60 dark:text-emerald-200'
                      : 'bg-red-100 text-red-800 dark:bg-red-900/60 dark:text-red-200',
                  )}
                >
                  {up ? 'Up' : 'Down'} · {c.latencyMs} ms
                </span>
              </li>
            );
          })}
        </ul>
      )}
    </Card>
  );
}
