import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ReactFlowProvider } from '@xyflow/react';
import { PanelLeftClose, PanelLeftOpen } from 'lucide-react';
import { cn } from '../../../lib/cn';
import { useEffect, useMemo, useState } from 'react';
import { useNavigate } from 'react-router';
import { api, ApiError, call, type Schemas } from '../../../api/client';
import type { StepKind, WorkflowDef } from '../../../lib/workflow/definition';
import { problemsByNode, problemTarget, WORKFLOW_KEY, type Problem } from '../../../lib/workflow/problems';
import { latestAttempts, TERMINAL_RUN_STATUSES } from '../../../lib/workflow/run-state';
import { Button } from '../../../ui/button';
import { Dialog } from '../../../ui/dialog';
import { Notice } from '../../../ui/feedback';
import { JsonView } from '../../../ui/json-view';
import { useToast } from '../../../ui/toast';
import { Canvas } from './canvas';
import { Inspector } from './inspector';
import { EditorViewContext, type EditorView } from './editor-context';
import { LeaveGuard } from './leave-guard';
import { Palette } from './palette';
import { ProblemsPanel } from './problems-panel';
import { Toolbar } from './toolbar';
import { useGraph } from './use-graph';
import { useValidation } from './use-validation';

type Workflow = Schemas['WorkflowWithDefinition'];

export function Editor(props: {
  workflow: Workflow | undefined;
  initial: WorkflowDef;
  kinds: StepKind[];
  canEdit: boolean;
}) {
  return (
    <ReactFlowProvider>
      <EditorInner {...props} />
    </ReactFlowProvider>
  );
}

function saveErrorText(e: unknown): string {
  if (e instanceof ApiError && e.code === 'WORKFLOW_VERSION_CONFLICT')
    return 'Someone else saved a newer version of this workflow while you were editing, so yours was not saved (it would have overwritten theirs). Copy your definition if you want to keep it, then load theirs and apply your change again.';
  if (e instanceof ApiError && e.code === 'WORKFLOW_INVALID')
    return 'The workflow has errors and was not saved. Fix the ones listed under Problems (red rings on the canvas).';
  return e instanceof Error ? e.message : String(e);
}

