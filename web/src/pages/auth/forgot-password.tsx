import { useMutation } from '@tanstack/react-query';
import { MailCheck } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { api, ApiError, call } from '../../api/client';
import { Button } from '../../ui/button';
import { Notice } from '../../ui/feedback';
import { Field, Input, issuesByPath } from '../../ui/form';
import { signInErrorMessage } from './auth-messages';
import { AuthLayout, AuthLink } from './auth-layout';

export default function ForgotPasswordPage() {
  const [email, setEmail] = useState('');
  const send = useMutation({
    mutationFn: (address: string) => call(api.POST('/api/v1/auth/password/forgot', { body: { email: address } })),
  });
  const error = send.error instanceof ApiError ? send.error : undefined;

  function submit(e: FormEvent) {
    e.preventDefault();
    if (email.trim()) send.mutate(email.trim());
  }

  if (send.isSuccess) {
    return (
      <AuthLayout title="Check your email" footer={<AuthLink to="/login">Back to log in</AuthLink>}>
        <div className="space-y-3 text-sm">
          <MailCheck aria-hidden className="size-8 text-indigo-600 dark:text-indigo-400" />
          <p>
            If an account exists for <strong className="break-all">{send.variables}</strong>, we have sent it a link to
            choose a new password. The link works once, for one hour.
          </p>
          <p className="text-slate-500 dark:text-slate-400">
            Nothing arrived? Check your spam folder. On an instance without an email server, the administrator finds the
            message in the operator area&apos;s outbox.
          </p>
          <Button variant="ghost" size="sm" onClick={() => send.reset()}>
            Use another address
          </Button>
        </div>
      </AuthLayout>
    );
  }

  return (
    <AuthLayout
      title="Reset your password"
      description="Enter the email of your account and we will send you a link to choose a new password."
      footer={
        <>
          Remembered it? <AuthLink to="/login">Log in</AuthLink>
        </>
      }
    >
      <form onSubmit={submit} className="space-y-4" noValidate>
        {error && <Notice tone="danger">{signInErrorMessage(error)}</Notice>}
        <Field label="Email" error={error ? issuesByPath(error.issues).email : undefined}>
          {(p) => (
            <Input
              {...p}
              type="email"
              autoComplete="email"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              required
              maxLength={254}
              autoFocus
            />
          )}
        </Field>
        <Button type="submit" variant="primary" busy={send.isPending} className="w-full">
          Send reset link
        </Button>
      </form>
    </AuthLayout>
  );
}
