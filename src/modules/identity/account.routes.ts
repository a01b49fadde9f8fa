import type { preHandlerAsyncHookHandler } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { problems } from '../../platform/http/openapi.ts';
import { clientInfo, getRequestContext } from '../../platform/http/request-context.ts';
import { safeText } from '../../platform/validation.ts';
import { listOutbox } from '../mail/index.ts';
import {
  type AccountDeps,
  changePassword,
  requestEmailVerification,
  requestPasswordReset,
  resetPassword,
  signupInvited,
  verifyEmail,
} from './account.service.ts';
import { Email, Password, SessionTokensSchema } from './identity.dto.ts';
import {
  assertOperator,
  operatorInstanceSummary,
  operatorListTenants,
  operatorSetQuotas,
  operatorSetTenantStatus,
} from './organization.service.ts';
import { VERSION } from '../../version.ts';

const tags = ['auth'];
const Token = z.string().min(10).max(200);

/** Account flows reached from emailed links: they work without a session. */
export const publicAccountRoutes =
  (deps: AccountDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/auth/signup-invited',
      {
        schema: {
          tags,
          summary: 'Create an account from an invitation and join its organisation',
          security: [],
          body: z.strictObject({ token: Token, name: safeText({ min: 1, max: 100 }), password: Password }),
          response: { 201: SessionTokensSchema, ...problems(400, 404, 409) },
        },
      },
      async (req, reply) => reply.status(201).send(await signupInvited(deps, req.body, clientInfo(req))),
    );
    app.post(
      '/auth/password/forgot',
      {
        schema: {
          tags,
          summary: 'Email a password-reset link (the answer is the same whether or not the address has an account)',
          security: [],
          body: z.strictObject({ email: Email }),
          response: { 202: z.object({ status: z.literal('accepted') }), ...problems(400) },
        },
      },
      async (req, reply) => {
        await requestPasswordReset(deps, req.body.email);
        return reply.status(202).send({ status: 'accepted' as const });
      },
    );
    app.post(
      '/auth/password/reset',
      {
        schema: {
          tags,
          summary: 'Set a new password from a reset link; every session of the account ends',
          security: [],
          body: z.strictObject({ token: Token, password: Password }),
          response: { 204: z.undefined(), ...problems(400) },
        },
      },
      async (req, reply) => {
        await resetPassword(deps, req.body);
        return reply.status(204).send();
      },
    );
    app.post(
      '/auth/verify-email',
      {
        schema: {
          tags,
          summary: 'Confirm an email address from its link',
          security: [],
          body: z.strictObject({ token: Token }),
          response: { 204: z.undefined(), ...problems(400) },
        },
      },
      async (req, reply) => {
        await verifyEmail(deps, req.body.token);
        return reply.status(204).send();
      },
    );
  };

