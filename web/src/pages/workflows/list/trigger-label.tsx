import { Clock, MousePointerClick, Webhook, Zap } from 'lucide-react';

const TRIGGERS = {
  manual: { label: 'Manual', icon: MousePointerClick },
  webhook: { label: 'Webhook', icon: Webhook },
  schedule: { label: 'Schedule', icon: Clock },
  event: { label: 'Event', icon: Zap },
} as const;

export const TRIGGER_TYPES = Object.keys(TRIGGERS) as (keyof typeof TRIGGERS)[];

/** A trigger type with its icon; the icon is decorative, the word carries the meaning. */
export function TriggerLabel({ type }: { type: string }) {
  const t = TRIGGERS[type as keyof typeof TRIGGERS];
  const Icon = t?.icon ?? Zap;
  return (
    <span className="inline-flex items-center gap-1.5 text-sm text-slate-700 dark:text-slate-300">
      <Icon aria-hidden="true" className="size-4 shrink-0 text-slate-500 dark:text-slate-400" />
      {t?.label ?? type}
    </span>
  );
}
