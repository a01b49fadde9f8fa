import {
  type Attributes,
  type Context,
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { FastifyPluginCallback } from 'fastify';

/**
 * Tracing as the application sees it: only `@opentelemetry/api`, which is a no-op until an SDK
 * registers. The SDK itself (`tracing-sdk.ts`) is loaded by bin/switchyard.mjs before the
 * application, and only when OTLP export is configured, so a process without tracing loads none
 * of it and pays for none of it.
 *
 * What crosses a process boundary is a W3C trace context (`traceparent`, and `tracestate` when
 * there is one), stored on the row the next process picks up (a run, a job): the API's request
 * span, the worker's run span and every step attempt under it share one trace.
 */

/** What the SDK bootstrap leaves for the application (on a global, since it is a separate module). */
export interface TracingHandle {
  /** `@fastify/otel`'s plugin: a span per request with its route, registered before any route. */
  readonly fastifyPlugin?: FastifyPluginCallback;
  readonly serviceName: string;
  /** Flushes spans still buffered; resolves within `timeoutMs` whatever the collector does. */
  shutdown(timeoutMs?: number): Promise<void>;
}

const HANDLE = Symbol.for('switchyard.tracing');

export function tracingHandle(): TracingHandle | undefined {
  return (globalThis as { [HANDLE]?: TracingHandle })[HANDLE];
}

export function setTracingHandle(handle: TracingHandle | undefined): void {
  (globalThis as { [HANDLE]?: TracingHandle })[HANDLE] = handle;
}

export const tracer = () => trace.getTracer('switchyard');

/** The active span's ids, for log lines and problem documents; undefined without tracing. */
export function activeTraceIds(ctx: Context = context.active()): { traceId: string; spanId: string } | undefined {
  const span = trace.getSpan(ctx);
  if (!span) return undefined;
  const sc = span.spanContext();
  return isSpanContextValid(sc) ? { traceId: sc.traceId, spanId: sc.spanId } : undefined;
}

/**
 * The active trace context as one storable string — `traceparent`, then `;` and `tracestate`
 * when there is one — or null without an active (valid) span.
 */
export function captureTraceContext(ctx: Context = context.active()): string | null {
  if (!trace.getSpan(ctx)) return null;
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  const parent = carrier.traceparent;
  if (!parent) return null;
  return carrier.tracestate ? `${parent};${carrier.tracestate}` : parent;
}

/**
 * The active trace context to store with what is being started, or — outside any span (a cron
 * tick, the event relay, a CLI) — a fresh trace of its own: a root span `name`, ended at once, so
 * every later pass of the run or job still lands in one trace. Null without an SDK.
 */
export function traceContextForStart(name: string, attributes: Attributes = {}): string | null {
  const active = captureTraceContext();
  if (active) return active;
  const span = tracer().startSpan(name, { kind: SpanKind.PRODUCER, attributes }, ROOT_CONTEXT);
  try {
    return isSpanContextValid(span.spanContext()) ? captureTraceContext(trace.setSpan(ROOT_CONTEXT, span)) : null;
  } finally {
    span.end();
  }
}

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The context a stored trace context continues; the root context when there is none (or it is malformed). */
export function restoreTraceContext(stored: string | null | undefined): Context {
  if (!stored) return ROOT_CONTEXT;
  const cut = stored.indexOf(';');
  const traceparent = cut === -1 ? stored : stored.slice(0, cut);
  if (!TRACEPARENT.test(traceparent)) return ROOT_CONTEXT;
  const carrier: Record<string, string> = { traceparent };
  if (cut !== -1) carrier.tracestate = stored.slice(cut + 1);
  return propagation.extract(ROOT_CONTEXT, carrier);
}

/**
 * Runs `fn` in a new span under `parent` (default: the active context), ending it when `fn`
 * settles; a throw marks the span as an error. Without an SDK this costs a no-op span.
 */
export async function inSpan<T>(
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes; parent?: Context },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer().startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes ?? {} },
    options.parent ?? context.active(),
    async (span) => {
      try {
        return await fn(span);
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

export { SpanKind, SpanStatusCode };
