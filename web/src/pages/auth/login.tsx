import { type FormEvent, useEffect, useState } from 'react';
import { useLocation, useNavigate, useSearchParams } from 'react-router';
import { ApiError } from '../../api/client';
import { useSession } from '../../api/session';
import { Button } from '../../ui/button';
import { Notice } from '../../ui/feedback';
import { Field, Input } from '../../ui/form';
import { safeNext, signInErrorMessage, ssoErrorMessage } from './auth-messages';
import { AuthLayout, AuthLink } from './auth-layout';
import { MfaStep } from './mfa-step';
import { SsoButtons } from './sso-buttons';

/** `#mfaToken=…`: single sign-on hands over an owed second factor in the fragment (never sent to a server). */
function mfaTokenFromHash(hash: string): string | undefined {
  return new URLSearchParams(hash.replace(/^#/, '')).get('mfaToken') ?? undefined;
}

export default function LoginPage() {
  const { login } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const ssoError = params.get('ssoError');

  const [mfaToken, setMfaToken] = useState(() => mfaTokenFromHash(location.hash));
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  // The token has been read: take it out of the address bar and the history entry.
  useEffect(() => {
    if (location.hash) navigate({ pathname: location.pathname, search: location.search }, { replace: true });
  }, [location.hash, location.pathname, location.search, navigate]);

  const done = () => navigate(next, { replace: true });

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!email.trim() || !password) {
      setError('Enter your email and password.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const result = await login(email.trim(), password);
      if (result.mfaRequired) setMfaToken(result.mfaToken);
      else done();
    } catch (err) {
      setError(err instanceof ApiError ? signInErrorMessage(err) : String(err));
    } finally {
      setBusy(false);
    }
  }

  if (mfaToken) {
    return (
      <AuthLayout title="Two-factor authentication" description="One more step to prove it is you.">
        <MfaStep
          mfaToken={mfaToken}
          onDone={done}
          onRestart={(why) => {
            setMfaToken(undefined);
            setPassword('');
            setError(why || undefined);
          }}
        />
      </AuthLayout>
    );
  }

  const signupLink = next === '/' ? '/signup' : `/signup?next=${encodeURIComponent(next)}`;
  return (
    <AuthLayout
      title="Log in to Switchyard"
      footer={
        <>
          New here? <AuthLink to={signupLink}>Create an account</AuthLink>
        </>
      }
    >
      <form onSubmit={submit} className="space-y-4" noValidate>
        {ssoError && !error && <Notice tone="danger">{ssoErrorMessage(ssoError)}</Notice>}
        {error && <Notice tone="danger">{error}</Notice>}
        <Field label="Email">
          {(p) => (
            <Input
              {...p}
              type="email"
              autoComplete="username"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              required
              maxLength={254}
              autoFocus
            />
          )}
        </Field>
        <div className="space-y-1">
          <Field label="Password">
            {(p) => (
              <Input
                {...p}
                type="password"
                autoComplete="current-password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                required
                maxLength={256}
              />
            )}
          </Field>
          <div className="text-right text-sm">
            <AuthLink to="/forgot-password">Forgot password?</AuthLink>
          </div>
        </div>
        <Button type="submit" variant="primary" busy={busy} className="w-full">
          Log in
        </Button>
      </form>
      <SsoButtons next={next} />
    </AuthLayout>
  );
}
