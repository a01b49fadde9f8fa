import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { isAppError } from '../../../platform/errors.ts';
import { problems } from '../../../platform/http/openapi.ts';
import { getRequestContext } from '../../../platform/http/request-context.ts';
import { type AiRuntime, resolveAi } from '../ai.runtime.ts';
import { zeroUsage } from '../provider.ts';
import { deleteTenantProvider, describeProvider, putTenantProvider } from '../tenant-provider.ts';
import { answererOf, recordFailure, recordUsage } from '../usage.ts';
import { ProviderTestSchema, ProviderViewSchema, PutProviderSchema } from './ai.dto.ts';

/** The tenant's own model provider: read (`ai:use`), set, remove and test (`ai:manage`). */
export const providerRoutes =
  (deps: AiRuntime): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['ai'];

    app.get(
      '/ai/provider',
      {
        config: { permission: 'ai:use' },
        schema: {
          tags,
          summary: "The provider that answers this tenant's AI calls (never its key)",
          description:
            '`source` says where it comes from: the tenant’s own (`tenant`), the instance’s (`instance`) or none (`offline`). `hasKey` says whether a key is stored; the key itself is write-only.',
          response: { 200: ProviderViewSchema },
        },
      },
      async (req) => describeProvider(deps, getRequestContext(req).tenantId),
    );

    app.put(
      '/ai/provider',
      {
        config: { permission: 'ai:manage' },
        schema: {
          tags,
          summary: "Set this tenant's own model provider",
          description:
            'The key is sealed with the instance key ring and never returned or logged. The base URL (or the kind’s default) must pass the SSRF guard unless its origin is in `AI_ALLOWED_BASE_URLS`; it is checked again at every call. Leaving `apiKey` out keeps the stored key if kind and base URL are unchanged.',
          body: PutProviderSchema,
          response: { 200: ProviderViewSchema, ...problems(400) },
        },
      },
      async (req) => putTenantProvider(deps, getRequestContext(req), req.body),
    );

    app.delete(
      '/ai/provider',
      {
        config: { permission: 'ai:manage' },
        schema: {
          tags,
          summary: "Remove this tenant's provider: calls fall back to the instance provider, else offline",
          response: { 200: ProviderViewSchema },
        },
      },
      async (req) => deleteTenantProvider(deps, getRequestContext(req)),
    );

    app.post(
      '/ai/provider/test',
      {
        config: { permission: 'ai:manage' },
        schema: {
          tags,
          summary: 'Make one tiny call to the provider in effect and report how it went',
          description:
            'Always 200: `ok` and, on failure, the error `code` (e.g. `AI_PROVIDER_AUTH_FAILED`, `OUTBOUND_URL_FORBIDDEN`, `AI_PROVIDER_REQUIRED` when only the offline engine is available). The call counts towards usage but is not refused by the budget.',
          response: { 200: ProviderTestSchema },
        },
      },
      async (req) => {
        const tenantId = getRequestContext(req).tenantId;
        const { ai } = await resolveAi(deps, tenantId);
        const started = performance.now();
        const latencyMs = () => Math.round(performance.now() - started);
        try {
          const r = await ai.generate({ prompt: 'Reply with the word OK.', maxOutputTokens: 16, temperature: 0 });
          await recordUsage(deps, tenantId, r);
          return {
            ok: true,
            provider: r.provider,
            kind: r.kind,
            model: r.model,
            latencyMs: latencyMs(),
            usage: r.usage,
          };
        } catch (err) {
          if (!isAppError(err)) throw err;
          await recordFailure(deps, tenantId, answererOf(ai), err);
          const status = err.extra?.status;
          return {
            ok: false,
            ...answererOf(ai),
            latencyMs: latencyMs(),
            usage: zeroUsage(),
            error: { code: err.code, message: err.message, ...(typeof status === 'number' ? { status } : {}) },
          };
        }
      },
    );
  };
