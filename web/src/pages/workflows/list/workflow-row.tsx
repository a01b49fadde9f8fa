import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Download, History, PlayCircle, Trash2 } from 'lucide-react';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, call, type Schemas } from '../../../api/client';
import { saveJson } from '../../../lib/download';
import { formatDateTime, formatRelative } from '../../../lib/format';
import { Badge, StatusBadge } from '../../../ui/badge';
import { Button } from '../../../ui/button';
import { ConfirmDialog } from '../../../ui/confirm-dialog';
import { useToast } from '../../../ui/toast';
import { exportFileName } from './import-file';
import { type MenuEntry, RowMenu } from './row-menu';
import { TriggerLabel } from './trigger-label';

type Workflow = Schemas['Workflow'];

/** The columns of a row on a wide screen; the header in the list uses the same template. */
export const ROW_GRID =
  'md:grid md:grid-cols-[minmax(0,2fr)_6.5rem_5.5rem_4rem_11.5rem_7.5rem_9.5rem] md:items-center md:gap-3';

function LastRun({ workflowId }: { workflowId: string }) {
  // One small request per row: the list API has no last-run column, and limit=1 on the runs
  // index (newest first) is cheap. Cached, so coming back to the list does not refetch at once.
  const q = useQuery({
    queryKey: ['workflows', 'last-run', workflowId],
    queryFn: () => call(api.GET('/api/v1/runs', { params: { query: { workflowId, limit: 1 } } })),
    staleTime: 15_000,
  });
  if (q.isPending) return <span className="text-xs text-slate-400">…</span>;
  if (q.isError) return <span className="text-xs text-slate-400">unknown</span>;
  const run = q.data.data[0];
  if (!run) return <span className="text-xs text-slate-500 dark:text-slate-400">No runs yet</span>;
  return (
    <Link
      to={`/runs/${run.id}`}
      className="inline-flex items-center gap-2 rounded whitespace-nowrap hover:underline"
      title={formatDateTime(run.createdAt)}
    >
      <StatusBadge status={run.status} />
      <span className="text-xs text-slate-500 dark:text-slate-400">{formatRelative(run.createdAt)}</span>
    </Link>
  );
}

function Label({ children }: { children: string }) {
  return <span className="text-xs text-slate-500 md:hidden dark:text-slate-400">{children}: </span>;
}

export function WorkflowRow({ workflow: w, canWrite }: { workflow: Workflow; canWrite: boolean }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const navigate = useNavigate();
  const [confirmDelete, setConfirmDelete] = useState(false);

  const toggle = useMutation({
    mutationFn: () =>
      call(
        w.active
          ? api.POST('/api/v1/workflows/{id}/deactivate', { params: { path: { id: w.id } } })
          : api.POST('/api/v1/workflows/{id}/activate', { params: { path: { id: w.id } } }),
      ),
    onSuccess: (next) => {
      toast(next.active ? `“${w.name}” is active` : `“${w.name}” is inactive`);
      return queryClient.invalidateQueries({ queryKey: ['workflows'] });
    },
    onError: (err) => toast(`Could not change “${w.name}”: ${(err as Error).message}`, 'danger'),
  });
  const remove = useMutation({
    mutationFn: () => call(api.DELETE('/api/v1/workflows/{id}', { params: { path: { id: w.id } } })),
    onSuccess: () => {
      setConfirmDelete(false);
      toast(`Deleted “${w.name}”`);
      return queryClient.invalidateQueries({ queryKey: ['workflows'] });
    },
  });
  const exportJson = useMutation({
    mutationFn: () => call(api.GET('/api/v1/workflows/{id}/export', { params: { path: { id: w.id } } })),
    onSuccess: (doc) => saveJson(doc, exportFileName(w.name)),
    onError: (err) => toast(`Export failed: ${(err as Error).message}`, 'danger'),
  });

  const entries: MenuEntry[] = [
    { kind: 'link', label: 'Version history', to: `/workflows/${w.id}/versions`, icon: <History className="size-4" /> },
    { kind: 'link', label: 'Runs', to: `/runs?workflowId=${w.id}`, icon: <PlayCircle className="size-4" /> },
    {
      kind: 'button',
      label: 'Export JSON',
      onSelect: () => exportJson.mutate(),
      icon: <Download className="size-4" />,
    },
  ];
  if (canWrite)
    entries.push({
      kind: 'button',
      label: 'Delete…',
      danger: true,
      onSelect: () => setConfirmDelete(true),
      icon: <Trash2 className="size-4" />,
    });

  return (
    <li
      data-testid={`workflow-row-${w.id}`}
      className={`${ROW_GRID} relative flex flex-wrap items-center gap-x-4 gap-y-1.5 px-4 py-3 hover:bg-slate-50 dark:hover:bg-slate-800/50`}
      onClick={(e) => {
        // The whole row opens the editor for mouse users; links and buttons inside keep their own.
        if (!(e.target as HTMLElement).closest('a,button,dialog')) navigate(`/workflows/${w.id}`);
      }}
    >
      <div className="min-w-0 basis-full md:basis-auto">
        <Link
          to={`/workflows/${w.id}`}
          className="block truncate font-medium text-indigo-700 hover:underline dark:text-indigo-300"
        >
          {w.name}
        </Link>
        {w.description && (
          <p className="truncate text-xs text-slate-500 dark:text-slate-400" title={w.description}>
            {w.description}
          </p>
        )}
      </div>
      <div>
        <TriggerLabel type={w.trigger.type} />
      </div>
      <div>
        <Badge tone={w.active ? 'green' : 'gray'}>{w.active ? 'Active' : 'Inactive'}</Badge>
      </div>
      <div className="text-sm">
        <Label>Version</Label>
        <Link
          to={`/workflows/${w.id}/versions`}
          className="text-slate-700 hover:underline dark:text-slate-300"
          aria-label={`Version ${w.version}, see the history`}
        >
          v{w.version}
        </Link>
      </div>
      <div className="min-w-0">
        <Label>Last run</Label>
        <LastRun workflowId={w.id} />
      </div>
      <div className="text-xs whitespace-nowrap text-slate-500 dark:text-slate-400" title={formatDateTime(w.updatedAt)}>
        <Label>Updated</Label>
        {formatRelative(w.updatedAt)}
      </div>
      <div className="flex basis-full items-center gap-1 md:basis-auto md:justify-end">
        {canWrite && (
          <Button size="sm" busy={toggle.isPending} onClick={() => toggle.mutate()}>
            {w.active ? 'Deactivate' : 'Activate'}
          </Button>
        )}
        <RowMenu label={`More actions for ${w.name}`} entries={entries} />
      </div>
      <ConfirmDialog
        open={confirmDelete}
        onClose={() => setConfirmDelete(false)}
        title={`Delete “${w.name}”?`}
        cancelLabel="Keep it"
        confirmLabel="Delete workflow"
        busy={remove.isPending}
        onConfirm={() => remove.mutate()}
        error={remove.error}
        errorTitle="The workflow was not deleted."
      >
        <p>
          This deletes the workflow with all its versions and runs. Its webhook stops answering and its schedule stops
          firing. This cannot be undone; export it first if you may want it back.
        </p>
      </ConfirmDialog>
    </li>
  );
}
