import { Boxes, CheckCircle2, Circle, UserPlus, Workflow } from 'lucide-react';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { cn } from '../../lib/cn';
import { Card } from '../../ui/layout';

interface Step {
  done: boolean;
  title: string;
  body: ReactNode;
  to: string;
  cta: string;
  icon: ReactNode;
}

/** The first things to do in a new organisation, each ticked off as it happens. */
export function GettingStarted({
  hasItems,
  hasWorkflows,
  hasTeammates,
  canWrite,
  canInvite,
}: {
  hasItems: boolean;
  hasWorkflows: boolean;
  hasTeammates: boolean;
  canWrite: boolean;
  canInvite: boolean;
}) {
  const steps: Step[] = [
    {
      done: hasItems,
      title: 'Create an item',
      body: 'Items are the records you keep here: a client, an invoice, a document.',
      to: '/items/new',
      cta: 'Create an item',
      icon: <Boxes className="size-5" />,
    },
    {
      done: hasWorkflows,
      title: 'Build a workflow',
      body: 'When a webhook, a schedule or an event fires: call an API, ask an AI, branch, notify someone.',
      to: '/workflows/new',
      cta: 'Build a workflow',
      icon: <Workflow className="size-5" />,
    },
    ...(canInvite
      ? [
          {
            done: hasTeammates,
            title: 'Invite a teammate',
            body: 'Work together: each person gets a role, from viewer to admin.',
            to: '/settings/members',
            cta: 'Invite a teammate',
            icon: <UserPlus className="size-5" />,
          },
        ]
      : []),
  ];
  const left = steps.filter((s) => !s.done).length;
  return (
    <Card
      title="Getting started"
      actions={
        <span className="text-xs text-slate-500 dark:text-slate-400">
          {steps.length - left} of {steps.length} done
        </span>
      }
    >
      <ol className="grid gap-3 md:grid-cols-3">
        {steps.map((s, i) => (
          <li
            key={s.title}
            className={cn(
              'flex flex-col rounded-md border p-3',
              s.done
                ? 'border-emerald-200 bg-emerald-50/60 dark:border-emerald-900 dark:bg-emerald-950/30'
                : 'border-slate-200 dark:border-slate-800',
            )}
          >
            <div className="flex items-center gap-2 text-sm font-semibold">
              {s.done ? (
                <CheckCircle2 aria-hidden className="size-5 text-emerald-600 dark:text-emerald-400" />
              ) : (
                <Circle aria-hidden className="size-5 text-slate-300 dark:text-slate-600" />
              )}
              <span>
                {i + 1}. {s.title}
                <span className="sr-only">{s.done ? ' (done)' : ' (to do)'}</span>
              </span>
              <span aria-hidden className="ml-auto text-slate-400">
                {s.icon}
              </span>
            </div>
            <p className="mt-1 flex-1 text-sm text-slate-600 dark:text-slate-400">{s.body}</p>
            {!s.done && (canWrite || s.to === '/settings/members') && (
              <Link
                to={s.to}
                className="mt-3 self-start text-sm font-medium text-indigo-700 hover:underline focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:outline-none dark:text-indigo-300"
              >
                {s.cta} →
              </Link>
            )}
          </li>
        ))}
      </ol>
    </Card>
  );
}
