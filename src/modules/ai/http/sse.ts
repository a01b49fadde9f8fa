import { PassThrough } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { problemBody, toAppError } from '../../../platform/http/problem.ts';

/** One server-sent event. `data` is JSON on one line, so a newline in the text cannot split it. */
export const sseEvent = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

export const wantsEventStream = (req: FastifyRequest) =>
  (req.headers.accept ?? '').split(',').some((t) => t.trim().toLowerCase().startsWith('text/event-stream'));

/**
 * A signal that aborts when the client goes away before the response is complete, so a model
 * call nobody will read stops (and stops being billed) at once.
 */
export function clientGoneSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new DOMException('The client went away', 'AbortError'));
  });
  return controller.signal;
}

/**
 * Starts an event stream as the reply: headers now (through Fastify, so the security headers and
 * request id go out as on every response), then whatever `pump` writes. An error thrown by `pump`
 * after the stream started becomes an `error` event carrying the problem document, since the
 * status line has already gone.
 */
export function sendEventStream(
  req: FastifyRequest,
  reply: FastifyReply,
  pump: (write: (event: string, data: unknown) => void) => Promise<void>,
): FastifyReply {
  const out = new PassThrough();
  const write = (event: string, data: unknown) => {
    if (!out.destroyed) out.write(sseEvent(event, data));
  };
  void pump(write)
    .catch((err: unknown) => {
      const error = toAppError(err);
      if (error.kind === 'internal') req.log.error({ err }, 'event stream failed');
      write('error', problemBody(error, req));
    })
    .finally(() => out.end());
  return reply
    .header('content-type', 'text/event-stream; charset=utf-8')
    .header('cache-control', 'no-cache, no-transform')
    .header('x-accel-buffering', 'no')
    .send(out);
}
