import type { TriggerDef, TriggerType } from '../../../lib/workflow/definition';
import type { Problem } from '../../../lib/workflow/problems';
import { Field, Input, Select } from '../../../ui/form';
import { ExpressionField } from './expression-field';
import { JsonField } from './json-field';
import { NodeProblemList } from './problems-panel';
import { WebhookInfo, type SavedWebhook } from './webhook-info';

const EVENTS = [
  'item.created',
  'item.updated',
  'item.deleted',
  'run.failed',
  'run.completed',
  'job.failed',
  'job.succeeded',
  'insight.raised',
];

const TYPES: { type: TriggerType; label: string }[] = [
  { type: 'manual', label: 'Manual — started by hand or by the API' },
  { type: 'webhook', label: 'Webhook — started by an HTTP request' },
  { type: 'schedule', label: 'Schedule — started on a cron schedule' },
  { type: 'event', label: 'Event — started when something happens' },
];

const DEFAULTS: Record<TriggerType, Record<string, unknown> | undefined> = {
  manual: undefined,
  webhook: { respond: 'immediately' },
  schedule: { cron: '0 9 * * MON-FRI', timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC' },
  event: { event: 'item.created' },
};

/** What starts a run: the trigger type and its options (docs/workflows.md, "Triggers"). */
export function TriggerPanel({
  trigger,
  stepIds,
  onChange,
  problems,
  saved,
  readOnly,
}: {
  trigger: TriggerDef;
  stepIds: string[];
  onChange: (t: TriggerDef) => void;
  problems: Problem[];
  saved: SavedWebhook | undefined;
  readOnly: boolean;
}) {
  const config = trigger.config ?? {};
  const set = (key: string, v: unknown) => {
    const next = { ...config };
    if (v === undefined || v === '') delete next[key];
    else next[key] = v;
    onChange({ type: trigger.type, config: next });
  };
  const str = (key: string) => (typeof config[key] === 'string' ? (config[key] as string) : '');

  return (
    <div className="space-y-4" data-testid="trigger-panel">
      <h2 className="text-base font-semibold">Trigger</h2>
      <NodeProblemList problems={problems} />
      <fieldset disabled={readOnly} className="space-y-4">
        <Field label="Trigger" hint="What starts a run of this workflow.">
          {(p) => (
            <Select
              {...p}
              value={trigger.type}
              onChange={(e) => {
                const type = e.target.value as TriggerType;
                const d = DEFAULTS[type];
                onChange(d ? { type, config: d } : { type });
              }}
            >
              {TYPES.map((t) => (
                <option key={t.type} value={t.type}>
                  {t.label}
                </option>
              ))}
            </Select>
          )}
        </Field>

        {trigger.type === 'manual' && (
          <JsonField
            label="inputSchema"
            hint="Optional JSON Schema of the run input, for documentation and forms."
            value={config.inputSchema}
            onChange={(v) => set('inputSchema', v)}
          />
        )}

        {trigger.type === 'webhook' && (
          <>
            <Field label="respond" hint="Answer at once (202 with the run id), or wait for a step's output.">
              {(p) => (
                <Select {...p} value={str('respond') || 'immediately'} onChange={(e) => set('respond', e.target.value)}>
                  <option value="immediately">immediately — 202 as soon as the run is queued</option>
                  <option value="wait">wait — answer with the response step's output</option>
                </Select>
              )}
            </Field>
            {config.respond === 'wait' && (
              <>
                <Field label="responseStep" hint="The step whose output is the HTTP answer.">
                  {(p) => (
                    <Select {...p} value={str('responseStep')} onChange={(e) => set('responseStep', e.target.value)}>
                      <option value="">(choose a step)</option>
                      {stepIds.map((id) => (
                        <option key={id} value={id}>
                          {id}
                        </option>
                      ))}
                    </Select>
                  )}
                </Field>
                <Field label="timeoutMs" hint="How long the request waits (1000–120000 ms). Default 30000.">
                  {(p) => (
                    <Input
                      {...p}
                      type="number"
                      value={typeof config.timeoutMs === 'number' ? config.timeoutMs : ''}
                      onChange={(e) => set('timeoutMs', e.target.value === '' ? undefined : Number(e.target.value))}
                    />
                  )}
                </Field>
              </>
            )}
          </>
        )}

        {trigger.type === 'schedule' && (
          <>
            <Field label="cron" hint="5 fields (minute hour day month weekday), e.g. 0 9 * * MON-FRI, or @daily.">
              {(p) => (
                <Input {...p} className="font-mono" value={str('cron')} onChange={(e) => set('cron', e.target.value)} />
              )}
            </Field>
            <Field label="timezone" hint="An IANA time zone such as Europe/Paris. Default UTC.">
              {(p) => <Input {...p} value={str('timezone')} onChange={(e) => set('timezone', e.target.value)} />}
            </Field>
          </>
        )}

        {trigger.type === 'event' && (
          <>
            <Field label="event">
              {(p) => (
                <Select {...p} value={str('event') || 'item.created'} onChange={(e) => set('event', e.target.value)}>
                  {EVENTS.map((ev) => (
                    <option key={ev}>{ev}</option>
                  ))}
                </Select>
              )}
            </Field>
            <Field
              label="filter"
              hint='Optional JSONata over the event; runs only when truthy (item.status = "active").'
            >
              {(p) => (
                <ExpressionField
                  id={p.id}
                  describedBy={p['aria-describedby']}
                  value={str('filter')}
                  onChange={(v) => set('filter', v)}
                  refs={{ upstream: [], trigger: 'event' }}
                  mono
                />
              )}
            </Field>
          </>
        )}
      </fieldset>
      {trigger.type === 'webhook' && <WebhookInfo saved={saved} readOnly={readOnly} />}
    </div>
  );
}
