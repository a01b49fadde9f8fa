import { cn } from '../../lib/cn';
import { RUN_RANGES, RUN_STATUSES, type RunFilters, type RunRange, toggle } from '../../lib/runs/run-filters';
import { Select } from '../../ui/form';

/** Status chips, workflow and time range; every change is written to the URL by the caller. */
export function RunsFilters({
  filters,
  workflows,
  onChange,
}: {
  filters: RunFilters;
  workflows: { id: string; name: string }[];
  onChange: (next: RunFilters) => void;
}) {
  return (
    <div className="mb-4 flex flex-col gap-3 lg:flex-row lg:items-center lg:justify-between">
      <fieldset className="flex flex-wrap gap-1.5">
        <legend className="sr-only">Status</legend>
        {RUN_STATUSES.map((s) => {
          const on = filters.statuses.includes(s);
          return (
            <button
              key={s}
              type="button"
              aria-pressed={on}
              onClick={() => onChange({ ...filters, statuses: toggle(filters.statuses, s) })}
              className={cn(
                'rounded-full border px-3 py-1 text-xs font-medium capitalize focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-500',
                on
                  ? 'border-indigo-600 bg-indigo-600 text-white dark:border-indigo-400 dark:bg-indigo-500'
                  : 'border-slate-300 bg-white text-slate-700 hover:bg-slate-50 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-200 dark:hover:bg-slate-800',
              )}
            >
              {s}
            </button>
          );
        })}
      </fieldset>
      <div className="flex flex-col gap-2 sm:flex-row">
        <label className="block sm:w-56">
          <span className="sr-only">Workflow</span>
          <Select
            value={filters.workflowId ?? ''}
            onChange={(e) => onChange({ ...filters, workflowId: e.target.value || undefined })}
          >
            <option value="">All workflows</option>
            {filters.workflowId && !workflows.some((w) => w.id === filters.workflowId) && (
              <option value={filters.workflowId}>{filters.workflowId}</option>
            )}
            {workflows.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </Select>
        </label>
        <label className="block sm:w-44">
          <span className="sr-only">Started</span>
          <Select value={filters.range} onChange={(e) => onChange({ ...filters, range: e.target.value as RunRange })}>
            {Object.entries(RUN_RANGES).map(([k, r]) => (
              <option key={k} value={k}>
                {r.label}
              </option>
            ))}
          </Select>
        </label>
      </div>
    </div>
  );
}
