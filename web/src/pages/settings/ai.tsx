import { useQuery } from '@tanstack/react-query';
import { api, call } from '../../api/client';
import { roleAtLeast, useMe } from '../../api/session';
import { formatNumber } from '../../lib/format';
import { EmptyState, ErrorState, Loading, Notice } from '../../ui/feedback';
import { Card, Table } from '../../ui/layout';
import { AiProviderCard } from './ai-provider-card';
import { SettingsForm } from './settings-form';

export function AiPage() {
  const me = useMe();
  if (!roleAtLeast(me, 'editor'))
    return <Notice tone="info">AI features are for editors, admins and owners of this organisation.</Notice>;
  return (
    <div className="space-y-6">
      <AiProviderCard />
      <UsageCard />
      <SettingsForm groups={['ai']} />
    </div>
  );
}

const usd = (n: number) =>
  n.toLocaleString(undefined, {
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: 2,
    maximumFractionDigits: 4,
  });

function Meter({
  label,
  used,
  limit,
  format,
}: {
  label: string;
  used: number;
  limit: number | null;
  format: (n: number) => string;
}) {
  const ratio = limit ? Math.min(1, used / limit) : 0;
  return (
    <div className="space-y-1">
      <div className="flex justify-between gap-2 text-sm">
        <span className="font-medium">{label}</span>
        <span className="text-slate-600 dark:text-slate-300">
          {format(used)} {limit !== null ? `of ${format(limit)}` : '· no limit'}
        </span>
      </div>
      {limit !== null && (
        <div
          role="meter"
          aria-label={label}
          aria-valuemin={0}
          aria-valuemax={limit}
          aria-valuenow={used}
          className="h-2 overflow-hidden rounded-full bg-slate-200 dark:bg-slate-800"
        >
          <div
            className={ratio >= 1 ? 'h-full bg-red-500' : ratio >= 0.8 ? 'h-full bg-amber-500' : 'h-full bg-indigo-500'}
            style={{ width: `${ratio * 100}%` }}
          />
        </div>
      )}
    </div>
  );
}

function UsageCard() {
  const usage = useQuery({ queryKey: ['settings', 'ai-usage'], queryFn: () => call(api.GET('/api/v1/ai/usage')) });
  const u = usage.data;
  return (
    <Card title={u ? `Usage in ${u.month} (UTC)` : 'Usage this month'}>
      {usage.isPending ? (
        <Loading />
      ) : usage.error ? (
        <ErrorState error={usage.error} onRetry={() => void usage.refetch()} />
      ) : u ? (
        <div className="space-y-5">
          <dl className="grid grid-cols-2 gap-4 sm:grid-cols-4">
            {[
              ['Calls', formatNumber(u.calls)],
              ['Input tokens', formatNumber(u.inputTokens)],
              ['Output tokens', formatNumber(u.outputTokens)],
              ['Cost (list prices)', usd(u.costUsd)],
            ].map(([k, v]) => (
              <div key={k}>
                <dt className="text-xs text-slate-500 dark:text-slate-400">{k}</dt>
                <dd className="text-lg font-semibold tabular-nums">{v}</dd>
              </div>
            ))}
          </dl>
          <div className="grid gap-4 md:grid-cols-2">
            <Meter
              label="Tokens"
              used={u.inputTokens + u.outputTokens}
              limit={u.limits.monthlyTokenLimit}
              format={formatNumber}
            />
            <Meter label="Spend" used={u.costUsd} limit={u.limits.monthlyCostLimitUsd} format={usd} />
          </div>
          {u.byModel.length === 0 ? (
            <EmptyState title="No AI calls this month">
              Workflow AI steps and the AI endpoints count here. Set a budget below to cap what a month may spend.
            </EmptyState>
          ) : (
            <Table>
              <thead>
                <tr>
                  <th>Provider</th>
                  <th>Model</th>
                  <th className="text-right">Calls</th>
                  <th className="text-right">Tokens in / out</th>
                  <th className="text-right">Cost</th>
                </tr>
              </thead>
              <tbody>
                {u.byModel.map((m) => (
                  <tr key={`${m.provider}/${m.model}`}>
                    <td>{m.provider}</td>
                    <td className="font-mono text-xs">{m.model}</td>
                    <td className="text-right tabular-nums">{formatNumber(m.calls)}</td>
                    <td className="text-right whitespace-nowrap tabular-nums">
                      {formatNumber(m.inputTokens)} / {formatNumber(m.outputTokens)}
                    </td>
                    <td className="text-right tabular-nums">{m.priced ? usd(m.costUsd) : 'no list price'}</td>
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
        </div>
      ) : null}
    </Card>
  );
}
