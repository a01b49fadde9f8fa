// /workflows/:id/versions — the version history of a workflow: compare any two versions (a summary
// of step changes and a line diff of the JSON), read one version, restore an old one as a new
// version. `?v=<n>` preselects a version; `?from=&to=` the comparison.
import { FileJson, History, Pencil, RotateCcw } from 'lucide-react';
import { useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { roleAtLeast, useMe } from '../../../api/session';
import { formatDateTime, formatRelative } from '../../../lib/format';
import { prettyDefinition } from '../../../lib/versions/definition-diff';
import { Badge } from '../../../ui/badge';
import { Button, LinkButton } from '../../../ui/button';
import { EmptyState, ErrorState, Loading } from '../../../ui/feedback';
import { JsonView } from '../../../ui/json-view';
import { Card, PageHeader } from '../../../ui/layout';
import { ComparePanel } from './compare-panel';
import { RestoreDialog } from './restore-dialog';
import { useMemberNames, useVersion, useVersions, useWorkflow } from './version-queries';

function num(v: string | null): number | undefined {
  const n = Number(v);
  return v && Number.isInteger(n) && n >= 1 ? n : undefined;
}

/** `user:usr_…` as the member's name when known; other actors (API keys, system) as recorded. */
function author(createdBy: string, names: Map<string, string> | undefined): string {
  const userId = createdBy.replace(/^user:/, '');
  return names?.get(userId) ?? createdBy;
}

function VersionJson({ workflowId, version }: { workflowId: string; version: number }) {
  const q = useVersion(workflowId, version);
  return (
    <Card title={`Version ${version} definition`}>
      {q.isPending ? (
        <Loading />
      ) : q.isError ? (
        <ErrorState error={q.error} onRetry={() => q.refetch()} />
      ) : (
        <JsonView
          value={JSON.parse(prettyDefinition(q.data.definition))}
          label={`Version ${version} · ${formatDateTime(q.data.createdAt)}`}
        />
      )}
    </Card>
  );
}

export default function WorkflowVersions() {
  const { id = '' } = useParams();
  const me = useMe();
  const canWrite = roleAtLeast(me, 'editor');
  const [params, setParams] = useSearchParams();
  const [restoring, setRestoring] = useState<number | undefined>();
  const workflow = useWorkflow(id);
  const versions = useVersions(id);
  const names = useMemberNames();

  if (workflow.isPending || versions.isPending) return <Loading label="Loading the history…" />;
  if (workflow.isError) return <ErrorState error={workflow.error} onRetry={() => workflow.refetch()} />;
  if (versions.isError) return <ErrorState error={versions.error} onRetry={() => versions.refetch()} />;

  const w = workflow.data;
  const list = [...versions.data.data].sort((a, b) => b.version - a.version);
  const numbers = list.map((v) => v.version);
  const known = (n: number | undefined) => (n !== undefined && numbers.includes(n) ? n : undefined);
  const viewed = known(num(params.get('v'))) ?? w.version;
  const to = known(num(params.get('to'))) ?? viewed;
  const from = known(num(params.get('from'))) ?? known(to - 1) ?? numbers.find((n) => n < to) ?? to;

  const set = (next: Record<string, number>) => {
    const p = new URLSearchParams(params);
    for (const [k, v] of Object.entries(next)) p.set(k, String(v));
    setParams(p, { replace: true });
  };

  return (
    <div>
      <PageHeader
        title={w.name}
        description={
          <>
            <Link to="/workflows" className="text-indigo-700 hover:underline dark:text-indigo-300">
              ← All workflows
            </Link>{' '}
            · Version history, current version {w.version}. Every save is a new, immutable version.
          </>
        }
        actions={
          <LinkButton to={`/workflows/${id}`} variant="primary">
            <Pencil aria-hidden="true" className="size-4" /> Open in editor
          </LinkButton>
        }
      />
      <div className="grid gap-4 lg:grid-cols-[20rem_minmax(0,1fr)]">
        <section aria-labelledby="versions-heading" className="min-w-0">
          <h2 id="versions-heading" className="mb-2 text-sm font-semibold">
            Versions ({list.length})
          </h2>
          {list.length === 0 ? (
            <EmptyState icon={<History className="size-8" />} title="No versions">
              This workflow has no saved version.
            </EmptyState>
          ) : (
            <ol className="divide-y divide-slate-100 overflow-hidden rounded-lg border border-slate-200 bg-white dark:divide-slate-800 dark:border-slate-800 dark:bg-slate-900">
              {list.map((v) => {
                const selected = v.version === viewed;
                return (
                  <li
                    key={v.version}
                    data-testid={`version-${v.version}`}
                    aria-current={selected ? 'true' : undefined}
                    className={selected ? 'bg-indigo-50 px-3 py-2.5 dark:bg-indigo-950/40' : 'px-3 py-2.5'}
                  >
                    <div className="flex items-center justify-between gap-2">
                      <span className="font-medium">
                        Version {v.version} {v.version === w.version && <Badge tone="green">current</Badge>}
                      </span>
                      <span className="text-xs text-slate-500 dark:text-slate-400" title={formatDateTime(v.createdAt)}>
                        {formatRelative(v.createdAt)}
                      </span>
                    </div>
                    <p className="truncate text-xs text-slate-500 dark:text-slate-400">
                      by {author(v.createdBy, names.data)}
                    </p>
                    <div className="mt-1.5 flex flex-wrap gap-1">
                      <Button
                        size="sm"
                        variant="ghost"
                        icon={<FileJson aria-hidden="true" className="size-3.5" />}
                        aria-label={`View version ${v.version}`}
                        onClick={() => set({ v: v.version, to: v.version, from: known(v.version - 1) ?? v.version })}
                      >
                        View
                      </Button>
                      {canWrite && v.version !== w.version && (
                        <Button
                          size="sm"
                          variant="ghost"
                          icon={<RotateCcw aria-hidden="true" className="size-3.5" />}
                          aria-label={`Restore version ${v.version}`}
                          onClick={() => setRestoring(v.version)}
                        >
                          Restore
                        </Button>
                      )}
                    </div>
                  </li>
                );
              })}
            </ol>
          )}
        </section>
        <div className="min-w-0 space-y-4">
          {list.length > 1 ? (
            <ComparePanel
              workflowId={id}
              versions={[...numbers].reverse()}
              from={from}
              to={to}
              onChange={(f, t) => set({ from: f, to: t })}
            />
          ) : (
            <Card title="Compare versions">
              <p className="text-sm text-slate-500 dark:text-slate-400">
                There is only one version so far. Save a change in the editor and its differences show here.
              </p>
            </Card>
          )}
          <VersionJson workflowId={id} version={viewed} />
        </div>
      </div>
      <RestoreDialog
        workflowId={id}
        version={restoring}
        current={w.version}
        onClose={() => setRestoring(undefined)}
        onRestored={(n) => {
          setRestoring(undefined);
          setParams(new URLSearchParams({ v: String(n) }), { replace: true });
        }}
      />
    </div>
  );
}
