import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../platform/context.ts';
import { PERMISSIONS } from '../../platform/permissions.ts';
import { idPattern } from '../../platform/ids.ts';
import { problems } from '../../platform/http/openapi.ts';
import { AppError } from '../../platform/errors.ts';
import { clientInfo, getRequestContext } from '../../platform/http/request-context.ts';
import { clearSessionCookies, refreshTokenFromCookie } from './cookie-session.ts';
import { safeText } from '../../platform/validation.ts';
import { createApiKey, listApiKeys, revokeApiKey } from './api-keys.service.ts';
import {
  type AuthDeps,
  getMe,
  listSessions,
  login,
  logout,
  refresh,
  revokeOwnSession,
  signup,
  switchTenant,
} from './auth.service.ts';
import {
  LoginBody,
  LoginResultSchema,
  MeSchema,
  RefreshBody,
  SessionSchema,
  SessionTokensSchema,
  SignupBody,
  SwitchTenantBody,
} from './identity.dto.ts';

const tags = ['auth'];

/** Routes that work without credentials: they are how credentials are obtained. */
export const publicAuthRoutes =
  (deps: AuthDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/auth/signup',
      {
        schema: {
          tags,
          summary: 'Create an account and its organisation, and start a session',
          security: [],
          body: SignupBody,
          response: { 201: SessionTokensSchema, ...problems(400, 409, 413, 415, 429) },
        },
      },
      async (req, reply) => reply.status(201).send(await signup(deps, req.body, clientInfo(req))),
    );
    app.post(
      '/auth/login',
      {
        schema: {
          tags,
          summary: 'Log in with email and password',
          description:
            'Returns a session, or — when the account has MFA on — `{mfaRequired: true, mfaToken, expiresIn}` ' +
            'and no session: finish with POST /auth/login/mfa.',
          security: [],
          body: LoginBody,
          response: { 200: LoginResultSchema, ...problems(400, 413, 415, 429) },
        },
      },
      async (req) => login(deps, req.body, clientInfo(req)),
    );
    app.post(
      '/auth/refresh',
      {
        schema: {
          tags,
          summary: 'Exchange a refresh token for a new access and refresh token',
          description:
            'Refresh tokens are single use; presenting one twice revokes the whole session. Browsers send `X-Session-Transport: cookie` to get it as an HttpOnly cookie instead, then refresh with an empty body and `X-CSRF-Token`.',
          security: [],
          body: RefreshBody,
          response: { 200: SessionTokensSchema, ...problems(400, 413, 415, 429) },
        },
      },
      async (req) => {
        const token = req.body?.refreshToken ?? refreshTokenFromCookie(req);
        if (!token) {
          throw new AppError(
            'AUTH_INVALID_REFRESH',
            'unauthenticated',
            'Send a refresh token, in the body or the session cookie.',
          );
        }
        return refresh(deps, token, clientInfo(req));
      },
    );
  };

const ApiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    role: z.enum(ROLES).describe("The creator's role: the key never exceeds it"),
    scopes: z.array(z.string()),
    createdBy: z.string(),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().nullable(),
    expiresAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'ApiKey' });

/** Routes for an authenticated caller: profile, sessions, tenant switch, API keys. */
export const authRoutes =
  (deps: AuthDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/auth/me',
      {
        config: { anyRole: true },
        schema: {
          tags,
          summary: 'Who am I: user, current tenant and role, memberships',
          response: { 200: MeSchema, ...problems(400) },
        },
      },
      async (req) => getMe(deps.db, getRequestContext(req)),
    );
    // Ending one's own session is allowed to every role, viewers included.
    app.post(
      '/auth/logout',
      {
        config: { anyRole: true },
        schema: { tags, summary: 'End the current session', response: { 204: z.undefined(), ...problems(400) } },
      },
      async (req, reply) => {
        await logout(deps, getRequestContext(req));
        clearSessionCookies(reply);
        return reply.status(204).send();
      },
    );
    app.post(
      '/auth/switch-tenant',
      {
        config: { anyRole: true },
        schema: {
          tags,
          summary: 'Act in another tenant you belong to',
          body: SwitchTenantBody,
          response: { 200: SessionTokensSchema.omit({ refreshToken: true }), ...problems(400, 404) },
        },
      },
      async (req) => switchTenant(deps, getRequestContext(req), req.body.tenantId),
    );
    app.get(
      '/auth/sessions',
      {
        config: { anyRole: true },
        schema: { tags, summary: 'My live sessions', response: { 200: z.object({ data: z.array(SessionSchema) }) } },
      },
      async (req) => ({ data: await listSessions(deps.db, getRequestContext(req)) }),
    );
    app.delete(
      '/auth/sessions/:id',
      {
        config: { anyRole: true },
        schema: {
          tags,
          summary: 'Revoke one of my sessions',
          params: z.strictObject({ id: z.string().regex(idPattern('ses'), 'is not a session id (ses_…)') }),
          response: { 204: z.undefined(), ...problems(400, 404) },
        },
      },
      async (req, reply) => {
        await revokeOwnSession(deps, getRequestContext(req), req.params.id);
        return reply.status(204).send();
      },
    );

    const keyTags = ['api-keys'];
    app.get(
      '/api-keys',
      {
        config: { permission: 'api_keys:manage' },
        schema: {
          tags: keyTags,
          summary: 'List active API keys (secrets are never shown again)',
          response: { 200: z.object({ data: z.array(ApiKeySchema) }), ...problems(400) },
        },
      },
      async (req) => ({ data: await listApiKeys(deps.db, getRequestContext(req).tenantId) }),
    );
    app.post(
      '/api-keys',
      {
        config: { permission: 'api_keys:manage' },
        schema: {
          tags: keyTags,
          summary: 'Create an API key; the secret is in this response only',
          body: z.strictObject({
            name: safeText({ min: 1, max: 100 }),
            scopes: z
              .array(z.enum(PERMISSIONS))
              .min(1)
              .max(PERMISSIONS.length)
              .describe('Permissions the key carries, each one you hold, e.g. ["items:read"]'),
            expiresAt: z.iso.datetime({ offset: true }).optional(),
          }),
          response: { 201: ApiKeySchema.extend({ key: z.string() }), ...problems(400, 413, 415) },
        },
      },
      async (req, reply) => reply.status(201).send(await createApiKey(deps.db, getRequestContext(req), req.body)),
    );
    app.delete(
      '/api-keys/:id',
      {
        config: { permission: 'api_keys:manage' },
        schema: {
          tags: keyTags,
          summary: 'Revoke an API key',
          params: z.strictObject({ id: z.string().regex(idPattern('key'), 'is not an API key id (key_…)') }),
          response: { 204: z.undefined(), ...problems(400, 404) },
        },
      },
      async (req, reply) => {
        await revokeApiKey(deps.db, getRequestContext(req), req.params.id);
        deps.cache.forgetApiKeys();
        return reply.status(204).send();
      },
    );
  };
