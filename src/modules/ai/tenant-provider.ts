import { eq } from 'drizzle-orm';
import type { AiConfig } from '../../config.ts';
import type { ActorContext } from '../../platform/context.ts';
import type { KeyRing } from '../../platform/crypto/index.ts';
import type { Database } from '../../platform/db/database.ts';
import { inTenant } from '../../platform/db/tenant-scope.ts';
import { assertOutboundUrl, type OutboundPolicy } from '../../platform/net/index.ts';
import { recordAudit } from '../audit/index.ts';
import { aiProviders } from './ai.table.ts';
import { aiError } from './errors.ts';
import { OFFLINE_MODEL } from './offline/offline-engine.ts';
import { DEFAULT_BASE_URLS, parseProviderConfig } from './provider-config.ts';

export type TenantProviderKind = 'openai' | 'anthropic' | 'ollama' | 'openai-compatible';

/** A tenant's provider as the routes take it. `apiKey` omitted keeps the stored key (see below); null drops it. */
export interface TenantProviderInput {
  kind: TenantProviderKind;
  model: string;
  baseUrl?: string | null | undefined;
  apiKey?: string | null | undefined;
}

/** What anyone may see of a provider: never the key, only whether there is one. */
export interface ProviderView {
  /** Which provider answers this tenant's calls. */
  source: 'tenant' | 'instance' | 'offline';
  kind: TenantProviderKind | 'offline';
  model: string;
  /** The tenant's own base URL (null: the kind's default); always null for the instance's, which is the operator's business. */
  baseUrl: string | null;
  hasKey: boolean;
  updatedAt: string | null;
}

interface Deps {
  db: Database;
  ring: KeyRing;
  config: AiConfig;
  outbound: OutboundPolicy;
}

/** AAD of a sealed key: it opens only in this tenant's row. */
export const providerKeyAad = (tenantId: string) => `ai-provider:${tenantId}`;
const keyAad = providerKeyAad;

/** The tenant's provider with its key unsealed, for a call; undefined when it has none. */
export async function loadTenantProvider(
  deps: Pick<Deps, 'db' | 'ring'>,
  tenantId: string,
): Promise<{ kind: TenantProviderKind; model: string; baseUrl?: string; apiKey?: string } | undefined> {
  const [row] = await inTenant(deps.db, tenantId, (tx) =>
    tx.select().from(aiProviders).where(eq(aiProviders.tenantId, tenantId)),
  );
  if (!row) return undefined;
  return {
    kind: row.kind,
    model: row.model,
    ...(row.baseUrl ? { baseUrl: row.baseUrl } : {}),
    ...(row.apiKeySealed ? { apiKey: deps.ring.open(row.apiKeySealed, keyAad(tenantId)) } : {}),
  };
}

/** The provider that answers this tenant's calls, as `GET /api/v1/ai/provider` shows it. */
export async function describeProvider(deps: Deps, tenantId: string): Promise<ProviderView> {
  const [row] = await inTenant(deps.db, tenantId, (tx) =>
    tx.select().from(aiProviders).where(eq(aiProviders.tenantId, tenantId)),
  );
  if (row) return tenantView(row);
  const instance = deps.config.provider;
  if (instance) {
    return {
      source: 'instance',
      kind: instance.kind,
      model: instance.model,
      baseUrl: null,
      hasKey: Boolean(instance.apiKey),
      updatedAt: null,
    };
  }
  return { source: 'offline', kind: 'offline', model: OFFLINE_MODEL, baseUrl: null, hasKey: false, updatedAt: null };
}

const tenantView = (row: typeof aiProviders.$inferSelect): ProviderView => ({
  source: 'tenant',
  kind: row.kind,
  model: row.model,
  baseUrl: row.baseUrl,
  hasKey: row.apiKeySealed !== null,
  updatedAt: row.updatedAt.toISOString(),
});

/** What the audit log keeps of a provider: everything but the key. */
const audited = (row: typeof aiProviders.$inferSelect | undefined) =>
  row ? { kind: row.kind, model: row.model, baseUrl: row.baseUrl, hasKey: row.apiKeySealed !== null } : null;

