import { Filter, X } from 'lucide-react';
import { type FormEvent, useEffect, useState } from 'react';
import type { Schemas } from '../../api/client';
import { type AuditFilters, countFilters, isoToLocalInput, localInputToIso } from '../../lib/settings/audit-filters';
import { Button } from '../../ui/button';
import { Field, Input } from '../../ui/form';

/** Actions the server records (a hint list; the filter takes any action name). */
const KNOWN_ACTIONS = [
  'ai.provider_removed',
  'ai.provider_updated',
  'api_key.created',
  'api_key.revoked',
  'invitation.accepted',
  'invitation.created',
  'invitation.resent',
  'invitation.revoked',
  'item.created',
  'item.deleted',
  'item.updated',
  'job.cancelled',
  'job.created',
  'job.failed',
  'job.retried',
  'member.role_changed',
  'retention.purged',
  'run.cancelled',
  'session.revoked',
  'session.switched_tenant',
  'setting.reset',
  'setting.updated',
  'sso_provider.created',
  'sso_provider.deleted',
  'tenant.created',
  'tenant.deleted',
  'tenant.ownership_transferred',
  'tenant.renamed',
  'user.logged_in',
  'user.login_failed',
  'user.mfa_disabled',
  'user.mfa_enabled',
  'user.mfa_recovery_codes_regenerated',
  'user.password_changed',
  'user.signed_up',
  'workflow.created',
  'workflow.deleted',
  'workflow.updated',
];
const TARGET_TYPES = [
  'item',
  'setting',
  'user',
  'tenant',
  'api_key',
  'invitation',
  'job',
  'run',
  'workflow',
  'session',
];

/** The filter fields; applied together on submit, so typing does not fire a request per key. */
export function AuditFiltersForm({
  value,
  onApply,
  members,
}: {
  value: AuditFilters;
  onApply: (f: AuditFilters) => void;
  members: Schemas['Member'][];
}) {
  const [draft, setDraft] = useState<AuditFilters>(value);
  useEffect(() => setDraft(value), [value]);
  const set = (k: keyof AuditFilters, v: string) => setDraft((d) => ({ ...d, [k]: v }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onApply(draft);
  };
  const n = countFilters(value);
  // Open on a wide screen or when filtering; on a phone the closed summary leaves room for entries.
  const [open, setOpen] = useState(() => n > 0 || globalThis.matchMedia?.('(min-width: 640px)').matches !== false);
  return (
    <details
      className="group rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900"
      open={open}
      onToggle={(e) => setOpen(e.currentTarget.open)}
    >
      <summary className="flex cursor-pointer items-center gap-2 px-4 py-3 text-sm font-semibold select-none">
        <Filter className="size-4" aria-hidden />
        Filters{n > 0 ? ` (${n})` : ''}
      </summary>
      <form onSubmit={submit} className="space-y-4 border-t border-slate-200 p-4 dark:border-slate-800" noValidate>
        <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
          <Field label="Action">
            {(p) => (
              <Input
                {...p}
                list="audit-actions"
                placeholder="e.g. item.updated"
                value={draft.action ?? ''}
                onChange={(e) => set('action', e.target.value)}
              />
            )}
          </Field>
          <Field label="Actor id" hint="A user id (usr_…) or API key id (key_…)">
            {(p) => (
              <Input
                {...p}
                list="audit-actors"
                value={draft.actorId ?? ''}
                onChange={(e) => set('actorId', e.target.value)}
              />
            )}
          </Field>
          <Field label="Target type">
            {(p) => (
              <Input
                {...p}
                list="audit-target-types"
                placeholder="e.g. item"
                value={draft.targetType ?? ''}
                onChange={(e) => set('targetType', e.target.value)}
              />
            )}
          </Field>
          <Field label="Target id">
            {(p) => <Input {...p} value={draft.targetId ?? ''} onChange={(e) => set('targetId', e.target.value)} />}
          </Field>
          <Field label="Request id">
            {(p) => <Input {...p} value={draft.requestId ?? ''} onChange={(e) => set('requestId', e.target.value)} />}
          </Field>
          <Field label="From">
            {(p) => (
              <Input
                {...p}
                type="datetime-local"
                value={isoToLocalInput(draft.from)}
                onChange={(e) => set('from', localInputToIso(e.target.value) ?? '')}
              />
            )}
          </Field>
          <Field label="To">
            {(p) => (
              <Input
                {...p}
                type="datetime-local"
                value={isoToLocalInput(draft.to)}
                onChange={(e) => set('to', localInputToIso(e.target.value) ?? '')}
              />
            )}
          </Field>
        </div>
        <datalist id="audit-actions">
          {KNOWN_ACTIONS.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <datalist id="audit-target-types">
          {TARGET_TYPES.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <datalist id="audit-actors">
          {members.map((m) => (
            <option key={m.userId} value={m.userId}>
              {m.name} ({m.email})
            </option>
          ))}
        </datalist>
        <div className="flex flex-wrap gap-2">
          <Button type="submit" variant="primary">
            Apply filters
          </Button>
          {n > 0 && (
            <Button icon={<X className="size-4" aria-hidden />} onClick={() => onApply({})}>
              Clear all
            </Button>
          )}
        </div>
      </form>
    </details>
  );
}
