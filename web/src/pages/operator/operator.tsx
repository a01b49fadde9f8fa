import { ShieldOff } from 'lucide-react';
import { useMe } from '../../api/session';
import { LinkButton } from '../../ui/button';
import { EmptyState } from '../../ui/feedback';
import { PageHeader } from '../../ui/layout';
import { InstanceCard } from './instance-card';
import { OutboxCard } from './outbox-card';
import { TenantsCard } from './tenants-card';

/** The instance operator's area: every tenant, the instance's health and the email outbox. */
export default function OperatorPage() {
  const me = useMe();
  if (!me.user.isOperator) {
    return (
      <EmptyState
        icon={<ShieldOff aria-hidden className="size-8" />}
        title="Not available"
        action={<LinkButton to="/">Go to the dashboard</LinkButton>}
      >
        The operator area is only for the operator of this Switchyard instance (the first account, or one made with{' '}
        <code>switchyard admin create-operator</code>).
      </EmptyState>
    );
  }
  return (
    <>
      <PageHeader
        title="Operator"
        description="Everything on this instance: tenants, their quotas, the server's health and the emails it sent."
      />
      <div className="space-y-6">
        <InstanceCard />
        <TenantsCard currentTenantId={me.tenant.id} />
        <OutboxCard />
      </div>
    </>
  );
}
