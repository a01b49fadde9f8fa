import { z } from 'zod';
import { idPattern } from '../../../platform/ids.ts';
import { defineStepKind, StepPermanentError } from './step-kind.ts';

const Config = z
  .object({
    workflowId: z.string().regex(idPattern('wfl'), 'must be a workflow id (wfl_…)'),
    /** The sub-workflow's trigger input (`trigger.body` there); may hold templates. */
    input: z.unknown().optional(),
  })
  .strict();

type StartSubRun = (input: {
  tenantId: string;
  workflowId: string;
  input: unknown;
  triggerType: 'subworkflow';
  idempotencyKey: string;
  parentRunId: string;
  parentStepId: string;
}) => Promise<{ runId: string }>;

/**
 * Calls another workflow of the same tenant and waits, durably, for its run to finish; the
 * output is the sub-run's output, and a failed sub-run fails this step (SUBWORKFLOW_FAILED).
 * Starting is idempotent per (run, step, attempt), so a crash never starts the child twice.
 */
export const workflowStep = defineStepKind({
  type: 'workflow',
  description: 'Run another workflow and wait for its result.',
  config: Config,
  pure: false,
  async execute(config, ctx) {
    const start = ctx.services.startSubRun as StartSubRun | undefined;
    if (!start) throw new StepPermanentError('Sub-workflows are not available here.', 'STEP_UNAVAILABLE');
    const input = await ctx.render(config.input ?? null);
    let child: { runId: string };
    try {
      child = await start({
        tenantId: ctx.tenantId,
        workflowId: config.workflowId,
        input: { body: input, parentRunId: ctx.runId },
        triggerType: 'subworkflow',
        idempotencyKey: `sub:${ctx.runId}:${ctx.stepId}:${ctx.attempt}`,
        parentRunId: ctx.runId,
        parentStepId: ctx.stepId,
      });
    } catch (err) {
      throw new StepPermanentError(
        `The sub-workflow ${config.workflowId} could not start: ${(err as Error).message}`,
        'SUBWORKFLOW_NOT_FOUND',
      );
    }
    return { kind: 'wait', waitFor: 'subworkflow', state: { childRunId: child.runId } };
  },
});
