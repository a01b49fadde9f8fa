import { Cron } from 'croner';
import { z } from 'zod';
import { idPattern } from '../../platform/ids.ts';
import { boundedJson, boundedJsonObject, safeText } from '../../platform/validation.ts';
import { jsonataExpression } from './expressions.ts';

/**
 * The workflow definition format: what a user writes (or an editor saves) and a version stores.
 * These schemas check shape and field-local rules (bounds, formats, cron, time zones, the syntax
 * of trigger expressions); every object is strict, so a misspelt key is an error rather than
 * silently ignored. Rules that need the whole definition (unique ids, edges, cycles, step
 * configs per kind, references) live in `validate.ts`: parse with `validateDefinition`, not with
 * `WorkflowDefinitionSchema` alone. Step `config` is opaque here; each step kind validates its own.
 */

export const WORKFLOW_LIMITS = {
  maxSteps: 200,
  maxEdges: 1000,
  /** The whole definition, serialized as JSON. */
  maxDefinitionBytes: 512 * 1024,
  stepIdMax: 64,
  stepTypeMax: 64,
  nameMax: 200,
  branchLabelMax: 64,
  cronMax: 200,
  timezoneMax: 64,
  configMaxBytes: 128 * 1024,
  configMaxDepth: 32,
  inputSchemaMaxBytes: 64 * 1024,
  inputSchemaMaxDepth: 32,
  /** A whole run: 30 days. */
  runTimeoutMaxMs: 30 * 24 * 3600 * 1000,
  /** One attempt of one step: 24 hours. */
  stepTimeoutMaxMs: 24 * 3600 * 1000,
  maxAttempts: 20,
  backoffMaxMs: 24 * 3600 * 1000,
  concurrencyMax: 1000,
  /** Editor node coordinates, in either direction. */
  layoutCoordinateMax: 1_000_000,
} as const;

export const STEP_ID_PATTERN = /^[a-zA-Z][a-zA-Z0-9_]{0,63}$/;
/** Step kind names: `transform`, `http`, `ai.classify`, `sub_workflow`. */
export const STEP_TYPE_PATTERN = /^[a-z][a-z0-9]*(?:[._-][a-z0-9]+)*$/;

export const TRIGGER_EVENTS = [
  'item.created',
  'item.updated',
  'item.deleted',
  'run.failed',
  'run.completed',
  'job.failed',
  'job.succeeded',
  'insight.raised',
] as const;
export type TriggerEvent = (typeof TRIGGER_EVENTS)[number];

export const stepId = z
  .string()
  .max(WORKFLOW_LIMITS.stepIdMax)
  .regex(STEP_ID_PATTERN, 'must start with a letter and hold only letters, digits and _ (at most 64)');

/** A branch label, as produced by a branching step and named by an edge's `when`. */
export const branchLabel = safeText({ min: 1, max: WORKFLOW_LIMITS.branchLabelMax, trim: false }).refine(
  (s) => !/\p{Cc}/u.test(s),
  'must not contain control characters',
);

