import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import { z } from 'zod';

/** A readiness probe for one dependency: resolves when healthy, throws when not. */
export type HealthCheck = () => Promise<void>;

export interface HealthDeps {
  checks: Record<string, HealthCheck>;
  /** True once shutdown began: readiness turns 503 so load balancers stop sending traffic. */
  isDraining: () => boolean;
  registry: Registry;
  /** How long one check may take before it counts as down. */
  checkTimeoutMs?: number;
}

const ComponentSchema = z.object({
  status: z.enum(['up', 'down']),
  latencyMs: z.number(),
  error: z.string().optional(),
});
const ReadySchema = z
  .object({ status: z.enum(['ok', 'unavailable']), components: z.record(z.string(), ComponentSchema) })
  .meta({ id: 'Readiness' });

async function runCheck(check: HealthCheck, timeoutMs: number) {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: 'up' as const, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    // The message only: a driver error can carry a connection string.
    const message = err instanceof Error ? err.message.replace(/\w+:\/\/\S+/g, '[url]') : 'failed';
    return { status: 'down' as const, latencyMs: Math.round(performance.now() - started), error: message };
  } finally {
    clearTimeout(timer);
  }
}

export const healthRoutes =
  (deps: HealthDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['health'];
    app.get(
      '/health/live',
      {
        schema: {
          tags,
          summary: 'Liveness: the process is up',
          security: [],
          response: { 200: z.object({ status: z.literal('ok') }) },
        },
      },
      async () => ({ status: 'ok' as const }),
    );
    app.get(
      '/health/ready',
      {
        schema: {
          tags,
          summary: 'Readiness: every dependency answers',
          security: [],
          response: { 200: ReadySchema, 503: ReadySchema },
        },
      },
      async (_req, reply) => {
        const entries = await Promise.all(
          Object.entries(deps.checks).map(
            async ([name, check]) => [name, await runCheck(check, deps.checkTimeoutMs ?? 2000)] as const,
          ),
        );
        const components: Record<string, z.infer<typeof ComponentSchema>> = Object.fromEntries(entries);
        if (deps.isDraining()) components.server = { status: 'down', latencyMs: 0, error: 'shutting down' };
        const ok = Object.values(components).every((c) => c.status === 'up');
        return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', components });
      },
    );
    app.get(
      '/metrics',
      { schema: { tags, summary: 'Prometheus metrics (text exposition format)', security: [] } },
      async (_req, reply) => {
        const body = await deps.registry.metrics();
        return reply.type(deps.registry.contentType).send(body);
      },
    );
  };
