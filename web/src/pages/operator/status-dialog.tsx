import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, call } from '../../api/client';
import { ConfirmDialog } from '../../ui/confirm-dialog';
import { useToast } from '../../ui/toast';
import type { OperatorTenant } from './tenants-card';

/** Suspending ends every session and stops every API key of the tenant at once: confirm first. */
export function StatusDialog({
  tenant,
  isCurrent,
  onClose,
}: {
  tenant: OperatorTenant;
  isCurrent: boolean;
  onClose: () => void;
}) {
  const suspend = tenant.status === 'active';
  const queryClient = useQueryClient();
  const toast = useToast();
  const change = useMutation({
    mutationFn: () =>
      call(
        suspend
          ? api.POST('/api/v1/operator/tenants/{id}/suspend', { params: { path: { id: tenant.id } } })
          : api.POST('/api/v1/operator/tenants/{id}/resume', { params: { path: { id: tenant.id } } }),
      ),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['operator'] });
      toast(suspend ? `${tenant.name} is suspended.` : `${tenant.name} is active again.`);
      onClose();
    },
  });
  return (
    <ConfirmDialog
      open
      onClose={onClose}
      title={suspend ? `Suspend ${tenant.name}?` : `Resume ${tenant.name}?`}
      confirmLabel={suspend ? 'Suspend tenant' : 'Resume tenant'}
      tone={suspend ? 'danger' : 'primary'}
      busy={change.isPending}
      onConfirm={() => change.mutate()}
      error={change.error}
    >
      {suspend ? (
        <>
          <p>
            Everyone in <strong>{tenant.name}</strong> is signed out at once, its API keys stop working and its
            workflows can no longer be started through them. Nothing is deleted; you can resume it later.
          </p>
          {isCurrent && (
            <p className="font-medium text-red-700 dark:text-red-300">
              You are acting in this tenant now: suspending it ends your own session too.
            </p>
          )}
        </>
      ) : (
        <p>
          Members of <strong>{tenant.name}</strong> can sign in again and its API keys work again.
        </p>
      )}
    </ConfirmDialog>
  );
}
