/**
 * Runs one piece of user code in QuickJS (compiled to WebAssembly), synchronously, in whatever
 * thread calls it — the pool (sandbox.ts) calls it only inside worker threads (worker.ts), so a
 * long run never blocks the engine's event loop.
 *
 * Every run gets a fresh runtime and context (≈0.5 ms with the module loaded), so nothing a run
 * does — globals, prototype pollution, pending jobs — survives into the next one. The WebAssembly
 * module itself is shared by the runs of one worker and replaced when its state can no longer be
 * trusted:
 * - after an out-of-memory error or a timeout: disposing such a runtime can abort the whole module
 *   ("Assertion failed: list_empty(&rt->gc_obj_list)"), so the runtime is dropped undisposed and
 *   a new module loaded (~15–40 ms);
 * - after any exception that escaped QuickJS into the host (host stack exhausted inside wasm, an
 *   abort) or a failed dispose;
 * - when its linear memory has grown past RECYCLE_MEMORY_BYTES (wasm memory never shrinks).
 */
import {
  newQuickJSWASMModuleFromVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSWASMModule,
} from 'quickjs-emscripten-core';
import {
  MAX_LOG_LINE_CHARS,
  SANDBOX_STACK_BYTES,
  type EvalOutcome,
  type ResolvedLimits,
  type SandboxError,
  type SandboxErrorCode,
} from './types.ts';

/** Replace the module once a run has left its linear memory larger than this. */
const RECYCLE_MEMORY_BYTES = 128 * 1024 * 1024;
/** After the code has finished: time and extra memory allowed for reading its result or error. */
const POST_RUN_GRACE_MS = 50;
const POST_RUN_HEADROOM_BYTES = 4 * 1024 * 1024;

const LEVEL_PREFIX: Record<string, string> = {
  log: '',
  info: '',
  warn: '[warn] ',
  error: '[error] ',
  debug: '[debug] ',
};

/**
 * Evaluated once per context. Receives the host's log function (kept in this closure, never on the
 * global object) and returns the driver the host calls: `run`, `serialise`, `describe`. Built-ins
 * are captured first so code that replaces `JSON` or `String` cannot confuse the driver.
 */
const PRELUDE = String.raw`(function (hostLog, maxLine) {
  'use strict';
  const AsyncFunction = (async function () {}).constructor;
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const Str = String;
  const Num = Number;
  const ErrorCtor = Error;
  const InternalErrorCtor = InternalError;
  const lineRe = /<input>:(\d+)/;
  const exec = (re, s) => re.exec(s);

  const fmt = (v) => {
    switch (typeof v) {
      case 'string': return v;
      case 'undefined': return 'undefined';
      case 'function': return '[Function ' + (v.name || '(anonymous)') + ']';
      case 'bigint': return Str(v) + 'n';
      case 'symbol': return v.toString();
      case 'object':
        if (v === null) return 'null';
        if (v instanceof ErrorCtor) return Str(v.name) + ': ' + Str(v.message);
        try {
          const s = stringify(v);
          return s === undefined ? Str(v) : s;
        } catch {
          return '[unserialisable object]';
        }
      default: return Str(v);
    }
  };
  const write = (level) => function () {
    let line = '';
    for (let i = 0; i < arguments.length && line.length <= maxLine; i++) line += (i ? ' ' : '') + fmt(arguments[i]);
    if (line.length > maxLine) line = line.slice(0, maxLine) + '…';
    hostLog(level, line);
  };
  globalThis.console = {
    log: write('log'), info: write('info'), warn: write('warn'), error: write('error'), debug: write('debug'),
  };

  // The code is compiled as the body of "async function anonymous(input\n) {\n": its line 1 is line 3.
  const lineOf = (e) => {
    if (e.fileName === '<input>' && typeof e.lineNumber === 'number') return e.lineNumber - 2;
    const m = exec(lineRe, Str(e.stack));
    return m ? Num(m[1]) - 2 : 0;
  };

  return {
    run(code, inputJson) {
      const fn = new AsyncFunction('input', code);
      return fn(inputJson === undefined ? undefined : parse(inputJson));
    },
    serialise(value) {
      return stringify(value);
    },
    describe(e) {
      let kind = 'error';
      let text = 'Uncaught exception';
      try {
        if (e === null || e === undefined) {
          kind = Str(e);
          text = 'Uncaught ' + Str(e);
        } else if (e instanceof ErrorCtor) {
          if (e instanceof InternalErrorCtor && e.message === 'out of memory') kind = 'oom';
          text = Str(e.name) + ': ' + Str(e.message);
          const line = lineOf(e);
          if (line > 0) text += ' (line ' + line + ')';
        } else if (typeof e === 'string') {
          text = 'Uncaught ' + e;
        } else {
          const s = stringify(e);
          text = 'Uncaught ' + (s === undefined ? Str(e) : s);
        }
      } catch {
        // keep the generic text
      }
      if (text.length > 2000) text = text.slice(0, 2000) + '…';
      return stringify({ kind, text });
    },
  };
})`;

