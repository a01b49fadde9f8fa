import { useEffect } from 'react';
import { useBlocker } from 'react-router';
import { ConfirmDialog } from '../../../ui/confirm-dialog';

/** Asks before leaving with unsaved changes: in-app navigation (a dialog) and closing the tab. */
export function LeaveGuard({ dirty, open, setOpen }: { dirty: boolean; open: boolean; setOpen: (v: boolean) => void }) {
  const blocker = useBlocker(
    ({ currentLocation, nextLocation }) => dirty && currentLocation.pathname !== nextLocation.pathname,
  );
  useEffect(() => {
    if (blocker.state === 'blocked') setOpen(true);
  }, [blocker.state, setOpen]);
  useEffect(() => {
    if (!dirty) return;
    const onUnload = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', onUnload);
    return () => window.removeEventListener('beforeunload', onUnload);
  }, [dirty]);
  const stay = () => {
    setOpen(false);
    if (blocker.state === 'blocked') blocker.reset();
  };
  return (
    <ConfirmDialog
      open={open}
      onClose={stay}
      title="Leave without saving?"
      cancelLabel="Stay"
      confirmLabel="Leave and discard"
      onConfirm={() => {
        setOpen(false);
        if (blocker.state === 'blocked') blocker.proceed();
      }}
    >
      <p>This workflow has changes that are not saved. They will be lost.</p>
    </ConfirmDialog>
  );
}
