import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ApiError, api, call } from '../../api/client';
import type { paths } from '../../api/openapi';
import { useMe } from '../../api/session';
import { type ApiKeyForm, buildApiKeyBody, EXPIRY_PRESETS, type ExpiryPreset } from '../../lib/settings/api-key-form';
import { groupScopes, readScopes, scopesFor } from '../../lib/settings/roles';
import { Button } from '../../ui/button';
import { Dialog } from '../../ui/dialog';
import { ErrorState, Notice } from '../../ui/feedback';
import { Checkbox, Field, Input, issuesByPath, Select } from '../../ui/form';
import { CopyButton } from '../../ui/copy-button';

/** Name, scopes and expiry; then the secret, shown this once. */
export function ApiKeyCreateDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const me = useMe();
  const queryClient = useQueryClient();
  const allowed = scopesFor(me.tenant.role);
  const initial = (): ApiKeyForm => ({ name: '', scopes: readScopes(allowed), expiry: '90', expiryDate: '' });
  const [form, setForm] = useState<ApiKeyForm>(initial);
  const [errors, setErrors] = useState<Partial<Record<keyof ApiKeyForm, string>>>({});
  const create = useMutation({
    mutationFn: (body: Parameters<typeof createBody>[0]) => createBody(body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['settings', 'api-keys'] }),
  });
  const close = () => {
    setForm(initial());
    setErrors({});
    create.reset();
    onClose();
  };
  const server = create.error instanceof ApiError ? issuesByPath(create.error.issues) : {};
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const built = buildApiKeyBody(form);
    if (!built.ok) return setErrors(built.errors);
    setErrors({});
    create.mutate(built.body);
  };
  const toggle = (scope: string, on: boolean) =>
    setForm((f) => ({ ...f, scopes: on ? [...f.scopes, scope] : f.scopes.filter((s) => s !== scope) }));
  const created = create.data;
  return (
    <Dialog
      open={open}
      onClose={close}
      title={created ? 'Copy your new API key' : 'New API key'}
      footer={
        created ? (
          <Button variant="primary" onClick={close}>
            Done
          </Button>
        ) : (
          <>
            <Button onClick={close}>Cancel</Button>
            <Button type="submit" form="api-key-form" variant="primary" busy={create.isPending}>
              Create key
            </Button>
          </>
        )
      }
    >
      {created ? (
        <div className="space-y-3 text-sm">
          <Notice tone="warning">
            This is the only time the key is shown. Store it in your secret manager now; if it is lost, revoke it and
            create another.
          </Notice>
          <div className="rounded-md border border-slate-200 bg-slate-50 p-3 dark:border-slate-800 dark:bg-slate-950">
            <code data-testid="api-key-secret" className="font-mono text-xs break-all">
              {created.key}
            </code>
          </div>
          <CopyButton text={created.key} label="Copy key" />
        </div>
      ) : (
        <form id="api-key-form" onSubmit={submit} className="space-y-4" noValidate>
          <Field label="Name" hint="What uses it, e.g. “CI deploys”" error={errors.name ?? server.name}>
            {(p) => (
              <Input
                {...p}
                maxLength={100}
                value={form.name}
                onChange={(e) => setForm({ ...form, name: e.target.value })}
              />
            )}
          </Field>
          <fieldset className="space-y-2">
            <legend className="text-sm font-medium text-slate-700 dark:text-slate-300">
              Scopes <span className="font-normal text-slate-500">(up to your role, {me.tenant.role})</span>
            </legend>
            <div className="divide-y divide-slate-100 rounded-md border border-slate-200 px-3 dark:divide-slate-800 dark:border-slate-800">
              {groupScopes(allowed).map((g) => (
                <div key={g.group} className="flex flex-wrap items-center gap-x-4 gap-y-1 py-1.5">
                  <span className="w-28 font-mono text-xs text-slate-500 dark:text-slate-400">{g.group}</span>
                  {g.scopes.map((s) => (
                    <Checkbox
                      key={s}
                      aria-label={s}
                      label={s.split(':')[1] ?? s}
                      checked={form.scopes.includes(s)}
                      onChange={(e) => toggle(s, e.target.checked)}
                    />
                  ))}
                </div>
              ))}
            </div>
            <div className="flex gap-3 text-xs">
              <button
                type="button"
                className="text-indigo-600 hover:underline dark:text-indigo-400"
                onClick={() => setForm({ ...form, scopes: [...allowed] })}
              >
                Select all
              </button>
              <button
                type="button"
                className="text-indigo-600 hover:underline dark:text-indigo-400"
                onClick={() => setForm({ ...form, scopes: readScopes(allowed) })}
              >
                Read-only
              </button>
            </div>
            {(errors.scopes ?? server.scopes) && (
              <p role="alert" className="text-xs text-red-600 dark:text-red-400">
                {errors.scopes ?? server.scopes}
              </p>
            )}
          </fieldset>
          <div className="grid gap-3 sm:grid-cols-2">
            <Field label="Expires" error={server.expiresAt}>
              {(p) => (
                <Select
                  {...p}
                  value={form.expiry}
                  onChange={(e) => setForm({ ...form, expiry: e.target.value as ExpiryPreset })}
                >
                  {EXPIRY_PRESETS.map((x) => (
                    <option key={x.id} value={x.id}>
                      {x.label}
                    </option>
                  ))}
                </Select>
              )}
            </Field>
            {form.expiry === 'custom' && (
              <Field label="Expiry date" error={errors.expiryDate}>
                {(p) => (
                  <Input
                    {...p}
                    type="date"
                    value={form.expiryDate}
                    onChange={(e) => setForm({ ...form, expiryDate: e.target.value })}
                  />
                )}
              </Field>
            )}
          </div>
          {create.error && Object.keys(server).length === 0 ? <ErrorState error={create.error} /> : null}
        </form>
      )}
    </Dialog>
  );
}

type CreateBody = paths['/api/v1/api-keys']['post']['requestBody']['content']['application/json'];
type ScopeName = CreateBody['scopes'][number];

function createBody(body: { name: string; scopes: string[]; expiresAt?: string }) {
  // The scopes offered come from the role matrix, which mirrors the API's enum of scopes.
  return call(api.POST('/api/v1/api-keys', { body: { ...body, scopes: body.scopes as ScopeName[] } }));
}
