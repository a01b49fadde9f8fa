import type { Logger } from 'pino';
import type { Config } from '../../config.ts';
import type { KeyRing } from '../../platform/crypto/index.ts';
import type { Database } from '../../platform/db/database.ts';
import { createOutboundFetch } from '../../platform/net/index.ts';
import { createPostgresQueue } from '../../platform/queue/postgres-queue.ts';
import type { Consumer, QueueAdapter } from '../../platform/queue/queue.ts';
import type { Registry } from 'prom-client';
import { createSandbox, type Sandbox } from '../../platform/sandbox/sandbox.ts';
import { aiStepKinds, type AiRuntime, createAiRuntime, createAiStepPort } from '../ai/index.ts';
import { startInsightsJob } from '../insights/index.ts';
import { createJobWorker } from '../jobs/index.ts';
import { Engine, RUNS_QUEUE } from './engine.ts';
import { EventRelay } from './events.ts';
import { createWebhookSigner } from './signing-keys.ts';
import { registerWorkflowMetrics, type WorkflowMetrics } from './workflows.metrics.ts';
import { approvalStep } from './steps/approval.ts';
import { codeStep } from './steps/code.ts';
import { delayStep } from './steps/delay.ts';
import { httpStep } from './steps/http.ts';
import { itemsStep } from './steps/items.ts';
import { jobStep } from './steps/job.ts';
import { loopStep } from './steps/loop.ts';
import { webhookStep } from './steps/webhook.ts';
import { workflowStep } from './steps/workflow.ts';
import { createStepRegistry, type StepRegistry } from './steps/registry.ts';
import { TRIGGER_QUEUE, type WorkflowsDeps } from './workflows.service.ts';

export interface WorkflowRuntimeOptions {
  db: Database;
  logger: Logger;
  ring: KeyRing;
  outbound: Config['outbound'];
  engine: Config['engine'];
  redisUrl?: string | undefined;
  /** Base URL of links in emails (approval links); default `http://localhost:3000`. */
  publicUrl?: string | undefined;
  /** Test seam: a queue adapter made elsewhere (the runtime then does not close it). */
  queue?: QueueAdapter;
  /**
   * The process's AI runtime, shared with the API (the AI steps resolve each tenant's provider,
   * budget and usage through it). Without one, a runtime with no instance provider is made here:
   * tenants' own providers still answer, others get the offline engine.
   */
  ai?: AiRuntime;
  /** The process's metrics registry: the engine's gauges and counters join it (see workflows.metrics.ts). */
  metrics?: { registry: Registry } | undefined;
}

export interface WorkflowRuntime {
  readonly deps: WorkflowsDeps;
  readonly engine: Engine;
  readonly queue: QueueAdapter;
  readonly registry: StepRegistry;
  readonly events: EventRelay;
  /** Starts what the given roles run: `worker` advances runs; `scheduler` fires cron, sweeps leases. */
  start(roles: readonly ('api' | 'worker' | 'scheduler')[]): void;
  /** Stops claiming, waits for runs in flight (up to `timeoutMs`), closes the queue and sandbox. */
  stop(opts?: { timeoutMs?: number }): Promise<void>;
}

/** Every step kind this build ships. */
export function buildRegistry(): StepRegistry {
  return createStepRegistry([
    httpStep,
    codeStep,
    delayStep,
    approvalStep,
    loopStep,
    workflowStep,
    itemsStep,
    jobStep,
    webhookStep,
    ...aiStepKinds(),
  ]);
}

