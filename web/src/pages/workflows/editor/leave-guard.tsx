import { useEffect } from 'react';
import { useBlocker } from 'react-router';
import { Button } from '../../../ui/button';
import { Dialog } from '../../../ui/dialog';

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
    <Dialog
      open={open}
      onClose={stay}
      title="Leave without saving?"
      footer={
        <>
          <Button onClick={stay}>Stay</Button>
          <Button
            variant="danger"
            onClick={() => {
              setOpen(false);
              if (blocker.state === 'blocked') blocker.proceed();
            }}
          >
            Leave and discard
          </Button>
        </>
      }
    >
      <p className="text-sm">This workflow has changes that are not saved. They will be lost.</p>
    </Dialog>
  );
}
