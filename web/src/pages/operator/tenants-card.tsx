import { useInfiniteQuery } from '@tanstack/react-query';
import { Building2 } from 'lucide-react';
import { useState } from 'react';
import { api, call } from '../../api/client';
import { formatDateTime, formatNumber } from '../../lib/format';
import { Badge } from '../../ui/badge';
import { Button } from '../../ui/button';
import { EmptyState, ErrorState, Loading } from '../../ui/feedback';
import { Card, Table } from '../../ui/layout';
import { QuotasDialog } from './quotas-dialog';
import { StatusDialog } from './status-dialog';

const PAGE = 50;
type TenantsPage = Awaited<ReturnType<typeof fetchTenants>>;
export type OperatorTenant = TenantsPage['data'][number];

function fetchTenants(after: string | undefined) {
  return call(api.GET('/api/v1/operator/tenants', { params: { query: { limit: PAGE, ...(after ? { after } : {}) } } }));
}

function TenantStatus({ tenant }: { tenant: OperatorTenant }) {
  if (tenant.deleted) return <Badge tone="gray">deleted</Badge>;
  return <Badge tone={tenant.status === 'active' ? 'green' : 'amber'}>{tenant.status}</Badge>;
}

const limitText = (n: number | null) => (n === null ? 'no limit' : formatNumber(n));

function TenantActions({
  tenant: t,
  onQuotas,
  onStatus,
}: {
  tenant: OperatorTenant;
  onQuotas: (t: OperatorTenant) => void;
  onStatus: (t: OperatorTenant) => void;
}) {
  if (t.deleted) return null;
  const verb = t.status === 'active' ? 'Suspend' : 'Resume';
  return (
    <div className="flex justify-start gap-2 sm:justify-end">
      <Button size="sm" onClick={() => onQuotas(t)} aria-label={`Quotas of ${t.name}`}>
        Quotas
      </Button>
      <Button
        size="sm"
        variant={t.status === 'active' ? 'danger' : 'secondary'}
        onClick={() => onStatus(t)}
        aria-label={`${verb} ${t.name}`}
      >
        {verb}
      </Button>
    </div>
  );
}

export function TenantsCard({ currentTenantId }: { currentTenantId: string }) {
  const tenants = useInfiniteQuery({
    queryKey: ['operator', 'tenants'],
    queryFn: ({ pageParam }) => fetchTenants(pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last: TenantsPage) => (last.data.length === PAGE ? last.data.at(-1)?.id : undefined),
  });
  const [quotasFor, setQuotasFor] = useState<OperatorTenant>();
  const [statusFor, setStatusFor] = useState<OperatorTenant>();
  const rows = tenants.data?.pages.flatMap((p) => p.data) ?? [];

  return (
    <Card title="Tenants">
      {tenants.isPending ? (
        <Loading />
      ) : tenants.isError ? (
        <ErrorState error={tenants.error} onRetry={() => void tenants.refetch()} />
      ) : rows.length === 0 ? (
        <EmptyState icon={<Building2 aria-hidden className="size-8" />} title="No tenants yet">
          Every sign-up creates an organisation; they will be listed here.
        </EmptyState>
      ) : (
        <>
          <ul className="space-y-3 sm:hidden">
            {rows.map((t) => (
              <li key={t.id} className="rounded-md border border-slate-200 p-3 text-sm dark:border-slate-800">
                <div className="flex items-start justify-between gap-2">
                  <div className="min-w-0">
                    <div className="font-medium">
                      {t.name}
                      {t.id === currentTenantId && (
                        <Badge tone="blue" className="ml-2">
                          current
                        </Badge>
                      )}
                    </div>
                    <div className="truncate font-mono text-xs text-slate-500 dark:text-slate-400">{t.id}</div>
                  </div>
                  <TenantStatus tenant={t} />
                </div>
                <dl className="mt-2 grid grid-cols-2 gap-1 text-xs text-slate-600 dark:text-slate-400">
                  <dt>Members</dt>
                  <dd className="tabular-nums">
                    {formatNumber(t.members)} / {limitText(t.quotas.members)}
                  </dd>
                  <dt>Item quota</dt>
                  <dd className="tabular-nums">{limitText(t.quotas.items)}</dd>
                  <dt>Created</dt>
                  <dd>{formatDateTime(t.createdAt)}</dd>
                </dl>
                <div className="mt-3">
                  <TenantActions tenant={t} onQuotas={setQuotasFor} onStatus={setStatusFor} />
                </div>
              </li>
            ))}
          </ul>
          <Table className="hidden sm:block">
            <thead>
              <tr>
                <th>Tenant</th>
                <th>Status</th>
                <th>Members</th>
                <th>Item quota</th>
                <th>Created</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((t) => (
                <tr key={t.id} data-testid={`operator-tenant-${t.id}`}>
                  <td>
                    <div className="font-medium">
                      {t.name}
                      {t.id === currentTenantId && (
                        <Badge tone="blue" className="ml-2">
                          current
                        </Badge>
                      )}
                    </div>
                    <div className="font-mono text-xs text-slate-500 dark:text-slate-400">{t.id}</div>
                  </td>
                  <td>
                    <TenantStatus tenant={t} />
                  </td>
                  <td className="whitespace-nowrap tabular-nums">
                    {formatNumber(t.members)}
                    <span className="text-slate-500 dark:text-slate-400"> / {limitText(t.quotas.members)}</span>
                  </td>
                  <td className="whitespace-nowrap tabular-nums">{limitText(t.quotas.items)}</td>
                  <td className="whitespace-nowrap">{formatDateTime(t.createdAt)}</td>
                  <td>
                    <TenantActions tenant={t} onQuotas={setQuotasFor} onStatus={setStatusFor} />
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
          {tenants.hasNextPage && (
            <div className="mt-3 flex justify-center">
              <Button busy={tenants.isFetchingNextPage} onClick={() => void tenants.fetchNextPage()}>
                Load more tenants
              </Button>
            </div>
          )}
        </>
      )}
      {quotasFor && <QuotasDialog tenant={quotasFor} onClose={() => setQuotasFor(undefined)} />}
      {statusFor && (
        <StatusDialog
          tenant={statusFor}
          isCurrent={statusFor.id === currentTenantId}
          onClose={() => setStatusFor(undefined)}
        />
      )}
    </Card>
  );
}
