import type { Consumer, QueueAdapter } from '../../platform/queue/queue.ts';
import { type InsightsDeps, raiseInsights } from './insights.service.ts';

/** The queue that carries the hourly tick of the insights pass. */
export const INSIGHTS_QUEUE = 'insights';

/** Minute 7 of every hour: the hour just ended is whole, and we stay off the top of the hour. */
export const INSIGHTS_CRON = '7 * * * *';

/**
 * Schedules the hourly insights pass and consumes its ticks (the scheduler role). The queue
 * enqueues each tick once however many schedulers run, and one of them runs the pass; a pass
 * that runs twice for the same hour raises nothing new (dedupe keys).
 */
export function startInsightsJob(deps: InsightsDeps & { queue: QueueAdapter }): Consumer {
  deps.queue
    .schedule(INSIGHTS_QUEUE, 'hourly', { cron: INSIGHTS_CRON }, {})
    .catch((err: unknown) => deps.logger.warn({ err }, 'could not schedule the insights pass'));
  return deps.queue.consume(
    INSIGHTS_QUEUE,
    async () => {
      const started = performance.now();
      const { tenants, raised } = await raiseInsights(deps);
      deps.logger.info(
        { tenants, raised: raised.length, ms: Math.round(performance.now() - started) },
        'insights pass done',
      );
    },
    // One pass at a time; a long pass keeps its lease renewed by the adapter.
    { concurrency: 1, leaseMs: 120_000 },
  );
}
