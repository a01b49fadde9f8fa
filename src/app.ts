import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest, LogController } from 'fastify';
import {
  createJsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { AuthConfig, Config } from './config.ts';
import { aiRoutes, type AiRuntime } from './modules/ai/index.ts';
import { auditRoutes } from './modules/audit/index.ts';
import { type HealthCheck, healthRoutes } from './modules/health/index.ts';
import {
  accountRoutes,
  authenticate,
  authRoutes,
  cookieTransportHook,
  createAuthCache,
  mfaRoutes,
  organizationRoutes,
  publicAccountRoutes,
  publicAuthRoutes,
  publicMfaRoutes,
  type TokenKeys,
} from './modules/identity/index.ts';
import { createSsoDeps, publicSsoRoutes, ssoRoutes } from './modules/identity/sso/index.ts';
import { insightsRoutes } from './modules/insights/index.ts';
import { itemsRoutes } from './modules/items/index.ts';
import { jobsRoutes } from './modules/jobs/index.ts';
import { settingsRoutes } from './modules/settings/index.ts';
import { statsRoutes } from './modules/stats/index.ts';
import {
  APPROVAL_LINK_ROUTES,
  approvalLinkRoutes,
  webhookRoutes,
  type WorkflowsDeps,
  workflowsRoutes,
} from './modules/workflows/index.ts';
import type { ActorContext } from './platform/context.ts';
import type { KeyRing } from './platform/crypto/index.ts';
import type { Database } from './platform/db/database.ts';
import { enforcePermission } from './platform/http/authorize.ts';
import { type Dashboard, type DashboardOptions, registerDashboard } from './platform/http/dashboard.ts';
import { AppError } from './platform/errors.ts';
import { sendProblem } from './platform/http/problem.ts';
import { tracingHandle } from './platform/telemetry/tracing.ts';
import { setRequestContext } from './platform/http/request-context.ts';
import { registerRateLimits } from './platform/http/rate-limits.ts';
import { helmetHeaders } from './platform/http/security-headers.ts';
import { genRequestId } from './platform/http/request-id.ts';
import type { Metrics } from './platform/telemetry/metrics.ts';
import { VERSION } from './version.ts';

export interface AppDeps {
  http: Config['http'];
  auth: { config: AuthConfig; tokenKeys: TokenKeys; ring: KeyRing };
  /** Which private hosts server-side requests (SSO discovery, GitHub, …) may reach. */
  outbound: Config['outbound'];
  sso: Config['sso'];
  db: Database;
  logger: Logger;
  metrics: Metrics;
  /** Readiness checks by component name (database, later redis and queue). */
  checks: Record<string, HealthCheck>;
  /** The AI runtime (providers, usage, budgets), shared with the worker; mounts /api/v1/ai/*. */
  ai: AiRuntime;
  /** The built dashboard (web/dist) to serve at /; without it only the API is served. */
  dashboard?: DashboardOptions | undefined;
  /** The workflow engine's services; without them the workflow and run routes are not mounted. */
  workflows?: WorkflowsDeps | undefined;
  /**
   * Test seam: decides who a request acts as without credentials, so module suites can focus on
   * their module. Production never sets it; every request then authenticates.
   */
  resolveContext?: (request: FastifyRequest) => ActorContext | Promise<ActorContext>;
}

/**
 * The routes anyone can call to get or recover credentials: they get a stricter per-IP limit
 * (AUTH_RATE_LIMIT_PER_MINUTE, one budget for all of them) and a small body limit. Boot fails if
 * one of these no longer exists, so a renamed route cannot silently lose its limit.
 */
const PUBLIC_AUTH_ROUTES = [
  '/api/v1/auth/signup',
  '/api/v1/auth/signup-invited',
  '/api/v1/auth/login',
  '/api/v1/auth/login/mfa',
  '/api/v1/auth/refresh',
  '/api/v1/auth/password/forgot',
  '/api/v1/auth/password/reset',
  '/api/v1/auth/verify-email',
  '/api/v1/auth/sso/:id/start',
  '/api/v1/auth/sso/:id/callback',
] as const;

export interface BuiltApp {
  app: FastifyInstance;
  /** Turns readiness to 503 so load balancers drain this instance before it closes. */
  markDraining(): void;
}

// Returns a wrapper, not the instance: a Fastify instance is thenable, so an async function
// returning it would await `ready()` behind the caller's back.
export async function buildApp(deps: AppDeps): Promise<BuiltApp> {
  let draining = false;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    genReqId: genRequestId,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    bodyLimit: deps.http.bodyLimitBytes,
    trustProxy: deps.http.trustProxy,
    return503OnClosing: true,
    requestTimeout: 60_000,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Errors the router raises before any hook runs (undecodable URL, over-long parameter)
    // still leave as problem documents.
    frameworkErrors: (err, req, reply) => sendProblem(reply, req, err),
  });

  // Tracing (when configured): a span per request with its route, so it comes before any route.
  const tracing = tracingHandle();
  if (tracing?.fastifyPlugin) await app.register(tracing.fastifyPlugin);

  // Only JSON bodies: text/plain would otherwise reach schemas as a string and blur errors.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((err, req, reply) => sendProblem(reply, req, err));
  let dashboard: Dashboard | undefined;
  app.setNotFoundHandler((req, reply) =>
    dashboard?.wants(req)
      ? dashboard.sendIndex(reply)
      : sendProblem(
          reply,
          req,
          new AppError('ROUTE_NOT_FOUND', 'not_found', `No route ${req.method} ${req.url.split('?')[0]}.`),
        ),
  );

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    reply.header('x-content-type-options', 'nosniff');
  });
  // While draining, every response closes its connection: a keep-alive socket that carried a
  // request finishing during the drain would otherwise hold close() open for keepAliveTimeout.
  app.addHook('onSend', async (_req, reply, payload) => {
    if (draining) reply.header('connection', 'close');
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    deps.metrics.httpRequestDuration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  await registerRateLimits(app, {
    store: deps.http.rateLimitStore,
    perIpPerMinute: deps.http.rateLimitPerMinute,
    authPerIpPerMinute: deps.http.authRateLimitPerMinute,
    principalPerMinute: deps.http.principalRateLimitPerMinute,
    // Approval links are credentials in a URL too: the same budget and body limit.
    authRoutes: deps.workflows ? [...PUBLIC_AUTH_ROUTES, ...APPROVAL_LINK_ROUTES] : PUBLIC_AUTH_ROUTES,
  });

  const securityHeaders = helmetHeaders({
    // The API answers JSON: nothing it returns may load, frame or run anything. Swagger UI,
    // the one HTML page, sets its own policy (see the /docs registration below).
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'none'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    // Not includeSubDomains: an operator's other hosts under the same domain are not ours to pin.
    hsts: { maxAge: 180 * 86400, includeSubDomains: false },
  });
  app.addHook('onRequest', async (_req, reply) => {
    reply.headers(securityHeaders);
  });

  if (deps.http.corsOrigins.length > 0) {
    const any = deps.http.corsOrigins.includes('*');
    await app.register(cors, {
      origin: any ? true : [...deps.http.corsOrigins],
      credentials: !any,
      exposedHeaders: ['etag', 'location', 'x-request-id', 'retry-after'],
    });
  }

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Switchyard API',
        version: VERSION,
        description:
          'Errors are RFC 9457 `application/problem+json` documents with a stable `code` and the `requestId`.',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      servers: deps.http.publicUrl ? [{ url: deps.http.publicUrl }] : [],
      tags: [
        { name: 'items', description: 'Records: create, search, update with optimistic concurrency' },
        { name: 'settings', description: 'Typed tenant settings' },
        { name: 'audit', description: 'Who changed what, when' },
        { name: 'stats', description: 'Dashboard counters' },
        { name: 'health', description: 'Probes and metrics' },
        { name: 'auth', description: 'Sign-up, login, sessions, MFA, passwords' },
        { name: 'sso', description: 'Single sign-on with OIDC and GitHub' },
        { name: 'members', description: 'Who belongs to the tenant, with which role' },
        { name: 'invitations', description: 'Invite people by email' },
        { name: 'organization', description: 'The tenant itself' },
        { name: 'api-keys', description: 'Credentials for scripts and integrations' },
        { name: 'operator', description: 'The instance operator: tenants, suspension, outbox' },
        { name: 'workflows', description: 'Automations: versioned definitions, triggers, webhooks' },
        { name: 'runs', description: 'Executions of workflows, step by step' },
        { name: 'jobs', description: 'Background jobs: data processing, notifications, reports, cleanup' },
        {
          name: 'ai',
          description: 'Summaries, classification, extraction, generation, document analysis; providers and usage',
        },
        { name: 'insights', description: 'Anomalies and hot spots found in workflow run history' },
      ],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'Access token from /auth/login',
          },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'A tenant API key (sy_…)' },
        },
      },
      // Every route needs one of these unless it says otherwise (`security: []`).
      security: [{ bearerAuth: [] }, { apiKey: [] }],
    },
    transform: createJsonSchemaTransform({ skipList: ['/docs', '/docs/*', '/openapi.json'] }),
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // The one HTML page gets its own policy instead of the API's. Inline styles are allowed (the
    // UI sets some at run time), inline scripts are not; no upgrade-insecure-requests, which would
    // break the page on a plain-HTTP (embedded) instance.
    staticCSP: {
      'default-src': "'self'",
      'base-uri': "'self'",
      'form-action': "'self'",
      'frame-ancestors': "'none'",
      'object-src': "'none'",
      'img-src': "'self' data:",
      'font-src': "'self' data:",
      'script-src': "'self'",
      'script-src-attr': "'none'",
      'style-src': "'self' 'unsafe-inline'",
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  if (deps.dashboard) dashboard = await registerDashboard(app, deps.dashboard);
  // A browser opening / gets the dashboard; an API client asking for JSON gets this index.
  app.get('/', { schema: { hide: true } }, async (req, reply) => {
    if (dashboard?.wants(req)) return dashboard.sendIndex(reply);
    return {
      name: 'Switchyard',
      version: VERSION,
      docs: '/docs',
      openapi: '/openapi.json',
      health: '/health/ready',
    };
  });

  const authDeps = {
    db: deps.db,
    config: deps.auth.config,
    tokenKeys: deps.auth.tokenKeys,
    ring: deps.auth.ring,
    cache: createAuthCache(),
  };
  // Links in emails point here; without PUBLIC_URL, at this server as bound locally.
  const publicUrl = deps.http.publicUrl ?? `http://localhost:${deps.http.port || 3000}`;
  const accountDeps = { ...authDeps, publicUrl };
  const ssoDeps = createSsoDeps(authDeps, { publicUrl, outbound: deps.outbound, sso: deps.sso });
  const resolveContext =
    deps.resolveContext ??
    ((req: FastifyRequest) =>
      authenticate(
        { db: deps.db, tokenKeys: deps.auth.tokenKeys, issuer: deps.auth.config.issuer, cache: authDeps.cache },
        {
          authorization: req.headers.authorization,
          apiKey: typeof req.headers['x-api-key'] === 'string' ? req.headers['x-api-key'] : undefined,
        },
        { requestId: req.id, ip: req.ip, userAgent: req.headers['user-agent'] },
      ));
  await app.register(async (scope) => {
    scope.setValidatorCompiler(validatorCompiler);
    scope.setSerializerCompiler(serializerCompiler);
    const z = scope.withTypeProvider<ZodTypeProvider>();
    await z.register(
      healthRoutes({ checks: deps.checks, isDraining: () => draining, registry: deps.metrics.registry }),
    );
    await z.register(
      async (api) => {
        // Browser sessions: a refresh token in any answer moves into an HttpOnly cookie on request.
        api.addHook('onSend', cookieTransportHook(deps.auth.config.refreshTokenTtlSeconds));
        await api.register(publicAuthRoutes(authDeps));
        await api.register(publicMfaRoutes(authDeps));
        await api.register(publicAccountRoutes(accountDeps));
        await api.register(publicSsoRoutes(ssoDeps));
        // Everything else under /api/v1 needs credentials and the permission its route declares.
        await api.register(async (secured) => {
          secured.addHook('onRequest', async (req, reply) => {
            try {
              setRequestContext(req, await resolveContext(req));
            } catch (err) {
              reply.header('www-authenticate', 'Bearer realm="switchyard"');
              throw err;
            }
          });
          secured.addHook('preValidation', enforcePermission);
          await secured.register(itemsRoutes({ db: deps.db }));
          await secured.register(settingsRoutes({ db: deps.db }));
          await secured.register(auditRoutes({ db: deps.db }));
          await secured.register(statsRoutes({ db: deps.db, now: deps.ai.now }));
          await secured.register(aiRoutes(deps.ai));
          await secured.register(authRoutes(authDeps));
          await secured.register(mfaRoutes(authDeps));
          await secured.register(accountRoutes(accountDeps));
          await secured.register(organizationRoutes(accountDeps));
          await secured.register(ssoRoutes(ssoDeps));
          if (deps.workflows) await secured.register(workflowsRoutes(deps.workflows));
          if (deps.workflows) await secured.register(jobsRoutes({ db: deps.db, queue: deps.workflows.queue }));
          await secured.register(insightsRoutes({ db: deps.db }));
        });
      },
      { prefix: '/api/v1' },
    );
  });
  const workflows = deps.workflows;
  if (workflows) {
    // Public and outside /api/v1: the key or token in the URL is the credential.
    await app.register(webhookRoutes(workflows));
    await app.register(async (scope) => {
      scope.setValidatorCompiler(validatorCompiler);
      scope.setSerializerCompiler(serializerCompiler);
      await scope.withTypeProvider<ZodTypeProvider>().register(approvalLinkRoutes(workflows));
    });
  }

  return {
    app,
    markDraining() {
      draining = true;
    },
  };
}
