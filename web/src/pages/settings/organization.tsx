import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ApiError, api, call } from '../../api/client';
import { roleAtLeast, useMe, useSession } from '../../api/session';
import { Button } from '../../ui/button';
import { ErrorState } from '../../ui/feedback';
import { Field, Input, issuesByPath } from '../../ui/form';
import { Card } from '../../ui/layout';
import { useToast } from '../../ui/toast';
import { ConfirmDialog } from '../../ui/confirm-dialog';
import { SettingsForm } from './settings-form';

const GROUPS = ['general', 'retention'];

export function OrganizationPage() {
  const me = useMe();
  return (
    <div className="space-y-6">
      {roleAtLeast(me, 'admin') && <RenameCard />}
      <SettingsForm groups={GROUPS} />
      {me.tenant.role === 'owner' && <DeleteCard />}
    </div>
  );
}

function RenameCard() {
  const me = useMe();
  const { reloadMe } = useSession();
  const toast = useToast();
  const [name, setName] = useState(me.tenant.name);
  const rename = useMutation({
    mutationFn: () => call(api.PATCH('/api/v1/organization', { body: { name: name.trim() } })),
    onSuccess: async (org) => {
      toast(`Renamed to ${org.name}.`);
      await reloadMe();
    },
  });
  const errs = rename.error instanceof ApiError ? issuesByPath(rename.error.issues) : {};
  const submit = (e: FormEvent) => {
    e.preventDefault();
    rename.mutate();
  };
  return (
    <Card title="Organization">
      <form onSubmit={submit} className="flex max-w-xl flex-col gap-3 sm:flex-row sm:items-start" noValidate>
        <Field label="Organization name" error={errs.name} className="flex-1">
          {(p) => <Input {...p} maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Button
          type="submit"
          variant="primary"
          className="sm:mt-6"
          busy={rename.isPending}
          disabled={!name.trim() || name.trim() === me.tenant.name}
        >
          Rename
        </Button>
      </form>
      {rename.error && !errs.name ? (
        <div className="mt-3">
          <ErrorState error={rename.error} />
        </div>
      ) : null}
    </Card>
  );
}

function DeleteCard() {
  const me = useMe();
  const { logout } = useSession();
  const [open, setOpen] = useState(false);
  const remove = useMutation({
    mutationFn: () => call(api.DELETE('/api/v1/organization')),
    // Every session in the organisation ends with it, this one included: sign out locally too.
    onSuccess: () => logout().catch(() => undefined),
  });
  return (
    <Card title="Danger zone" className="border-red-200 dark:border-red-900">
      <div className="flex flex-col gap-3 sm:flex-row sm:items-center sm:justify-between">
        <p className="text-sm text-slate-600 dark:text-slate-300">
          Delete <strong>{me.tenant.name}</strong>: it stops working at once for everyone, and its data is purged later.
        </p>
        <Button variant="danger" onClick={() => setOpen(true)}>
          Delete organization
        </Button>
      </div>
      <ConfirmDialog
        open={open}
        onClose={() => {
          setOpen(false);
          remove.reset();
        }}
        title="Delete organization"
        confirmLabel="Delete forever"
        busy={remove.isPending}
        error={remove.error}
        typeToConfirm={me.tenant.name}
        onConfirm={() => remove.mutate()}
      >
        <p>
          Members, workflows, runs, items and API keys of <strong>{me.tenant.name}</strong> become unreachable now, and
          every session in it ends, yours too. This cannot be undone from the dashboard.
        </p>
      </ConfirmDialog>
    </Card>
  );
}
