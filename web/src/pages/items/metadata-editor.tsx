import { Plus, Trash2 } from 'lucide-react';
import type { MetadataKind, MetadataRow } from '../../lib/items/item-form';
import { Button } from '../../ui/button';
import { Input, Select } from '../../ui/form';

/**
 * Metadata as key/value rows. A value is text as typed, or JSON (numbers, true/false, lists,
 * objects) when its row says so; `errors` are keyed `metadata.<row>.key|value`.
 */
export function MetadataEditor({
  rows,
  onChange,
  errors,
  disabled,
}: {
  rows: MetadataRow[];
  onChange: (rows: MetadataRow[]) => void;
  errors: Record<string, string>;
  disabled?: boolean;
}) {
  if (disabled) {
    return rows.length === 0 ? (
      <p className="text-sm text-slate-500 dark:text-slate-400">No fields.</p>
    ) : (
      <dl className="grid grid-cols-[minmax(0,1fr)_minmax(0,2fr)] gap-x-4 gap-y-2 text-sm">
        {rows.map((row) => (
          <div key={row.key} className="contents">
            <dt className="truncate font-medium text-slate-600 dark:text-slate-400">{row.key}</dt>
            <dd className={row.kind === 'json' ? 'font-mono text-xs break-all' : 'break-words'}>{row.value}</dd>
          </div>
        ))}
      </dl>
    );
  }
  const set = (i: number, patch: Partial<MetadataRow>) =>
    onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <div className="space-y-2">
      {rows.length === 0 && (
        <p className="text-sm text-slate-500 dark:text-slate-400">
          No fields yet. Add any you need: a client, an amount, a due date.
        </p>
      )}
      {rows.map((row, i) => {
        const keyError = errors[`metadata.${i}.key`];
        const valueError = errors[`metadata.${i}.value`];
        return (
          // Rows have no identity of their own; the index is stable while one is edited.
          <div
            key={i}
            className="grid grid-cols-[minmax(0,1fr)_auto] gap-2 rounded-md border border-slate-200 p-2 sm:grid-cols-[minmax(0,1fr)_minmax(0,2fr)_6.5rem_auto] sm:border-0 sm:p-0 dark:border-slate-800"
          >
            <div>
              <Input
                aria-label={`Field ${i + 1} key`}
                aria-invalid={keyError ? true : undefined}
                placeholder="key"
                value={row.key}
                maxLength={200}
                onChange={(e) => set(i, { key: e.target.value })}
              />
              {keyError && <p className="mt-1 text-xs text-red-600 dark:text-red-400">{keyError}</p>}
            </div>
            <div className="col-span-2 row-start-2 sm:col-span-1 sm:row-start-auto">
              <Input
                aria-label={`Field ${i + 1} value`}
                aria-invalid={valueError ? true : undefined}
                placeholder={row.kind === 'json' ? '42, true, ["a"], {"k": 1}' : 'value'}
                className={row.kind === 'json' ? 'font-mono text-xs' : undefined}
                value={row.value}
                onChange={(e) => set(i, { value: e.target.value })}
              />
              {valueError && <p className="mt-1 text-xs text-red-600 dark:text-red-400">{valueError}</p>}
            </div>
            <Select
              aria-label={`Field ${i + 1} type`}
              className="col-start-1 row-start-3 w-32 sm:col-start-auto sm:row-start-auto sm:w-auto"
              value={row.kind}
              onChange={(e) => set(i, { kind: e.target.value as MetadataKind })}
            >
              <option value="text">Text</option>
              <option value="json">JSON</option>
            </Select>
            <Button
              variant="ghost"
              aria-label={`Remove field ${i + 1}`}
              className="col-start-2 row-start-1 sm:col-start-auto sm:row-start-auto"
              onClick={() => onChange(rows.filter((_, j) => j !== i))}
              icon={<Trash2 className="size-4" />}
            />
          </div>
        );
      })}
      <Button
        size="sm"
        icon={<Plus className="size-4" />}
        onClick={() => onChange([...rows, { key: '', value: '', kind: 'text' }])}
      >
        Add field
      </Button>
    </div>
  );
}
