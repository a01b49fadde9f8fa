import { useMutation } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api, ApiError, call } from '../../api/client';
import { useMe, useSession } from '../../api/session';
import { Button } from '../../ui/button';
import { Notice } from '../../ui/feedback';
import { AuthLayout, AuthLink } from './auth-layout';

/** Signed in: join the inviting organisation and switch to it. */
export function AcceptSignedIn({ token }: { token: string }) {
  const me = useMe();
  const { switchTenant, logout } = useSession();
  const navigate = useNavigate();
  const accept = useMutation({
    mutationFn: async () => {
      const joined = await call(api.POST('/api/v1/invitations/accept', { body: { token } }));
      await switchTenant(joined.tenantId);
      return joined;
    },
    onSuccess: () => navigate('/', { replace: true }),
  });
  const error = accept.error instanceof ApiError ? accept.error : undefined;
  const here = `/accept-invitation?token=${encodeURIComponent(token)}`;

  return (
    <AuthLayout
      title="Join an organisation"
      description={
        <>
          You are signed in as <strong className="break-all">{me.user.email}</strong>.
        </>
      }
      footer={<AuthLink to="/">Not now, go to the dashboard</AuthLink>}
    >
      <div className="space-y-4 text-sm">
        {error?.code === 'INVITATION_EMAIL_MISMATCH' ? (
          <Notice tone="danger">
            <p>This invitation was sent to another email address than {me.user.email}.</p>
            <p className="mt-2">Log out, then open the link again to join with the invited address.</p>
            <Button
              size="sm"
              className="mt-3"
              onClick={() => void logout().then(() => navigate(here, { replace: true }))}
            >
              Log out
            </Button>
          </Notice>
        ) : error?.code === 'INVITATION_INVALID' ? (
          <Notice tone="danger">
            This invitation is invalid, already used, revoked or expired (they last 7 days). Ask whoever invited you for
            a new one.
          </Notice>
        ) : error?.code === 'INVITATION_ALREADY_MEMBER' ? (
          <Notice tone="info">
            You are already a member of this organisation: pick it in the organisation switcher.
          </Notice>
        ) : (
          error && <Notice tone="danger">{error.message}</Notice>
        )}
        <p>Accept the invitation to join the organisation with the role it offers, and switch to it.</p>
        <Button variant="primary" className="w-full" busy={accept.isPending} onClick={() => accept.mutate()}>
          Accept invitation
        </Button>
      </div>
    </AuthLayout>
  );
}
