// /items: search as you type, filters, sort and cursor pages, all in the URL query string.
import { Boxes, ChevronLeft, ChevronRight, Plus } from 'lucide-react';
import { useLocation, useNavigate, useSearchParams } from 'react-router';
import { roleAtLeast, useMe } from '../../api/session';
import {
  changeFilters,
  isFiltered,
  type ItemsListState,
  readListState,
  toApiQuery,
  writeListState,
} from '../../lib/items/list-query';
import { Button, LinkButton } from '../../ui/button';
import { EmptyState, ErrorState, Loading, Spinner } from '../../ui/feedback';
import { PageHeader } from '../../ui/layout';
import { ItemsTable } from './items-table';
import { ItemsToolbar } from './items-toolbar';
import { useItemsList } from './queries';

/** Cursors of the pages before this one, kept in the history entry so Previous works. */
type PageState = { prev?: string[] } | null;

export default function ItemsListPage() {
  const me = useMe();
  const canWrite = roleAtLeast(me, 'editor');
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const location = useLocation();
  const state = readListState(params);
  const prev = (location.state as PageState)?.prev ?? [];
  const list = useItemsList(toApiQuery(state));

  const go = (next: ItemsListState, history: string[] = [], replace = false) => {
    const search = writeListState(next).toString();
    navigate({ search: search ? `?${search}` : '' }, { state: { prev: history }, replace });
  };
  // Typing a search replaces the history entry, so Back does not replay every keystroke.
  const filter = (change: Partial<Omit<ItemsListState, 'cursor'>>) =>
    go(changeFilters(state, change), [], 'q' in change);

  const newButton = canWrite && (
    <LinkButton to="/items/new" variant="primary">
      <Plus aria-hidden className="size-4" />
      New item
    </LinkButton>
  );
  const rows = list.data?.data ?? [];
  const nextCursor = list.data?.nextCursor ?? null;

  return (
    <>
      <PageHeader
        title="Items"
        description="Records your workflows read and write: clients, invoices, documents, anything with a name, tags and fields."
        actions={newButton}
      />
      <ItemsToolbar state={state} onChange={filter} />
      {list.isPending ? (
        <Loading label="Loading items…" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => list.refetch()} />
      ) : rows.length === 0 && !state.cursor ? (
        isFiltered(state) ? (
          <EmptyState
            title="No items match"
            action={
              <Button onClick={() => go({ q: '', status: [], tags: [], sort: '', cursor: '' })}>Clear filters</Button>
            }
          >
            Nothing matches {state.q.trim() ? <>“{state.q.trim()}”</> : 'these filters'}. Try fewer words or remove a
            filter.
          </EmptyState>
        ) : (
          <EmptyState
            icon={<Boxes className="size-10" />}
            title={canWrite ? 'Create your first item' : 'No items yet'}
            action={newButton}
          >
            Items are the records your team keeps here — a client, an invoice, a document. Workflows can create, update
            and search them too.
          </EmptyState>
        )
      ) : (
        <>
          <div className="relative">
            {list.isFetching && (
              <span className="absolute -top-7 right-0">
                <Spinner className="size-4" />
              </span>
            )}
            <ItemsTable items={rows} onTag={(t) => !state.tags.includes(t) && filter({ tags: [...state.tags, t] })} />
          </div>
          <nav aria-label="Pages" className="mt-3 flex flex-wrap items-center justify-between gap-2 text-sm">
            <span className="text-slate-500 dark:text-slate-400">
              {rows.length} item{rows.length === 1 ? '' : 's'} on this page
              {prev.length ? ` (page ${prev.length + 1})` : ''}
            </span>
            <div className="flex gap-2">
              {state.cursor && (
                <Button
                  size="sm"
                  icon={<ChevronLeft className="size-4" />}
                  onClick={() =>
                    prev.length
                      ? go({ ...state, cursor: prev.at(-1) ?? '' }, prev.slice(0, -1))
                      : go({ ...state, cursor: '' })
                  }
                >
                  {prev.length ? 'Previous' : 'First page'}
                </Button>
              )}
              <Button
                size="sm"
                disabled={!nextCursor}
                onClick={() => nextCursor && go({ ...state, cursor: nextCursor }, [...prev, state.cursor])}
              >
                Next <ChevronRight className="size-4" />
              </Button>
            </div>
          </nav>
        </>
      )}
    </>
  );
}
