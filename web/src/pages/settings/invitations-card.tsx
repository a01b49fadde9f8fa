import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Mail } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { ApiError, api, call, type Schemas } from '../../api/client';
import { useMe } from '../../api/session';
import { formatDateTime, formatRelative } from '../../lib/format';
import { assignableRoles, isRole, type Role, roleTone } from '../../lib/settings/roles';
import { Badge } from '../../ui/badge';
import { Button } from '../../ui/button';
import { EmptyState, ErrorState, Loading } from '../../ui/feedback';
import { Field, Input, issuesByPath, Select } from '../../ui/form';
import { Card, Table } from '../../ui/layout';
import { useToast } from '../../ui/toast';
import { ConfirmDialog } from '../../ui/confirm-dialog';

type Invitation = Schemas['Invitation'];

const STATUS_TONE = { pending: 'amber', accepted: 'green', revoked: 'gray', expired: 'gray' } as const;

export function InvitationsCard() {
  const me = useMe();
  const queryClient = useQueryClient();
  const toast = useToast();
  const roles = assignableRoles(me.tenant.role);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('editor');
  const [revoking, setRevoking] = useState<Invitation | undefined>();
  const invitations = useQuery({
    queryKey: ['settings', 'invitations'],
    queryFn: () => call(api.GET('/api/v1/invitations')),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['settings', 'invitations'] });
  const invite = useMutation({
    mutationFn: () => call(api.POST('/api/v1/invitations', { body: { email: email.trim(), role } })),
    onSuccess: (inv) => {
      setEmail('');
      toast(`Invitation sent to ${inv.email}.`);
    },
    onSettled: refresh,
  });
  const resend = useMutation({
    mutationFn: (id: string) => call(api.POST('/api/v1/invitations/{id}/resend', { params: { path: { id } } })),
    onSuccess: (inv) => toast(`A fresh link was sent to ${inv.email}.`),
    onSettled: refresh,
  });
  const revoke = useMutation({
    mutationFn: (id: string) => call(api.DELETE('/api/v1/invitations/{id}', { params: { path: { id } } })),
    onSuccess: () => {
      setRevoking(undefined);
      toast('Invitation revoked.');
    },
    onSettled: refresh,
  });
  const fieldErrors = invite.error instanceof ApiError ? issuesByPath(invite.error.issues) : {};
  const submit = (e: FormEvent) => {
    e.preventDefault();
    invite.mutate();
  };
  // Accepted and revoked invitations are history; the audit log keeps it. Show what still waits.
  const list = (invitations.data?.data ?? []).filter((i) => i.status === 'pending' || i.status === 'expired');
  return (
    <Card title="Invitations">
      <form onSubmit={submit} className="flex flex-col gap-3 sm:flex-row sm:items-start" noValidate>
        <Field label="Email address" error={fieldErrors.email} className="flex-1">
          {(p) => (
            <Input
              {...p}
              type="email"
              autoComplete="off"
              placeholder="colleague@example.com"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          )}
        </Field>
        <Field label="Role" error={fieldErrors.role} className="sm:w-36">
          {(p) => (
            <Select
              {...p}
              value={role}
              onChange={(e) => {
                if (isRole(e.target.value)) setRole(e.target.value);
              }}
            >
              {roles.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Button
          type="submit"
          variant="primary"
          className="sm:mt-6"
          icon={<Mail className="size-4" aria-hidden />}
          busy={invite.isPending}
          disabled={!email.trim()}
        >
          Send invitation
        </Button>
      </form>
      {invite.error && Object.keys(fieldErrors).length === 0 ? (
        <div className="mt-3">
          <ErrorState error={invite.error} />
        </div>
      ) : null}
      <div className="mt-5">
        {invitations.isPending ? (
          <Loading />
        ) : invitations.error ? (
          <ErrorState error={invitations.error} onRetry={() => void invitations.refetch()} />
        ) : list.length === 0 ? (
          <EmptyState title="No pending invitations">
            Invite people by email: they get a link, valid for 7 days, to join with the role you choose.
          </EmptyState>
        ) : (
          <>
            {resend.error ? <ErrorState error={resend.error} /> : null}
            <Table>
              <thead>
                <tr>
                  <th>Email</th>
                  <th>Role</th>
                  <th>Status</th>
                  <th className="hidden sm:table-cell">Expires</th>
                  <th>
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((i) => (
                  <tr key={i.id}>
                    <td className="min-w-48 break-words">{i.email}</td>
                    <td>
                      <Badge tone={roleTone(i.role)}>{i.role}</Badge>
                    </td>
                    <td>
                      <Badge tone={STATUS_TONE[i.status]}>{i.status}</Badge>
                    </td>
                    <td className="hidden whitespace-nowrap sm:table-cell" title={formatDateTime(i.expiresAt)}>
                      {formatRelative(i.expiresAt)}
                    </td>
                    <td className="text-right whitespace-nowrap">
                      <Button
                        size="sm"
                        variant="ghost"
                        aria-label={`Resend the invitation to ${i.email}`}
                        busy={resend.isPending && resend.variables === i.id}
                        onClick={() => resend.mutate(i.id)}
                      >
                        Resend
                      </Button>
                      {i.status === 'pending' && (
                        <Button
                          size="sm"
                          variant="ghost"
                          aria-label={`Revoke the invitation to ${i.email}`}
                          onClick={() => setRevoking(i)}
                        >
                          Revoke
                        </Button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </>
        )}
      </div>
      <ConfirmDialog
        open={revoking !== undefined}
        onClose={() => {
          setRevoking(undefined);
          revoke.reset();
        }}
        title="Revoke invitation"
        confirmLabel="Revoke"
        busy={revoke.isPending}
        error={revoke.error}
        onConfirm={() => revoking && revoke.mutate(revoking.id)}
      >
        <p>The link sent to {revoking?.email} stops working. You can invite them again later.</p>
      </ConfirmDialog>
    </Card>
  );
}