export async function createWorkflowRuntime(opts: WorkflowRuntimeOptions): Promise<WorkflowRuntime> {
  let metrics: WorkflowMetrics | undefined;
  // The engine counts the runs it takes over itself (whatever the dispatch): not their messages too.
  const onLeaseExpired = (q: string, n: number) => {
    if (q !== RUNS_QUEUE) metrics?.leaseExpired(q, n);
  };
  // BullMQ (and ioredis, msgpackr) load only where they are used: ~1 s less start-up elsewhere.
  const queue =
    opts.queue ??
    (opts.engine.queueAdapter === 'bullmq' && opts.redisUrl
      ? (await import('../../platform/queue/bullmq-queue.ts')).createBullmqQueue({
          url: opts.redisUrl,
          logger: opts.logger,
          onLeaseExpired,
        })
      : createPostgresQueue(opts.db, { logger: opts.logger, onLeaseExpired }));
  const registry = buildRegistry();
  let sandbox: Sandbox | undefined;
  const fetch = createOutboundFetch(opts.outbound, { timeoutMs: 30_000, maxResponseBytes: 10 * 1024 * 1024 });
  const signer = createWebhookSigner({ db: opts.db, ring: opts.ring });
  const ai =
    opts.ai ??
    createAiRuntime({
      db: opts.db,
      ring: opts.ring,
      outbound: opts.outbound,
      config: { provider: undefined, allowedBaseUrls: [], maxInputChars: 100_000, timeoutMs: 120_000 },
    });
  // eslint-disable-next-line prefer-const -- assigned once the engine it needs exists
  let relay: EventRelay | undefined;
  const engine = new Engine({
    onRunEnded: (run) => relay?.runEnded(run) ?? Promise.resolve(),
    // A counter increment: the only metrics work on the engine's path.
    onRunFinished: (status, info) => metrics?.runFinished(status, info),
    observer: {
      stepAttempt: (kind, outcome, seconds) => metrics?.stepAttempt(kind, outcome, seconds),
      stepRetry: (kind) => metrics?.stepRetry(kind),
      leaseExpired: (n) => metrics?.leaseExpired(RUNS_QUEUE, n),
    },
    db: opts.db,
    queue,
    registry,
    logger: opts.logger,
    leaseMs: opts.engine.leaseMs,
    maxOutputBytes: opts.engine.maxStepOutputBytes,
    tenantConcurrency: opts.engine.tenantConcurrency,
    services: {
      fetch,
      signWebhook: signer.sign,
      // The AI steps (ai.generate, ai.summarize, ai.classify, ai.extract).
      ai: createAiStepPort(ai),
      publicUrl: opts.publicUrl ?? 'http://localhost:3000',
      // The sandbox's worker threads start on first use, not for processes that never run code.
      runCode: (code: string, input: unknown, limits?: { timeoutMs?: number; memoryBytes?: number }) => {
        sandbox ??= createSandbox();
        return sandbox.run(code, input, limits);
      },
    },
  });
  const jobWorker = createJobWorker({
    db: opts.db,
    queue,
    logger: opts.logger,
    fetch,
    onJobSucceeded: (job) => relay?.jobSucceeded(job) ?? Promise.resolve(),
    onJobAttempt: (type, outcome, seconds) => metrics?.jobAttempt(type, outcome, seconds),
  });
  relay = new EventRelay(opts.db, engine, opts.logger);
  let workerSlots = 0;
  let schedules = false;
  if (opts.metrics) {
    const events = relay;
    metrics = registerWorkflowMetrics({
      registry: opts.metrics.registry,
      db: opts.db,
      busySlots: () => engine.activeRuns,
      concurrency: () => workerSlots,
      lastSchedulerTick: () => (schedules ? events.lastTickAt : undefined),
    });
  }
  const deps: WorkflowsDeps = { db: opts.db, engine, queue, registry, ring: opts.ring };
  let triggers: Consumer | undefined;
  let insights: Consumer | undefined;

  return {
    deps,
    engine,
    queue,
    registry,
    events: relay,
    start(roles) {
      if (roles.includes('worker')) {
        engine.startWorker({ concurrency: opts.engine.workerConcurrency });
        workerSlots = opts.engine.workerConcurrency;
        jobWorker.start(opts.engine.workerConcurrency);
        // Cron ticks of schedule-triggered workflows become runs.
        triggers = queue.consume<{ workflowId: string; tenantId: string }>(
          TRIGGER_QUEUE,
          async (msg) => {
            await engine.startRun({
              tenantId: msg.payload.tenantId,
              workflowId: msg.payload.workflowId,
              input: { firedAt: new Date().toISOString() },
              triggerType: 'schedule',
              idempotencyKey: `tick:${msg.id}`,
            });
          },
          { concurrency: 4 },
        );
      }
      if (roles.includes('scheduler')) {
        schedules = true;
        queue.startMaintenance({ intervalMs: 1_000 });
        engine.startSweeper(Math.max(1_000, Math.floor(opts.engine.leaseMs / 4)));
        relay?.start(1_000);
        // Hourly: anomalies and hot spots in run history become insights (`insight.raised`).
        insights = startInsightsJob({ db: opts.db, queue, logger: opts.logger });
      }
    },
    async stop(o = {}) {
      const timeoutMs = o.timeoutMs ?? 10_000;
      relay?.stop();
      await triggers?.close({ drain: true, timeoutMs });
      await insights?.close({ drain: true, timeoutMs });
      await jobWorker.stop(timeoutMs);
      await engine.stop({ timeoutMs });
      if (!opts.queue) await queue.close({ timeoutMs });
      await sandbox?.close();
    },
  };
}
