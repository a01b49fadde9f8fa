// /audit: what happened in this organisation, newest first. Filters and the open entry live in
// the URL (?action=…&entry=aud_…) so a view can be shared; older pages load with the API's cursor.
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { ScrollText } from 'lucide-react';
import { useMemo } from 'react';
import { useSearchParams } from 'react-router';
import { api, call } from '../../api/client';
import { formatDateTime, formatRelative } from '../../lib/format';
import {
  type AuditFilters,
  auditQuery,
  countFilters,
  readAuditFilters,
  writeAuditFilters,
} from '../../lib/settings/audit-filters';
import { Badge } from '../../ui/badge';
import { Button } from '../../ui/button';
import { EmptyState, ErrorState, Loading } from '../../ui/feedback';
import { PageHeader, Table } from '../../ui/layout';
import { AuditEntryDialog } from './audit-entry-dialog';
import { AuditFiltersForm } from './audit-filters-form';

const PAGE = 50;

const linkClass = 'rounded text-left hover:underline focus-visible:outline-2 focus-visible:outline-indigo-500';

export default function AuditLogPage() {
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => readAuditFilters(params), [params]);
  const openId = params.get('entry') ?? undefined;
  const members = useQuery({ queryKey: ['audit', 'members'], queryFn: () => call(api.GET('/api/v1/members')) });
  const names = useMemo(() => new Map((members.data?.data ?? []).map((m) => [m.userId, m.name])), [members.data]);
  const list = useInfiniteQuery({
    queryKey: ['audit', 'list', filters],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      call(
        api.GET('/api/v1/audit-logs', {
          params: { query: { ...auditQuery(filters), limit: PAGE, ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const apply = (f: AuditFilters) => setParams(writeAuditFilters(params, f));
  const add = (f: AuditFilters) => apply({ ...filters, ...f });
  const setEntry = (id: string | undefined) => {
    const next = new URLSearchParams(params);
    if (id) next.set('entry', id);
    else next.delete('entry');
    setParams(next);
  };
  const rows = list.data?.pages.flatMap((p) => p.data) ?? [];
  return (
    <div className="mx-auto max-w-6xl space-y-4">
      <PageHeader
        title="Audit log"
        description="Every change in this organisation: who made it, when, from where, and what it changed."
      />
      <AuditFiltersForm value={filters} onApply={apply} members={members.data?.data ?? []} />
      {list.isPending ? (
        <Loading />
      ) : list.error && !list.data ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : rows.length === 0 ? (
        <EmptyState
          icon={<ScrollText className="size-8" aria-hidden />}
          title={countFilters(filters) ? 'No entries match these filters' : 'Nothing recorded yet'}
        >
          {countFilters(filters)
            ? 'Widen the time range or clear a filter.'
            : 'Sign-ins, settings, members, API keys, items and workflows are recorded here as they change.'}
        </EmptyState>
      ) : (
        <>
          <Table>
            <thead>
              <tr>
                <th>When</th>
                <th>Actor</th>
                <th>Action</th>
                <th>Target</th>
                <th className="hidden lg:table-cell">Request</th>
                <th>
                  <span className="sr-only">Details</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.id} className="hover:bg-slate-50 dark:hover:bg-slate-800/50">
                  <td className="whitespace-nowrap" title={formatDateTime(e.createdAt)}>
                    {formatRelative(e.createdAt)}
                  </td>
                  <td className="max-w-48">
                    <button
                      type="button"
                      className={linkClass}
                      title={`Only ${e.actor.type} ${e.actor.id}`}
                      onClick={() => add({ actorId: e.actor.id })}
                    >
                      {names.get(e.actor.id) ?? (
                        <span className="font-mono text-xs break-all">
                          {e.actor.type}:{e.actor.id}
                        </span>
                      )}
                    </button>
                  </td>
                  <td>
                    <button
                      type="button"
                      className={linkClass}
                      title={`Only ${e.action}`}
                      onClick={() => add({ action: e.action })}
                    >
                      <Badge
                        tone={
                          e.action.endsWith('deleted') || e.action.endsWith('revoked') || e.action.endsWith('failed')
                            ? 'red'
                            : 'blue'
                        }
                      >
                        {e.action}
                      </Badge>
                    </button>
                  </td>
                  <td className="min-w-40 max-w-56">
                    <button
                      type="button"
                      className={`${linkClass} font-mono text-xs break-all`}
                      title={`Only ${e.target.type} ${e.target.id}`}
                      onClick={() => add({ targetType: e.target.type, targetId: e.target.id })}
                    >
                      {e.target.type}:{e.target.id}
                    </button>
                  </td>
                  <td className="hidden font-mono text-xs lg:table-cell">
                    {e.requestId ? (
                      <button type="button" className={linkClass} onClick={() => add({ requestId: e.requestId ?? '' })}>
                        {e.requestId}
                      </button>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td className="text-right">
                    <Button
                      size="sm"
                      variant="ghost"
                      aria-label={`Details of ${e.action} ${formatRelative(e.createdAt)}`}
                      onClick={() => setEntry(e.id)}
                    >
                      Details
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
          <div className="flex items-center justify-between gap-3 text-sm text-slate-500 dark:text-slate-400">
            <span>
              {rows.length} entr{rows.length === 1 ? 'y' : 'ies'} shown
            </span>
            {list.hasNextPage ? (
              <Button busy={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
                Load older entries
              </Button>
            ) : (
              <span>That is everything.</span>
            )}
          </div>
          {list.isFetchNextPageError ? (
            <ErrorState error={list.error} onRetry={() => void list.fetchNextPage()} />
          ) : null}
        </>
      )}
      <AuditEntryDialog id={openId} onClose={() => setEntry(undefined)} actorName={(id) => names.get(id)} />
    </div>
  );
}
