import { RUN_RANGES, RUN_STATUSES, type RunFilters, type RunRange, toggle } from '../../lib/runs/run-filters';
import { FilterChips } from '../../ui/filter-chips';
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
      <FilterChips
        legend="Status"
        options={RUN_STATUSES}
        selected={filters.statuses}
        onToggle={(s) => onChange({ ...filters, statuses: toggle(filters.statuses, s) })}
      />
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
