import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, ApiError, call } from '../../api/client';
import { Button } from '../../ui/button';
import { ErrorState } from '../../ui/feedback';
import { Field, Input, issuesByPath } from '../../ui/form';
import { Dialog } from '../../ui/dialog';
import { useToast } from '../../ui/toast';
import { parseQuota } from './operator-logic';
import type { OperatorTenant } from './tenants-card';

// The API's bounds (PUT /operator/tenants/:id/quotas).
const ITEMS = { min: 0, max: 100_000_000 };
const MEMBERS = { min: 1, max: 1_000_000 };
const asText = (n: number | null) => (n === null ? '' : String(n));

/** Soft limits on a tenant's items and members; empty lifts a limit. */
export function QuotasDialog({ tenant, onClose }: { tenant: OperatorTenant; onClose: () => void }) {
  const [items, setItems] = useState(asText(tenant.quotas.items));
  const [members, setMembers] = useState(asText(tenant.quotas.members));
  const [checked, setChecked] = useState(false);
  const queryClient = useQueryClient();
  const toast = useToast();
  const parsed = { items: parseQuota(items, ITEMS), members: parseQuota(members, MEMBERS) };
  const save = useMutation({
    mutationFn: (body: { items: number | null; members: number | null }) =>
      call(api.PUT('/api/v1/operator/tenants/{id}/quotas', { params: { path: { id: tenant.id } }, body })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['operator', 'tenants'] });
      toast(`Quotas of ${tenant.name} saved.`);
      onClose();
    },
  });
  const server = save.error instanceof ApiError ? issuesByPath(save.error.issues) : {};
  const fieldError = (key: 'items' | 'members') => {
    const p = parsed[key];
    return (checked && !p.ok ? p.error : undefined) ?? server[key];
  };

  function submit(e: FormEvent) {
    e.preventDefault();
    setChecked(true);
    if (parsed.items.ok && parsed.members.ok) save.mutate({ items: parsed.items.value, members: parsed.members.value });
  }

  return (
    <Dialog open onClose={onClose} title={`Quotas of ${tenant.name}`}>
      <form onSubmit={submit} className="space-y-4" noValidate>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Beyond a quota, new items or members are refused (a soft limit: requests at the same moment can pass it by a
          few). Leave a field empty for no limit.
        </p>
        <Field label="Items" hint="No limit when empty." error={fieldError('items')}>
          {(p) => (
            <Input {...p} inputMode="numeric" value={items} onChange={(e) => setItems(e.target.value)} maxLength={12} />
          )}
        </Field>
        <Field
          label="Members"
          hint={`Now ${tenant.members} member${tenant.members === 1 ? '' : 's'}. No limit when empty.`}
          error={fieldError('members')}
        >
          {(p) => (
            <Input
              {...p}
              inputMode="numeric"
              value={members}
              onChange={(e) => setMembers(e.target.value)}
              maxLength={10}
            />
          )}
        </Field>
        {save.isError && !Object.keys(server).length && <ErrorState error={save.error} />}
        <div className="flex justify-end gap-2">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={save.isPending}>
            Save quotas
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
