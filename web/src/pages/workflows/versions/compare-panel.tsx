import { ArrowLeftRight } from 'lucide-react';
import { describeChanges, summarizeChanges } from '../../../lib/versions/definition-diff';
import { ErrorState, Loading } from '../../../ui/feedback';
import { Field, Select } from '../../../ui/form';
import { Card } from '../../../ui/layout';
import { DiffView } from './diff-view';
import { useVersion } from './version-queries';

export function ComparePanel({
  workflowId,
  versions,
  from,
  to,
  onChange,
}: {
  workflowId: string;
  versions: number[];
  from: number;
  to: number;
  onChange: (from: number, to: number) => void;
}) {
  const a = useVersion(workflowId, from);
  const b = useVersion(workflowId, to);
  const picker = (label: string, value: number, set: (v: number) => void) => (
    <Field label={label} className="w-full sm:w-40">
      {(props) => (
        <Select {...props} value={value} onChange={(e) => set(Number(e.target.value))}>
          {versions.map((v) => (
            <option key={v} value={v}>
              Version {v}
            </option>
          ))}
        </Select>
      )}
    </Field>
  );
  return (
    <Card title="Compare versions">
      <div className="flex flex-col gap-3 sm:flex-row sm:items-end">
        {picker('From (older)', from, (v) => onChange(v, to))}
        <button
          type="button"
          aria-label="Swap the two versions"
          className="self-start rounded-md border border-slate-300 p-2 hover:bg-slate-50 sm:self-auto dark:border-slate-700 dark:hover:bg-slate-800"
          onClick={() => onChange(to, from)}
        >
          <ArrowLeftRight aria-hidden="true" className="size-4" />
        </button>
        {picker('To (newer)', to, (v) => onChange(from, v))}
      </div>
      <div className="mt-4">
        {a.isError || b.isError ? (
          <ErrorState error={a.error ?? b.error} onRetry={() => (a.isError ? a.refetch() : b.refetch())} />
        ) : a.isPending || b.isPending ? (
          <Loading label="Loading both versions…" />
        ) : (
          <>
            <h3 className="text-sm font-semibold">What changed</h3>
            <ul className="mt-1 mb-4 list-disc space-y-0.5 pl-5 text-sm" data-testid="version-summary">
              {describeChanges(summarizeChanges(a.data.definition, b.data.definition)).map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
            <DiffView
              before={a.data.definition}
              after={b.data.definition}
              labels={[`Version ${from}`, `Version ${to}`]}
            />
          </>
        )}
      </div>
    </Card>
  );
}
