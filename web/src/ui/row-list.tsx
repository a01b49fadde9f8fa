import type { ReactNode } from 'react';
import { cn } from '../lib/cn';
import { Button } from './button';

/**
 * The card around a list of grid rows (jobs, runs, workflows), with the column header that only a
 * wide screen shows. The header is aria-hidden: each row labels its own cells for screen readers.
 */
export function RowList({
  grid,
  columns,
  className,
  children,
}: {
  /** The row's grid template classes, shared with the rows so the header lines up. */
  grid: string;
  /** One element per column (usually a <span>). */
  columns: ReactNode;
  className?: string;
  children: ReactNode;
}) {
  return (
    <div
      className={cn('rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900', className)}
    >
      <div
        aria-hidden="true"
        className={`${grid} hidden border-b border-slate-200 px-4 py-2 text-xs font-semibold tracking-wide text-slate-500 uppercase dark:border-slate-800`}
      >
        {columns}
      </div>
      {children}
    </div>
  );
}

/** Under a paged list: how many are shown (the caller's words) and "Load more" while pages remain. */
export function RowListFooter({
  more,
  children,
}: {
  /** The infinite query (or anything with its three paging members). */
  more: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown };
  children: ReactNode;
}) {
  return (
    <div className="mt-3 flex items-center justify-between gap-2 text-xs text-slate-500 dark:text-slate-400">
      {children}
      {more.hasNextPage && (
        <Button size="sm" busy={more.isFetchingNextPage} onClick={() => more.fetchNextPage()}>
          Load more
        </Button>
      )}
    </div>
  );
}
