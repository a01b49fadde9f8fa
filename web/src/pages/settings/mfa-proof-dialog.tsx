import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ApiError, api, call } from '../../api/client';
import { useSession } from '../../api/session';
import { proofFieldErrors } from '../../lib/settings/proof-errors';
import { Button } from '../../ui/button';
import { Dialog } from '../../ui/dialog';
import { ErrorState } from '../../ui/feedback';
import { Field, Input } from '../../ui/form';
import { useToast } from '../../ui/toast';
import { RecoveryCodes } from './recovery-codes';

/** Turning MFA off or replacing the recovery codes: both need the password and a current code. */
export function MfaProofDialog({
  mode,
  open,
  onClose,
}: {
  mode: 'disable' | 'regenerate';
  open: boolean;
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  const { me, reloadMe } = useSession();
  const toast = useToast();
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const run = useMutation({
    mutationFn: async () => {
      const body = { password, code: code.trim() };
      if (mode === 'disable') {
        await call(api.POST('/api/v1/auth/mfa/disable', { body }));
        return undefined;
      }
      return (await call(api.POST('/api/v1/auth/mfa/recovery-codes', { body }))).recoveryCodes;
    },
    onSuccess: () => {
      setPassword('');
      setCode('');
      void queryClient.invalidateQueries({ queryKey: ['settings'] });
      if (mode === 'disable') {
        void reloadMe();
        toast('Two-factor authentication is off. Your other sessions were signed out.');
        onClose();
      }
    },
  });
  const close = () => {
    setPassword('');
    setCode('');
    run.reset();
    onClose();
  };
  const errs =
    run.error instanceof ApiError ? proofFieldErrors(run.error, { password: 'password', code: 'code' }) : undefined;
  const codes = run.data;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    run.mutate();
  };
  return (
    <Dialog
      open={open}
      onClose={close}
      title={mode === 'disable' ? 'Turn off two-factor authentication' : 'New recovery codes'}
      footer={
        codes ? (
          <Button variant="primary" onClick={close}>
            I saved my codes
          </Button>
        ) : (
          <>
            <Button onClick={close}>Cancel</Button>
            <Button
              type="submit"
              form={`mfa-${mode}-form`}
              variant={mode === 'disable' ? 'danger' : 'primary'}
              busy={run.isPending}
              disabled={!password || code.trim().length < 6}
            >
              {mode === 'disable' ? 'Turn off' : 'Replace codes'}
            </Button>
          </>
        )
      }
    >
      {codes ? (
        <RecoveryCodes codes={codes} account={me?.user.email ?? 'your account'} />
      ) : (
        <form id={`mfa-${mode}-form`} onSubmit={submit} className="space-y-4 text-sm" noValidate>
          <p>
            {mode === 'disable'
              ? 'Logging in will ask only for your password, and your other sessions end.'
              : 'Your current recovery codes stop working at once.'}{' '}
            Confirm with your password and a code from your app (or a recovery code).
          </p>
          <Field label="Password" error={errs?.fields.password}>
            {(p) => (
              <Input
                {...p}
                type="password"
                autoComplete="current-password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            )}
          </Field>
          <Field label="Code" hint="6 digits from the app, or a recovery code" error={errs?.fields.code}>
            {(p) => (
              <Input
                {...p}
                autoComplete="one-time-code"
                maxLength={32}
                value={code}
                onChange={(e) => setCode(e.target.value)}
              />
            )}
          </Field>
          {run.error && (!errs || errs.unplaced) ? <ErrorState error={run.error} /> : null}
        </form>
      )}
    </Dialog>
  );
}
