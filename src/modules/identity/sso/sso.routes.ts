import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { problems } from '../../../platform/http/openapi.ts';
import { clientInfo, getRequestContext } from '../../../platform/http/request-context.ts';
import { assertOperator } from '../organization.service.ts';
import { redirectWithError, redirectWithSession, wantsBrowserRedirect } from './browser-callback.ts';
import { createProvider, deleteProvider, listLoginProviders, listProviders } from './providers.service.ts';
import type { SsoDeps } from './sso.deps.ts';
import {
  CallbackQuery,
  CreateProviderBody,
  ProviderParams,
  ProviderSchema,
  PublicListQuery,
  PublicProviderSchema,
  SsoLoginResultSchema,
  StartQuery,
} from './sso.dto.ts';
import { completeSso, SSO_STATE_TTL_SECONDS, startSso } from './sso.service.ts';

const tags = ['sso'];
const STATE_COOKIE = 'switchyard_sso_state';

function readCookie(req: FastifyRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The browser half of single sign-on: list providers for a login screen, start, and the
 * callback. The state is bound to the browser that started the sign-in by an HttpOnly cookie
 * scoped to this provider's path, so a callback link made by someone else (login CSRF) fails.
 */
export const publicSsoRoutes =
  (deps: SsoDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const secure = deps.publicUrl.startsWith('https:') ? '; Secure' : '';
    const cookiePath = (id: string) => `/api/v1/auth/sso/${id}`;

    app.get(
      '/auth/sso/providers',
      {
        schema: {
          tags,
          summary: 'Single sign-on providers to show on a login screen',
          security: [],
          querystring: PublicListQuery,
          response: { 200: z.object({ data: z.array(PublicProviderSchema) }), ...problems(400) },
        },
      },
      async (req) => ({ data: await listLoginProviders(deps.db, req.query.tenantId) }),
    );

    app.get(
      '/auth/sso/:id/start',
      {
        schema: {
          tags,
          summary: "Start signing in with a provider: redirects (302) to the provider's login page",
          security: [],
          params: ProviderParams,
          querystring: StartQuery,
          response: { 302: z.undefined(), ...problems(400, 404, 503) },
        },
      },
      async (req, reply) => {
        const { location, state } = await startSso(deps, req.params.id, req.query.redirectTo);
        reply.header(
          'set-cookie',
          `${STATE_COOKIE}=${state}; Path=${cookiePath(req.params.id)}; Max-Age=${SSO_STATE_TTL_SECONDS}; HttpOnly; SameSite=Lax${secure}`,
        );
        reply.header('cache-control', 'no-store');
        return reply.redirect(location, 302);
      },
    );

    app.get(
      '/auth/sso/:id/callback',
      {
        // A browser with a bad link is sent to the login page rather than shown a JSON problem.
        attachValidation: true,
        schema: {
          tags,
          summary: 'Where the provider sends the browser back: finishes the sign-in',
          description:
            'A browser navigation (`Accept` includes `text/html`) gets the session as cookies (as with ' +
            '`X-Session-Transport: cookie`) and a 302 to `redirectTo` from /start (default `/`); when the account ' +
            'has MFA on, a 302 to `/login?next=…#mfaToken=…`; on any error, a 302 to `/login?ssoError=<CODE>`. ' +
            'Other clients get JSON: the same session as POST /auth/login (or `mfaRequired`), plus `redirectTo`. ' +
            'Each state works once.',
          security: [],
          params: ProviderParams,
          querystring: CallbackQuery,
          response: { 200: SsoLoginResultSchema, 302: z.undefined(), ...problems(400, 404, 409, 503) },
        },
      },
      async (req, reply) => {
        const browser = wantsBrowserRedirect(req);
        const rawQuery = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
        // The state cookie has done its job whatever the outcome: clear it.
        reply.header(
          'set-cookie',
          `${STATE_COOKIE}=; Path=${cookiePath(req.params.id)}; Max-Age=0; HttpOnly; SameSite=Lax${secure}`,
        );
        reply.header('cache-control', 'no-store');
        reply.header('referrer-policy', 'no-referrer');
        try {
          if (req.validationError) throw req.validationError;
          const result = await completeSso(
            deps,
            { providerId: req.params.id, rawQuery, state: req.query.state, cookieState: readCookie(req, STATE_COOKIE) },
            clientInfo(req),
          );
          return browser ? redirectWithSession(reply, result, deps.config.refreshTokenTtlSeconds) : result;
        } catch (err) {
          if (browser) return redirectWithError(req, reply, err);
          throw err;
        }
      },
    );
  };

/** Managing providers: a tenant's admins for their tenant, the operator for the instance. */
export const ssoRoutes =
  (deps: SsoDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tenantScope = (req: FastifyRequest) => ({
      kind: 'tenant' as const,
      tenantId: getRequestContext(req).tenantId,
    });
    const instance = { kind: 'instance' as const };

    app.get(
      '/sso/providers',
      {
        config: { permission: 'sso:manage' },
        schema: {
          tags,
          summary: "This tenant's single sign-on providers (admin)",
          response: { 200: z.object({ data: z.array(ProviderSchema) }) },
        },
      },
      async (req) => ({ data: await listProviders(deps, tenantScope(req)) }),
    );
    app.post(
      '/sso/providers',
      {
        config: { permission: 'sso:manage' },
        schema: {
          tags,
          summary: 'Add a single sign-on provider for this tenant (admin)',
          description: 'For OIDC the issuer is checked (SSRF guard) and its discovery document read now.',
          body: CreateProviderBody,
          response: { 201: ProviderSchema, ...problems(400, 413, 415) },
        },
      },
      async (req, reply) =>
        reply.status(201).send(await createProvider(deps, getRequestContext(req), tenantScope(req), req.body)),
    );
    app.delete(
      '/sso/providers/:id',
      {
        config: { permission: 'sso:manage' },
        schema: {
          tags,
          summary: 'Remove a provider of this tenant and every account link through it (admin)',
          params: ProviderParams,
          response: { 204: z.undefined(), ...problems(400, 404) },
        },
      },
      async (req, reply) => {
        await deleteProvider(deps, getRequestContext(req), tenantScope(req), req.params.id);
        return reply.status(204).send();
      },
    );

    const operatorOnly: preHandlerAsyncHookHandler = async (req) => assertOperator(deps.db, getRequestContext(req));
    const opTags = ['operator', ...tags];
    app.get(
      '/operator/sso/providers',
      {
        config: { anyRole: true },
        preHandler: operatorOnly,
        schema: {
          tags: opTags,
          summary: 'Instance-wide single sign-on providers (operator only)',
          response: { 200: z.object({ data: z.array(ProviderSchema) }) },
        },
      },
      async () => ({ data: await listProviders(deps, instance) }),
    );
    app.post(
      '/operator/sso/providers',
      {
        config: { anyRole: true },
        preHandler: operatorOnly,
        schema: {
          tags: opTags,
          summary: 'Add an instance-wide single sign-on provider (operator only)',
          body: CreateProviderBody,
          response: { 201: ProviderSchema, ...problems(400, 413, 415) },
        },
      },
      async (req, reply) =>
        reply.status(201).send(await createProvider(deps, getRequestContext(req), instance, req.body)),
    );
    app.delete(
      '/operator/sso/providers/:id',
      {
        config: { anyRole: true },
        preHandler: operatorOnly,
        schema: {
          tags: opTags,
          summary: 'Remove an instance-wide provider and every account link through it (operator only)',
          params: ProviderParams,
          response: { 204: z.undefined(), ...problems(400, 404) },
        },
      },
      async (req, reply) => {
        await deleteProvider(deps, getRequestContext(req), instance, req.params.id);
        return reply.status(204).send();
      },
    );
  };
