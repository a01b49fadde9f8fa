import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, call } from '../../../api/client';
import { ConfirmDialog } from '../../../ui/confirm-dialog';
import { ErrorState } from '../../../ui/feedback';
import { useToast } from '../../../ui/toast';
import { useVersion } from './version-queries';

/**
 * Restoring saves the old definition as a new version (history is never rewritten). The current
 * version is sent along, so a save someone made meanwhile answers 409 instead of being lost.
 */
export function RestoreDialog({
  workflowId,
  version,
  current,
  onClose,
  onRestored,
}: {
  workflowId: string;
  version: number | undefined;
  current: number;
  onClose: () => void;
  onRestored: (newVersion: number) => void;
}) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const old = useVersion(workflowId, version);
  const restore = useMutation({
    mutationFn: (definition: unknown) =>
      call(
        api.PATCH('/api/v1/workflows/{id}', {
          params: { path: { id: workflowId } },
          body: { definition, version: current },
        }),
      ),
    onSuccess: async (w) => {
      toast(`Restored version ${version ?? ''} as version ${w.version}`);
      await queryClient.invalidateQueries({ queryKey: ['workflows'] });
      onRestored(w.version);
    },
  });
  const close = () => {
    restore.reset();
    onClose();
  };
  return (
    <ConfirmDialog
      open={version !== undefined}
      onClose={close}
      title={`Restore version ${version ?? ''}?`}
      tone="primary"
      confirmLabel={`Restore as version ${current + 1}`}
      busy={restore.isPending || old.isPending}
      disabled={!old.data}
      onConfirm={() => old.data && restore.mutate(old.data.definition)}
      error={restore.error}
      errorTitle={
        (restore.error as { status?: number } | null)?.status === 409
          ? 'Someone saved a newer version meanwhile. Reload the history and try again.'
          : 'The version was not restored.'
      }
    >
      <p>
        Version {version}’s definition will be saved as a new version, {current + 1}, and become the current one.
        Versions {version}–{current} stay in the history; runs in flight keep the version they started on.
      </p>
      {old.isError && <ErrorState error={old.error} />}
    </ConfirmDialog>
  );
}
