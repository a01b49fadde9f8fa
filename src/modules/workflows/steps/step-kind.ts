import type { z } from 'zod';
import type { ActorContext } from '../../../platform/context.ts';

/**
 * A step kind is one file that declares its config schema, its handler and, optionally, a
 * compensation (saga). The engine resolves nothing on the step's behalf: a handler asks the
 * context to `render` templated config values (`{{ steps.a.output.x }}`) or to `evaluate` a
 * JSONata expression against the run's data.
 */

/** What an expression or template sees: the trigger's data and every completed step's output. */
export interface RunScope {
  trigger: unknown;
  steps: Record<string, { output: unknown }>;
  run: { id: string; workflowId: string; version: number; startedAt: string };
  /** Inside a loop body: the current element and its index. */
  item?: unknown;
  index?: number;
}

export interface StepLogger {
  (level: 'debug' | 'info' | 'warn' | 'error', message: string, data?: Record<string, unknown>): void;
}

export interface StepContext {
  readonly tenantId: string;
  readonly runId: string;
  readonly stepId: string;
  /** 1 on the first attempt. */
  readonly attempt: number;
  readonly scope: RunScope;
  /** Aborted at the step's timeout, on cancel, or when the worker loses its lease. */
  readonly signal: AbortSignal;
  readonly log: StepLogger;
  /** JSONata against `scope` (bounded time, no host access). */
  evaluate(expression: string, extra?: Record<string, unknown>): Promise<unknown>;
  /** Deep-resolves `{{ expression }}` templates in strings; a string that is one template keeps the value's type. */
  render<T>(value: T): Promise<unknown>;
  /** Engine services a step may use; which exist depends on the process (see engine.ts). */
  readonly services: StepServices;
}

export interface StepServices {
  /** SSRF-guarded fetch (src/platform/net). */
  fetch?: (url: string | URL, init?: RequestInit) => Promise<Response>;
  /** Runs user JavaScript in the sandbox (src/platform/sandbox). */
  runCode?: (code: string, input: unknown, limits?: { timeoutMs?: number; memoryBytes?: number }) => Promise<unknown>;
  [name: string]: unknown;
}

export type StepOutcome =
  /** Done. `branch` picks the outgoing edges whose `when` equals it (condition, switch, ai.classify). */
  | { kind: 'done'; output: unknown; branch?: string }
  /** Park the run until `until` (delay) or an external signal (approval, sub-workflow). */
  | { kind: 'wait'; until?: Date; waitFor?: 'approval' | 'subworkflow'; state?: unknown };

/** A failure that retrying cannot fix (bad config, 4xx…): the engine skips remaining attempts. */
export class StepPermanentError extends Error {
  override readonly name = 'StepPermanentError';
  constructor(
    message: string,
    readonly code: string = 'STEP_FAILED',
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export interface StepKind<C = unknown> {
  readonly type: string;
  readonly description: string;
  readonly config: z.ZodType<C>;
  /**
   * Deterministic function of its config and the committed scope, with no side effects
   * (transform, condition, switch). The engine may batch its result with the next write instead
   * of checkpointing it; after a crash it is simply computed again.
   */
  readonly pure: boolean;
  /** The branch labels edges from this step may use in `when`, if it branches. */
  branches?(config: C): string[] | 'any';
  execute(config: C, ctx: StepContext): Promise<StepOutcome>;
  /** Undo, run in reverse order when a later step fails the run. */
  compensate?(config: C, ctx: StepContext, output: unknown): Promise<void>;
}

/** Helps a step file keep its config type. */
export const defineStepKind = <C>(kind: StepKind<C>): StepKind<C> => kind;

/** Who a step acts as when it calls another module: the run itself, audited as `system:run:<id>`. */
export const runActor = (ctx: Pick<StepContext, 'tenantId' | 'runId'>): ActorContext => ({
  tenantId: ctx.tenantId,
  actor: { type: 'system', id: `run:${ctx.runId}` },
  requestId: undefined,
  ip: undefined,
  userAgent: undefined,
});
