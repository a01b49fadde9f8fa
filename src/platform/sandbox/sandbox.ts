/**
 * The user-code sandbox: runs untrusted JavaScript (the workflow `code` step) in QuickJS compiled
 * to WebAssembly, inside a small pool of worker threads. See README.md in this folder for what it
 * guarantees.
 *
 * Why workers: QuickJS runs synchronously, so a run in the main thread would block the engine's
 * event loop for up to its time limit. A worker also gives a hard backstop: if one does not answer
 * within the time limit plus WATCHDOG_GRACE_MS (the in-VM interrupt handler failed, or the module
 * hung), it is terminated and replaced, and the run fails with SANDBOX_TIMEOUT.
 *
 * `run` never throws and never rejects: every failure, including a crashed worker, is a
 * SandboxResult. Input crosses as JSON text (a deep copy; only JSON data survives) and so does
 * the result.
 */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ROOT } from '../../paths.ts';
import {
  resolveLimits,
  type EvalOutcome,
  type ResolvedLimits,
  type SandboxError,
  type SandboxLimits,
  type SandboxResult,
  type WorkerMessage,
} from './types.ts';

export type { SandboxError, SandboxErrorCode, SandboxLimits, SandboxResult } from './types.ts';
export { SANDBOX_DEFAULTS } from './types.ts';

export interface SandboxOptions {
  /** Worker threads, each running one evaluation at a time. Default: CPU count clamped to 2..4. */
  poolSize?: number;
}

export interface Sandbox {
  /**
   * Runs `code` as the body of an async function whose one parameter is `input` (a JSON copy);
   * resolves with what it returns (or the value its promise settles with), as JSON data.
   */
  run(code: string, input: unknown, limits?: SandboxLimits): Promise<SandboxResult>;
  /** Terminates the workers; runs still queued or running resolve with a retryable SANDBOX_ERROR. */
  close(): Promise<void>;
}

// From the checkout root, not this module: the same path from src/ (tsx) and from the dist/ build.
const WORKER_URL = pathToFileURL(path.join(ROOT, 'src', 'platform', 'sandbox', 'worker-boot.mjs'));
/** How long past its time limit a worker may stay silent before it is terminated. */
const WATCHDOG_GRACE_MS = 2000;
/** Workers that died before becoming ready, in a row, after which no more are started for now. */
const MAX_START_FAILURES = 3;

interface Job {
  code: string;
  inputJson: string | undefined;
  limits: ResolvedLimits;
  queuedAt: number;
  resolve(result: SandboxResult): void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  running?: { id: number; job: Job; timer: NodeJS.Timeout };
}

const defaultPoolSize = () => Math.min(4, Math.max(2, availableParallelism()));

const sinceMs = (since: number) => Math.round((performance.now() - since) * 100) / 100;

function failed(error: SandboxError, since: number, logs: string[] = []): SandboxResult {
  return { ok: false, error, logs, durationMs: sinceMs(since) };
}

function toResult(outcome: EvalOutcome): SandboxResult {
  if (!outcome.ok) return outcome;
  return { ok: true, value: JSON.parse(outcome.json) as unknown, logs: outcome.logs, durationMs: outcome.durationMs };
}

