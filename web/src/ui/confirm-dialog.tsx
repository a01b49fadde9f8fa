import { type ReactNode, useState } from 'react';
import { Button } from './button';
import { ErrorState } from './feedback';
import { Dialog } from './dialog';
import { Field, Input } from './form';

/**
 * "Are you sure?" for an action, with the action's error shown inside. With `typeToConfirm` the
 * button stays disabled until that exact text is typed (deleting an organisation).
 */
export function ConfirmDialog({
  open,
  onClose,
  title,
  children,
  confirmLabel,
  onConfirm,
  busy,
  disabled,
  error,
  errorTitle,
  typeToConfirm,
  tone = 'danger',
  cancelLabel = 'Cancel',
}: {
  open: boolean;
  onClose: () => void;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  busy?: boolean;
  /** Keeps the confirm button disabled (e.g. while what it acts on is still loading). */
  disabled?: boolean;
  error?: unknown;
  /** The headline over `error`; ErrorState's own default when absent. */
  errorTitle?: string;
  typeToConfirm?: string;
  tone?: 'danger' | 'primary';
  /** The name of the button that closes without acting. Default "Cancel". */
  cancelLabel?: string;
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
          <Button onClick={close}>{cancelLabel}</Button>
          <Button variant={tone} busy={busy} disabled={blocked || disabled} onClick={onConfirm}>
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
        {error ? <ErrorState error={error} title={errorTitle} /> : null}
      </div>
    </Dialog>
  );
}
