import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call, type Schemas } from '../../api/client';
import { roleAtLeast, useMe, useSession } from '../../api/session';
import { formatDateTime } from '../../lib/format';
import { assignableRoles, canManageMember, isRole, roleTone } from '../../lib/settings/roles';
import { Badge } from '../../ui/badge';
import { Button } from '../../ui/button';
import { ErrorState, Loading, Notice } from '../../ui/feedback';
import { Select } from '../../ui/form';
import { Card, Table } from '../../ui/layout';
import { useToast } from '../../ui/toast';
import { ConfirmDialog } from '../../ui/confirm-dialog';
import { InvitationsCard } from './invitations-card';

type Member = Schemas['Member'];

export function MembersPage() {
  const me = useMe();
  return (
    <div className="space-y-6">
      <MembersCard />
      {roleAtLeast(me, 'admin') ? (
        <InvitationsCard />
      ) : (
        <Notice tone="info">Only admins and owners can invite people or change roles.</Notice>
      )}
    </div>
  );
}

function MembersCard() {
  const me = useMe();
  const { logout, reloadMe } = useSession();
  const queryClient = useQueryClient();
  const toast = useToast();
  const members = useQuery({ queryKey: ['settings', 'members'], queryFn: () => call(api.GET('/api/v1/members')) });
  const [pending, setPending] = useState<{ kind: 'remove' | 'transfer'; member: Member } | undefined>();
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['settings', 'members'] });

  const changeRole = useMutation({
    mutationFn: (v: { userId: string; role: Member['role'] }) =>
      call(api.PATCH('/api/v1/members/{userId}', { params: { path: { userId: v.userId } }, body: { role: v.role } })),
    onSuccess: (m) => toast(`${m.name} is now ${m.role}.`),
    onSettled: refresh,
  });
  const remove = useMutation({
    mutationFn: (userId: string) => call(api.DELETE('/api/v1/members/{userId}', { params: { path: { userId } } })),
    onSuccess: async (_d, userId) => {
      setPending(undefined);
      if (userId === me.user.id) {
        // Leaving ends this account's sessions in the tenant, this one included: sign in again
        // to reach the other organisations.
        toast(`You left ${me.tenant.name}.`, 'info');
        await logout().catch(() => undefined);
        return;
      }
      toast('Member removed.');
      void refresh();
    },
  });
  const transfer = useMutation({
    mutationFn: (userId: string) => call(api.POST('/api/v1/members/transfer-ownership', { body: { userId } })),
    onSuccess: async () => {
      setPending(undefined);
      toast('Ownership transferred. You are now an admin.');
      await reloadMe();
      void refresh();
    },
  });

  const mine = me.tenant.role;
  const roles = assignableRoles(mine);
  const owners = members.data?.data.filter((m) => m.role === 'owner').length ?? 0;
  return (
    <Card title={`Members${members.data ? ` (${members.data.data.length})` : ''}`}>
      {members.isPending ? (
        <Loading />
      ) : members.error ? (
        <ErrorState error={members.error} onRetry={() => void members.refetch()} />
      ) : (
        <>
          {changeRole.error ? <ErrorState error={changeRole.error} /> : null}
          <Table className="border-0">
            <thead>
              <tr>
                <th>Member</th>
                <th>Role</th>
                <th className="hidden sm:table-cell">Joined</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {members.data.data.map((m) => {
                const self = m.userId === me.user.id;
                const manage = !self && canManageMember(mine, m.role);
                return (
                  <tr key={m.userId}>
                    <td className="min-w-40">
                      <div className="font-medium">
                        {m.name}
                        {self && <span className="ml-1 text-xs text-slate-500 dark:text-slate-400">(you)</span>}
                      </div>
                      <div className="text-xs break-all text-slate-500 dark:text-slate-400">{m.email}</div>
                    </td>
                    <td>
                      {manage ? (
                        <Select
                          aria-label={`Role of ${m.name}`}
                          className="w-28 min-w-28 py-1"
                          value={m.role}
                          disabled={changeRole.isPending}
                          onChange={(e) => {
                            const role = e.target.value;
                            if (isRole(role)) changeRole.mutate({ userId: m.userId, role });
                          }}
                        >
                          {(roles.includes(m.role) ? roles : [...roles, m.role]).map((r) => (
                            <option key={r} value={r}>
                              {r}
                            </option>
                          ))}
                        </Select>
                      ) : (
                        <Badge tone={roleTone(m.role)}>{m.role}</Badge>
                      )}
                    </td>
                    <td className="hidden whitespace-nowrap sm:table-cell">{formatDateTime(m.joinedAt)}</td>
                    <td className="text-right whitespace-nowrap">
                      {mine === 'owner' && !self && m.role !== 'owner' && (
                        <Button size="sm" variant="ghost" onClick={() => setPending({ kind: 'transfer', member: m })}>
                          Make owner
                        </Button>
                      )}
                      {(manage || (self && !(m.role === 'owner' && owners <= 1))) && (
                        <Button size="sm" variant="ghost" onClick={() => setPending({ kind: 'remove', member: m })}>
                          {self ? 'Leave' : 'Remove'}
                        </Button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </Table>
        </>
      )}
      <ConfirmDialog
        open={pending?.kind === 'remove'}
        onClose={() => {
          setPending(undefined);
          remove.reset();
        }}
        title={pending?.member.userId === me.user.id ? `Leave ${me.tenant.name}` : 'Remove member'}
        confirmLabel={pending?.member.userId === me.user.id ? 'Leave' : 'Remove'}
        busy={remove.isPending}
        error={remove.error}
        onConfirm={() => pending && remove.mutate(pending.member.userId)}
      >
        {pending?.member.userId === me.user.id ? (
          <p>
            You lose access to {me.tenant.name} at once and are signed out. Someone must invite you again to come back.
          </p>
        ) : (
          <p>
            <strong>{pending?.member.name}</strong> ({pending?.member.email}) loses access at once and their sessions in
            this organisation end.
          </p>
        )}
      </ConfirmDialog>
      <ConfirmDialog
        open={pending?.kind === 'transfer'}
        onClose={() => {
          setPending(undefined);
          transfer.reset();
        }}
        title="Transfer ownership"
        confirmLabel="Make owner"
        busy={transfer.isPending}
        error={transfer.error}
        onConfirm={() => pending && transfer.mutate(pending.member.userId)}
      >
        <p>
          <strong>{pending?.member.name}</strong> becomes an owner of {me.tenant.name} and you become an admin. Only an
          owner can make you owner again.
        </p>
      </ConfirmDialog>
    </Card>
  );
}
