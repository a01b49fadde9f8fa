import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { api, call } from '../../../api/client';
import type { WorkflowDef } from '../../../lib/workflow/definition';
import { referenceWarnings, type Problem } from '../../../lib/workflow/problems';
import { upstreamSteps } from '../../../lib/workflow/references';

/** Validates the definition as it is edited, 600 ms after the last change. */
export function useValidation(definition: WorkflowDef) {
  const json = JSON.stringify(definition);
  const [debounced, setDebounced] = useState(json);
  useEffect(() => {
    const t = setTimeout(() => setDebounced(json), 600);
    return () => clearTimeout(t);
  }, [json]);
  const q = useQuery({
    queryKey: ['workflows', 'validate', debounced],
    queryFn: () =>
      call(api.POST('/api/v1/workflows/validate', { body: { definition: JSON.parse(debounced) as unknown } })),
    placeholderData: keepPreviousData,
    staleTime: Infinity,
  });
  // A valid answer carries no warnings; the one that matters most is computed here instead.
  const problems = useMemo(
    () =>
      q.data?.valid === true
        ? referenceWarnings(definition, (id) => upstreamSteps(id, definition.edges))
        : ((q.data?.problems ?? []) as Problem[]),
    [q.data, definition],
  );
  return {
    problems,
    valid: q.data?.valid,
    checking: json !== debounced || q.isFetching,
    error: q.error,
  };
}
