import { Plus, Trash2 } from 'lucide-react';
import type { JsonSchema } from '../../../lib/workflow/definition';
import { fieldKind, initialValue, parseNumberInput } from '../../../lib/workflow/schema-fields';
import { Button } from '../../../ui/button';
import { Field, Input, Select } from '../../../ui/form';
import { ExpressionField, type RefContext } from './expression-field';
import { JsonField } from './json-field';
import { RecordField } from './record-field';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The members of an object schema, one field each (required first, in schema order otherwise). */
export function SchemaFields({
  schema,
  value,
  onChange,
  refs,
}: {
  schema: JsonSchema;
  value: unknown;
  onChange: (v: Record<string, unknown>) => void;
  refs: RefContext;
}) {
  const obj = isRecord(value) ? value : {};
  const required = new Set(schema.required ?? []);
  const keys = Object.keys(schema.properties ?? {}).sort((a, b) => Number(required.has(b)) - Number(required.has(a)));
  return (
    <div className="space-y-3">
      {keys.map((key) => (
        <SchemaField
          key={key}
          name={key}
          schema={schema.properties?.[key] ?? {}}
          required={required.has(key)}
          value={obj[key]}
          refs={refs}
          onChange={(v) => {
            const next = { ...obj };
            if (v === undefined) delete next[key];
            else next[key] = v;
            onChange(next);
          }}
        />
      ))}
    </div>
  );
}

function hintOf(schema: JsonSchema): string | undefined {
  const parts = [schema.description];
  if (schema.default !== undefined) parts.push(`Default: ${JSON.stringify(schema.default)}.`);
  if (schema.minimum !== undefined || schema.maximum !== undefined)
    parts.push(`Range ${schema.minimum ?? '…'}–${schema.maximum ?? '…'}.`);
  const text = parts.filter(Boolean).join(' ');
  return text || undefined;
}

