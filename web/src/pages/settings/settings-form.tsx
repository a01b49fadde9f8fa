import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useMemo, useState } from 'react';
import { ApiError, api, call, type Schemas } from '../../api/client';
import { roleAtLeast, useMe } from '../../api/session';
import { fromDraft, sameValue, settingControl, settingGroup, toDraft } from '../../lib/settings/setting-field';
import { Button } from '../../ui/button';
import { ErrorState, Loading } from '../../ui/feedback';
import { issuesByPath } from '../../ui/form';
import { Card } from '../../ui/layout';
import { useToast } from '../../ui/toast';
import { SettingInput } from './setting-input';

type Setting = Schemas['Setting'];

export const settingsQueryKey = ['settings', 'tenant-settings'] as const;

/**
 * The tenant settings whose keys start with one of `groups`, one card per group, saved together in
 * one atomic PATCH: either every change applies or none, and the API's complaints land by field.
 */
export function SettingsForm({ groups }: { groups: string[] }) {
  const me = useMe();
  const canEdit = roleAtLeast(me, 'admin');
  const queryClient = useQueryClient();
  const toast = useToast();
  const query = useQuery({ queryKey: settingsQueryKey, queryFn: () => call(api.GET('/api/v1/settings')) });
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const settings = useMemo(
    () => (query.data?.data ?? []).filter((s) => groups.includes(settingGroup(s.key).id)),
    [query.data, groups],
  );
  const save = useMutation({
    mutationFn: (body: Record<string, unknown>) => call(api.PATCH('/api/v1/settings', { body })),
    onSuccess: (res) => {
      queryClient.setQueryData(settingsQueryKey, res);
      setDrafts({});
      toast('Settings saved.');
      void queryClient.invalidateQueries({ queryKey: ['settings', 'ai-usage'] });
    },
  });
  const reset = useMutation({
    mutationFn: (key: string) => call(api.DELETE('/api/v1/settings/{key}', { params: { path: { key } } })),
    onSuccess: (s) => {
      setDrafts(({ [s.key]: _dropped, ...rest }) => rest);
      toast('Back to the default.');
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: settingsQueryKey }),
  });

  if (query.isPending) return <Loading />;
  if (query.error) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;

  const serverErrors = save.error instanceof ApiError ? issuesByPath(save.error.issues) : {};
  const draftOf = (s: Setting) => drafts[s.key] ?? toDraft(s.value, settingControl(s.schema));
  const changes: Record<string, unknown> = {};
  const parseErrors: Record<string, string> = {};
  for (const s of settings) {
    if (drafts[s.key] === undefined) continue;
    const parsed = fromDraft(drafts[s.key] ?? '', settingControl(s.schema));
    if (!parsed.ok) parseErrors[s.key] = parsed.error;
    else if (!sameValue(parsed.value, s.value)) changes[s.key] = parsed.value;
  }
  const dirty = Object.keys(changes).length > 0 || Object.keys(parseErrors).length > 0;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setLocalErrors(parseErrors);
    if (Object.keys(parseErrors).length === 0 && Object.keys(changes).length > 0) save.mutate(changes);
  };
  const byGroup = groups
    .map((g) => ({ group: g, items: settings.filter((s) => settingGroup(s.key).id === g) }))
    .filter((g) => g.items.length > 0);
  const placed = new Set(settings.map((s) => s.key));
  const unplaced = save.error && !Object.keys(serverErrors).some((k) => placed.has(k));
  return (
    <form onSubmit={submit} className="space-y-6" noValidate>
      {byGroup.map(({ group, items }) => (
        <Card key={group} title={settingGroup(group + '.x').title}>
          <div className="grid gap-5 md:grid-cols-2">
            {items.map((s) => (
              <SettingInput
                key={s.key}
                setting={s}
                draft={draftOf(s)}
                disabled={!canEdit}
                error={localErrors[s.key] ?? serverErrors[s.key]}
                onChange={(v) => setDrafts((d) => ({ ...d, [s.key]: v }))}
                onReset={canEdit && !s.isDefault ? () => reset.mutate(s.key) : undefined}
                resetting={reset.isPending && reset.variables === s.key}
              />
            ))}
          </div>
        </Card>
      ))}
      {unplaced ? <ErrorState error={save.error} /> : null}
      {reset.error ? <ErrorState error={reset.error} /> : null}
      {canEdit ? (
        <div className="flex gap-2">
          <Button type="submit" variant="primary" busy={save.isPending} disabled={!dirty}>
            Save changes
          </Button>
          {dirty && (
            <Button
              onClick={() => {
                setDrafts({});
                setLocalErrors({});
                save.reset();
              }}
            >
              Discard
            </Button>
          )}
        </div>
      ) : (
        <p className="text-sm text-slate-500 dark:text-slate-400">Only admins and owners can change these settings.</p>
      )}
    </form>
  );
}
