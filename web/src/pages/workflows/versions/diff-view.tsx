import { useMemo, useState } from 'react';
import { cn } from '../../../lib/cn';
import { type DiffRow, diffTextLines, foldUnchanged, prettyDefinition } from '../../../lib/versions/definition-diff';

const ROW_TONE = {
  added: 'bg-emerald-50 text-emerald-900 dark:bg-emerald-950/50 dark:text-emerald-200',
  removed: 'bg-red-50 text-red-900 dark:bg-red-950/50 dark:text-red-200',
  same: 'text-slate-700 dark:text-slate-300',
} as const;
const SIGN = { added: '+', removed: '−', same: ' ' } as const;

/**
 * A unified line diff of two definitions' pretty JSON. Lines carry a +/− sign as well as a colour,
 * so the difference does not rest on colour alone; long unchanged stretches are folded.
 */
export function DiffView({ before, after, labels }: { before: unknown; after: unknown; labels: [string, string] }) {
  const [showAll, setShowAll] = useState(false);
  const rows = useMemo(() => diffTextLines(prettyDefinition(before), prettyDefinition(after)), [before, after]);
  const shown: DiffRow[] = useMemo(() => (showAll ? rows : foldUnchanged(rows, 3)), [rows, showAll]);
  const added = rows.filter((r) => r.kind === 'added').length;
  const removed = rows.filter((r) => r.kind === 'removed').length;
  return (
    <div className="overflow-hidden rounded-md border border-slate-200 dark:border-slate-800">
      <div className="flex flex-wrap items-center justify-between gap-2 border-b border-slate-200 bg-slate-50 px-3 py-1.5 text-xs text-slate-600 dark:border-slate-800 dark:bg-slate-950 dark:text-slate-400">
        <span>
          {labels[0]} → {labels[1]}: <span className="text-emerald-700 dark:text-emerald-400">+{added}</span>{' '}
          <span className="text-red-700 dark:text-red-400">−{removed}</span> lines
        </span>
        <button type="button" className="hover:underline" onClick={() => setShowAll(!showAll)} aria-pressed={showAll}>
          {showAll ? 'Fold unchanged lines' : 'Show all lines'}
        </button>
      </div>
      <div className="max-h-[36rem] overflow-auto bg-white dark:bg-slate-900" data-testid="version-diff">
        <table className="w-full border-collapse font-mono text-xs leading-5">
          <caption className="sr-only">
            Differences between {labels[0]} and {labels[1]}; lines marked + were added, − removed
          </caption>
          <tbody>
            {shown.map((r, i) =>
              r.kind === 'gap' ? (
                <tr key={`gap-${i}`} className="bg-slate-50 text-slate-500 dark:bg-slate-950 dark:text-slate-400">
                  <td colSpan={4} className="px-3 py-0.5">
                    <button type="button" className="hover:underline" onClick={() => setShowAll(true)}>
                      ⋯ {r.hidden} unchanged line{r.hidden === 1 ? '' : 's'}
                    </button>
                  </td>
                </tr>
              ) : (
                <tr key={`${r.kind}-${r.oldNo ?? ''}-${r.newNo ?? ''}`} className={ROW_TONE[r.kind]}>
                  <td className="w-10 px-2 text-right text-slate-400 select-none">{r.oldNo ?? ''}</td>
                  <td className="w-10 px-2 text-right text-slate-400 select-none">{r.newNo ?? ''}</td>
                  <td className="w-4 text-center select-none" aria-label={r.kind === 'same' ? undefined : r.kind}>
                    {SIGN[r.kind]}
                  </td>
                  <td className={cn('pr-3 whitespace-pre')}>{r.text}</td>
                </tr>
              ),
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}
