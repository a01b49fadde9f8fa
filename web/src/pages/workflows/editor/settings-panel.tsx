import { Field, Input } from '../../../ui/form';

type Settings = Record<string, unknown>;

const FIELDS: { key: string; label: string; hint: string }[] = [
  { key: 'timeoutMs', label: 'timeoutMs', hint: 'The whole run, waits included (ms). Default 300000 (5 min).' },
  {
    key: 'stepTimeoutMs',
    label: 'stepTimeoutMs',
    hint: 'One attempt of a step without its own timeout (ms). Default 60000.',
  },
  { key: 'concurrency', label: 'concurrency', hint: 'Runs of this workflow in flight at once (1–1000). Default 10.' },
];
const RETRY: { key: string; hint: string }[] = [
  { key: 'maxAttempts', hint: 'Attempts in all; 1 = no retry. Default 3.' },
  { key: 'backoffMs', hint: 'Delay before the second attempt, doubling after. Default 1000.' },
  { key: 'maxBackoffMs', hint: 'The longest delay. Default 60000.' },
];

const num = (v: unknown) => (typeof v === 'number' ? v : '');
const parse = (s: string) => (s === '' ? undefined : Number(s));

/** Run limits and retry defaults (docs/workflows.md, "Settings"); empty fields keep the defaults. */
export function SettingsPanel({
  settings,
  onChange,
  readOnly,
}: {
  settings: Settings;
  onChange: (s: Settings) => void;
  readOnly: boolean;
}) {
  const set = (key: string, v: unknown) => {
    const next = { ...settings };
    if (v === undefined || v === '') delete next[key];
    else next[key] = v;
    onChange(next);
  };
  const retry = (typeof settings.retry === 'object' && settings.retry ? settings.retry : {}) as Settings;
  return (
    <fieldset disabled={readOnly} className="space-y-3" data-testid="settings-panel">
      <legend className="mb-2 text-base font-semibold">Workflow settings</legend>
      {FIELDS.map((f) => (
        <Field key={f.key} label={f.label} hint={f.hint}>
          {(p) => (
            <Input
              {...p}
              type="number"
              value={num(settings[f.key])}
              onChange={(e) => set(f.key, parse(e.target.value))}
            />
          )}
        </Field>
      ))}
      <fieldset className="space-y-3 rounded-md border border-slate-200 p-3 dark:border-slate-700">
        <legend className="px-1 text-sm font-medium">retry</legend>
        {RETRY.map((f) => (
          <Field key={f.key} label={f.key} hint={f.hint}>
            {(p) => (
              <Input
                {...p}
                type="number"
                value={num(retry[f.key])}
                onChange={(e) => {
                  const next = { ...retry };
                  const v = parse(e.target.value);
                  if (v === undefined) delete next[f.key];
                  else next[f.key] = v;
                  set('retry', Object.keys(next).length ? next : undefined);
                }}
              />
            )}
          </Field>
        ))}
      </fieldset>
      <Field
        label="errorWorkflowId"
        hint="A workflow (wfl_…) started with the failed run when a run of this one fails."
      >
        {(p) => (
          <Input
            {...p}
            className="font-mono"
            value={typeof settings.errorWorkflowId === 'string' ? settings.errorWorkflowId : ''}
            onChange={(e) => set('errorWorkflowId', e.target.value.trim() || undefined)}
          />
        )}
      </Field>
    </fieldset>
  );
}
