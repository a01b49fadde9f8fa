import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small OTLP/HTTP trace receiver, as a collector (Jaeger, Tempo, the OpenTelemetry Collector)
 * is one: `POST /v1/traces` with an `ExportTraceServiceRequest`, as protobuf
 * (`application/x-protobuf`, the default `http/protobuf` protocol) or JSON (`http/json`). The
 * protobuf is decoded here from the wire format (the handful of fields a test reads), so the
 * exporters are checked against the protocol, not against themselves.
 */

export interface CollectedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, unknown>;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  /** The exporting process's resource attributes (`service.name`, `service.instance.id`…). */
  resource: Record<string, unknown>;
  /** How it arrived. */
  encoding: 'protobuf' | 'json';
}

export interface OtlpCollector {
  /** The base URL, for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  url: string;
  spans: CollectedSpan[];
  /** Requests that were not a decodable export (content type, path): a test can assert none. */
  rejected: string[];
  /** Resolves once `predicate` holds over the spans received so far (or rejects after `timeoutMs`). */
  waitFor(predicate: (spans: CollectedSpan[]) => boolean, what: string, timeoutMs?: number): Promise<CollectedSpan[]>;
  close(): Promise<void>;
}

export async function startOtlpCollector(): Promise<OtlpCollector> {
  const spans: CollectedSpan[] = [];
  const rejected: string[] = [];
  const waiters = new Set<() => void>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim();
      try {
        if (req.method !== 'POST' || req.url !== '/v1/traces') throw new Error(`${req.method} ${req.url}`);
        if (type === 'application/x-protobuf') spans.push(...decodeProtobuf(body));
        else if (type === 'application/json') spans.push(...decodeJson(JSON.parse(body.toString('utf8'))));
        else throw new Error(`content type ${type}`);
      } catch (err) {
        rejected.push((err as Error).message);
        res.writeHead(400, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      for (const w of waiters) w();
      // An empty ExportTraceServiceResponse, in the request's encoding.
      if (type === 'application/json') res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    rejected,
    async waitFor(predicate, what, timeoutMs = 20_000) {
      const end = Date.now() + timeoutMs;
      while (!predicate(spans)) {
        if (Date.now() > end) {
          const seen = spans.map((s) => `${String(s.resource['service.name'])}:${s.name}`).join(', ');
          throw new Error(`timed out waiting for ${what}; received ${spans.length} spans: ${seen}`);
        }
        await new Promise<void>((r) => {
          const done = () => {
            waiters.delete(done);
            clearTimeout(t);
            r();
          };
          const t = setTimeout(done, 250);
          waiters.add(done);
        });
      }
      return spans;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

// ---------------------------------------------------------------- protobuf (wire format)

type Field = { no: number; wire: number; value: bigint | Buffer };

/** The fields of one message, in order (varint, fixed64, length-delimited, fixed32). */
function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buf[i++];
      if (byte === undefined) throw new Error('truncated varint');
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const no = key >> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ no, wire, value: varint() });
    else if (wire === 1) {
      out.push({ no, wire, value: buf.readBigUInt64LE(i) });
      i += 8;
    } else if (wire === 2) {
      const len = Number(varint());
      out.push({ no, wire, value: buf.subarray(i, i + len) });
      i += len;
    } else if (wire === 5) {
      out.push({ no, wire, value: BigInt(buf.readUInt32LE(i)) });
      i += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

const sub = (f: Field[], no: number): Buffer[] =>
  f.filter((x) => x.no === no && Buffer.isBuffer(x.value)).map((x) => x.value as Buffer);
const num = (f: Field[], no: number): number => {
  const v = f.find((x) => x.no === no)?.value;
  return typeof v === 'bigint' ? Number(v) : 0;
};
const str = (f: Field[], no: number): string => sub(f, no)[0]?.toString('utf8') ?? '';
const hex = (f: Field[], no: number): string => sub(f, no)[0]?.toString('hex') ?? '';

/** AnyValue: string 1, bool 2, int 3, double 4 (arrays and maps are not needed here). */
function anyValue(buf: Buffer): unknown {
  const f = fields(buf);
  const first = f[0];
  if (!first) return undefined;
  if (first.no === 1) return (first.value as Buffer).toString('utf8');
  if (first.no === 2) return first.value === 1n;
  if (first.no === 3) return Number(BigInt.asIntN(64, first.value as bigint));
  if (first.no === 4) return Buffer.from((first.value as bigint).toString(16).padStart(16, '0'), 'hex').readDoubleBE(0);
  return undefined;
}

function keyValues(bufs: Buffer[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const b of bufs) {
    const f = fields(b);
    const value = sub(f, 2)[0];
    out[str(f, 1)] = value ? anyValue(value) : undefined;
  }
  return out;
}

function decodeProtobuf(body: Buffer): CollectedSpan[] {
  const out: CollectedSpan[] = [];
  for (const rs of sub(fields(body), 1)) {
    const rsf = fields(rs);
    const resourceBuf = sub(rsf, 1)[0];
    const resource = resourceBuf ? keyValues(sub(fields(resourceBuf), 1)) : {};
    for (const ss of sub(rsf, 2)) {
      for (const sp of sub(fields(ss), 2)) {
        const f = fields(sp);
        const statusBuf = sub(f, 15)[0];
        out.push({
          traceId: hex(f, 1),
          spanId: hex(f, 2),
          parentSpanId: hex(f, 4),
          name: str(f, 5),
          kind: num(f, 6),
          attributes: keyValues(sub(f, 9)),
          statusCode: statusBuf ? num(fields(statusBuf), 3) : 0,
          resource,
          encoding: 'protobuf',
        });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------- JSON (OTLP/JSON: hex ids)

interface JsonKeyValue {
  key: string;
  value: Record<string, unknown>;
}

function jsonAttributes(list: JsonKeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of list ?? []) {
    const v = value.stringValue ?? value.boolValue ?? value.doubleValue ?? value.intValue;
    out[key] = typeof v === 'string' && value.intValue !== undefined ? Number(v) : v;
  }
  return out;
}

function decodeJson(body: {
  resourceSpans?: {
    resource?: { attributes?: JsonKeyValue[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind?: number;
        attributes?: JsonKeyValue[];
        status?: { code?: number };
      }[];
    }[];
  }[];
}): CollectedSpan[] {
  const out: CollectedSpan[] = [];
  for (const rs of body.resourceSpans ?? []) {
    const resource = jsonAttributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? '',
          name: s.name,
          kind: s.kind ?? 0,
          attributes: jsonAttributes(s.attributes),
          statusCode: s.status?.code ?? 0,
          resource,
          encoding: 'json',
        });
      }
    }
  }
  return out;
}
