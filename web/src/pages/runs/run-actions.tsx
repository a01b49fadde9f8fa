// What a person can do to a run: cancel it while live, retry or re-run it once ended, decide a
// pending approval. Editors and above (the server checks runs:write); each action says what it
// did, refreshes the run, and a new run opens on its own page.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Ban, Check, RotateCcw, StepForward, X } from 'lucide-react';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, call, type Schemas } from '../../api/client';
import { isLive } from '../../lib/runs/run-filters';
import { describeWait, failedStep, pendingApproval } from '../../lib/runs/run-view';
import { Button } from '../../ui/button';
import { ConfirmDialog } from '../../ui/confirm-dialog';
import { ErrorState } from '../../ui/feedback';
import { Checkbox, Field, Textarea } from '../../ui/form';
import { useToast } from '../../ui/toast';
import { runKeys } from './queries';

type Run = Schemas['RunDetail'];
type Open = 'cancel' | 'rerun' | 'approved' | 'rejected' | undefined;

export function RunActions({ run }: { run: Run }) {
  const client = useQueryClient();
  const toast = useToast();
  const navigate = useNavigate();
  const [open, setOpen] = useState<Open>();
  const [latest, setLatest] = useState(false);
  const [comment, setComment] = useState('');
  const approval = pendingApproval(run);
  const failedAt = failedStep(run);
  const path = { params: { path: { id: run.id } } };

  const done = async (message: string, newRun?: string) => {
    setOpen(undefined);
    toast(message, 'success');
    await client.invalidateQueries({ queryKey: runKeys.all });
    if (newRun) void navigate(`/runs/${newRun}`);
  };
  const cancel = useMutation({
    mutationFn: () => call(api.POST('/api/v1/runs/{id}/cancel', path)),
    onSuccess: (r) => done(r.cancelRequested ? 'Cancel requested: the run stops at its next step.' : 'Run cancelled.'),
  });
  const retry = useMutation({
    mutationFn: () => call(api.POST('/api/v1/runs/{id}/retry', path)),
    onSuccess: (r) => done('Started a new run from the start.', r.runId),
  });
  const rerun = useMutation({
    mutationFn: () => call(api.POST('/api/v1/runs/{id}/rerun', { ...path, body: { latestVersion: latest } })),
    onSuccess: (r) =>
      done(`Re-running from ${failedAt ?? 'the failed step'}; ${r.carriedOver.length} step(s) carried over.`, r.runId),
  });
  const decide = useMutation({
    mutationFn: (decision: 'approved' | 'rejected') =>
      call(
        api.POST('/api/v1/runs/{id}/approvals/{stepId}', {
          params: { path: { id: run.id, stepId: approval?.stepId ?? '' } },
          body: { decision, ...(comment.trim() ? { comment: comment.trim() } : {}) },
        }),
      ),
    onSuccess: (r) => {
      setComment('');
      return done(r.decision === 'approved' ? 'Approved.' : 'Rejected.');
    },
  });
  const close = () => {
    setOpen(undefined);
    for (const m of [cancel, rerun, decide]) m.reset();
  };
  const decisionOpen = open === 'approved' || open === 'rejected';

  return (
    <>
      {approval && (
        <>
          <Button
            variant="primary"
            icon={<Check aria-hidden="true" className="size-4" />}
            onClick={() => setOpen('approved')}
          >
            Approve
          </Button>
          <Button
            variant="danger"
            icon={<X aria-hidden="true" className="size-4" />}
            onClick={() => setOpen('rejected')}
          >
            Reject
          </Button>
        </>
      )}
      {isLive(run.status) && (
        <Button variant="danger" icon={<Ban aria-hidden="true" className="size-4" />} onClick={() => setOpen('cancel')}>
          Cancel run
        </Button>
      )}
      {run.status === 'failed' && (
        <Button icon={<StepForward aria-hidden="true" className="size-4" />} onClick={() => setOpen('rerun')}>
          Re-run from failed step
        </Button>
      )}
      {!isLive(run.status) && (
        <Button
          icon={<RotateCcw aria-hidden="true" className="size-4" />}
          busy={retry.isPending}
          onClick={() => retry.mutate()}
        >
          Retry
        </Button>
      )}
      {retry.isError && (
        <div className="w-full">
          <ErrorState title="The run could not be retried." error={retry.error} />
        </div>
      )}

      <ConfirmDialog
        open={open === 'cancel'}
        onClose={close}
        title="Cancel this run?"
        cancelLabel="Keep running"
        confirmLabel="Cancel run"
        busy={cancel.isPending}
        onConfirm={() => cancel.mutate()}
        error={cancel.error}
      >
        <p>The run stops between steps: a step already executing finishes first. Steps that ran are not undone.</p>
      </ConfirmDialog>

      <ConfirmDialog
        open={open === 'rerun'}
        onClose={close}
        title="Re-run from the failed step"
        cancelLabel="Back"
        confirmLabel="Re-run"
        tone="primary"
        busy={rerun.isPending}
        onConfirm={() => rerun.mutate()}
        error={rerun.error}
      >
        <p>
          A new run starts with the same input. Steps that succeeded here are carried over, not executed again; it
          continues from <strong className="font-mono">{failedAt ?? 'the failed step'}</strong>.
        </p>
        <Checkbox
          label="Run the rest on the latest version of the workflow"
          checked={latest}
          onChange={(e) => setLatest(e.target.checked)}
        />
      </ConfirmDialog>

      <ConfirmDialog
        open={decisionOpen}
        onClose={close}
        title={open === 'rejected' ? 'Reject this request?' : 'Approve this request?'}
        cancelLabel="Back"
        confirmLabel={open === 'rejected' ? 'Reject' : 'Approve'}
        tone={open === 'rejected' ? 'danger' : 'primary'}
        busy={decide.isPending}
        onConfirm={() => open && open !== 'cancel' && open !== 'rerun' && decide.mutate(open)}
        error={decide.error}
      >
        <p>
          Step <strong className="font-mono">{approval?.stepId}</strong> asks:{' '}
          {describeWait(approval?.waitState)?.message ?? 'no message'}
        </p>
        <Field label="Comment (optional)" hint="Recorded with the decision in the step's output and the audit log.">
          {(p) => (
            <Textarea {...p} rows={3} maxLength={2000} value={comment} onChange={(e) => setComment(e.target.value)} />
          )}
        </Field>
      </ConfirmDialog>
    </>
  );
}
