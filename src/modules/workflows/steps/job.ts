import { z } from 'zod';
import type { Database } from '../../../platform/db/database.ts';
import type { QueueAdapter } from '../../../platform/queue/queue.ts';
import { createJob } from '../../jobs/index.ts';
import { CreateJobBody } from '../../jobs/jobs.dto.ts';
import { defineStepKind, runActor, StepPermanentError } from './step-kind.ts';

const Config = z
  .object({
    /** The job as `POST /api/v1/jobs` takes it: `{type, payload, runAt?, priority?, maxAttempts?}`; may hold templates. */
    job: z.unknown(),
  })
  .strict();

/**
 * Enqueues a background job (see the jobs API) as the run and returns it at once (`{id, status}`);
 * the run does not wait for the job. Idempotent per (run, step, attempt): a crash never enqueues
 * the job twice.
 */
export const jobStep = defineStepKind({
  type: 'job',
  description: 'Enqueue a background job (process-data, send-notification, generate-report, cleanup).',
  config: Config,
  pure: false,
  async execute(config, ctx) {
    const db = ctx.services.db as Database | undefined;
    const queue = ctx.services.queue as QueueAdapter | undefined;
    if (!db || !queue) throw new StepPermanentError('Jobs are not available here.', 'STEP_UNAVAILABLE');
    const parsed = CreateJobBody.safeParse(await ctx.render(config.job));
    if (!parsed.success) {
      throw new StepPermanentError(
        `Invalid job: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
        'JOB_PAYLOAD_INVALID',
      );
    }
    const actor = runActor(ctx);
    const { job } = await createJob({ db, queue }, actor, parsed.data, {
      idempotencyKey: `run:${ctx.runId}:${ctx.stepId}:${ctx.attempt}`,
    });
    return { kind: 'done', output: { id: job.id, type: job.type, status: job.status } };
  },
});