/** Account flows for a signed-in user, and the operator area. */
export const accountRoutes =
  (deps: AccountDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/auth/password/change',
      {
        config: { anyRole: true },
        schema: {
          tags,
          summary: 'Change my password; my other sessions end',
          body: z.strictObject({ currentPassword: Password, newPassword: Password }),
          response: { 204: z.undefined(), ...problems(400) },
        },
      },
      async (req, reply) => {
        await changePassword(deps, getRequestContext(req), req.body);
        return reply.status(204).send();
      },
    );
    app.post(
      '/auth/verify-email/request',
      {
        config: { anyRole: true },
        schema: {
          tags,
          summary: 'Email me a link to confirm my address',
          response: { 202: z.object({ status: z.literal('sent') }), ...problems(400, 409) },
        },
      },
      async (req, reply) => {
        await requestEmailVerification(deps, getRequestContext(req));
        return reply.status(202).send({ status: 'sent' as const });
      },
    );

    const opTags = ['operator'];
    const operatorOnly: preHandlerAsyncHookHandler = async (req) => assertOperator(deps.db, getRequestContext(req));
    app.get(
      '/operator/tenants',
      {
        config: { anyRole: true },
        preHandler: operatorOnly,
        schema: {
          tags: opTags,
          summary: 'All tenants of the instance, with member counts (operator only)',
          querystring: z.strictObject({
            limit: z.coerce.number().int().min(1).max(200).default(50),
            after: z.string().max(64).optional(),
          }),
          response: {
            200: z.object({
              data: z.array(
                z.object({
                  id: z.string(),
                  name: z.string(),
                  status: z.string(),
                  deleted: z.boolean(),
                  members: z.number().int(),
                  quotas: z.object({ items: z.number().int().nullable(), members: z.number().int().nullable() }),
                  createdAt: z.iso.datetime(),
                }),
              ),
            }),
            ...problems(400),
          },
        },
      },
      async (req) => ({
        data: await operatorListTenants(deps.db, { limit: req.query.limit, afterId: req.query.after }),
      }),
    );
    const TenantParams = z.strictObject({ id: z.string().regex(/^ten_[0-9a-z]{26}$/, 'is not a tenant id (ten_…)') });
    app.post(
      '/operator/tenants/:id/suspend',
      {
        config: { anyRole: true },
        preHandler: operatorOnly,
        schema: {
          tags: opTags,
          summary: 'Suspend a tenant: its sessions and API keys stop at once (operator only)',
          params: TenantParams,
          response: { 204: z.undefined(), ...problems(400, 404) },
        },
      },
      async (req, reply) => {
        await operatorSetTenantStatus(deps, getRequestContext(req), req.params.id, 'suspended');
        return reply.status(204).send();
      },
    );
    app.post(
      '/operator/tenants/:id/resume',
      {
        config: { anyRole: true },
        preHandler: operatorOnly,
        schema: {
          tags: opTags,
          summary: 'Resume a suspended tenant (operator only)',
          params: TenantParams,
          response: { 204: z.undefined(), ...problems(400, 404) },
        },
      },
      async (req, reply) => {
        await operatorSetTenantStatus(deps, getRequestContext(req), req.params.id, 'active');
        return reply.status(204).send();
      },
    );
    app.put(
      '/operator/tenants/:id/quotas',
      {
        config: { anyRole: true },
        preHandler: operatorOnly,
        schema: {
          tags: opTags,
          summary: "Set a tenant's quotas; null lifts one (operator only)",
          params: TenantParams,
          body: z.strictObject({
            items: z.number().int().min(0).max(100_000_000).nullable().optional(),
            members: z.number().int().min(1).max(1_000_000).nullable().optional(),
          }),
          response: {
            200: z.object({ items: z.number().int().nullable(), members: z.number().int().nullable() }),
            ...problems(400, 404),
          },
        },
      },
      async (req) => operatorSetQuotas(deps, getRequestContext(req), req.params.id, req.body),
    );
    app.get(
      '/operator/instance',
      {
        config: { anyRole: true },
        preHandler: operatorOnly,
        schema: {
          tags: opTags,
          summary: 'Instance health and size (operator only)',
          response: {
            200: z.object({
              version: z.string(),
              uptimeSeconds: z.number().int(),
              memoryRssBytes: z.number().int(),
              tenants: z.object({
                total: z.number().int(),
                active: z.number().int(),
                suspended: z.number().int(),
                deleted: z.number().int(),
              }),
              users: z.object({ total: z.number().int() }),
            }),
          },
        },
      },
      async () => ({
        version: VERSION,
        uptimeSeconds: Math.round(process.uptime()),
        memoryRssBytes: process.memoryUsage().rss,
        ...(await operatorInstanceSummary(deps.db)),
      }),
    );
    app.get(
      '/operator/outbox',
      {
        config: { anyRole: true },
        preHandler: operatorOnly,
        schema: {
          tags: opTags,
          summary: 'Emails waiting in the outbox (the mailbox of an install without SMTP; operator only)',
          querystring: z.strictObject({
            to: z.string().max(254).optional(),
            kind: z.string().max(50).optional(),
            limit: z.coerce.number().int().min(1).max(200).default(50),
          }),
          response: {
            200: z.object({
              data: z.array(
                z.object({
                  id: z.string(),
                  tenantId: z.string().nullable(),
                  to: z.string(),
                  subject: z.string(),
                  text: z.string(),
                  kind: z.string(),
                  status: z.string(),
                  createdAt: z.iso.datetime(),
                }),
              ),
            }),
            ...problems(400),
          },
        },
      },
      async (req) => ({ data: await listOutbox(deps.db, req.query) }),
    );
  };
