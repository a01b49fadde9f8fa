import { type FormEvent, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { ApiError } from '../../api/client';
import { useSession } from '../../api/session';
import { Button } from '../../ui/button';
import { Notice } from '../../ui/feedback';
import { Field, Input, issuesByPath } from '../../ui/form';
import { safeNext, signInErrorMessage } from './auth-messages';
import { AuthLayout, AuthLink } from './auth-layout';
import { NewPasswordField } from './password-field';

export default function SignupPage() {
  const { signup } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const [form, setForm] = useState({ name: '', email: '', password: '', organizationName: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const set = (key: keyof typeof form) => (value: string) => setForm((f) => ({ ...f, [key]: value }));
  const fields = error ? issuesByPath(error.issues) : {};

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signup({ ...form, name: form.name.trim(), email: form.email.trim() });
      navigate(next, { replace: true });
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, { detail: String(err) }));
    } finally {
      setBusy(false);
    }
  }

  const loginLink = next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`;
  return (
    <AuthLayout
      title="Create your account"
      description="You get an organisation of your own; invite your team from Settings afterwards."
      footer={
        <>
          Already have an account? <AuthLink to={loginLink}>Log in</AuthLink>
        </>
      }
    >
      <form onSubmit={submit} className="space-y-4" noValidate>
        {error?.code === 'AUTH_SIGNUP_CLOSED' ? (
          <Notice tone="warning">
            <p className="font-medium">Sign-up is closed on this instance.</p>
            <p className="mt-1">
              Only invited people can join. Ask an admin of your organisation to invite you: the email they send has a
              link to create your account.
            </p>
          </Notice>
        ) : (
          error && <Notice tone="danger">{signInErrorMessage(error)}</Notice>
        )}
        <Field label="Name" error={fields.name}>
          {(p) => (
            <Input
              {...p}
              autoComplete="name"
              value={form.name}
              onChange={(e) => set('name')(e.target.value)}
              required
              maxLength={100}
              autoFocus
            />
          )}
        </Field>
        <Field label="Email" error={fields.email}>
          {(p) => (
            <Input
              {...p}
              type="email"
              autoComplete="email"
              value={form.email}
              onChange={(e) => set('email')(e.target.value)}
              required
              maxLength={254}
            />
          )}
        </Field>
        <NewPasswordField
          value={form.password}
          onChange={set('password')}
          error={fields.password}
          who={{ email: form.email, name: form.name }}
        />
        <Field
          label="Organisation name"
          error={fields.organizationName}
          hint="Your company or team; you can rename it."
        >
          {(p) => (
            <Input
              {...p}
              autoComplete="organization"
              value={form.organizationName}
              onChange={(e) => set('organizationName')(e.target.value)}
              required
              maxLength={100}
            />
          )}
        </Field>
        <Button type="submit" variant="primary" busy={busy} className="w-full">
          Create account
        </Button>
      </form>
    </AuthLayout>
  );
}
