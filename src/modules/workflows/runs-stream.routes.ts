import { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { problems } from '../../platform/http/openapi.ts';
import { problemBody, toAppError } from '../../platform/http/problem.ts';
import { getRequestContext } from '../../platform/http/request-context.ts';
import { idPattern } from '../../platform/ids.ts';
import { type WatchEvent, type WatchOptions, watchRun } from './runs-stream.ts';
import type { WorkflowsDeps } from './workflows.service.ts';

/** One server-sent event; `data` is JSON on one line, so no newline inside it can split the event. */
const frame = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

function encode(e: WatchEvent): string {
  switch (e.type) {
    case 'run':
      return frame('run', e.run);
    case 'heartbeat':
      // A comment: EventSource and readers ignore it, proxies see bytes flowing.
      return ': heartbeat\n\n';
    case 'end':
      return frame('end', { status: e.status, reason: e.reason });
  }
}

/** Untyped on purpose: the route's reply type only knows its problem documents, not a stream. */
function sendStream(reply: FastifyReply, out: PassThrough): FastifyReply {
  return reply
    .header('content-type', 'text/event-stream; charset=utf-8')
    .header('cache-control', 'no-cache, no-transform')
    .header('x-accel-buffering', 'no')
    .send(out);
}

/**
 * `GET /runs/:id/events` — a run's live progress as server-sent events, for the dashboard's run
 * page (EventSource cannot send a bearer header; the page reads it with fetch). See docs/api.md.
 */
export const runsStreamRoutes =
  (deps: WorkflowsDeps, opts: WatchOptions = {}): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/runs/:id/events',
      {
        config: { permission: 'runs:read' },
        schema: {
          tags: ['runs'],
          summary: 'Follow a run live (server-sent events)',
          description:
            '`text/event-stream`: an `event: run` with the run as `GET /runs/:id` answers it, at once and after every change; a `: heartbeat` comment every 15 s; `event: end` `{status, reason}` when the run finished (`reason: "finished"`) or after 10 minutes (`"time_limit"`: connect again), then the stream closes.',
          params: z.object({ id: z.string().regex(idPattern('run'), 'must be a run id (run_…)') }),
          // No 200 schema: the body is a stream, described above, not a JSON document.
          response: { ...problems(400, 404) },
        },
      },
      async (req, reply) => {
        const ctx = getRequestContext(req);
        const controller = new AbortController();
        reply.raw.once('close', () => controller.abort());
        const out = new PassThrough();
        const write = (text: string) => {
          if (!out.destroyed && !controller.signal.aborted) out.write(text);
        };
        let started = false;
        const first = new Promise<void>((resolve, reject) => {
          void watchRun(
            deps,
            ctx,
            req.params.id,
            (e) => {
              write(encode(e));
              if (!started) {
                started = true;
                resolve();
              }
            },
            { ...opts, signal: controller.signal },
          )
            .catch((err: unknown) => {
              // Before the first event the status line is still ours: answer with the problem (404).
              if (!started) return reject(err);
              const error = toAppError(err);
              if (error.kind === 'internal') req.log.error({ err }, 'run event stream failed');
              write(frame('error', problemBody(error, req)));
            })
            .finally(() => out.end());
        });
        await first;
        return sendStream(reply, out);
      },
    );
  };