/** Whether `Intl` knows a time zone name (IANA, e.g. `Europe/Paris`, or `UTC`). */
export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Why a cron pattern is refused, or undefined. Uses croner (5–7 fields, `@daily`-style nicknames). */
export function cronProblem(cron: string, timezone = 'UTC'): string | undefined {
  let job: Cron;
  try {
    job = new Cron(cron, { timezone: isValidTimeZone(timezone) ? timezone : 'UTC', paused: true });
  } catch (err) {
    return err instanceof Error ? err.message.replace(/^CronPattern: /, '') : 'is not a cron pattern';
  }
  try {
    if (!job.nextRun()) return 'never matches a date';
  } finally {
    job.stop();
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Triggers

const ManualTriggerSchema = z.strictObject({
  type: z.literal('manual'),
  config: z
    .strictObject({
      /** A JSON Schema for the run's input, for editors and the run form (not enforced here). */
      inputSchema: boundedJsonObject({
        maxBytes: WORKFLOW_LIMITS.inputSchemaMaxBytes,
        maxDepth: WORKFLOW_LIMITS.inputSchemaMaxDepth,
      }).optional(),
    })
    .default({}),
});

const WebhookTriggerSchema = z.strictObject({
  type: z.literal('webhook'),
  config: z
    .strictObject({
      /** `immediately`: 202 as soon as the run is queued; `wait`: answer with `responseStep`'s output. */
      respond: z.enum(['immediately', 'wait']).default('immediately'),
      responseStep: stepId.optional(),
      /** How long a `wait` webhook holds the request before answering 202 with the run id. */
      timeoutMs: z.number().int().min(1000).max(120_000).default(30_000),
      /** Require a signature over the body; the secret is stored with the webhook, never here. */
      signature: z.enum(['hmac-sha256']).nullable().default(null),
      secret: z
        .never({ error: 'secrets are not part of the definition: set the webhook secret on the workflow' })
        .optional(),
    })
    .default({ respond: 'immediately', timeoutMs: 30_000, signature: null }),
});

const ScheduleTriggerSchema = z.strictObject({
  type: z.literal('schedule'),
  config: z
    .strictObject({
      cron: z.string().trim().min(1).max(WORKFLOW_LIMITS.cronMax),
      timezone: z.string().max(WORKFLOW_LIMITS.timezoneMax).default('UTC'),
    })
    .superRefine((c, ctx) => {
      if (!isValidTimeZone(c.timezone)) {
        ctx.addIssue({
          code: 'custom',
          path: ['timezone'],
          message: `unknown time zone "${c.timezone}" (use an IANA name such as "Europe/Paris")`,
          params: { code: 'TIMEZONE_INVALID' },
          input: c.timezone,
        });
      }
      const problem = cronProblem(c.cron, c.timezone);
      if (problem) {
        ctx.addIssue({
          code: 'custom',
          path: ['cron'],
          message: `invalid cron pattern: ${problem}`,
          params: { code: 'CRON_INVALID' },
          input: c.cron,
        });
      }
    }),
});

const EventTriggerSchema = z.strictObject({
  type: z.literal('event'),
  config: z.strictObject({
    event: z.enum(TRIGGER_EVENTS),
    /** JSONata over the event; the run starts only when it is truthy. */
    filter: jsonataExpression().optional(),
  }),
});

export const TriggerDefinitionSchema = z.discriminatedUnion('type', [
  ManualTriggerSchema,
  WebhookTriggerSchema,
  ScheduleTriggerSchema,
  EventTriggerSchema,
]);
export type TriggerDefinition = z.output<typeof TriggerDefinitionSchema>;
export type TriggerType = TriggerDefinition['type'];

// ---------------------------------------------------------------------------------------------
// Settings, steps, edges

export const RetryPolicySchema = z
  .strictObject({
    /** Attempts in all, the first included: 1 means no retry. */
    maxAttempts: z.number().int().min(1).max(WORKFLOW_LIMITS.maxAttempts).default(3),
    /** Delay before the second attempt; doubles each attempt (with jitter), capped at maxBackoffMs. */
    backoffMs: z.number().int().min(0).max(WORKFLOW_LIMITS.backoffMaxMs).default(1000),
    maxBackoffMs: z.number().int().min(0).max(WORKFLOW_LIMITS.backoffMaxMs).default(60_000),
  })
  .refine((r) => r.maxBackoffMs >= r.backoffMs, { message: 'must be at least backoffMs', path: ['maxBackoffMs'] });
export type RetryPolicy = z.output<typeof RetryPolicySchema>;

/** A step's own retry: any subset of the fields, the rest coming from `settings.retry`. */
export const StepRetrySchema = z.strictObject({
  maxAttempts: z.number().int().min(1).max(WORKFLOW_LIMITS.maxAttempts).optional(),
  backoffMs: z.number().int().min(0).max(WORKFLOW_LIMITS.backoffMaxMs).optional(),
  maxBackoffMs: z.number().int().min(0).max(WORKFLOW_LIMITS.backoffMaxMs).optional(),
});
export type StepRetry = z.output<typeof StepRetrySchema>;

export const WorkflowSettingsSchema = z
  .strictObject({
    /** The whole run, waits included; a run still going after it fails with a timeout. */
    timeoutMs: z.number().int().min(1000).max(WORKFLOW_LIMITS.runTimeoutMaxMs).default(300_000),
    /** One attempt of a step, unless the step sets its own `timeoutMs`. */
    stepTimeoutMs: z.number().int().min(100).max(WORKFLOW_LIMITS.stepTimeoutMaxMs).default(60_000),
    retry: RetryPolicySchema.default({ maxAttempts: 3, backoffMs: 1000, maxBackoffMs: 60_000 }),
    /** Runs of this workflow in flight at once; more wait in the queue. */
    concurrency: z.number().int().min(1).max(WORKFLOW_LIMITS.concurrencyMax).default(10),
    /** A workflow started (with the failed run as input) when a run of this one fails. */
    errorWorkflowId: z.string().regex(idPattern('wfl'), 'must be a workflow id (wfl_…)').nullable().default(null),
  })
  .default({
    timeoutMs: 300_000,
    stepTimeoutMs: 60_000,
    retry: { maxAttempts: 3, backoffMs: 1000, maxBackoffMs: 60_000 },
    concurrency: 10,
    errorWorkflowId: null,
  });
export type WorkflowSettings = z.output<typeof WorkflowSettingsSchema>;

export const StepDefinitionSchema = z.strictObject({
  id: stepId,
  type: z
    .string()
    .max(WORKFLOW_LIMITS.stepTypeMax)
    .regex(STEP_TYPE_PATTERN, 'must be a step kind name such as "transform" or "ai.classify"'),
  name: safeText({ min: 1, max: WORKFLOW_LIMITS.nameMax }).optional(),
  /** Validated by the step kind (see the registry); any bounded JSON here. */
  config: boundedJson({ maxBytes: WORKFLOW_LIMITS.configMaxBytes, maxDepth: WORKFLOW_LIMITS.configMaxDepth }).default(
    {},
  ),
  retry: StepRetrySchema.optional(),
  /** One attempt's limit; default `settings.stepTimeoutMs`. */
  timeoutMs: z.number().int().min(100).max(WORKFLOW_LIMITS.stepTimeoutMaxMs).optional(),
  /** Not executed: done at once with output null and no branch (only edges without `when` are followed). */
  disabled: z.boolean().optional(),
});
export type StepDefinition = z.output<typeof StepDefinitionSchema>;

export const EdgeSchema = z.strictObject({
  from: stepId,
  to: stepId,
  /** Followed only when the `from` step finished with this branch; without it, always followed. */
  when: branchLabel.optional(),
});
export type Edge = z.output<typeof EdgeSchema>;

// ---------------------------------------------------------------------------------------------
// Layout: where an editor drew the nodes. Kept with the version (so export/import and history
// keep the picture) and never read by the engine.

const coordinate = z.number().min(-WORKFLOW_LIMITS.layoutCoordinateMax).max(WORKFLOW_LIMITS.layoutCoordinateMax);
export const NodePositionSchema = z.strictObject({ x: coordinate, y: coordinate });

export const LayoutSchema = z.strictObject({
  /** The trigger's node; a separate key so that a step may be called `trigger`. */
  trigger: NodePositionSchema.optional(),
  /** By step id; positions of ids that are not steps are dropped by `validateDefinition`. */
  steps: z
    .record(stepId, NodePositionSchema)
    .refine((r) => Object.keys(r).length <= WORKFLOW_LIMITS.maxSteps, {
      message: `must hold at most ${WORKFLOW_LIMITS.maxSteps} positions`,
    })
    .default({}),
});
export type Layout = z.output<typeof LayoutSchema>;

export const WorkflowDefinitionSchema = z.strictObject({
  trigger: TriggerDefinitionSchema,
  steps: z.array(StepDefinitionSchema).min(1).max(WORKFLOW_LIMITS.maxSteps),
  edges: z.array(EdgeSchema).max(WORKFLOW_LIMITS.maxEdges).default([]),
  settings: WorkflowSettingsSchema,
  layout: LayoutSchema.optional(),
});
export type WorkflowDefinition = z.output<typeof WorkflowDefinitionSchema>;
/** What a user may write: defaults not yet applied. */
export type WorkflowDefinitionInput = z.input<typeof WorkflowDefinitionSchema>;

/** The retry policy and timeout a step runs with: its own fields over the workflow's settings. */
export function effectiveStepPolicy(
  step: StepDefinition,
  settings: WorkflowSettings,
): { retry: RetryPolicy; timeoutMs: number } {
  const retry = {
    maxAttempts: step.retry?.maxAttempts ?? settings.retry.maxAttempts,
    backoffMs: step.retry?.backoffMs ?? settings.retry.backoffMs,
    maxBackoffMs: step.retry?.maxBackoffMs ?? settings.retry.maxBackoffMs,
  };
  // validateDefinition refuses this; a definition that skipped it still gets a usable policy.
  if (retry.maxBackoffMs < retry.backoffMs) retry.maxBackoffMs = retry.backoffMs;
  return { retry, timeoutMs: step.timeoutMs ?? settings.stepTimeoutMs };
}
