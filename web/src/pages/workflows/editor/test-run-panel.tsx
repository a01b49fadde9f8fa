import { useMutation } from '@tanstack/react-query';
import { ExternalLink, Play } from 'lucide-react';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, call } from '../../../api/client';
import { Button } from '../../../ui/button';
import { StatusBadge } from '../../../ui/badge';
import { Notice } from '../../../ui/feedback';
import { Field, Textarea } from '../../../ui/form';
import { JsonView } from '../../../ui/json-view';

export interface TestRunInfo {
  runId: string;
  status: string | undefined;
  output: unknown;
  error: unknown;
}

/**
 * Starts a run of the saved workflow with sample input (POST /workflows/:id/runs — any trigger
 * type: a webhook workflow then sees the input as `trigger.body`, as a request body would be).
 */
export function TestRunPanel({
  workflowId,
  version,
  dirty,
  run,
  onStarted,
}: {
  workflowId: string | undefined;
  version: number | undefined;
  dirty: boolean;
  run: TestRunInfo | undefined;
  onStarted: (runId: string) => void;
}) {
  const [text, setText] = useState('{\n  "n": 7\n}');
  const [parseError, setParseError] = useState<string>();
  const start = useMutation({
    mutationFn: (input: unknown) =>
      call(api.POST('/api/v1/workflows/{id}/runs', { params: { path: { id: workflowId ?? '' } }, body: { input } })),
    onSuccess: (r) => onStarted(r.runId),
  });

  if (!workflowId) return <Notice tone="info">Save the workflow first; then you can test it with sample input.</Notice>;
  return (
    <div className="space-y-3" data-testid="test-run-panel">
      <h2 className="text-base font-semibold">Test run</h2>
      {dirty && (
        <Notice tone="warning">
          You have unsaved changes: a test runs the last saved version{version ? ` (v${version})` : ''}. Save to test
          them.
        </Notice>
      )}
      <Field label="Sample input (JSON)" hint="The run sees it as trigger.body." error={parseError}>
        {(p) => <Textarea {...p} rows={6} value={text} spellCheck={false} onChange={(e) => setText(e.target.value)} />}
      </Field>
      {start.error && <Notice tone="danger">{start.error.message}</Notice>}
      <Button
        variant="primary"
        icon={<Play className="size-4" />}
        busy={start.isPending}
        onClick={() => {
          let input: unknown;
          try {
            input = text.trim() ? JSON.parse(text) : null;
          } catch (e) {
            setParseError(`Not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
            return;
          }
          setParseError(undefined);
          start.mutate(input);
        }}
      >
        Start test run
      </Button>
      {run && (
        <div className="space-y-2 rounded-md border border-slate-200 p-3 dark:border-slate-700" aria-live="polite">
          <div className="flex flex-wrap items-center justify-between gap-2 text-sm">
            <span className="flex items-center gap-2">
              Run {run.status ? <StatusBadge status={run.status} /> : 'starting…'}
            </span>
            <Link
              to={`/runs/${run.runId}`}
              className="inline-flex items-center gap-1 text-indigo-600 hover:underline dark:text-indigo-400"
            >
              Open the full run <ExternalLink className="size-3.5" />
            </Link>
          </div>
          <p className="text-xs text-slate-500">
            Each step's status is shown on its node; press a badge to see its output.
          </p>
          {run.status === 'succeeded' && <JsonView label="Run output" value={run.output} />}
          {run.status === 'failed' && <JsonView label="Run error" value={run.error} />}
        </div>
      )}
    </div>
  );
}