export function createSandbox(options: SandboxOptions = {}): Sandbox {
  const poolSize = Math.max(1, Math.floor(options.poolSize ?? defaultPoolSize()));
  const slots = new Set<Slot>();
  const queue: Job[] = [];
  let closed = false;
  let nextId = 1;
  let startFailures = 0;

  const unavailable = (): SandboxError => ({
    code: 'SANDBOX_ERROR',
    message: 'the sandbox could not start',
    retryable: true,
  });

  function spawn(): void {
    let worker: Worker;
    try {
      worker = new Worker(WORKER_URL, { execArgv: [] });
    } catch {
      startFailed();
      return;
    }
    const slot: Slot = { worker, ready: false };
    slots.add(slot);
    // A worker keeps the process alive only while it starts for, or runs, a queued evaluation.
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'ready') {
        slot.ready = true;
        startFailures = 0;
        pump();
        if (!slot.running) worker.unref();
        return;
      }
      const running = slot.running;
      if (!running || running.id !== message.id) return;
      clearTimeout(running.timer);
      slot.running = undefined;
      worker.unref();
      let result: SandboxResult;
      try {
        result = toResult(message.outcome);
      } catch {
        result = failed({ code: 'SANDBOX_BAD_RESULT', message: 'the result could not be read' }, running.job.queuedAt);
      }
      running.job.resolve(result);
      pump();
    });
    worker.on('error', () => retire(slot, 'crashed'));
    worker.on('exit', () => retire(slot, 'crashed'));
  }

  function startFailed(): void {
    startFailures += 1;
    if (![...slots].some((s) => s.ready)) {
      // Nothing can serve the queue: fail it now (retryable); the next run tries to start again.
      for (const job of queue.splice(0)) job.resolve(failed(unavailable(), job.queuedAt));
      startFailures = 0;
    }
  }

  /** Removes a worker from the pool (idempotent) and settles the run it had, if any. */
  function retire(slot: Slot, reason: 'crashed' | 'timeout'): void {
    if (!slots.delete(slot)) return;
    slot.worker.terminate().catch(() => undefined);
    const running = slot.running;
    slot.running = undefined;
    if (running) {
      clearTimeout(running.timer);
      const { job } = running;
      const error: SandboxError =
        reason === 'timeout'
          ? { code: 'SANDBOX_TIMEOUT', message: `the code ran longer than its time limit (${job.limits.timeoutMs} ms)` }
          : { code: 'SANDBOX_ERROR', message: 'the sandbox worker stopped unexpectedly', retryable: true };
      job.resolve(failed(error, job.queuedAt));
    } else if (!slot.ready) {
      startFailed();
    }
    if (!closed) pump();
  }

  function dispatch(slot: Slot, job: Job): void {
    const id = nextId++;
    const timer = setTimeout(() => retire(slot, 'timeout'), job.limits.timeoutMs + WATCHDOG_GRACE_MS);
    timer.unref();
    slot.running = { id, job, timer };
    slot.worker.ref();
    slot.worker.postMessage({ id, code: job.code, inputJson: job.inputJson, limits: job.limits });
  }

  function pump(): void {
    while (queue.length > 0 && !closed) {
      const all = [...slots];
      const idle = all.find((s) => s.ready && !s.running);
      if (idle) {
        const job = queue.shift();
        if (job) dispatch(idle, job);
        continue;
      }
      const starting = all.filter((s) => !s.ready).length;
      if (slots.size >= poolSize || starting >= queue.length) return;
      // After repeated start failures, wait for the workers there are; with none, try again.
      if (startFailures >= MAX_START_FAILURES && slots.size > 0) return;
      const before = slots.size;
      spawn();
      if (slots.size === before) return; // could not create a worker; startFailed() handled the queue
    }
  }

  return {
    async run(code, input, limits) {
      const queuedAt = performance.now();
      if (closed) return failed({ code: 'SANDBOX_ERROR', message: 'the sandbox is closed', retryable: true }, queuedAt);
      if (typeof code !== 'string') {
        return failed({ code: 'SANDBOX_ERROR', message: 'the code must be a string' }, queuedAt);
      }
      let inputJson: string | undefined;
      let resolved: ResolvedLimits;
      try {
        inputJson = JSON.stringify(input);
        resolved = resolveLimits(limits ?? undefined);
      } catch {
        return failed({ code: 'SANDBOX_ERROR', message: 'the input is not JSON-serialisable' }, queuedAt);
      }
      return new Promise<SandboxResult>((resolve) => {
        queue.push({ code, inputJson, limits: resolved, queuedAt, resolve });
        pump();
      });
    },

    async close() {
      closed = true;
      const error: SandboxError = { code: 'SANDBOX_ERROR', message: 'the sandbox is closed', retryable: true };
      for (const job of queue.splice(0)) job.resolve(failed(error, job.queuedAt));
      const stopping = [...slots].map((slot) => {
        slots.delete(slot);
        if (slot.running) {
          clearTimeout(slot.running.timer);
          slot.running.job.resolve(failed(error, slot.running.job.queuedAt));
          slot.running = undefined;
        }
        return slot.worker.terminate().catch(() => undefined);
      });
      await Promise.all(stopping);
    },
  };
}
