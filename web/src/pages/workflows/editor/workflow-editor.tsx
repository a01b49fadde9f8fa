import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useParams } from 'react-router';
import { api, call } from '../../../api/client';
import { roleAtLeast, useMe } from '../../../api/session';
import { readDefinition, type StepKind, type WorkflowDef } from '../../../lib/workflow/definition';
import { ErrorState, Loading } from '../../../ui/feedback';
import { Editor } from './editor';

/** A new workflow: a manual trigger and an empty canvas (the first save needs one step). */
const NEW_WORKFLOW: WorkflowDef = { trigger: { type: 'manual' }, steps: [], edges: [] };

/** The visual workflow editor, at /workflows/new and /workflows/:id. */
export default function WorkflowEditorPage() {
  const { id } = useParams();
  const me = useMe();
  const canEdit = roleAtLeast(me, 'editor');
  const kinds = useQuery({
    queryKey: ['workflows', 'step-kinds'],
    queryFn: () => call(api.GET('/api/v1/step-kinds')),
    staleTime: 5 * 60_000,
  });
  const workflow = useQuery({
    queryKey: ['workflows', id],
    queryFn: () => call(api.GET('/api/v1/workflows/{id}', { params: { path: { id: id ?? '' } } })),
    enabled: !!id,
    // The editor keeps its own copy; a background refetch must not reset what is being edited.
    staleTime: Infinity,
    refetchOnWindowFocus: false,
  });
  // Read once per loaded workflow: later cache updates (activate, a secret) must not reset the graph.
  const loadedId = workflow.data?.id;
  const initial = useMemo(
    () => (id ? (workflow.data ? readDefinition(workflow.data.definition) : undefined) : NEW_WORKFLOW),
    [id, loadedId],
  );

  if (kinds.error)
    return (
      <ErrorState error={kinds.error} onRetry={() => void kinds.refetch()} title="Could not load the step kinds" />
    );
  if (workflow.error)
    return (
      <ErrorState error={workflow.error} onRetry={() => void workflow.refetch()} title="Could not load the workflow" />
    );
  if (!kinds.data || !initial) return <Loading label="Loading the editor…" />;
  return (
    <Editor
      key={id ?? 'new'}
      workflow={id ? workflow.data : undefined}
      initial={initial}
      kinds={kinds.data.data as StepKind[]}
      canEdit={canEdit}
    />
  );
}
