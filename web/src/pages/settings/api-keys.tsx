import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { KeyRound, Plus } from 'lucide-react';
import { useState } from 'react';
import { api, call, type Schemas } from '../../api/client';
import { roleAtLeast, useMe } from '../../api/session';
import { formatDateTime, formatRelative } from '../../lib/format';
import { expiryState } from '../../lib/settings/api-key-form';
import { roleTone } from '../../lib/settings/roles';
import { Badge } from '../../ui/badge';
import { Button } from '../../ui/button';
import { EmptyState, ErrorState, Loading, Notice } from '../../ui/feedback';
import { Card, Table } from '../../ui/layout';
import { useToast } from '../../ui/toast';
import { ApiKeyCreateDialog } from './api-key-create-dialog';
import { ConfirmDialog } from '../../ui/confirm-dialog';

type ApiKey = Schemas['ApiKey'];

export function ApiKeysPage() {
  const me = useMe();
  if (!roleAtLeast(me, 'admin'))
    return <Notice tone="info">Only admins and owners manage this organisation’s API keys.</Notice>;
  return <ApiKeys />;
}

function Expiry({ at }: { at: string | null }) {
  const state = expiryState(at);
  if (state === 'none') return <span className="text-slate-500 dark:text-slate-400">Never</span>;
  return (
    <span title={formatDateTime(at)} className="whitespace-nowrap">
      {state === 'expired' ? <Badge tone="red">Expired</Badge> : formatRelative(at)}
      {state === 'soon' && (
        <Badge tone="amber" className="ml-1">
          soon
        </Badge>
      )}
    </span>
  );
}

function ApiKeys() {
  const queryClient = useQueryClient();
  const toast = useToast();
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKey | undefined>();
  const keys = useQuery({ queryKey: ['settings', 'api-keys'], queryFn: () => call(api.GET('/api/v1/api-keys')) });
  const revoke = useMutation({
    mutationFn: (id: string) => call(api.DELETE('/api/v1/api-keys/{id}', { params: { path: { id } } })),
    onSuccess: () => {
      setRevoking(undefined);
      toast('API key revoked.');
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['settings', 'api-keys'] }),
  });
  const list = keys.data?.data ?? [];
  const newButton = (
    <Button variant="primary" icon={<Plus className="size-4" aria-hidden />} onClick={() => setCreating(true)}>
      New API key
    </Button>
  );
  return (
    <Card title="API keys" actions={list.length > 0 ? newButton : undefined}>
      <p className="mb-4 text-sm text-slate-600 dark:text-slate-300">
        Programs call the API with a key in <code className="text-xs">Authorization: Bearer …</code>. A key acts with
        your role at most and only within the scopes it carries.
      </p>
      {keys.isPending ? (
        <Loading />
      ) : keys.error ? (
        <ErrorState error={keys.error} onRetry={() => void keys.refetch()} />
      ) : list.length === 0 ? (
        <EmptyState icon={<KeyRound className="size-8" aria-hidden />} title="No API keys yet" action={newButton}>
          Create one for each system that calls Switchyard (CI, a script, another service), so you can revoke one
          without breaking the others.
        </EmptyState>
      ) : (
        <Table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Prefix</th>
              <th>Role</th>
              <th>Scopes</th>
              <th>Last used</th>
              <th>Expires</th>
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((k) => (
              <tr key={k.id}>
                <td className="font-medium">{k.name}</td>
                <td className="font-mono text-xs whitespace-nowrap">{k.prefix}…</td>
                <td>
                  <Badge tone={roleTone(k.role)}>{k.role}</Badge>
                </td>
                <td className="max-w-64">
                  <div className="flex flex-wrap gap-1" title={k.scopes.join(', ')}>
                    {k.scopes.slice(0, 4).map((s) => (
                      <Badge key={s}>{s}</Badge>
                    ))}
                    {k.scopes.length > 4 && <Badge>+{k.scopes.length - 4}</Badge>}
                  </div>
                </td>
                <td className="whitespace-nowrap" title={k.lastUsedAt ? formatDateTime(k.lastUsedAt) : undefined}>
                  {k.lastUsedAt ? formatRelative(k.lastUsedAt) : <span className="text-slate-500">Never</span>}
                </td>
                <td>
                  <Expiry at={k.expiresAt} />
                </td>
                <td className="text-right">
                  <Button size="sm" variant="ghost" aria-label={`Revoke ${k.name}`} onClick={() => setRevoking(k)}>
                    Revoke
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      <ApiKeyCreateDialog open={creating} onClose={() => setCreating(false)} />
      <ConfirmDialog
        open={revoking !== undefined}
        onClose={() => {
          setRevoking(undefined);
          revoke.reset();
        }}
        title="Revoke API key"
        confirmLabel="Revoke key"
        busy={revoke.isPending}
        error={revoke.error}
        onConfirm={() => revoking && revoke.mutate(revoking.id)}
      >
        <p>
          Requests with <strong>{revoking?.name}</strong> ({revoking?.prefix}…) are refused from now on. This cannot be
          undone.
        </p>
      </ConfirmDialog>
    </Card>
  );
}