function EditorInner({ workflow, initial, kinds, canEdit }: Parameters<typeof Editor>[0]) {
  const qc = useQueryClient();
  const toast = useToast();
  const navigate = useNavigate();
  const kindMap = useMemo(() => new Map(kinds.map((k) => [k.type, k])), [kinds]);
  const g = useGraph(initial, kindMap);
  const [name, setName] = useState(workflow?.name ?? 'Untitled workflow');
  const [description, setDescription] = useState(workflow?.description ?? '');
  // The version this editor's changes are based on: only our own saves move it, so a save by
  // someone else in the meantime is a conflict (409), never silently overwritten.
  const [baseVersion, setBaseVersion] = useState(workflow?.version);
  const [saved, setSaved] = useState(() => ({ json: JSON.stringify(g.definition), name, description }));
  const defJson = JSON.stringify(g.definition);
  const dirty = defJson !== saved.json || name !== saved.name || description !== saved.description;
  const [side, setSide] = useState<'inspect' | 'test'>('inspect');
  const [runId, setRunId] = useState<string>();
  const [outputOf, setOutputOf] = useState<string>();
  const [leaving, setLeaving] = useState(false);
  // Open for a new workflow on a desktop and on wide screens; otherwise the canvas gets the room
  // (on a phone the palette would push the canvas a screen down).
  const [paletteOpen, setPaletteOpen] = useState(
    () => (!workflow && window.innerWidth >= 1024) || window.innerWidth >= 1536,
  );

  const validation = useValidation(g.definition);
  const problems = validation.problems;
  const errors = problems.filter((p) => p.severity === 'error').length;

  const run = useQuery({
    queryKey: ['runs', runId],
    queryFn: () => call(api.GET('/api/v1/runs/{id}', { params: { path: { id: runId ?? '' } } })),
    enabled: !!runId,
    refetchInterval: (q) => (q.state.data && TERMINAL_RUN_STATUSES.has(q.state.data.status) ? false : 1000),
  });
  const attempts = useMemo(() => latestAttempts(run.data?.attempts ?? []), [run.data]);

  const save = useMutation({
    mutationFn: async () => {
      const definition = g.definition;
      if (!workflow) return call(api.POST('/api/v1/workflows', { body: { name, description, definition } }));
      return call(
        api.PATCH('/api/v1/workflows/{id}', {
          params: { path: { id: workflow.id } },
          body: { name, description, version: baseVersion, ...(defJson !== saved.json ? { definition } : {}) },
        }),
      );
    },
    onSuccess: (w) => {
      setSaved({ json: defJson, name, description });
      setBaseVersion(w.version);
      qc.setQueryData(['workflows', w.id], w);
      void qc.invalidateQueries({ queryKey: ['workflows'], exact: false, refetchType: 'none' });
      toast(workflow ? `Saved as version ${w.version}.` : 'Workflow created.', 'success');
      if (!workflow) void navigate(`/workflows/${w.id}`, { replace: true, state: { created: true } });
    },
  });

  const activate = useMutation({
    mutationFn: (on: boolean) =>
      call(
        api.POST(on ? '/api/v1/workflows/{id}/activate' : '/api/v1/workflows/{id}/deactivate', {
          params: { path: { id: workflow?.id ?? '' } },
        }),
      ),
    onSuccess: (w) => {
      qc.setQueryData(['workflows', w.id], w);
      toast(w.active ? 'Activated: the trigger now starts runs.' : 'Deactivated.', 'success');
    },
    onError: (e) => toast(e instanceof Error ? e.message : String(e), 'danger'),
  });

  // Ctrl/Cmd+S saves.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key === 's') {
        e.preventDefault();
        if (canEdit && (dirty || !workflow) && !save.isPending) save.mutate();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [canEdit, dirty, workflow, save]);

  const byNode = useMemo(() => problemsByNode(problems, g.definition), [problems, g.definition]);
  const view: EditorView = useMemo(() => {
    const plainOut = new Set<string>();
    const usedLabels = new Map<string, string[]>();
    for (const e of g.stepEdges) {
      if (e.sourceHandle) usedLabels.set(e.source, [...(usedLabels.get(e.source) ?? []), e.sourceHandle]);
      else plainOut.add(e.source);
    }
    return {
      kinds: kindMap,
      problems: byNode,
      run: attempts,
      plainOut,
      usedLabels,
      showOutput: setOutputOf,
      readOnly: !canEdit,
    };
  }, [kindMap, byNode, attempts, g.stepEdges, canEdit]);

  const focus = (id: string) => {
    g.setSelected(id === WORKFLOW_KEY ? {} : { node: id });
    setSide('inspect');
  };
  const nodeProblems = (id: string): Problem[] => byNode.get(id)?.list ?? [];

  const outputAttempt = outputOf ? attempts.get(outputOf) : undefined;

  return (
    <EditorViewContext.Provider value={view}>
      <LeaveGuard dirty={dirty && !save.isPending} open={leaving} setOpen={setLeaving} />
      <Toolbar
        name={name}
        onName={setName}
        workflow={
          workflow ? { id: workflow.id, version: baseVersion ?? workflow.version, active: workflow.active } : undefined
        }
        dirty={dirty}
        canEdit={canEdit}
        saving={save.isPending}
        onSave={() => save.mutate()}
        activating={activate.isPending}
        onActivate={() => workflow && activate.mutate(!workflow.active)}
        onTestRun={() => setSide('test')}
        errors={errors}
      />
      {save.error && (
        <Notice tone="danger" className="mb-3">
          <p>{saveErrorText(save.error)}</p>
          {save.error instanceof ApiError && save.error.code === 'WORKFLOW_VERSION_CONFLICT' && (
            <div className="mt-2 flex flex-wrap gap-2">
              <Button
                size="sm"
                onClick={async () => {
                  await navigator.clipboard?.writeText(JSON.stringify(g.definition, null, 2));
                  toast('Your definition is on the clipboard.', 'success');
                }}
              >
                Copy my definition
              </Button>
              <Button size="sm" variant="danger" onClick={() => location.reload()}>
                Discard mine and load theirs
              </Button>
            </div>
          )}
        </Notice>
      )}
      <div
        className={cn(
          'grid gap-3',
          canEdit && paletteOpen
            ? 'lg:grid-cols-[11.5rem_minmax(0,1fr)_20rem] xl:grid-cols-[12.5rem_minmax(0,1fr)_23rem]'
            : 'lg:grid-cols-[minmax(0,1fr)_20rem] xl:grid-cols-[minmax(0,1fr)_23rem]',
        )}
      >
        {canEdit && paletteOpen && (
          <div className="rounded-lg border border-slate-200 bg-white p-2 lg:max-h-[calc(100vh-10rem)] lg:overflow-auto dark:border-slate-800 dark:bg-slate-900">
            <Palette kinds={kinds} onAdd={(t) => g.addStep(t)} />
          </div>
        )}
        <div className="relative min-w-0">
          {canEdit && (
            <Button
              size="sm"
              className="absolute top-2 left-2 z-10"
              icon={paletteOpen ? <PanelLeftClose className="size-3.5" /> : <PanelLeftOpen className="size-3.5" />}
              aria-expanded={paletteOpen}
              onClick={() => setPaletteOpen(!paletteOpen)}
            >
              {paletteOpen ? 'Hide steps' : 'Add steps'}
            </Button>
          )}
          <div className="h-[50vh] min-h-[20rem] overflow-hidden rounded-lg border border-slate-200 bg-white lg:h-[calc(100vh-19rem)] dark:border-slate-800 dark:bg-slate-950">
            <Canvas
              nodes={g.nodes}
              edges={g.edges}
              onNodesChange={g.onNodesChange}
              onEdgesChange={g.onEdgesChange}
              onConnect={g.onConnect}
              onDropKind={(t, at) => g.addStep(t, at)}
              onSelect={(s) => {
                g.setSelected(s);
                setSide('inspect');
              }}
              readOnly={!canEdit}
              empty={g.definition.steps.length === 0}
            />
          </div>
          <div className="mt-3 rounded-lg border border-slate-200 bg-white p-3 dark:border-slate-800 dark:bg-slate-900">
            <ProblemsPanel
              problems={problems}
              targetOf={(p) => problemTarget(p, g.definition)}
              onFocus={focus}
              checking={validation.checking}
            />
          </div>
        </div>
        <Inspector
          g={g}
          side={side}
          setSide={setSide}
          workflow={workflow}
          baseVersion={baseVersion}
          dirty={dirty}
          runId={runId}
          run={run}
          setRunId={setRunId}
          kindMap={kindMap}
          nodeProblems={nodeProblems}
          canEdit={canEdit}
          description={description}
          setDescription={setDescription}
        />
      </div>
      <Dialog
        open={!!outputOf}
        onClose={() => setOutputOf(undefined)}
        title={`Step ${outputOf ?? ''}: ${outputAttempt?.status ?? ''}`}
      >
        {outputAttempt && (
          <div className="space-y-3">
            {outputAttempt.branch && (
              <p className="text-sm">
                Branch taken: <code>{outputAttempt.branch}</code>
              </p>
            )}
            <JsonView label="Output" value={outputAttempt.output} />
            {outputAttempt.error !== null && outputAttempt.error !== undefined && (
              <JsonView label="Error" value={outputAttempt.error} />
            )}
          </div>
        )}
      </Dialog>
    </EditorViewContext.Provider>
  );
}
