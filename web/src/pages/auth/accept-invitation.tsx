import { useSearchParams } from 'react-router';
import { useSession } from '../../api/session';
import { Loading, Notice } from '../../ui/feedback';
import { AcceptSignedIn } from './accept-signed-in';
import { AuthLayout, AuthLink } from './auth-layout';
import { InvitedSignup } from './invited-signup';

/**
 * An invitation link works signed in or not: a signed-in invitee joins with one click; someone
 * without an account creates one from the invitation (which works even when sign-up is closed);
 * someone with an account logs in and comes back here.
 */
export default function AcceptInvitationPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const { status } = useSession();

  if (!token) {
    return (
      <AuthLayout title="Accept an invitation" footer={<AuthLink to="/login">Log in</AuthLink>}>
        <Notice tone="warning">
          This link has no invitation token. Open the link from the invitation email exactly as it came.
        </Notice>
      </AuthLayout>
    );
  }
  if (status === 'loading') {
    return (
      <AuthLayout title="Accept an invitation">
        <Loading />
      </AuthLayout>
    );
  }
  return status === 'authenticated' ? <AcceptSignedIn token={token} /> : <InvitedSignup token={token} />;
}
