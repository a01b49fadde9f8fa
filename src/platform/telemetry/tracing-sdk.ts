import os from 'node:os';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  type Span,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { VERSION } from '../../version.ts';
import { setTracingHandle, type TracingHandle } from './tracing.ts';

/**
 * The OpenTelemetry SDK, started by bin/switchyard.mjs before the application is imported (so
 * the instrumentations patch `http`, `pg`, `ioredis` and undici as they load) and only when
 * an OTLP endpoint is configured (the check is in bin/switchyard.mjs, which runs before any TypeScript loads). Configuration is OpenTelemetry's own environment variables:
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (or `…_TRACES_ENDPOINT`), `OTEL_EXPORTER_OTLP_PROTOCOL`
 * (`http/protobuf`, the default, or `http/json`), `OTEL_EXPORTER_OTLP_HEADERS`,
 * `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER[_ARG]`, `OTEL_BSP_*`.
 */

/** Requests nobody wants a trace of: probes and scrapes, every few seconds. */
const UNTRACED_PATHS = new Set(['/health/live', '/health/ready', '/metrics']);

export class TracingConfigError extends Error {}

const INSTRUMENTATION_NAMES = ['http', 'fastify', 'undici', 'pg', 'ioredis'];

/** Attributes that hold a request's URL or part of it, inbound (http, fastify) or outbound (undici). */
const URL_ATTRIBUTES = ['http.target', 'http.url', 'url.path', 'url.full', 'url.query'];
const SECRET_PATH_SEGMENT = /(\/(?:hooks|approvals)\/)[^/?#]+/i;

/**
 * A URL (or path, or query string) fit for a span: a webhook's key and an approval link's token
 * replaced, and every query value too — SSO codes and emailed tokens inbound, API keys a step put
 * in an outbound URL. Parameter names stay, so the span still says what was asked.
 */
export function redactTelemetryUrl(value: string, attribute = 'url.full'): string {
  if (attribute === 'url.query') return redactQueryString(value);
  const cut = value.indexOf('?');
  const base = (cut === -1 ? value : value.slice(0, cut)).replace(SECRET_PATH_SEGMENT, '$1[redacted]');
  return cut === -1 ? base : `${base}?${redactQueryString(value.slice(cut + 1))}`;
}

function redactQueryString(query: string): string {
  const [q = '', fragment] = query.split('#', 2);
  const redacted = q
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq === -1 ? pair : `${pair.slice(0, eq)}=[redacted]`;
    })
    .join('&');
  return fragment === undefined ? redacted : `${redacted}#${fragment}`;
}

/** Rewrites URL attributes (`redactTelemetryUrl`) when a span starts and again before it ends. */
export class RedactingSpanProcessor implements SpanProcessor {
  onStart(span: Span): void {
    redactSpan(span);
  }
  onEnding(span: Span): void {
    redactSpan(span);
  }
  onEnd(): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function redactSpan(span: Span): void {
  for (const key of URL_ATTRIBUTES) {
    const value = span.attributes[key];
    if (typeof value !== 'string') continue;
    const redacted = redactTelemetryUrl(value, key);
    if (redacted !== value) span.setAttribute(key, redacted);
  }
}

function exporterFor(env: Record<string, string | undefined>): SpanExporter {
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf')
    .trim()
    .toLowerCase();
  if (protocol === 'http/protobuf') return new OTLPProtoTraceExporter();
  if (protocol === 'http/json') return new OTLPJsonTraceExporter();
  throw new TracingConfigError(
    `OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported: use http/protobuf (the default) or http/json ` +
      '(gRPC collectors such as Jaeger and Tempo also listen for OTLP over HTTP on port 4318).',
  );
}

/**
 * Starts tracing for the process running `command` (its service name is `switchyard-<command>`
 * unless `OTEL_SERVICE_NAME` says otherwise) and leaves a handle for the application.
 */
export function startTracing(command: string, env: Record<string, string | undefined>): TracingHandle {
  // The SDK's own troubles (an unreachable collector) as one line on stderr, never a crash.
  diag.setLogger(
    {
      error: (msg) => process.stderr.write(`opentelemetry: ${msg}\n`),
      warn: (msg) => process.stderr.write(`opentelemetry: ${msg}\n`),
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    DiagLogLevel.WARN,
  );
  const exporter = exporterFor(env);
  const serviceName = env.OTEL_SERVICE_NAME?.trim() || `switchyard-${command}`;
  const resource = defaultResource()
    .merge(
      resourceFromAttributes({
        [ATTR_SERVICE_NAME]: serviceName,
        [ATTR_SERVICE_VERSION]: VERSION,
        'service.namespace': 'switchyard',
        'service.instance.id': `${os.hostname()}:${process.pid}`,
        'switchyard.role': command,
      }),
    )
    // OTEL_RESOURCE_ATTRIBUTES last: an operator's attributes win.
    .merge(detectResources({ detectors: [envDetector] }));

  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [new RedactingSpanProcessor(), new BatchSpanProcessor(exporter)],
  });
  provider.register();

  const fastify = new FastifyOtelInstrumentation({
    // One span per request, named by its route; hook and handler spans would be a dozen more.
    instrumentHooks: false,
    instrumentHandler: false,
    ignorePaths: ({ url }: { url: string }) => UNTRACED_PATHS.has(url),
  });
  // OpenTelemetry's own switch (as in auto-instrumentations-node): e.g. `pg,ioredis` for fewer,
  // cheaper spans. The engine's run, step and job spans are ours and always on.
  const disabled = new Set(
    (env.OTEL_NODE_DISABLED_INSTRUMENTATIONS ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  for (const name of disabled) {
    if (!INSTRUMENTATION_NAMES.includes(name)) {
      throw new TracingConfigError(
        `OTEL_NODE_DISABLED_INSTRUMENTATIONS: unknown instrumentation "${name}" (known: ${INSTRUMENTATION_NAMES.join(', ')}).`,
      );
    }
  }
  const instrumentations = {
    http: () =>
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has((req.url ?? '').split('?')[0] ?? ''),
        // Outbound calls go through undici (fetch), traced below; `http` is inbound only.
        ignoreOutgoingRequestHook: () => true,
      }),
    undici: () => new UndiciInstrumentation(),
    // Statements only inside a trace: the workers' claim polls would otherwise be a root trace a second.
    pg: () =>
      new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false, ignoreConnectSpans: true }),
    // Command names only: arguments can be payloads and keys.
    ioredis: () => new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (cmd) => cmd }),
    fastify: () => fastify,
  };
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: Object.entries(instrumentations)
      .filter(([name]) => !disabled.has(name))
      .map(([, make]) => make()),
  });

  const handle: TracingHandle = {
    ...(disabled.has('fastify') ? {} : { fastifyPlugin: fastify.plugin() }),
    serviceName,
    async shutdown(timeoutMs = 5_000) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        provider.shutdown().catch(() => undefined),
        new Promise<void>((r) => {
          timer = setTimeout(r, timeoutMs);
          timer.unref();
        }),
      ]);
      if (timer) clearTimeout(timer);
    },
  };
  setTracingHandle(handle);
  return handle;
}
