import { CheckCircle2, CircleDashed, Loader2, SkipForward, XCircle } from 'lucide-react';
import { cn } from '../../../lib/cn';
import { useEditorView } from './editor-context';

const STYLE: Record<string, { cls: string; Icon: typeof CheckCircle2 }> = {
  succeeded: {
    cls: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-900/60 dark:text-emerald-200',
    Icon: CheckCircle2,
  },
  done: { cls: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-900/60 dark:text-emerald-200', Icon: CheckCircle2 },
  failed: { cls: 'bg-red-100 text-red-800 dark:bg-red-900/60 dark:text-red-200', Icon: XCircle },
  skipped: { cls: 'bg-slate-100 text-slate-600 dark:bg-slate-800 dark:text-slate-300', Icon: SkipForward },
  running: { cls: 'bg-sky-100 text-sky-800 dark:bg-sky-900/60 dark:text-sky-200', Icon: Loader2 },
};

/** The step's status in the test run; a button that opens its output. */
export function RunBadge({ stepId }: { stepId: string }) {
  const view = useEditorView();
  const s = view.run.get(stepId);
  if (!s) return null;
  const style = STYLE[s.status] ?? {
    cls: 'bg-amber-100 text-amber-800 dark:bg-amber-900/60 dark:text-amber-200',
    Icon: CircleDashed,
  };
  return (
    <button
      type="button"
      className={cn('nodrag inline-flex items-center gap-0.5 rounded-full px-1.5 text-[11px] font-medium', style.cls)}
      onClick={(e) => {
        e.stopPropagation();
        view.showOutput(stepId);
      }}
      aria-label={`${stepId}: ${s.status}. Show output`}
      data-testid={`run-badge-${stepId}`}
    >
      <style.Icon className={cn('size-3', s.status === 'running' && 'animate-spin')} />
      {s.status}
    </button>
  );
}
