import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ApiError, api, call } from '../../api/client';
import { useSession } from '../../api/session';
import { svgDataUrl } from '../../lib/settings/display';
import { proofFieldErrors } from '../../lib/settings/proof-errors';
import { Button } from '../../ui/button';
import { Dialog } from '../../ui/dialog';
import { ErrorState } from '../../ui/feedback';
import { Field, Input } from '../../ui/form';
import { CopyButton } from '../../ui/copy-button';
import { RecoveryCodes } from './recovery-codes';

/** Three steps: prove the password, scan and confirm a code, keep the recovery codes. */
export function MfaEnrollDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const queryClient = useQueryClient();
  const { me, reloadMe } = useSession();
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const enroll = useMutation({
    mutationFn: () => call(api.POST('/api/v1/auth/mfa/totp/enroll', { body: { password } })),
    onSuccess: () => setPassword(''),
  });
  const confirm = useMutation({
    mutationFn: () => call(api.POST('/api/v1/auth/mfa/totp/confirm', { body: { code: code.trim() } })),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['settings'] });
      void reloadMe();
    },
  });
  const close = () => {
    setPassword('');
    setCode('');
    enroll.reset();
    confirm.reset();
    onClose();
  };
  const enrolment = enroll.data;
  const qr = enrolment ? svgDataUrl(enrolment.qrSvg) : undefined;
  const pwErr = enroll.error instanceof ApiError ? proofFieldErrors(enroll.error, { password: 'password' }) : undefined;
  const codeErr = confirm.error instanceof ApiError ? proofFieldErrors(confirm.error, { code: 'code' }) : undefined;

  const step = confirm.data ? 'codes' : enrolment ? 'scan' : 'password';
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (step === 'password') enroll.mutate();
    else if (step === 'scan') confirm.mutate();
  };
  return (
    <Dialog
      open={open}
      onClose={close}
      title={step === 'codes' ? 'Two-factor authentication is on' : 'Set up two-factor authentication'}
      footer={
        step === 'codes' ? (
          <Button variant="primary" onClick={close}>
            I saved my codes
          </Button>
        ) : (
          <>
            <Button onClick={close}>Cancel</Button>
            <Button
              variant="primary"
              type="submit"
              form="mfa-enroll-form"
              busy={enroll.isPending || confirm.isPending}
              disabled={step === 'password' ? !password : code.trim().length < 6}
            >
              {step === 'password' ? 'Continue' : 'Turn on'}
            </Button>
          </>
        )
      }
    >
      {step === 'codes' && confirm.data ? (
        <RecoveryCodes codes={confirm.data.recoveryCodes} account={me?.user.email ?? 'your account'} />
      ) : (
        <form id="mfa-enroll-form" onSubmit={onSubmit} className="space-y-4 text-sm" noValidate>
          {step === 'password' ? (
            <>
              <p>Enter your password to start. Nothing changes until you confirm a code from the app.</p>
              <Field label="Password" error={pwErr?.fields.password}>
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
              {enroll.error && (!pwErr || pwErr.unplaced) ? <ErrorState error={enroll.error} /> : null}
            </>
          ) : enrolment ? (
            <>
              <p>Scan this code with your authenticator app, then type the 6-digit code it shows.</p>
              {qr ? (
                <img
                  src={qr}
                  alt="QR code for your authenticator app"
                  className="mx-auto size-48 rounded-md bg-white p-2"
                  width={192}
                  height={192}
                />
              ) : null}
              <div className="space-y-1">
                <p className="text-xs text-slate-500 dark:text-slate-400">Or type this key into the app by hand:</p>
                <div className="flex flex-wrap items-center gap-2">
                  <code
                    data-testid="totp-secret"
                    className="rounded bg-slate-100 px-2 py-1 font-mono text-xs break-all dark:bg-slate-800"
                  >
                    {enrolment.secret}
                  </code>
                  <CopyButton text={enrolment.secret} label="Copy key" />
                </div>
              </div>
              <Field label="Code from the app" error={codeErr?.fields.code}>
                {(p) => (
                  <Input
                    {...p}
                    inputMode="numeric"
                    autoComplete="one-time-code"
                    maxLength={32}
                    value={code}
                    onChange={(e) => setCode(e.target.value)}
                  />
                )}
              </Field>
              {confirm.error && (!codeErr || codeErr.unplaced) ? <ErrorState error={confirm.error} /> : null}
            </>
          ) : null}
        </form>
      )}
    </Dialog>
  );
}
