import { useQuery } from '@tanstack/react-query';
import { api, call } from '../../api/client';
import { formatDateTime } from '../../lib/format';
import { changedKeys } from '../../lib/settings/audit-filters';
import { Dialog } from '../../ui/dialog';
import { ErrorState, Loading } from '../../ui/feedback';
import { JsonView } from '../../ui/json-view';
import { Table } from '../../ui/layout';

const show = (v: unknown) => (v === undefined ? '—' : JSON.stringify(v));

/** One entry: who, what, from where, and what changed (before → after, key by key). */
export function AuditEntryDialog({
  id,
  onClose,
  actorName,
}: {
  id: string | undefined;
  onClose: () => void;
  actorName: (id: string) => string | undefined;
}) {
  const entry = useQuery({
    queryKey: ['audit', 'entry', id],
    queryFn: () => call(api.GET('/api/v1/audit-logs/{id}', { params: { path: { id: id ?? '' } } })),
    enabled: id !== undefined,
  });
  const e = entry.data;
  const diff = e ? changedKeys(e.changes.before, e.changes.after) : [];
  return (
    <Dialog open={id !== undefined} onClose={onClose} title={e ? e.action : 'Audit entry'}>
      {entry.isPending ? (
        <Loading />
      ) : entry.error ? (
        <ErrorState error={entry.error} onRetry={() => void entry.refetch()} />
      ) : e ? (
        <div className="space-y-4 text-sm">
          <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1.5">
            <dt className="text-slate-500 dark:text-slate-400">When</dt>
            <dd>{formatDateTime(e.createdAt)}</dd>
            <dt className="text-slate-500 dark:text-slate-400">Actor</dt>
            <dd className="break-all">
              {actorName(e.actor.id) ? `${actorName(e.actor.id)} · ` : ''}
              <code className="text-xs">
                {e.actor.type}:{e.actor.id}
              </code>
            </dd>
            <dt className="text-slate-500 dark:text-slate-400">Target</dt>
            <dd className="break-all">
              <code className="text-xs">
                {e.target.type}:{e.target.id}
              </code>
            </dd>
            <dt className="text-slate-500 dark:text-slate-400">Request</dt>
            <dd className="font-mono text-xs break-all">{e.requestId ?? '—'}</dd>
            <dt className="text-slate-500 dark:text-slate-400">IP</dt>
            <dd className="font-mono text-xs">{e.ip ?? '—'}</dd>
            <dt className="text-slate-500 dark:text-slate-400">User agent</dt>
            <dd className="text-xs break-all">{e.userAgent ?? '—'}</dd>
          </dl>
          {diff.length > 0 && (
            <div>
              <h3 className="mb-2 text-sm font-semibold">Changes</h3>
              <Table>
                <thead>
                  <tr>
                    <th>Field</th>
                    <th>Before</th>
                    <th>After</th>
                  </tr>
                </thead>
                <tbody className="font-mono text-xs">
                  {diff.map((d) => (
                    <tr key={d.key}>
                      <td>{d.key}</td>
                      <td className="break-all text-red-700 dark:text-red-300">{show(d.before)}</td>
                      <td className="break-all text-emerald-700 dark:text-emerald-300">{show(d.after)}</td>
                    </tr>
                  ))}
                </tbody>
              </Table>
            </div>
          )}
          <JsonView value={e} label="Entry as JSON" />
        </div>
      ) : null}
    </Dialog>
  );
}
