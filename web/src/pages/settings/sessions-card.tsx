import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call, type Schemas } from '../../api/client';
import { useMe } from '../../api/session';
import { formatDateTime, formatRelative } from '../../lib/format';
import { describeUserAgent } from '../../lib/settings/display';
import { Badge } from '../../ui/badge';
import { Button } from '../../ui/button';
import { ErrorState, Loading } from '../../ui/feedback';
import { Card, Table } from '../../ui/layout';
import { useToast } from '../../ui/toast';
import { ConfirmDialog } from '../../ui/confirm-dialog';

type Session = Schemas['Session'];

export function SessionsCard() {
  const me = useMe();
  const queryClient = useQueryClient();
  const toast = useToast();
  const sessions = useQuery({
    queryKey: ['settings', 'sessions'],
    queryFn: () => call(api.GET('/api/v1/auth/sessions')),
  });
  const [confirmOthers, setConfirmOthers] = useState(false);
  const revoke = useMutation({
    mutationFn: async (ids: string[]) => {
      for (const id of ids) await call(api.DELETE('/api/v1/auth/sessions/{id}', { params: { path: { id } } }));
      return ids.length;
    },
    onSuccess: (n) => {
      setConfirmOthers(false);
      toast(n === 1 ? 'Session signed out.' : `${n} sessions signed out.`);
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['settings', 'sessions'] }),
  });
  const list = sessions.data?.data ?? [];
  const others = list.filter((s) => !s.current);
  const tenantName = (id: string) => me.memberships.find((m) => m.tenantId === id)?.tenantName ?? id;
  return (
    <Card
      title="Where you are signed in"
      actions={
        others.length > 0 ? (
          <Button size="sm" onClick={() => setConfirmOthers(true)}>
            Sign out other sessions
          </Button>
        ) : undefined
      }
    >
      {sessions.isPending ? (
        <Loading />
      ) : sessions.error ? (
        <ErrorState error={sessions.error} onRetry={() => void sessions.refetch()} />
      ) : (
        <>
          {revoke.error && !confirmOthers ? <ErrorState error={revoke.error} /> : null}
          <Table className="border-0">
            <thead>
              <tr>
                <th>Device</th>
                <th>IP address</th>
                <th className="hidden md:table-cell">Organisation</th>
                <th>Signed in</th>
                <th>Last active</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((s: Session) => (
                <tr key={s.id}>
                  <td>
                    <span title={s.userAgent ?? undefined}>{describeUserAgent(s.userAgent)}</span>
                    {s.current && (
                      <Badge tone="green" className="ml-2">
                        This session
                      </Badge>
                    )}
                  </td>
                  <td className="font-mono text-xs">{s.ip ?? '—'}</td>
                  <td className="hidden md:table-cell">{tenantName(s.tenantId)}</td>
                  <td className="whitespace-nowrap">{formatDateTime(s.createdAt)}</td>
                  <td className="whitespace-nowrap" title={formatDateTime(s.lastUsedAt)}>
                    {formatRelative(s.lastUsedAt)}
                  </td>
                  <td className="text-right">
                    {!s.current && (
                      <Button
                        size="sm"
                        variant="ghost"
                        aria-label={`Sign out ${describeUserAgent(s.userAgent)} from ${s.ip ?? 'unknown IP'}`}
                        busy={revoke.isPending && revoke.variables.length === 1 && revoke.variables[0] === s.id}
                        onClick={() => revoke.mutate([s.id])}
                      >
                        Sign out
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
          {others.length === 0 && (
            <p className="mt-3 text-sm text-slate-500 dark:text-slate-400">This is your only session.</p>
          )}
        </>
      )}
      <ConfirmDialog
        open={confirmOthers}
        onClose={() => setConfirmOthers(false)}
        title="Sign out other sessions"
        confirmLabel={`Sign out ${others.length}`}
        busy={revoke.isPending}
        error={revoke.error}
        onConfirm={() => revoke.mutate(others.map((s) => s.id))}
      >
        <p>
          Every other browser and device signed in to your account ({others.length}) is signed out at once. This one
          stays signed in.
        </p>
      </ConfirmDialog>
    </Card>
  );
}
