import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Ban, RotateCcw } from 'lucide-react';
import { useState } from 'react';
import { api, call, type Schemas } from '../../api/client';
import { canCancel, canRetry } from '../../lib/jobs/job-status';
import { Button } from '../../ui/button';
import { ConfirmDialog } from '../../ui/confirm-dialog';
import { useToast } from '../../ui/toast';

type Job = Pick<Schemas['Job'], 'id' | 'status' | 'type'>;
type Action = 'retry' | 'cancel';

const COPY: Record<Action, { title: string; body: string; confirm: string; done: string }> = {
  retry: {
    title: 'Retry this job?',
    body: 'It goes back to the queue and runs now, with its attempts, progress, result and error cleared.',
    confirm: 'Retry job',
    done: 'Job queued again',
  },
  cancel: {
    title: 'Cancel this job?',
    body: 'A queued job never runs. A running one stops at its next checkpoint; what it already did outside Switchyard (an email or webhook already sent) stays done, and nothing it produced is kept. You can retry it later.',
    confirm: 'Cancel job',
    done: 'Job cancelled',
  },
};

/** Retry and cancel, each confirmed first; shown only when the status allows them. */
export function JobActions({ job, size = 'md' }: { job: Job; size?: 'sm' | 'md' }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const [asking, setAsking] = useState<Action | undefined>();
  const act = useMutation({
    mutationFn: (action: Action) =>
      call(
        action === 'retry'
          ? api.POST('/api/v1/jobs/{id}/retry', { params: { path: { id: job.id } } })
          : api.POST('/api/v1/jobs/{id}/cancel', { params: { path: { id: job.id } } }),
      ),
    onSuccess: async (updated, action) => {
      queryClient.setQueryData(['jobs', job.id], updated);
      toast(COPY[action].done);
      setAsking(undefined);
      await queryClient.invalidateQueries({ queryKey: ['jobs'] });
    },
  });
  const close = () => {
    act.reset();
    setAsking(undefined);
  };
  const copy = asking ? COPY[asking] : undefined;
  return (
    <>
      {canRetry(job.status) && (
        <Button
          size={size}
          icon={<RotateCcw aria-hidden="true" className="size-4" />}
          onClick={() => setAsking('retry')}
        >
          Retry
        </Button>
      )}
      {canCancel(job.status) && (
        <Button size={size} icon={<Ban aria-hidden="true" className="size-4" />} onClick={() => setAsking('cancel')}>
          Cancel job
        </Button>
      )}
      <ConfirmDialog
        open={asking !== undefined}
        onClose={close}
        title={copy?.title ?? ''}
        cancelLabel="Keep as is"
        confirmLabel={copy?.confirm ?? ''}
        tone={asking === 'cancel' ? 'danger' : 'primary'}
        busy={act.isPending}
        onConfirm={() => asking && act.mutate(asking)}
        error={act.error}
      >
        <p>{copy?.body}</p>
      </ConfirmDialog>
    </>
  );
}
