/**
 * Shapes and limits shared by the sandbox pool (sandbox.ts), its worker (worker.ts) and the
 * QuickJS evaluator (evaluator.ts). No runtime dependencies, so the main thread never loads
 * QuickJS itself.
 */

export type SandboxErrorCode =
  'SANDBOX_TIMEOUT' | 'SANDBOX_MEMORY' | 'SANDBOX_ERROR' | 'SANDBOX_OUTPUT_TOO_LARGE' | 'SANDBOX_BAD_RESULT';

export interface SandboxError {
  code: SandboxErrorCode;
  message: string;
  /**
   * Set only when the failure came from the sandbox machinery rather than the code (the sandbox was
   * closed, a worker could not start or died): the same code may well succeed if run again.
   */
  retryable?: true;
}

export type SandboxResult =
  | { ok: true; value: unknown; logs: string[]; durationMs: number }
  | { ok: false; error: SandboxError; logs: string[]; durationMs: number };

export interface SandboxLimits {
  /** Time the code may run (interrupt handler inside the worker). Default 1000 ms. */
  timeoutMs?: number;
  /** Memory of the QuickJS runtime (heap, strings, input copy). Default 32 MiB. */
  memoryBytes?: number;
  /** Size of the result as UTF-8 JSON. Default 256 KiB. */
  maxOutputBytes?: number;
  /** Console lines kept; further lines are counted, not kept. Default 100. */
  maxLogLines?: number;
}

export type ResolvedLimits = Required<SandboxLimits>;

export const SANDBOX_DEFAULTS: ResolvedLimits = {
  timeoutMs: 1000,
  memoryBytes: 32 * 1024 * 1024,
  maxOutputBytes: 256 * 1024,
  maxLogLines: 100,
};

/** Hard bounds a caller cannot go past, whatever it asks for. */
const BOUNDS: Record<keyof ResolvedLimits, [min: number, max: number]> = {
  timeoutMs: [1, 5 * 60_000],
  memoryBytes: [256 * 1024, 1024 * 1024 * 1024],
  maxOutputBytes: [0, 64 * 1024 * 1024],
  maxLogLines: [0, 10_000],
};

/** Fills defaults and clamps to the hard bounds; a non-finite value means "default". */
export function resolveLimits(limits: SandboxLimits = {}): ResolvedLimits {
  const out = { ...SANDBOX_DEFAULTS };
  for (const key of Object.keys(BOUNDS) as (keyof ResolvedLimits)[]) {
    const value = limits[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) continue;
    const [min, max] = BOUNDS[key];
    out[key] = Math.min(max, Math.max(min, Math.floor(value)));
  }
  return out;
}

/** Stack the QuickJS interpreter may use. 512 KiB lets some native recursions (JSON.stringify of
 * deeply nested arrays) overflow the host's own stack first; 256 KiB keeps QuickJS's check first. */
export const SANDBOX_STACK_BYTES = 256 * 1024;

/** Longest console line kept, in UTF-16 units (longer lines are cut and end with "…"). */
export const MAX_LOG_LINE_CHARS = 2000;

/** Messages between the pool (main thread) and a worker. */
export interface WorkerRequest {
  id: number;
  code: string;
  /** JSON text of the input, or undefined when the input is undefined. */
  inputJson: string | undefined;
  limits: ResolvedLimits;
}

/** What the evaluator returns: the result as JSON text, parsed on the caller's side. */
export type EvalOutcome =
  | { ok: true; json: string; logs: string[]; durationMs: number }
  | { ok: false; error: SandboxError; logs: string[]; durationMs: number };

export type WorkerMessage = { type: 'ready' } | { type: 'result'; id: number; outcome: EvalOutcome };
