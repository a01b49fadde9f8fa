// Server state of the runs pages: keys under ['runs', …] so every run action can refresh them together.
import { useQuery } from '@tanstack/react-query';
import { api, call } from '../../api/client';

export const runKeys = {
  all: ['runs'] as const,
  detail: (id: string) => ['runs', 'detail', id] as const,
  workflowNames: ['runs', 'workflow-names'] as const,
};

/**
 * Workflow names for the filter and the rows: the first 100 workflows, which covers the
 * freelancers and small teams this is for; a run of a workflow beyond them shows its id.
 */
export function useWorkflowNames() {
  return useQuery({
    queryKey: runKeys.workflowNames,
    queryFn: () => call(api.GET('/api/v1/workflows', { params: { query: { limit: 100 } } })),
    select: (page) => ({
      list: page.data.map((w) => ({ id: w.id, name: w.name })),
      byId: new Map(page.data.map((w) => [w.id, w.name])),
    }),
    staleTime: 60_000,
  });
}
