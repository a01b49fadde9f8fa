import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useNavigate } from 'react-router';
import { api, ApiError, call, COOKIE_TRANSPORT } from '../../api/client';
import { useSession } from '../../api/session';
import { Button } from '../../ui/button';
import { Notice } from '../../ui/feedback';
import { Field, Input, issuesByPath } from '../../ui/form';
import { signInErrorMessage } from './auth-messages';
import { AuthLayout, AuthLink } from './auth-layout';
import { NewPasswordField } from './password-field';

/** Signed out: create an account from the invitation (its email is the invited one), or log in. */
export function InvitedSignup({ token }: { token: string }) {
  const { begin } = useSession();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const create = useMutation({
    mutationFn: async () => {
      const res = await call(
        api.POST('/api/v1/auth/signup-invited', {
          body: { token, name: name.trim(), password },
          headers: COOKIE_TRANSPORT,
        }),
      );
      await begin(res);
      // Right away: the session flips this page to its signed-in form, which unmounts this one.
      await navigate('/', { replace: true });
    },
  });
  const error = create.error instanceof ApiError ? create.error : undefined;
  const fields = error ? issuesByPath(error.issues) : {};
  const loginHere = `/login?next=${encodeURIComponent(`/accept-invitation?token=${token}`)}`;

  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate();
  }

  return (
    <AuthLayout
      title="You're invited"
      description="Create your Switchyard account to join the organisation that invited you."
      footer={
        <>
          Already have an account? <AuthLink to={loginHere}>Log in to accept</AuthLink>
        </>
      }
    >
      <form onSubmit={submit} className="space-y-4" noValidate>
        {error?.code === 'INVITATION_INVALID' ? (
          <Notice tone="danger">
            This invitation is invalid, already used, revoked or expired (they last 7 days). Ask whoever invited you for
            a new one.
          </Notice>
        ) : error?.code === 'AUTH_EMAIL_TAKEN' ? (
          <Notice tone="info">
            An account with the invited email already exists. <AuthLink to={loginHere}>Log in</AuthLink> to accept the
            invitation with it.
          </Notice>
        ) : (
          error && <Notice tone="danger">{signInErrorMessage(error)}</Notice>
        )}
        <Field label="Name" error={fields.name}>
          {(p) => (
            <Input
              {...p}
              autoComplete="name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              required
              maxLength={100}
              autoFocus
            />
          )}
        </Field>
        <NewPasswordField value={password} onChange={setPassword} error={fields.password} who={{ name }} />
        <p className="text-xs text-slate-500 dark:text-slate-400">
          Your account uses the email address the invitation was sent to.
        </p>
        <Button type="submit" variant="primary" busy={create.isPending} className="w-full">
          Create account and join
        </Button>
      </form>
    </AuthLayout>
  );
}
