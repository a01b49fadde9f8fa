import { Plus, Trash2 } from 'lucide-react';
import { Button } from '../../../ui/button';
import { Input } from '../../../ui/form';

/** A string → string map (HTTP headers, query parameters) as rows of name and value. */
export function RecordField({
  label,
  hint,
  value,
  onChange,
}: {
  label: string;
  hint?: string | undefined;
  value: Record<string, string>;
  onChange: (v: Record<string, string> | undefined) => void;
}) {
  const rows = Object.entries(value);
  const write = (next: [string, string][]) => onChange(next.length ? Object.fromEntries(next) : undefined);
  return (
    <fieldset className="rounded-md border border-slate-200 p-3 dark:border-slate-700">
      <legend className="px-1 text-sm font-medium">{label}</legend>
      {hint && <p className="mb-2 text-xs text-slate-500">{hint}</p>}
      <div className="space-y-2">
        {rows.map(([k, v], i) => (
          <div key={i} className="flex gap-2">
            <Input
              aria-label={`${label} name ${i + 1}`}
              placeholder="name"
              value={k}
              className="nodrag"
              onChange={(e) => write(rows.map((r, j) => (j === i ? [e.target.value, r[1]] : r)))}
            />
            <Input
              aria-label={`${label} value ${i + 1}`}
              placeholder="value"
              value={v}
              className="nodrag"
              onChange={(e) => write(rows.map((r, j) => (j === i ? [r[0], e.target.value] : r)))}
            />
            <Button
              variant="ghost"
              size="sm"
              aria-label={`Remove ${label} ${k || i + 1}`}
              icon={<Trash2 className="size-3.5" />}
              onClick={() => write(rows.filter((_, j) => j !== i))}
            />
          </div>
        ))}
      </div>
      <Button
        size="sm"
        className="mt-2"
        icon={<Plus className="size-3.5" />}
        onClick={() => write([...rows, [rows.some(([k]) => k === '') ? `name${rows.length + 1}` : '', '']])}
      >
        Add {label === 'headers' ? 'header' : 'entry'}
      </Button>
    </fieldset>
  );
}
