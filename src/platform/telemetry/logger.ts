import pino, { type Logger } from 'pino';
import { activeTraceIds } from './tracing.ts';

/**
 * Paths pino blanks out wherever they appear in a log line. Secrets must never reach a log:
 * headers that carry credentials, and any field named like one in a logged object.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.secret',
  '*.apiKey',
  '*.databaseUrl',
  'config.database.url',
];

/** Query parameters that carry one-time secrets (SSO `code`/`state`, emailed tokens). */
const SECRET_QUERY_PARAMS = /([?&](?:code|state|token|access_token|refresh_token)=)[^&#]*/gi;

/**
 * Path segments that are credentials themselves: a webhook's key (`/hooks/<key>`) and an approval
 * link's token (`/approvals/<token>`). Whoever reads the logs must not be able to call them.
 */
const SECRET_PATH_SEGMENTS = /^(\/(?:hooks|approvals)\/)[^/?#]+/i;

/** A request URL fit for a log line: credentials in the path and the query string replaced. */
export const redactQuery = (url: string) =>
  url.replace(SECRET_PATH_SEGMENTS, '$1[redacted]').replace(SECRET_QUERY_PARAMS, '$1[redacted]');

interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/** Fastify's request serializer, with credentials in the URL redacted. */
const serializers = {
  req: (req: LoggedRequest) => ({
    method: req.method,
    url: req.url ? redactQuery(req.url) : req.url,
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  }),
};

export interface LoggerOptions {
  level: string;
  pretty: boolean;
  /** Where lines go; tests pass a stream to read them back. Defaults to stdout. */
  destination?: pino.DestinationStream;
}

function traceFields(): Record<string, string> {
  const ids = activeTraceIds();
  return ids ? { trace_id: ids.traceId, span_id: ids.spanId } : {};
}

export function createLogger(options: LoggerOptions): Logger {
  const base: pino.LoggerOptions = {
    level: options.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { pid: process.pid, service: 'switchyard' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    serializers,
    // With tracing on, every line written inside a span names it (trace_id/span_id, as in
    // OpenTelemetry's log data model), so a log search leads to the trace and back.
    mixin: traceFields,
  };
  if (options.destination) return pino(base, options.destination);
  if (options.pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  return pino(base);
}

/** Masks the password in a connection URL so it can be logged. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '*****';
    return u.toString();
  } catch {
    return '[unparseable url]';
  }
}