export function SchemaField({
  name,
  schema,
  value,
  onChange,
  required,
  refs,
}: {
  name: string;
  schema: JsonSchema;
  value: unknown;
  onChange: (v: unknown) => void;
  required: boolean;
  refs: RefContext;
}) {
  const kind = fieldKind(schema);
  // The label is exactly the property name (tests and docs name fields by it); "Required" goes in the hint.
  const label = name;
  const hint = [required ? 'Required.' : '', hintOf(schema) ?? ''].filter(Boolean).join(' ') || undefined;

  switch (kind) {
    case 'boolean':
      return (
        <div>
          <label className="inline-flex items-center gap-2 text-sm font-medium">
            <input
              type="checkbox"
              className="size-4 accent-indigo-600"
              checked={typeof value === 'boolean' ? value : schema.default === true}
              onChange={(e) => onChange(e.target.checked)}
            />
            {name}
          </label>
          {hint && <p className="text-xs text-slate-500 dark:text-slate-400">{hint}</p>}
        </div>
      );
    case 'enum':
      return (
        <Field label={label} hint={hint}>
          {(p) => (
            <Select
              {...p}
              value={typeof value === 'string' ? value : ''}
              onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)}
            >
              <option value="">
                {schema.default !== undefined ? `(default: ${String(schema.default)})` : '(none)'}
              </option>
              {(schema.enum ?? []).map((v) => (
                <option key={String(v)} value={String(v)}>
                  {String(v)}
                </option>
              ))}
            </Select>
          )}
        </Field>
      );
    case 'number':
    case 'integer':
      return <NumberField label={label} hint={hint} value={value} integer={kind === 'integer'} onChange={onChange} />;
    case 'jsonata':
    case 'string':
    case 'text':
      if (kind === 'text' && value !== undefined && typeof value !== 'string') {
        return <JsonField label={label} hint={hint} value={value} onChange={onChange} />;
      }
      return (
        <Field
          label={label}
          hint={[
            hint,
            kind === 'jsonata' ? 'Type steps. or trigger. for references.' : 'Type {{ to insert a reference.',
          ]
            .filter(Boolean)
            .join(' ')}
        >
          {(p) => (
            <ExpressionField
              id={p.id}
              describedBy={p['aria-describedby']}
              invalid={p['aria-invalid']}
              value={typeof value === 'string' ? value : ''}
              onChange={(v) => onChange(v === '' && !required ? undefined : v)}
              refs={refs}
              mono={kind === 'jsonata'}
              rows={kind === 'jsonata' ? 3 : (schema.maxLength ?? 0) > 4096 ? 3 : 1}
              placeholder={kind === 'string' || kind === 'text' ? 'Text; {{ }} inserts a value' : undefined}
            />
          )}
        </Field>
      );
    case 'record':
      return (
        <RecordField
          label={name}
          hint={hint}
          value={isRecord(value) ? (value as Record<string, string>) : {}}
          onChange={onChange}
        />
      );
    case 'object':
      return (
        <fieldset className="rounded-md border border-slate-200 p-3 dark:border-slate-700">
          <legend className="px-1 text-sm font-medium">{label}</legend>
          {hint && <p className="mb-2 text-xs text-slate-500">{hint}</p>}
          <SchemaFields schema={schema} value={value} onChange={onChange} refs={refs} />
        </fieldset>
      );
    case 'array-objects':
    case 'array-strings': {
      const list = Array.isArray(value) ? value : [];
      const item = schema.items ?? {};
      const set = (i: number, v: unknown) => onChange(list.map((x, j) => (j === i ? v : x)));
      return (
        <fieldset className="rounded-md border border-slate-200 p-3 dark:border-slate-700">
          <legend className="px-1 text-sm font-medium">{label}</legend>
          {hint && <p className="mb-2 text-xs text-slate-500">{hint}</p>}
          <ol className="space-y-3">
            {list.map((x, i) => (
              <li key={i} className="rounded border border-slate-200 p-2 dark:border-slate-800">
                <div className="mb-1 flex items-center justify-between text-xs text-slate-500">
                  <span>
                    {name} #{i + 1}
                  </span>
                  <Button
                    size="sm"
                    variant="ghost"
                    icon={<Trash2 className="size-3.5" />}
                    aria-label={`Remove ${name} #${i + 1}`}
                    onClick={() => onChange(list.filter((_, j) => j !== i))}
                  />
                </div>
                {kind === 'array-objects' ? (
                  <SchemaFields schema={item} value={x} onChange={(v) => set(i, v)} refs={refs} />
                ) : (
                  <SchemaField
                    name={`${name} ${i + 1}`}
                    schema={item}
                    value={x}
                    onChange={(v) => set(i, v ?? '')}
                    required
                    refs={refs}
                  />
                )}
              </li>
            ))}
          </ol>
          <Button
            size="sm"
            className="mt-2"
            icon={<Plus className="size-3.5" />}
            onClick={() => onChange([...list, initialValue(item)])}
            disabled={schema.maxItems !== undefined && list.length >= schema.maxItems}
          >
            Add to {name}
          </Button>
        </fieldset>
      );
    }
    default:
      return <JsonField label={label} hint={hint} value={value} onChange={onChange} />;
  }
}

function NumberField({
  label,
  hint,
  value,
  integer,
  onChange,
}: {
  label: React.ReactNode;
  hint: string | undefined;
  value: unknown;
  integer: boolean;
  onChange: (v: unknown) => void;
}) {
  return (
    <Field label={label} hint={hint}>
      {(p) => (
        <Input
          {...p}
          type="number"
          inputMode={integer ? 'numeric' : 'decimal'}
          step={integer ? 1 : 'any'}
          value={typeof value === 'number' ? value : ''}
          onChange={(e) => {
            const n = parseNumberInput(e.target.value, integer);
            if (n !== 'invalid') onChange(n);
          }}
        />
      )}
    </Field>
  );
}
