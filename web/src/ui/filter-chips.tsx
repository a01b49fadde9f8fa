import type { ReactNode } from 'react';
import { cn } from '../lib/cn';

/**
 * A row of toggle chips (aria-pressed buttons) in a fieldset with a screen-reader legend: the status
 * filters of the lists. The caller owns the selection and decides what a press does.
 */
export function FilterChips<T extends string>({
  legend,
  options,
  selected,
  onToggle,
  className = 'flex flex-wrap gap-1.5',
  before,
  after,
}: {
  legend: string;
  options: readonly T[];
  selected: readonly T[];
  onToggle: (value: T) => void;
  /** Classes of the fieldset; default a wrapping row. */
  className?: string;
  /** Shown before the chips, inside the fieldset (a visible label). */
  before?: ReactNode;
  /** Shown after the chips, inside the fieldset (a "clear" button). */
  after?: ReactNode;
}) {
  return (
    <fieldset className={className}>
      <legend className="sr-only">{legend}</legend>
      {before}
      {options.map((value) => {
        const on = selected.includes(value);
        return (
          <button
            key={value}
            type="button"
            aria-pressed={on}
            onClick={() => onToggle(value)}
            className={cn(
              'rounded-full border px-3 py-1 text-xs font-medium capitalize focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-500',
              on
                ? 'border-indigo-600 bg-indigo-600 text-white dark:border-indigo-400 dark:bg-indigo-500'
                : 'border-slate-300 bg-white text-slate-700 hover:bg-slate-50 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-200 dark:hover:bg-slate-800',
            )}
          >
            {value}
          </button>
        );
      })}
      {after}
    </fieldset>
  );
}
