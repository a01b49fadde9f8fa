import { AlertTriangle, CircleAlert } from 'lucide-react';
import { pathInsideNode, sortProblems, type Problem } from '../../../lib/workflow/problems';
import { cn } from '../../../lib/cn';

function Row({ p, onClick, showPath }: { p: Problem; onClick?: () => void; showPath: 'full' | 'inside' }) {
  const Icon = p.severity === 'warning' ? AlertTriangle : CircleAlert;
  const body = (
    <>
      <Icon
        className={cn('mt-0.5 size-4 shrink-0', p.severity === 'warning' ? 'text-amber-500' : 'text-red-500')}
        aria-label={p.severity}
      />
      <span className="min-w-0">
        <span className="block text-slate-800 dark:text-slate-200">{p.message}</span>
        <span className="block font-mono text-[11px] text-slate-500">
          {p.code} · {showPath === 'full' ? p.path || '(definition)' : pathInsideNode(p.path)}
        </span>
      </span>
    </>
  );
  return (
    <li>
      {onClick ? (
        <button
          type="button"
          onClick={onClick}
          className="flex w-full gap-2 rounded px-2 py-1.5 text-left text-xs hover:bg-slate-100 dark:hover:bg-slate-800"
        >
          {body}
        </button>
      ) : (
        <div className="flex gap-2 px-2 py-1 text-xs">{body}</div>
      )}
    </li>
  );
}

/** The problems of one node, at the top of its panel. */
export function NodeProblemList({ problems }: { problems: Problem[] }) {
  if (problems.length === 0) return null;
  return (
    <ul
      className="rounded-md border border-red-200 bg-red-50/60 py-1 dark:border-red-900 dark:bg-red-950/30"
      aria-label="Problems of this node"
    >
      {sortProblems(problems).map((p, i) => (
        <Row key={i} p={p} showPath="inside" />
      ))}
    </ul>
  );
}

/** Every problem of the definition; a click selects the node it belongs to. */
export function ProblemsPanel({
  problems,
  targetOf,
  onFocus,
  checking,
}: {
  problems: Problem[];
  targetOf: (p: Problem) => string;
  onFocus: (nodeId: string) => void;
  checking: boolean;
}) {
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  return (
    <section aria-labelledby="problems-heading" data-testid="problems-panel">
      <h2 id="problems-heading" className="mb-1 flex items-center gap-2 text-sm font-semibold">
        Problems
        <span className="text-xs font-normal text-slate-500" aria-live="polite">
          {checking
            ? 'checking…'
            : problems.length === 0
              ? 'none — ready to save'
              : `${errors} ${errors === 1 ? 'error' : 'errors'}, ${warnings} ${warnings === 1 ? 'warning' : 'warnings'}`}
        </span>
      </h2>
      {problems.length > 0 && (
        <ul className="max-h-48 overflow-auto">
          {sortProblems(problems).map((p, i) => (
            <Row key={i} p={p} showPath="full" onClick={() => onFocus(targetOf(p))} />
          ))}
        </ul>
      )}
    </section>
  );
}
