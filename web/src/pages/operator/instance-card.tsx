import { useQuery } from '@tanstack/react-query';
import { api, call } from '../../api/client';
import { formatBytes, formatNumber } from '../../lib/format';
import { Button } from '../../ui/button';
import { ErrorState, Loading } from '../../ui/feedback';
import { Card } from '../../ui/layout';
import { formatUptime } from './operator-logic';

function Stat({ label, value, detail }: { label: string; value: string; detail?: string }) {
  return (
    <div className="rounded-md border border-slate-200 p-3 dark:border-slate-800">
      <dt className="text-xs font-medium text-slate-500 dark:text-slate-400">{label}</dt>
      <dd className="mt-1 text-lg font-semibold tabular-nums">{value}</dd>
      {detail && <dd className="text-xs text-slate-500 dark:text-slate-400">{detail}</dd>}
    </div>
  );
}

export function InstanceCard() {
  const instance = useQuery({
    queryKey: ['operator', 'instance'],
    queryFn: () => call(api.GET('/api/v1/operator/instance')),
    refetchInterval: 30_000,
  });
  const d = instance.data;
  return (
    <Card
      title="Instance"
      actions={
        <Button size="sm" variant="ghost" busy={instance.isFetching} onClick={() => void instance.refetch()}>
          Refresh
        </Button>
      }
    >
      {instance.isPending ? (
        <Loading />
      ) : instance.isError ? (
        <ErrorState error={instance.error} onRetry={() => void instance.refetch()} />
      ) : (
        d && (
          <dl className="grid grid-cols-2 gap-3 lg:grid-cols-5">
            <Stat label="Version" value={d.version} />
            <Stat label="Uptime" value={formatUptime(d.uptimeSeconds)} />
            <Stat label="Memory (RSS)" value={formatBytes(d.memoryRssBytes)} />
            <Stat
              label="Tenants"
              value={formatNumber(d.tenants.total)}
              detail={[
                `${formatNumber(d.tenants.active)} active`,
                `${formatNumber(d.tenants.suspended)} suspended`,
                ...(d.tenants.deleted ? [`${formatNumber(d.tenants.deleted)} deleted`] : []),
              ].join(' · ')}
            />
            <Stat label="Users" value={formatNumber(d.users.total)} />
          </dl>
        )
      )}
    </Card>
  );
}