interface RunRequest {
  code: string;
  inputJson: string | undefined;
  limits: ResolvedLimits;
}

type Verdict = { ok: true; json: string } | { ok: false; error: SandboxError };

const failure = (code: SandboxErrorCode, message: string): Verdict => ({ ok: false, error: { code, message } });

export class Evaluator {
  #module: QuickJSWASMModule | undefined;
  #loading: Promise<QuickJSWASMModule> | undefined;
  /** How many WebAssembly modules this evaluator has loaded (1 + replacements). */
  modulesLoaded = 0;

  /** Loads the module ahead of the first run. */
  async ready(): Promise<void> {
    await this.#getModule();
  }

  #getModule(): Promise<QuickJSWASMModule> {
    if (this.#module) return Promise.resolve(this.#module);
    this.#loading ??= newQuickJSWASMModuleFromVariant(import('@jitl/quickjs-wasmfile-release-sync')).then(
      (module) => {
        this.#module = module;
        this.#loading = undefined;
        this.modulesLoaded += 1;
        return module;
      },
      (err: unknown) => {
        this.#loading = undefined;
        throw err;
      },
    );
    return this.#loading;
  }

  /** Never throws: every failure is an outcome. */
  async run(request: RunRequest): Promise<EvalOutcome> {
    const started = performance.now();
    let module: QuickJSWASMModule;
    try {
      module = await this.#getModule();
    } catch {
      const error: SandboxError = { code: 'SANDBOX_ERROR', message: 'the sandbox could not start', retryable: true };
      return { ok: false, error, logs: [], durationMs: elapsed(started) };
    }
    const { outcome, discardModule } = evaluate(module, request);
    if (discardModule || wasmMemoryBytes(module) > RECYCLE_MEMORY_BYTES) {
      // Drop it (the garbage collector frees its memory) and load the next one right away.
      this.#module = undefined;
      this.#getModule().catch(() => undefined);
    }
    return outcome;
  }
}

function wasmMemoryBytes(module: QuickJSWASMModule): number {
  try {
    return module.getWasmMemory().buffer.byteLength;
  } catch {
    return 0;
  }
}

const elapsed = (since: number) => Math.round((performance.now() - since) * 100) / 100;

