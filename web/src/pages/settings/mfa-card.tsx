import { useQuery } from '@tanstack/react-query';
import { ShieldCheck } from 'lucide-react';
import { useState } from 'react';
import { api, call } from '../../api/client';
import { formatDateTime } from '../../lib/format';
import { Badge } from '../../ui/badge';
import { Button } from '../../ui/button';
import { ErrorState, Loading, Notice } from '../../ui/feedback';
import { Card } from '../../ui/layout';
import { MfaEnrollDialog } from './mfa-enroll-dialog';
import { MfaProofDialog } from './mfa-proof-dialog';

export function MfaCard() {
  const status = useQuery({
    queryKey: ['settings', 'mfa'],
    queryFn: () => call(api.GET('/api/v1/auth/mfa')),
  });
  const [dialog, setDialog] = useState<'enroll' | 'disable' | 'regenerate' | undefined>();
  const close = () => setDialog(undefined);
  const s = status.data;
  return (
    <Card
      title="Two-factor authentication"
      actions={s ? s.enabled ? <Badge tone="green">On</Badge> : <Badge>Off</Badge> : undefined}
    >
      {status.isPending ? (
        <Loading />
      ) : status.error ? (
        <ErrorState error={status.error} onRetry={() => void status.refetch()} />
      ) : s?.enabled ? (
        <div className="space-y-3 text-sm">
          <p>
            Logging in asks for a code from your authenticator app
            {s.enabledAt ? ` (on since ${formatDateTime(s.enabledAt)})` : ''}.
          </p>
          <p className={s.recoveryCodesLeft <= 2 ? 'text-amber-700 dark:text-amber-300' : ''}>
            {s.recoveryCodesLeft} recovery code{s.recoveryCodesLeft === 1 ? '' : 's'} left.
          </p>
          <div className="flex flex-wrap gap-2">
            <Button onClick={() => setDialog('regenerate')}>New recovery codes</Button>
            <Button variant="danger" onClick={() => setDialog('disable')}>
              Turn off
            </Button>
          </div>
        </div>
      ) : (
        <div className="space-y-3 text-sm">
          <p className="text-slate-600 dark:text-slate-300">
            Ask for a code from an authenticator app (1Password, Google Authenticator, Aegis…) each time you log in, so
            a stolen password alone is not enough.
          </p>
          {s?.enrollmentPending && (
            <Notice tone="info">You started setting this up but did not confirm a code. Start again to finish.</Notice>
          )}
          <Button
            variant="primary"
            icon={<ShieldCheck className="size-4" aria-hidden />}
            onClick={() => setDialog('enroll')}
          >
            Set up two-factor authentication
          </Button>
        </div>
      )}
      <MfaEnrollDialog open={dialog === 'enroll'} onClose={close} />
      <MfaProofDialog mode="disable" open={dialog === 'disable'} onClose={close} />
      <MfaProofDialog mode="regenerate" open={dialog === 'regenerate'} onClose={close} />
    </Card>
  );
}
