import { useMutation } from '@tanstack/react-query';
import { CheckCircle2 } from 'lucide-react';
import { useEffect, useRef } from 'react';
import { useSearchParams } from 'react-router';
import { api, ApiError, call } from '../../api/client';
import { useSession } from '../../api/session';
import { Button, LinkButton } from '../../ui/button';
import { Loading, Notice } from '../../ui/feedback';
import { AuthLayout } from './auth-layout';

export default function VerifyEmailPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const session = useSession();
  const verify = useMutation({
    mutationFn: () => call(api.POST('/api/v1/auth/verify-email', { body: { token } })),
    onSuccess: () => {
      if (session.status === 'authenticated') void session.reloadMe().catch(() => undefined);
    },
  });
  // The link works once: send it once, even when React runs effects twice in development.
  const sent = useRef(false);
  const { mutate } = verify;
  useEffect(() => {
    if (!token || sent.current) return;
    sent.current = true;
    mutate();
  }, [token, mutate]);

  const onward =
    session.status === 'authenticated' ? (
      <LinkButton to="/" variant="primary" className="w-full">
        Go to the dashboard
      </LinkButton>
    ) : (
      <LinkButton to="/login" variant="primary" className="w-full">
        Log in
      </LinkButton>
    );
  const error = verify.error instanceof ApiError ? verify.error : undefined;
  const already = error?.code === 'AUTH_EMAIL_ALREADY_VERIFIED';

  return (
    <AuthLayout title="Confirm your email">
      <div className="space-y-4 text-sm">
        {!token && (
          <Notice tone="warning">
            This link has no confirmation token. Open the link from the email exactly as it came; signed in, you can ask
            for a new one in your account settings.
          </Notice>
        )}
        {verify.isPending && <Loading label="Confirming your address…" />}
        {(verify.isSuccess || already) && (
          <>
            <CheckCircle2 aria-hidden className="size-8 text-emerald-600 dark:text-emerald-400" />
            <p>{already ? 'Your address was already confirmed.' : 'Thank you: your email address is confirmed.'}</p>
          </>
        )}
        {error && !already && (
          <Notice tone="danger">
            {error.code === 'AUTH_LINK_INVALID'
              ? 'This confirmation link is invalid, already used or expired. Signed in, you can ask for a new one in your account settings.'
              : error.message}
          </Notice>
        )}
        {error && !already && error.code !== 'AUTH_LINK_INVALID' && (
          <Button size="sm" onClick={() => verify.mutate()}>
            Try again
          </Button>
        )}
        {!verify.isPending && onward}
      </div>
    </AuthLayout>
  );
}
