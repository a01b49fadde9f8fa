// /: the organisation at a glance — counters, runs over time, recent failures, and for a new
// organisation the first steps to take.
import { roleAtLeast, useMe } from '../../api/session';
import { ErrorState, Loading } from '../../ui/feedback';
import { PageHeader } from '../../ui/layout';
import { GettingStarted } from './getting-started';
import { useMemberCount, useStats, useWorkflowNames } from './queries';
import { RecentFailures } from './recent-failures';
import { RunsChart } from './runs-chart';
import { StatCards } from './stat-cards';

export default function HomePage() {
  const me = useMe();
  const stats = useStats();
  const workflows = useWorkflowNames();
  const canInvite = roleAtLeast(me, 'admin');
  const members = useMemberCount(canInvite);

  const hasItems = (stats.data?.items.total ?? 0) > 0;
  const hasWorkflows = (workflows.data?.data.length ?? 0) > 0;
  const hasTeammates = (members.data ?? 1) > 1;
  // Shown while the organisation is new; it goes once items and workflows exist.
  const showStart = stats.isSuccess && workflows.isSuccess && !(hasItems && hasWorkflows);
  const firstName = me.user.name.split(' ')[0] || me.user.name;

  return (
    <>
      <PageHeader title={`Welcome, ${firstName}`} description={`${me.tenant.name} at a glance.`} />
      <div className="space-y-6">
        {showStart && (
          <GettingStarted
            hasItems={hasItems}
            hasWorkflows={hasWorkflows}
            hasTeammates={hasTeammates}
            canWrite={roleAtLeast(me, 'editor')}
            canInvite={canInvite}
          />
        )}
        {stats.isPending ? (
          <Loading label="Loading counters…" />
        ) : stats.isError ? (
          <ErrorState error={stats.error} onRetry={() => stats.refetch()} />
        ) : (
          <StatCards stats={stats.data} />
        )}
        <div className="grid gap-6 lg:grid-cols-3">
          <div className="min-w-0 lg:col-span-2">
            <RunsChart />
          </div>
          <div className="min-w-0">
            <RecentFailures />
          </div>
        </div>
      </div>
    </>
  );
}
