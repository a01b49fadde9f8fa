import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api, call } from '../../../api/client';
import { Button } from '../../../ui/button';
import { DefinitionProblems } from './import-dialog';
import { TEMPLATES, type WorkflowTemplate } from './templates';

/** Starter workflows under the empty state: one click creates it (inactive) and opens the editor. */
export function TemplatePicker() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const create = useMutation({
    mutationFn: (t: WorkflowTemplate) =>
      call(
        api.POST('/api/v1/workflows', {
          body: { name: t.name, description: t.description, definition: t.definition },
        }),
      ),
    onSuccess: async (w) => {
      await queryClient.invalidateQueries({ queryKey: ['workflows'] });
      navigate(`/workflows/${w.id}`);
    },
  });
  return (
    <section aria-labelledby="templates-heading" className="mt-6">
      <h2 id="templates-heading" className="mb-2 text-sm font-semibold">
        Or start from a template
      </h2>
      <ul className="grid gap-3 sm:grid-cols-2">
        {TEMPLATES.map((t) => (
          <li
            key={t.key}
            className="flex flex-col rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900"
          >
            <h3 className="font-medium">{t.name}</h3>
            <p className="mt-1 flex-1 text-sm text-slate-500 dark:text-slate-400">{t.description}</p>
            <div className="mt-3">
              <Button
                size="sm"
                busy={create.isPending && create.variables.key === t.key}
                disabled={create.isPending}
                onClick={() => create.mutate(t)}
                aria-label={`Use the template ${t.name}`}
              >
                Use this template
              </Button>
            </div>
          </li>
        ))}
      </ul>
      {create.isError && (
        <div className="mt-3">
          <DefinitionProblems error={create.error} />
        </div>
      )}
    </section>
  );
}