const effectiveBaseUrl = (kind: TenantProviderKind, baseUrl: string | null | undefined) =>
  baseUrl ?? (kind === 'openai-compatible' ? undefined : DEFAULT_BASE_URLS[kind]);

/**
 * Sets the tenant's provider. The key is sealed with the key ring before it is stored and never
 * leaves again. The base URL must pass the SSRF guard now (and the outbound fetch checks it again
 * at every call, against DNS rebinding) unless its origin is in `AI_ALLOWED_BASE_URLS`.
 *
 * Leaving `apiKey` out keeps the stored key, but only while kind and base URL stay the same: a key
 * given for one server is never sent to another one without being typed again.
 */
export async function putTenantProvider(
  deps: Deps,
  ctx: ActorContext,
  input: TenantProviderInput,
): Promise<ProviderView> {
  const tenantId = ctx.tenantId;
  return inTenant(deps.db, tenantId, async (tx) => {
    const [before] = await tx.select().from(aiProviders).where(eq(aiProviders.tenantId, tenantId)).for('update');
    const sameServer =
      before !== undefined &&
      before.kind === input.kind &&
      effectiveBaseUrl(before.kind, before.baseUrl) === effectiveBaseUrl(input.kind, input.baseUrl);
    if (input.apiKey === undefined && before?.apiKeySealed && !sameServer) {
      throw aiError('CONFIG_INVALID', 'Give the API key again: the kind or base URL changed.', {
        issues: [{ path: 'body.apiKey', message: 'is required when the kind or base URL changes' }],
      });
    }
    const keepKey = input.apiKey === undefined && sameServer;
    const apiKey =
      keepKey && before?.apiKeySealed ? deps.ring.open(before.apiKeySealed, keyAad(tenantId)) : input.apiKey;
    // The same checks as at call time (key required for OpenAI and Anthropic, base URL for
    // OpenAI-compatible servers), so a broken provider is refused now rather than at first use.
    parseProviderConfig({
      id: 'tenant',
      kind: input.kind,
      model: input.model,
      ...(input.baseUrl ? { baseUrl: input.baseUrl } : {}),
      ...(apiKey ? { apiKey } : {}),
    });
    const url = effectiveBaseUrl(input.kind, input.baseUrl);
    if (url && !deps.config.allowedBaseUrls.includes(new URL(url).origin)) {
      await assertOutboundUrl(deps.outbound, url);
    }
    const values = {
      kind: input.kind,
      model: input.model,
      baseUrl: input.baseUrl ?? null,
      apiKeySealed: keepKey ? (before?.apiKeySealed ?? null) : apiKey ? deps.ring.seal(apiKey, keyAad(tenantId)) : null,
      updatedBy: `${ctx.actor.type}:${ctx.actor.id}`,
      updatedAt: new Date(),
    };
    const [row] = await tx
      .insert(aiProviders)
      .values({ tenantId, ...values })
      .onConflictDoUpdate({ target: aiProviders.tenantId, set: { ...values, version: (before?.version ?? 0) + 1 } })
      .returning();
    if (!row) throw new Error('the provider upsert returned no row');
    await recordAudit(tx, ctx, {
      action: 'ai.provider_updated',
      targetType: 'ai_provider',
      targetId: tenantId,
      before: audited(before),
      after: { ...audited(row), keyChanged: !keepKey && (apiKey !== undefined || Boolean(before?.apiKeySealed)) },
    });
    return tenantView(row);
  });
}

/** Removes the tenant's provider: calls fall back to the instance provider, else offline. Idempotent. */
export async function deleteTenantProvider(deps: Deps, ctx: ActorContext): Promise<ProviderView> {
  await inTenant(deps.db, ctx.tenantId, async (tx) => {
    const [removed] = await tx.delete(aiProviders).where(eq(aiProviders.tenantId, ctx.tenantId)).returning();
    if (removed) {
      await recordAudit(tx, ctx, {
        action: 'ai.provider_removed',
        targetType: 'ai_provider',
        targetId: ctx.tenantId,
        before: audited(removed),
        after: null,
      });
    }
  });
  return describeProvider(deps, ctx.tenantId);
}
