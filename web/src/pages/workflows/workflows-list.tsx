// /workflows: every workflow of the organisation with its trigger, state, version and last run;
// search and filters work over the loaded pages (the list API has no search), in the URL.
import { useInfiniteQuery } from '@tanstack/react-query';
import { Plus, Search, Upload, Workflow as WorkflowIcon } from 'lucide-react';
import { useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, call } from '../../api/client';
import { roleAtLeast, useMe } from '../../api/session';
import { Button, LinkButton } from '../../ui/button';
import { EmptyState, ErrorState, Loading } from '../../ui/feedback';
import { Input, Select } from '../../ui/form';
import { PageHeader } from '../../ui/layout';
import { RowList, RowListFooter } from '../../ui/row-list';
import { ImportDialog } from './list/import-dialog';
import { TemplatePicker } from './list/template-picker';
import { TRIGGER_TYPES } from './list/trigger-label';
import { ROW_GRID, WorkflowRow } from './list/workflow-row';

const PAGE = 50;

export default function WorkflowsList() {
  const me = useMe();
  const canWrite = roleAtLeast(me, 'editor');
  const [params, setParams] = useSearchParams();
  const [importing, setImporting] = useState(false);
  const search = params.get('q') ?? '';
  const trigger = params.get('trigger') ?? '';
  const state = params.get('state') ?? '';

  const q = useInfiniteQuery({
    queryKey: ['workflows', 'list'],
    queryFn: ({ pageParam }) =>
      call(
        api.GET('/api/v1/workflows', {
          params: { query: { limit: PAGE, ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });

  const all = useMemo(() => q.data?.pages.flatMap((p) => p.data) ?? [], [q.data]);
  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase();
    return all.filter(
      (w) =>
        (!needle || w.name.toLowerCase().includes(needle) || w.description.toLowerCase().includes(needle)) &&
        (!trigger || w.trigger.type === trigger) &&
        (!state || (state === 'active') === w.active),
    );
  }, [all, search, trigger, state]);

  const setParam = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };

  const actions = canWrite && (
    <>
      <Button icon={<Upload className="size-4" />} onClick={() => setImporting(true)}>
        Import
      </Button>
      <LinkButton to="/workflows/new" variant="primary">
        <Plus aria-hidden="true" className="size-4" /> New workflow
      </LinkButton>
    </>
  );

  const filtered = Boolean(search || trigger || state);
  return (
    <div>
      <PageHeader
        title="Workflows"
        description="Triggers and steps that run on their own: on a webhook, a schedule, an event or by hand."
        actions={actions}
      />
      {canWrite && <ImportDialog open={importing} onClose={() => setImporting(false)} />}
      {q.isPending ? (
        <Loading label="Loading workflows…" />
      ) : q.isError ? (
        <ErrorState error={q.error} onRetry={() => q.refetch()} />
      ) : all.length === 0 ? (
        <EmptyState
          icon={<WorkflowIcon className="size-10" />}
          title="No workflows yet"
          action={
            canWrite ? (
              <LinkButton to="/workflows/new" variant="primary">
                <Plus aria-hidden="true" className="size-4" /> Create your first workflow
              </LinkButton>
            ) : undefined
          }
        >
          A workflow is a trigger — a webhook call, a schedule, an event such as “item created”, or a click — followed
          by steps that transform data, branch, call APIs, wait for approval or queue jobs. Every save is a new version,
          and every run is recorded step by step.
          {!canWrite && ' Ask an editor of this organisation to create one.'}
        </EmptyState>
      ) : (
        <>
          <div className="mb-4 flex flex-col gap-2 sm:flex-row sm:items-end">
            <label className="relative block flex-1">
              <span className="sr-only">Search workflows</span>
              <Search aria-hidden="true" className="absolute top-2.5 left-2.5 size-4 text-slate-400" />
              <Input
                type="search"
                placeholder="Search by name or description"
                value={search}
                onChange={(e) => setParam('q', e.target.value)}
                className="pl-8"
              />
            </label>
            <label className="block sm:w-40">
              <span className="sr-only">Trigger</span>
              <Select value={trigger} onChange={(e) => setParam('trigger', e.target.value)}>
                <option value="">All triggers</option>
                {TRIGGER_TYPES.map((t) => (
                  <option key={t} value={t}>
                    {t[0]?.toUpperCase() + t.slice(1)}
                  </option>
                ))}
              </Select>
            </label>
            <label className="block sm:w-36">
              <span className="sr-only">State</span>
              <Select value={state} onChange={(e) => setParam('state', e.target.value)}>
                <option value="">Any state</option>
                <option value="active">Active</option>
                <option value="inactive">Inactive</option>
              </Select>
            </label>
          </div>
          <RowList
            grid={ROW_GRID}
            className="overflow-visible"
            columns={
              <>
                <span>Name</span>
                <span>Trigger</span>
                <span>State</span>
                <span>Version</span>
                <span>Last run</span>
                <span>Updated</span>
                <span className="text-right">Actions</span>
              </>
            }
          >
            {shown.length === 0 ? (
              <p className="px-4 py-8 text-center text-sm text-slate-500 dark:text-slate-400">
                No workflow matches these filters.{' '}
                <button
                  type="button"
                  className="text-indigo-700 underline dark:text-indigo-300"
                  onClick={() => setParams(new URLSearchParams(), { replace: true })}
                >
                  Clear filters
                </button>
              </p>
            ) : (
              <ul aria-label="Workflows" className="divide-y divide-slate-100 dark:divide-slate-800">
                {shown.map((w) => (
                  <WorkflowRow key={w.id} workflow={w} canWrite={canWrite} />
                ))}
              </ul>
            )}
          </RowList>
          <RowListFooter more={q}>
            <span>
              {filtered ? `${shown.length} of ${all.length} loaded` : `${all.length}`} workflow
              {all.length === 1 ? '' : 's'}
            </span>
          </RowListFooter>
        </>
      )}
      {canWrite && !q.isPending && !q.isError && all.length === 0 && <TemplatePicker />}
    </div>
  );
}
