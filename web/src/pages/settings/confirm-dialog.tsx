import { type ReactNode, useState } from 'react';
import { Button } from '../../ui/button';
import { ErrorState } from '../../ui/feedback';
import { Dialog } from '../../ui/dialog';
import { Field, Input } from '../../ui/form';

/**
 * "Are you sure?" for a destructive action, with the action's error shown inside. With `typeToConfirm`
 * the button stays disabled until that exact text is typed (deleting an organisation).
 */
export function ConfirmDialog({
  open,
  onClose,
  title,
  children,
  confirmLabel,
  onConfirm,
  busy,
  error,
  typeToConfirm,
  tone = 'danger',
}: {
  open: boolean;
  onClose: () => void;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  busy?: boolean;
  error?: unknown;
  typeToConfirm?: string;
  tone?: 'danger' | 'primary';
}) {
  const [typed, setTyped] = useState('');
  const blocked = typeToConfirm !== undefined && typed !== typeToConfirm;
  const close = () => {
    setTyped('');
    onClose();
  };
  return (
    <Dialog
      open={open}
      onClose={close}
      title={title}
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button variant={tone} busy={busy} disabled={blocked} onClick={onConfirm}>
            {confirmLabel}
          </Button>
        </>
      }
    >
      <div className="space-y-3 text-sm">
        {children}
        {typeToConfirm !== undefined && (
          <Field
            label={
              <>
                Type <strong>{typeToConfirm}</strong> to confirm
              </>
            }
          >
            {(p) => <Input {...p} value={typed} autoComplete="off" onChange={(e) => setTyped(e.target.value)} />}
          </Field>
        )}
        {error ? <ErrorState error={error} /> : null}
      </div>
    </Dialog>
  );
}
