import { z } from 'zod';
import type { SandboxResult } from '../../../platform/sandbox/sandbox.ts';
import { defineStepKind, StepPermanentError } from './step-kind.ts';

/**
 * What this step expects `ctx.services.runCode` to resolve to: the sandbox's `SandboxResult`
 * (src/platform/sandbox). `StepServices.runCode` is typed `Promise<unknown>`, so the engine passes
 * `(code, input, limits) => sandbox.run(code, input, limits)` and the shape is checked here.
 */
export type RunCodeResult = SandboxResult;

const Config = z.strictObject({
  /** Body of an async function of `input` ({ trigger, steps, item?, index? }); `return` gives the output. */
  code: z.string().min(1).max(100_000),
  /** CPU time the code may use (default: the sandbox's, 1000 ms). */
  timeoutMs: z.number().int().min(10).max(30_000).optional(),
  /** Memory the code may use (default: the sandbox's, 32 MiB). */
  memoryMb: z.number().int().min(1).max(256).optional(),
});

/**
 * Runs user JavaScript in the sandbox (QuickJS in a worker thread: no require/import, process,
 * network, timers or host objects). Its input is a JSON copy of the trigger and the completed
 * steps' outputs (plus the loop's item and index); its return value, JSON data, is the output.
 * Console lines go to the step log.
 *
 * Failures: a timeout or a sandbox-side failure marked retryable (worker died, sandbox closing)
 * throws a plain Error, so the engine retries; everything the code itself decides — an uncaught
 * exception, too much memory, a result that is not JSON or is too large — is permanent.
 */
export const codeStep = defineStepKind({
  type: 'code',
  description: 'Runs JavaScript in a sandbox; what it returns (JSON data) is the step output.',
  config: Config,
  pure: false,
  async execute(config, ctx) {
    const runCode = ctx.services.runCode;
    if (!runCode) throw new StepPermanentError('Running code is not available in this process.', 'STEP_UNAVAILABLE');
    ctx.signal.throwIfAborted();

    const { trigger, steps, item, index } = ctx.scope;
    const input: Record<string, unknown> = { trigger, steps };
    if (item !== undefined) input.item = item;
    if (index !== undefined) input.index = index;
    const limits: { timeoutMs?: number; memoryBytes?: number } = {};
    if (config.timeoutMs !== undefined) limits.timeoutMs = config.timeoutMs;
    if (config.memoryMb !== undefined) limits.memoryBytes = config.memoryMb * 1024 * 1024;

    const result = await runCode(config.code, input, limits);
    if (!isSandboxResult(result)) throw new Error('The sandbox returned an unexpected result.');
    for (const line of result.logs) ctx.log('info', line);
    if (result.ok) return { kind: 'done', output: result.value };

    const { code, message } = result.error;
    if (code === 'SANDBOX_TIMEOUT' || result.error.retryable) throw Object.assign(new Error(message), { code });
    throw new StepPermanentError(message, code);
  },
});

function isSandboxResult(value: unknown): value is RunCodeResult {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  if (!Array.isArray(r.logs) || !r.logs.every((l) => typeof l === 'string')) return false;
  if (r.ok === true) return 'value' in r;
  if (r.ok !== false || typeof r.error !== 'object' || r.error === null) return false;
  const e = r.error as Record<string, unknown>;
  return typeof e.code === 'string' && typeof e.message === 'string';
}
