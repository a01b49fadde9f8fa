import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, ApiError, call } from '../../../api/client';
import { Button } from '../../../ui/button';
import { Dialog } from '../../../ui/dialog';
import { ErrorState, Notice } from '../../../ui/feedback';
import { Field, Input } from '../../../ui/form';
import { useToast } from '../../../ui/toast';
import { describeProblems, type ImportBody, parseImportText } from './import-file';

const MAX_FILE_BYTES = 600 * 1024;

/** The definition's problems when the server refused it as invalid, in words. */
export function DefinitionProblems({ error }: { error: unknown }) {
  const lines = error instanceof ApiError ? describeProblems(error.problem.problems) : [];
  if (lines.length === 0) return <ErrorState error={error} title="The workflow was not imported." />;
  return (
    <div
      role="alert"
      className="rounded-lg border border-red-200 bg-red-50 p-4 text-sm text-red-800 dark:border-red-900 dark:bg-red-950/40 dark:text-red-200"
    >
      <p className="font-medium">The definition has {lines.length === 1 ? 'a problem' : `${lines.length} problems`}:</p>
      <ul className="mt-2 list-disc space-y-1 pl-5">
        {lines.map((l) => (
          <li key={l}>{l}</li>
        ))}
      </ul>
    </div>
  );
}

export function ImportDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const toast = useToast();
  const [parsed, setParsed] = useState<{ body?: ImportBody; problems: string[] }>({ problems: [] });

  const importIt = useMutation({
    mutationFn: (body: ImportBody) => call(api.POST('/api/v1/workflows/import', { body })),
    onSuccess: async (w) => {
      toast(`Imported “${w.name}” (inactive)`);
      await queryClient.invalidateQueries({ queryKey: ['workflows'] });
      navigate(`/workflows/${w.id}`);
    },
  });

  const close = () => {
    setParsed({ problems: [] });
    importIt.reset();
    onClose();
  };

  const onFile = async (file: File | undefined) => {
    importIt.reset();
    if (!file) return setParsed({ problems: [] });
    if (file.size > MAX_FILE_BYTES)
      return setParsed({ problems: ['The file is larger than a workflow can be (512 KB of definition).'] });
    const r = parseImportText(await file.text(), file.name);
    setParsed(r.ok ? { body: r.body, problems: [] } : { problems: r.problems });
  };

  const steps = parsed.body ? (parsed.body.definition as { steps?: unknown[] }).steps : undefined;
  return (
    <Dialog
      open={open}
      onClose={close}
      title="Import a workflow"
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button
            variant="primary"
            disabled={!parsed.body}
            busy={importIt.isPending}
            onClick={() => parsed.body && importIt.mutate(parsed.body)}
          >
            Import
          </Button>
        </>
      }
    >
      <div className="space-y-4">
        <p className="text-sm text-slate-600 dark:text-slate-300">
          Choose a file made by “Export JSON” (format <code>switchyard.workflow/v1</code>), or a bare definition with{' '}
          <code>trigger</code> and <code>steps</code>. It becomes a new, inactive workflow.
        </p>
        <Field label="Workflow file (.json)">
          {(props) => (
            <Input
              {...props}
              type="file"
              accept="application/json,.json"
              onChange={(e) => onFile(e.target.files?.[0])}
              className="file:mr-3 file:rounded file:border-0 file:bg-slate-100 file:px-2 file:py-1 dark:file:bg-slate-800 dark:file:text-slate-100"
            />
          )}
        </Field>
        {parsed.problems.length > 0 && (
          <Notice tone="danger">
            <p className="font-medium">This file cannot be imported:</p>
            <ul className="mt-1 list-disc pl-5">
              {parsed.problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          </Notice>
        )}
        {parsed.body && !importIt.isError && (
          <Notice tone="info">
            Ready to import <strong>{parsed.body.name}</strong>
            {Array.isArray(steps) ? ` with ${steps.length} step${steps.length === 1 ? '' : 's'}` : ''}.
          </Notice>
        )}
        {importIt.isError && <DefinitionProblems error={importIt.error} />}
      </div>
    </Dialog>
  );
}
