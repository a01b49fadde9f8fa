import { Handle, Position, type NodeProps } from '@xyflow/react';
import { AlertTriangle, CircleAlert, Globe, Hand, Play, Zap, Clock } from 'lucide-react';
import { branchLabels } from '../../../lib/workflow/branches';
import type { StepNode, TriggerNode } from '../../../lib/workflow/graph';
import { cn } from '../../../lib/cn';
import { useEditorView } from './editor-context';
import { RunBadge } from './run-badge';

const box = 'rounded-lg border bg-white text-left shadow-sm dark:bg-slate-900';

function ProblemMarks({ id }: { id: string }) {
  const p = useEditorView().problems.get(id);
  if (!p) return null;
  const title = p.list.map((x) => `${x.severity === 'warning' ? 'Warning' : 'Error'}: ${x.message}`).join('\n');
  return (
    <span
      className={cn(
        'inline-flex items-center gap-0.5 rounded-full px-1.5 text-[11px] font-semibold',
        p.errors
          ? 'bg-red-100 text-red-700 dark:bg-red-900/60 dark:text-red-200'
          : 'bg-amber-100 text-amber-800 dark:bg-amber-900/60 dark:text-amber-200',
      )}
      title={title}
      role="img"
      aria-label={`${p.errors} ${p.errors === 1 ? 'error' : 'errors'}, ${p.warnings} ${p.warnings === 1 ? 'warning' : 'warnings'}`}
      data-testid={`node-problems-${id}`}
    >
      {p.errors ? <CircleAlert className="size-3" /> : <AlertTriangle className="size-3" />}
      {p.errors + p.warnings}
    </span>
  );
}

/** Border and ring: problems first (red, amber), then selection, then the node's own colour. */
function frame(errors: number | undefined, warnings: number | undefined, selected: boolean, own: string): string {
  if (errors) return 'ring-2 ring-red-500/70 border-red-500';
  if (warnings) return 'ring-2 ring-amber-400/70 border-amber-400';
  if (selected) return 'ring-2 ring-indigo-500/60 border-indigo-500';
  return own;
}

export function StepNodeView({ id, data, selected }: NodeProps<StepNode>) {
  const view = useEditorView();
  const { step } = data;
  const kind = view.kinds.get(step.type);
  const labels = branchLabels(step.type, step.config, kind?.branches ?? false);
  const p = view.problems.get(id);
  const handles = labels ? [...new Set([...labels, ...(view.usedLabels.get(id) ?? [])])] : [];
  const showPlain = !labels || view.plainOut.has(id);
  return (
    <div
      className={cn(
        box,
        'w-48',
        frame(p?.errors, p?.warnings, selected, 'border-slate-300 dark:border-slate-700'),
        step.disabled && 'opacity-60',
      )}
      data-testid={`step-node-${id}`}
    >
      <Handle type="target" position={Position.Left} className="!size-3 !bg-slate-400" />
      <div className="flex items-center justify-between gap-1 border-b border-slate-200 px-3 py-1.5 dark:border-slate-800">
        <span className="truncate font-mono text-[11px] text-slate-500 dark:text-slate-400">{step.type}</span>
        <span className="flex items-center gap-1">
          <ProblemMarks id={id} />
          <RunBadge stepId={id} />
        </span>
      </div>
      <div className="px-3 py-2">
        <div className="truncate text-sm font-semibold text-slate-900 dark:text-slate-100">{step.name || id}</div>
        {step.name && <div className="truncate font-mono text-[11px] text-slate-500">{id}</div>}
        {step.disabled && <div className="text-[11px] text-slate-500">disabled</div>}
      </div>
      {handles.length > 0 && (
        <div className="space-y-1 border-t border-slate-200 py-1.5 dark:border-slate-800">
          {handles.map((label) => (
            <div key={label} className="relative pr-4 text-right text-[11px] text-slate-600 dark:text-slate-300">
              <span className="rounded bg-slate-100 px-1 font-mono dark:bg-slate-800">{label}</span>
              <Handle
                type="source"
                id={label}
                position={Position.Right}
                className="!size-3 !bg-indigo-500"
                style={{ top: '50%' }}
                aria-label={`Branch ${label}`}
              />
            </div>
          ))}
        </div>
      )}
      {showPlain && <Handle type="source" position={Position.Right} className="!size-3 !bg-slate-500" />}
    </div>
  );
}

const TRIGGER_ICONS = { manual: Hand, webhook: Globe, schedule: Clock, event: Zap } as const;
const TRIGGER_TEXT = {
  manual: 'Started by hand or by the API',
  webhook: 'Started by an HTTP request',
  schedule: 'Started on a schedule',
  event: 'Started by an event',
} as const;

export function TriggerNodeView({ id, data, selected }: NodeProps<TriggerNode>) {
  const p = useEditorView().problems.get(id);
  const { type, config } = data.trigger;
  const Icon = TRIGGER_ICONS[type] ?? Play;
  const detail =
    type === 'schedule'
      ? String(config?.cron ?? '')
      : type === 'event'
        ? String(config?.event ?? '')
        : TRIGGER_TEXT[type];
  return (
    <div
      className={cn(box, 'w-44', frame(p?.errors, p?.warnings, selected, 'border-emerald-400 dark:border-emerald-700'))}
      data-testid="trigger-node"
    >
      <div className="flex items-center justify-between gap-1 px-3 py-2">
        <span className="inline-flex items-center gap-1.5 text-sm font-semibold text-emerald-700 dark:text-emerald-300">
          <Icon className="size-4" /> Trigger: {type}
        </span>
        <ProblemMarks id={id} />
      </div>
      <div className="truncate px-3 pb-2 text-[11px] text-slate-500 dark:text-slate-400">{detail}</div>
      <Handle type="source" position={Position.Right} isConnectable={false} className="!size-3 !bg-emerald-500" />
    </div>
  );
}
