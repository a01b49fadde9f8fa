import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { Redis } from 'ioredis';
import type { Config } from '../../config.ts';
import { AppError } from '../errors.ts';
import { getRequestContext } from './request-context.ts';

/**
 * Three request limits, all counted per minute in one store (this process's memory, or Redis
 * shared by every api process when REDIS_URL is set):
 *
 * - global, per client IP, on every route but probes and metrics;
 * - stricter, per client IP, on the public auth routes (sign-up, login, password reset, …) and
 *   other routes whose credential is in the request (approval links), all of them sharing one
 *   budget, so a guesser cannot spread attempts over several endpoints;
 * - per principal (user or API key), whatever IP it comes from.
 *
 * The principal limit cannot use the plugin's own route hook: that runs on `onRequest`, before
 * authentication has said who the principal is. It runs as a `preValidation` hook instead, via the
 * plugin's `createRateLimit()`, so it shares the store (and Redis) with the others.
 *
 * With Redis, a store error lets the request through (`skipOnError`) and is logged: losing
 * rate limits for a while beats refusing every request, and the per-account login lockout lives
 * in the database, not here.
 */
export interface RateLimitOptions {
  store: Config['http']['rateLimitStore'];
  perIpPerMinute: number;
  authPerIpPerMinute: number;
  principalPerMinute: number;
  /** Full URLs (prefix included) of the routes the auth limit and body limit apply to. */
  authRoutes: readonly string[];
  /** Body size limit of the auth routes, whose bodies are a few short fields. Default 16 KiB. */
  authBodyLimitBytes?: number;
}

const WINDOW_MS = 60_000;

export async function registerRateLimits(app: FastifyInstance, opts: RateLimitOptions): Promise<void> {
  const authRoutes = new Set(opts.authRoutes);
  const authBodyLimit = opts.authBodyLimitBytes ?? 16 * 1024;
  const seen = new Set<string>();
  // Registered first and whatever the limits: the body limit holds even with limiters off.
  app.addHook('onRoute', (route) => {
    if (!authRoutes.has(route.url)) return;
    seen.add(route.url);
    route.bodyLimit = Math.min(route.bodyLimit ?? authBodyLimit, authBodyLimit);
  });
  // A renamed route would silently lose its limit: refuse to start instead.
  app.addHook('onReady', async () => {
    const missing = [...authRoutes].filter((url) => !seen.has(url));
    if (missing.length) throw new Error(`auth rate limit names routes that do not exist: ${missing.join(', ')}`);
  });

  if (opts.perIpPerMinute === 0 && opts.authPerIpPerMinute === 0 && opts.principalPerMinute === 0) return;

  let shared: { redis: Redis; nameSpace: string } | undefined;
  if (opts.store.kind === 'redis') {
    // A Redis that is down must not stall requests: no offline queue (a command fails at once
    // while disconnected, and skipOnError lets the request through), short timeouts, one retry.
    const redis = new Redis(opts.store.url, {
      connectTimeout: 500,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: true,
    });
    redis.on('error', (err: Error) => app.log.warn({ err }, 'rate-limit store (Redis) error'));
    // Connected before the first request, which would otherwise go uncounted; a Redis that is
    // down delays start by the connect timeout only, and the client keeps retrying.
    await redis.connect().catch((err: unknown) => app.log.warn({ err }, 'rate-limit store (Redis) unreachable'));
    app.addHook('onClose', async () => {
      await redis.quit().catch(() => redis.disconnect());
    });
    shared = { redis, nameSpace: opts.store.keyPrefix };
  }

  await app.register(rateLimit, {
    global: opts.perIpPerMinute > 0,
    max: opts.perIpPerMinute,
    timeWindow: WINDOW_MS,
    ...shared,
    skipOnError: shared !== undefined,
    allowList: (req) => req.url.startsWith('/health/') || req.url === '/metrics',
    errorResponseBuilder: (_req, ctx) =>
      new AppError('RATE_LIMITED', 'rate_limited', `Too many requests: the limit is ${ctx.max} per minute.`, {
        extra: { retryAfterSeconds: Math.ceil(ctx.ttl / 1000) },
      }),
  });

  // createRateLimit() limiters share one key space (in Redis `<prefix>undefinedundefined-<key>`,
  // the plugin naming them after a route they do not have): their keys carry their own prefix.
  if (opts.authPerIpPerMinute > 0) {
    const check = app.createRateLimit({
      max: opts.authPerIpPerMinute,
      timeWindow: WINDOW_MS,
      keyGenerator: (req) => `auth:${normalizeIP(req.ip)}`,
    });
    const limitAuth: onRequestAsyncHookHandler = async (req, reply) => {
      await enforce(check, req, reply, {
        code: 'AUTH_RATE_LIMITED',
        message: `Too many sign-in or link requests from this address: the limit is ${opts.authPerIpPerMinute} per minute.`,
      });
    };
    app.addHook('onRoute', (route) => {
      if (!authRoutes.has(route.url)) return;
      const hooks = route.onRequest;
      route.onRequest = hooks === undefined ? [limitAuth] : [...(Array.isArray(hooks) ? hooks : [hooks]), limitAuth];
    });
  }

  if (opts.principalPerMinute > 0) {
    const check = app.createRateLimit({
      max: opts.principalPerMinute,
      timeWindow: WINDOW_MS,
      keyGenerator: (req) => {
        const { actor } = getRequestContext(req);
        return `principal:${actor.type}:${actor.id}`;
      },
    });
    // preValidation, the first hook after authentication: refused and invalid requests count too.
    app.addHook('preValidation', async (req, reply) => {
      if (!hasRequestContext(req)) return; // public routes: the per-IP limits cover them
      await enforce(check, req, reply, {
        code: 'PRINCIPAL_RATE_LIMITED',
        message: `Too many requests with this credential: the limit is ${opts.principalPerMinute} per minute.`,
      });
    });
  }
}

type Check = ReturnType<FastifyInstance['createRateLimit']>;

/** Counts the request; over the limit, answers 429 with the same headers the plugin sends. */
async function enforce(
  check: Check,
  req: FastifyRequest,
  reply: FastifyReply,
  refusal: { code: string; message: string },
) {
  const limit = await check(req);
  if (limit.isAllowed) return;
  reply.header('x-ratelimit-limit', limit.max);
  reply.header('x-ratelimit-remaining', limit.remaining);
  reply.header('x-ratelimit-reset', limit.ttlInSeconds);
  if (!limit.isExceeded) return;
  reply.header('retry-after', limit.ttlInSeconds);
  throw new AppError(refusal.code, 'rate_limited', refusal.message, {
    extra: { retryAfterSeconds: limit.ttlInSeconds },
  });
}

/** Whether authentication ran for this request (only the secured scope resolves a context). */
function hasRequestContext(req: FastifyRequest): boolean {
  try {
    getRequestContext(req);
    return true;
  } catch {
    return false;
  }
}
