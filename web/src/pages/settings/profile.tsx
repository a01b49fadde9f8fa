import { useMutation } from '@tanstack/react-query';
import { MailCheck } from 'lucide-react';
import { api, call } from '../../api/client';
import { useMe } from '../../api/session';
import { formatDateTime } from '../../lib/format';
import { roleTone } from '../../lib/settings/roles';
import { Badge } from '../../ui/badge';
import { Button } from '../../ui/button';
import { ErrorState, Notice } from '../../ui/feedback';
import { Card } from '../../ui/layout';

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="grid gap-1 py-3 sm:grid-cols-3 sm:gap-4">
      <dt className="text-sm font-medium text-slate-500 dark:text-slate-400">{label}</dt>
      <dd className="text-sm sm:col-span-2">{children}</dd>
    </div>
  );
}

/** Who you are. The API has no profile edit yet, so name and email are shown, not edited. */
export function ProfilePage() {
  const me = useMe();
  const resend = useMutation({ mutationFn: () => call(api.POST('/api/v1/auth/verify-email/request')) });
  return (
    <div className="space-y-6">
      <Card title="Profile">
        <dl className="divide-y divide-slate-100 dark:divide-slate-800">
          <Row label="Name">{me.user.name}</Row>
          <Row label="Email">
            <div className="flex flex-wrap items-center gap-2">
              <span className="break-all">{me.user.email}</span>
              {me.user.emailVerified ? <Badge tone="green">Verified</Badge> : <Badge tone="amber">Not verified</Badge>}
            </div>
            {!me.user.emailVerified && (
              <div className="mt-3 space-y-2">
                {resend.isSuccess ? (
                  <Notice tone="success">
                    A link is on its way to {me.user.email}. Open it within 48 hours to confirm the address.
                  </Notice>
                ) : (
                  <>
                    <p className="text-slate-500 dark:text-slate-400">
                      Confirm your address so that single sign-on can link to this account and so that password resets
                      reach you.
                    </p>
                    <Button
                      size="sm"
                      icon={<MailCheck className="size-3.5" aria-hidden />}
                      busy={resend.isPending}
                      onClick={() => resend.mutate()}
                    >
                      Send verification email
                    </Button>
                  </>
                )}
                {resend.error && <ErrorState error={resend.error} />}
              </div>
            )}
          </Row>
          <Row label="Two-factor authentication">
            {me.user.mfaEnabled ? <Badge tone="green">On</Badge> : <Badge>Off</Badge>}{' '}
            <span className="text-slate-500 dark:text-slate-400">(change it under Security)</span>
          </Row>
          <Row label="Member since">{formatDateTime(me.user.createdAt)}</Row>
          {me.user.isOperator && (
            <Row label="Instance">
              <Badge tone="violet">Operator</Badge>
            </Row>
          )}
        </dl>
      </Card>
      <Card title="Your organisations">
        <ul className="divide-y divide-slate-100 dark:divide-slate-800">
          {me.memberships.map((m) => (
            <li key={m.tenantId} className="flex items-center justify-between gap-3 py-2 text-sm">
              <span className="min-w-0 truncate">
                {m.tenantName}
                {m.tenantId === me.tenant.id && (
                  <span className="ml-2 text-xs text-slate-500 dark:text-slate-400">(current)</span>
                )}
              </span>
              <Badge tone={roleTone(m.role)}>{m.role}</Badge>
            </li>
          ))}
        </ul>
      </Card>
    </div>
  );
}
