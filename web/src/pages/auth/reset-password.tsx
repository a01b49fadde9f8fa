import { useMutation } from '@tanstack/react-query';
import { CheckCircle2 } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, ApiError, call } from '../../api/client';
import { useSession } from '../../api/session';
import { Button, LinkButton } from '../../ui/button';
import { Notice } from '../../ui/feedback';
import { issuesByPath } from '../../ui/form';
import { signInErrorMessage } from './auth-messages';
import { AuthLayout, AuthLink } from './auth-layout';
import { NewPasswordField } from './password-field';

export default function ResetPasswordPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const session = useSession();
  const [password, setPassword] = useState('');
  const reset = useMutation({
    mutationFn: async () => {
      await call(api.POST('/api/v1/auth/password/reset', { body: { token, password } }));
      // A reset ends every session of the account, this tab's too: let it go cleanly.
      if (session.status === 'authenticated') await session.logout().catch(() => undefined);
    },
  });
  const error = reset.error instanceof ApiError ? reset.error : undefined;

  if (!token) {
    return (
      <AuthLayout title="Reset your password" footer={<AuthLink to="/login">Back to log in</AuthLink>}>
        <Notice tone="warning">
          This link has no reset token. Open the link from the email exactly as it came, or{' '}
          <AuthLink to="/forgot-password">ask for a new one</AuthLink>.
        </Notice>
      </AuthLayout>
    );
  }

  if (reset.isSuccess) {
    return (
      <AuthLayout title="Password changed">
        <div className="space-y-4 text-sm">
          <CheckCircle2 aria-hidden className="size-8 text-emerald-600 dark:text-emerald-400" />
          <p>Your new password is set. For safety, every device signed in to your account has been signed out.</p>
          <LinkButton to="/login" variant="primary" className="w-full">
            Log in
          </LinkButton>
        </div>
      </AuthLayout>
    );
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    if (password) reset.mutate();
  }

  const invalidLink = error?.code === 'AUTH_LINK_INVALID';
  return (
    <AuthLayout
      title="Choose a new password"
      footer={<AuthLink to="/login">Back to log in</AuthLink>}
      description="Setting it also unlocks an account locked by too many wrong passwords."
    >
      <form onSubmit={submit} className="space-y-4" noValidate>
        {invalidLink ? (
          <Notice tone="danger">
            This reset link is invalid, already used or expired (links last one hour).{' '}
            <AuthLink to="/forgot-password">Ask for a new link</AuthLink>.
          </Notice>
        ) : (
          error && <Notice tone="danger">{signInErrorMessage(error)}</Notice>
        )}
        <NewPasswordField
          label="New password"
          value={password}
          onChange={(v) => {
            setPassword(v);
            if (reset.isError) reset.reset();
          }}
          error={error ? issuesByPath(error.issues).password : undefined}
        />
        <Button type="submit" variant="primary" busy={reset.isPending} className="w-full">
          Set new password
        </Button>
      </form>
    </AuthLayout>
  );
}
