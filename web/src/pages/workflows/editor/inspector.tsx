import type { UseQueryResult } from '@tanstack/react-query';
import { Trash2 } from 'lucide-react';
import type { Schemas } from '../../../api/client';
import { branchLabels } from '../../../lib/workflow/branches';
import type { StepKind } from '../../../lib/workflow/definition';
import { isStepNode, TRIGGER_NODE_ID } from '../../../lib/workflow/graph';
import type { Problem } from '../../../lib/workflow/problems';
import { upstreamSteps } from '../../../lib/workflow/references';
import { Button } from '../../../ui/button';
import { Field, Textarea } from '../../../ui/form';
import { SettingsPanel } from './settings-panel';
import { StepPanel } from './step-panel';
import { TestRunPanel } from './test-run-panel';
import { TriggerPanel } from './trigger-panel';
import type { GraphState } from './use-graph';

type RunDetail = Schemas['RunDetail'];

/**
 * The side panel: what is selected (a step, the trigger, a connection, or nothing: the
 * workflow's description and settings), or the test run.
 */
export function Inspector({
  g,
  side,
  setSide,
  workflow,
  baseVersion,
  dirty,
  runId,
  run,
  setRunId,
  kindMap,
  nodeProblems,
  canEdit,
  description,
  setDescription,
}: {
  g: GraphState;
  side: 'inspect' | 'test';
  setSide: (s: 'inspect' | 'test') => void;
  workflow: Schemas['WorkflowWithDefinition'] | undefined;
  baseVersion: number | undefined;
  dirty: boolean;
  runId: string | undefined;
  run: UseQueryResult<RunDetail>;
  setRunId: (id: string) => void;
  kindMap: Map<string, StepKind>;
  nodeProblems: (id: string) => Problem[];
  canEdit: boolean;
  description: string;
  setDescription: (d: string) => void;
}) {
  const selectedNode = g.rawNodes.find((n) => n.id === g.selected.node);
  const stepIds = g.definition.steps.map((s) => s.id);
  return (
    <aside
      aria-label="Inspector"
      className="rounded-lg border border-slate-200 bg-white p-4 lg:max-h-[calc(100vh-10rem)] lg:overflow-auto dark:border-slate-800 dark:bg-slate-900"
    >
      <div
        role="tablist"
        aria-label="Side panel"
        className="mb-4 flex gap-1 border-b border-slate-200 dark:border-slate-800"
      >
        {(['inspect', 'test'] as const).map((t) => (
          <button
            key={t}
            role="tab"
            type="button"
            aria-selected={side === t}
            onClick={() => setSide(t)}
            className={
              side === t
                ? '-mb-px border-b-2 border-indigo-500 px-3 py-1.5 text-sm font-medium text-indigo-700 dark:text-indigo-300'
                : 'px-3 py-1.5 text-sm text-slate-600 hover:text-slate-900 dark:text-slate-400 dark:hover:text-slate-100'
            }
          >
            {t === 'inspect' ? 'Configure' : 'Test run'}
          </button>
        ))}
      </div>
      {side === 'test' ? (
        <TestRunPanel
          workflowId={workflow?.id}
          version={baseVersion}
          dirty={dirty}
          run={
            runId ? { runId, status: run.data?.status, output: run.data?.output, error: run.data?.error } : undefined
          }
          onStarted={setRunId}
        />
      ) : selectedNode && isStepNode(selectedNode) ? (
        <StepPanel
          key={selectedNode.id}
          step={selectedNode.data.step}
          kind={kindMap.get(selectedNode.data.step.type)}
          refs={{
            upstream: upstreamSteps(selectedNode.id, g.definition.edges),
            trigger: g.definition.trigger.type,
          }}
          problems={nodeProblems(selectedNode.id)}
          taken={new Set(stepIds)}
          onChange={g.updateStep}
          onRename={(to) => g.rename(selectedNode.id, to)}
          onDelete={() => g.remove({ node: selectedNode.id })}
          readOnly={!canEdit}
          connections={{
            incoming: g.stepEdges
              .filter((e) => e.target === selectedNode.id)
              .map((e) => ({ edgeId: e.id, from: e.source, when: e.sourceHandle ?? undefined })),
            sources: g.definition.steps
              .filter((s) => s.id !== selectedNode.id)
              .map((s) => ({
                id: s.id,
                labels: branchLabels(s.type, s.config, kindMap.get(s.type)?.branches ?? false),
              })),
            onConnect: (from, when) => g.connect(from, selectedNode.id, when),
            onDisconnect: g.disconnect,
          }}
        />
      ) : selectedNode?.id === TRIGGER_NODE_ID ? (
        <TriggerPanel
          trigger={g.definition.trigger}
          stepIds={stepIds}
          onChange={g.updateTrigger}
          problems={nodeProblems(TRIGGER_NODE_ID)}
          saved={workflow}
          readOnly={!canEdit}
        />
      ) : g.selected.edge ? (
        <div className="space-y-3">
          <h2 className="text-base font-semibold">Connection</h2>
          <p className="text-sm text-slate-600 dark:text-slate-300">
            {g.selected.edge.replace('->', ' → ').replace(':', ' when ')}
          </p>
          {canEdit && (
            <Button
              variant="danger"
              icon={<Trash2 className="size-4" />}
              onClick={() => g.remove({ edge: g.selected.edge })}
            >
              Delete connection
            </Button>
          )}
        </div>
      ) : (
        <div className="space-y-5">
          <p className="text-sm text-slate-600 dark:text-slate-300">
            Select a step or the trigger on the canvas to configure it. Steps run left to right along the connections.
          </p>
          <Field label="Description" hint="What this workflow is for (optional).">
            {(p) => (
              <Textarea
                {...p}
                className="font-sans text-sm"
                rows={2}
                maxLength={2000}
                readOnly={!canEdit}
                value={description}
                onChange={(e) => setDescription(e.target.value)}
              />
            )}
          </Field>
          <SettingsPanel settings={g.settings} onChange={g.setSettings} readOnly={!canEdit} />
        </div>
      )}
    </aside>
  );
}