function evaluate(module: QuickJSWASMModule, { code, inputJson, limits }: RunRequest) {
  const started = performance.now();
  const logs: string[] = [];
  let droppedLogs = 0;
  const handles: QuickJSHandle[] = [];
  const keep = (handle: QuickJSHandle): QuickJSHandle => {
    handles.push(handle);
    return handle;
  };

  let runtime: QuickJSRuntime | undefined;
  let context: QuickJSContext | undefined;
  let deadline = Infinity;
  // Set only while user code may run (the code itself, then its result's toJSON/getters).
  let userPhase = false;
  let interrupted = false;
  let discardModule = false;
  let verdict: Verdict;

  try {
    runtime = module.newRuntime();
    runtime.setMaxStackSize(SANDBOX_STACK_BYTES);
    runtime.setInterruptHandler(() => {
      if (performance.now() <= deadline) return false;
      if (userPhase) interrupted = true;
      return true;
    });
    const ctx = runtime.newContext();
    context = ctx;
    const rt = runtime;

    const hostLog = keep(
      ctx.newFunction('log', (levelHandle, lineHandle) => {
        if (logs.length >= limits.maxLogLines) {
          droppedLogs += 1;
          return;
        }
        try {
          logs.push((LEVEL_PREFIX[ctx.getString(levelHandle)] ?? '') + ctx.getString(lineHandle));
        } catch {
          droppedLogs += 1; // the line could not be copied out (memory exhausted)
        }
      }),
    );
    const prelude = keep(ctx.unwrapResult(ctx.evalCode(PRELUDE, 'sandbox-prelude.js')));
    const maxLine = keep(ctx.newNumber(MAX_LOG_LINE_CHARS));
    const driver = keep(ctx.unwrapResult(ctx.callFunction(prelude, ctx.undefined, hostLog, maxLine)));
    const runFn = keep(ctx.getProp(driver, 'run'));
    const serialiseFn = keep(ctx.getProp(driver, 'serialise'));
    const describeFn = keep(ctx.getProp(driver, 'describe'));
    const codeHandle = keep(ctx.newString(code));
    const inputHandle = inputJson === undefined ? ctx.undefined : keep(ctx.newString(inputJson));

    /** From here on the code's own limits apply. */
    const enterUserPhase = () => {
      rt.setMemoryLimit(limits.memoryBytes);
      deadline = performance.now() + limits.timeoutMs;
      userPhase = true;
    };
    /** Reading the result or the error: a little slack so that reading cannot itself fail. */
    const enterPostPhase = () => {
      userPhase = false;
      rt.setMemoryLimit(limits.memoryBytes + POST_RUN_HEADROOM_BYTES);
      deadline = performance.now() + POST_RUN_GRACE_MS;
    };

    const timeout = () =>
      failure('SANDBOX_TIMEOUT', `the code ran longer than its time limit (${limits.timeoutMs} ms)`);
    const memoryMessage = () => `the code used more than its memory limit (${formatBytes(limits.memoryBytes)})`;
    const memory = () => failure('SANDBOX_MEMORY', memoryMessage());

    /** Classifies an exception thrown by the code (or by QuickJS on its behalf). */
    const fromException = (exception: QuickJSHandle, as: SandboxErrorCode, prefix = ''): Verdict => {
      if (interrupted) return timeout();
      enterPostPhase();
      let kind = 'unknown';
      let text = 'Uncaught exception';
      const described = ctx.callFunction(describeFn, ctx.undefined, exception);
      if (described.error) {
        keep(described.error);
      } else {
        try {
          const parsed = JSON.parse(ctx.getString(keep(described.value))) as { kind: string; text: string };
          ({ kind, text } = parsed);
        } catch {
          // keep the generic text
        }
      }
      if (kind === 'oom') return memory();
      // When QuickJS cannot even allocate the "out of memory" error, the exception is `null`; by
      // then the memory may already be freed, so a thrown `null` is indistinguishable from it.
      if (kind === 'null') return failure('SANDBOX_MEMORY', `${memoryMessage()}, or threw null`);
      return failure(as, prefix + text);
    };

    enterUserPhase();
    verdict = (() => {
      const call = ctx.callFunction(runFn, ctx.undefined, codeHandle, inputHandle);
      if (call.error) return fromException(keep(call.error), 'SANDBOX_ERROR');
      const promise = keep(call.value);

      let value: QuickJSHandle | undefined;
      while (value === undefined) {
        const state = ctx.getPromiseState(promise);
        if (state.type === 'fulfilled') {
          value = keep(state.value);
        } else if (state.type === 'rejected') {
          return fromException(keep(state.error), 'SANDBOX_ERROR');
        } else {
          if (performance.now() > deadline) return timeout();
          if (!rt.hasPendingJob()) {
            return failure(
              'SANDBOX_ERROR',
              'the code awaited a promise that never settles (the sandbox has no timers or I/O)',
            );
          }
          const jobs = rt.executePendingJobs();
          if (jobs.error) return fromException(keep(jobs.error), 'SANDBOX_ERROR');
        }
      }

      // The result: JSON.stringify semantics (toJSON, nested functions and undefined dropped,
      // NaN → null); undefined → null; a top-level function or symbol is refused.
      const type = ctx.typeof(value);
      if (type === 'undefined') return { ok: true, json: 'null' };
      if (type === 'function' || type === 'symbol') {
        return failure('SANDBOX_BAD_RESULT', `the code returned a ${type}; return JSON-serialisable data`);
      }
      const serialised = ctx.callFunction(serialiseFn, ctx.undefined, value);
      if (serialised.error) {
        return fromException(keep(serialised.error), 'SANDBOX_BAD_RESULT', 'the result is not JSON-serialisable: ');
      }
      const json = keep(serialised.value);
      enterPostPhase();
      if (ctx.typeof(json) !== 'string') {
        return failure('SANDBOX_BAD_RESULT', 'the result is not JSON-serialisable');
      }
      const tooLarge = () =>
        failure(
          'SANDBOX_OUTPUT_TOO_LARGE',
          `the result is larger than the output limit (${formatBytes(limits.maxOutputBytes)} of JSON)`,
        );
      // UTF-8 never takes fewer bytes than UTF-16 code units: refuse without copying when obvious.
      if (ctx.getNumber(keep(ctx.getProp(json, 'length'))) > limits.maxOutputBytes) return tooLarge();
      const text = ctx.getString(json);
      if (Buffer.byteLength(text) > limits.maxOutputBytes) return tooLarge();
      return { ok: true, json: text };
    })();
  } catch (err) {
    // An exception escaped QuickJS into the host: the module's state is unknown.
    discardModule = true;
    verdict = interrupted
      ? failure('SANDBOX_TIMEOUT', `the code ran longer than its time limit (${limits.timeoutMs} ms)`)
      : err instanceof RangeError && /call stack/i.test(err.message)
        ? failure('SANDBOX_ERROR', 'InternalError: stack overflow')
        : failure('SANDBOX_ERROR', 'the code crashed the interpreter');
  }

  // Disposing a runtime after an OOM, or after an interrupt in the middle of promise jobs, can abort
  // the module (measured): drop such runtimes undisposed, with their module.
  if (!verdict.ok && (verdict.error.code === 'SANDBOX_MEMORY' || verdict.error.code === 'SANDBOX_TIMEOUT')) {
    discardModule = true;
  }
  if (!discardModule) {
    try {
      for (const handle of handles.reverse()) if (handle.alive) handle.dispose();
      context?.dispose();
      runtime?.dispose();
    } catch {
      discardModule = true;
    }
  }

  if (droppedLogs > 0) logs.push(`… ${droppedLogs} more log line(s) dropped (limit ${limits.maxLogLines})`);
  const durationMs = elapsed(started);
  const outcome: EvalOutcome = verdict.ok
    ? { ok: true, json: verdict.json, logs, durationMs }
    : { ok: false, error: verdict.error, logs, durationMs };
  return { outcome, discardModule };
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
