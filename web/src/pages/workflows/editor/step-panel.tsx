import { Braces, ListChecks, Trash2 } from 'lucide-react';
import { useEffect, useState } from 'react';
import { STEP_ID_PATTERN, type StepDef, type StepKind } from '../../../lib/workflow/definition';
import type { Problem } from '../../../lib/workflow/problems';
import { Button } from '../../../ui/button';
import { Field, Input } from '../../../ui/form';
import type { RefContext } from './expression-field';
import { JsonField } from './json-field';
import { NodeProblemList } from './problems-panel';
import { SchemaFields } from './schema-form';
import { Connections, type Incoming } from './connections';

/** The selected step: id, name, its config (form from the kind's schema, or raw JSON), options. */
export function StepPanel({
  step,
  kind,
  refs,
  problems,
  taken,
  onChange,
  onRename,
  onDelete,
  readOnly,
  connections,
}: {
  connections: {
    incoming: Incoming[];
    sources: { id: string; labels: string[] | null }[];
    onConnect: (from: string, when: string | undefined) => void;
    onDisconnect: (edgeId: string) => void;
  };
  step: StepDef;
  kind: StepKind | undefined;
  refs: RefContext;
  problems: Problem[];
  taken: Set<string>;
  onChange: (s: StepDef) => void;
  onRename: (id: string) => void;
  onDelete: () => void;
  readOnly: boolean;
}) {
  const [raw, setRaw] = useState(!kind?.configSchema?.properties);
  const [id, setId] = useState(step.id);
  useEffect(() => setId(step.id), [step.id]);
  const idError =
    id === step.id
      ? undefined
      : !STEP_ID_PATTERN.test(id)
        ? 'A letter, then letters, digits or _ (at most 64).'
        : taken.has(id)
          ? 'Another step has this id.'
          : undefined;
  const commitId = () => {
    if (id !== step.id && !idError) onRename(id);
  };

  return (
    <div className="space-y-4" data-testid="step-panel">
      <div className="flex items-start justify-between gap-2">
        <div className="min-w-0">
          <h2 className="truncate text-base font-semibold">{step.name || step.id}</h2>
          <p className="text-xs text-slate-500 dark:text-slate-400">
            <span className="font-mono">{step.type}</span>
            {kind ? ` — ${kind.description}` : ' — unknown step kind'}
          </p>
        </div>
        {!readOnly && (
          <Button variant="danger" size="sm" icon={<Trash2 className="size-3.5" />} onClick={onDelete}>
            Delete step
          </Button>
        )}
      </div>
      <NodeProblemList problems={problems} />
      <fieldset disabled={readOnly} className="space-y-4">
        <div className="grid gap-3 sm:grid-cols-2">
          <Field
            label="Step id"
            error={idError}
            hint="Other steps read its output as steps.<id>.output. Renaming updates them."
          >
            {(p) => (
              <Input
                {...p}
                value={id}
                className="font-mono"
                onChange={(e) => setId(e.target.value)}
                onBlur={commitId}
                onKeyDown={(e) => e.key === 'Enter' && commitId()}
              />
            )}
          </Field>
          <Field label="Name" hint="Optional, shown on the canvas.">
            {(p) => (
              <Input
                {...p}
                value={step.name ?? ''}
                maxLength={200}
                onChange={(e) => {
                  const { name: _, ...rest } = step;
                  onChange(e.target.value ? { ...rest, name: e.target.value } : rest);
                }}
              />
            )}
          </Field>
        </div>

        <Connections stepId={step.id} readOnly={readOnly} {...connections} />

        <section aria-labelledby="config-heading" className="space-y-3">
          <div className="flex items-center justify-between">
            <h3 id="config-heading" className="text-sm font-semibold">
              Configuration
            </h3>
            {kind?.configSchema?.properties && (
              <Button
                size="sm"
                variant="ghost"
                icon={raw ? <ListChecks className="size-3.5" /> : <Braces className="size-3.5" />}
                onClick={() => setRaw(!raw)}
                aria-pressed={raw}
              >
                {raw ? 'Form' : 'Raw JSON'}
              </Button>
            )}
          </div>
          {raw || !kind ? (
            <JsonField
              label="config (JSON)"
              value={step.config ?? {}}
              rows={10}
              onChange={(v) => onChange({ ...step, config: v ?? {} })}
            />
          ) : (
            <SchemaFields
              schema={kind.configSchema}
              value={step.config}
              refs={refs}
              onChange={(config) => onChange({ ...step, config })}
            />
          )}
        </section>

        <details className="rounded-md border border-slate-200 p-3 dark:border-slate-700">
          <summary className="cursor-pointer text-sm font-semibold">Retries, timeout, disable</summary>
          <div className="mt-3 space-y-3">
            <label className="inline-flex items-center gap-2 text-sm">
              <input
                type="checkbox"
                className="size-4 accent-indigo-600"
                checked={step.disabled === true}
                onChange={(e) => {
                  const { disabled: _, ...rest } = step;
                  onChange(e.target.checked ? { ...rest, disabled: true } : rest);
                }}
              />
              Disabled (passes through with output null)
            </label>
            <OptionalNumber
              label="timeoutMs"
              hint="One attempt's limit in ms; default: the workflow's step timeout."
              value={step.timeoutMs}
              onChange={(v) => {
                const { timeoutMs: _, ...rest } = step;
                onChange(v === undefined ? rest : { ...rest, timeoutMs: v });
              }}
            />
            <OptionalNumber
              label="retry.maxAttempts"
              hint="Attempts in all (1 = no retry); default: the workflow's retry settings."
              value={typeof step.retry?.maxAttempts === 'number' ? step.retry.maxAttempts : undefined}
              onChange={(v) => {
                const { maxAttempts: _, ...retry } = step.retry ?? {};
                const { retry: __, ...rest } = step;
                const next = v === undefined ? retry : { ...retry, maxAttempts: v };
                onChange(Object.keys(next).length ? { ...rest, retry: next } : rest);
              }}
            />
          </div>
        </details>
      </fieldset>
    </div>
  );
}

function OptionalNumber({
  label,
  hint,
  value,
  onChange,
}: {
  label: string;
  hint: string;
  value: number | undefined;
  onChange: (v: number | undefined) => void;
}) {
  return (
    <Field label={label} hint={hint}>
      {(p) => (
        <Input
          {...p}
          type="number"
          inputMode="numeric"
          value={value ?? ''}
          onChange={(e) => {
            const n = e.target.value === '' ? undefined : Number(e.target.value);
            if (n === undefined || Number.isInteger(n)) onChange(n);
          }}
        />
      )}
    </Field>
  );
}
