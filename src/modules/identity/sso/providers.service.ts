import { and, asc, eq, isNull, or } from 'drizzle-orm';
import type { ActorContext } from '../../../platform/context.ts';
import type { Executor } from '../../../platform/db/database.ts';
import { newId } from '../../../platform/ids.ts';
import { assertOutboundUrl } from '../../../platform/net/index.ts';
import { recordAudit } from '../../audit/index.ts';
import { tenants } from '../../tenants/index.ts';
import { identityProviders } from '../identity.table.ts';
import { discover } from './oidc.adapter.ts';
import { callbackUrl, type SsoDeps } from './sso.deps.ts';
import { DEFAULT_SCOPES, type CreateProviderInput, type ProviderView } from './sso.dto.ts';
import { ssoErrors } from './sso.errors.ts';

/** Which providers a caller manages: their tenant's, or (the operator) the instance's. */
export type ProviderScope = { kind: 'tenant'; tenantId: string } | { kind: 'instance' };

/** The AAD that binds a sealed client secret to its provider row. */
export const secretAad = (providerId: string) => `idp:${providerId}:client_secret`;

type ProviderRow = typeof identityProviders.$inferSelect;

const scopeFilter = (scope: ProviderScope) =>
  scope.kind === 'tenant' ? eq(identityProviders.tenantId, scope.tenantId) : isNull(identityProviders.tenantId);

function toView(deps: Pick<SsoDeps, 'publicUrl'>, row: ProviderRow): ProviderView {
  return {
    id: row.id,
    tenantId: row.tenantId,
    kind: row.kind,
    name: row.name,
    issuer: row.issuer,
    clientId: row.clientId,
    scopes: row.scopes,
    hasSecret: true,
    callbackUrl: callbackUrl(deps, row.id),
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * Adds a provider. An OIDC issuer is checked by the SSRF guard and its discovery document is
 * read now, so a typo or an unreachable issuer is a 400 here rather than a broken login button.
 */
export async function createProvider(
  deps: SsoDeps,
  ctx: ActorContext,
  scope: ProviderScope,
  input: CreateProviderInput,
): Promise<ProviderView> {
  if (input.kind === 'oidc') {
    const issuer = input.issuer ?? '';
    await assertOutboundUrl(deps.outbound, issuer);
    await discover(deps, { issuer, clientId: input.clientId, clientSecret: input.clientSecret }, true);
  }
  const id = newId('idp');
  const row = await deps.db.transaction(async (tx) => {
    const [inserted] = await tx
      .insert(identityProviders)
      .values({
        id,
        tenantId: scope.kind === 'tenant' ? scope.tenantId : null,
        kind: input.kind,
        name: input.name,
        issuer: input.kind === 'oidc' ? (input.issuer ?? null) : null,
        clientId: input.clientId,
        clientSecretSealed: deps.ring.seal(input.clientSecret, secretAad(id)),
        scopes: input.scopes ?? DEFAULT_SCOPES[input.kind],
      })
      .returning();
    if (!inserted) throw new Error('insert returned no row');
    await recordAudit(tx, ctx, {
      action: 'sso_provider.created',
      targetType: 'sso_provider',
      targetId: id,
      // Never the secret: the audit log is readable by admins and exported.
      after: {
        scope: scope.kind,
        kind: input.kind,
        name: input.name,
        issuer: inserted.issuer,
        clientId: input.clientId,
      },
    });
    return inserted;
  });
  return toView(deps, row);
}

export async function listProviders(deps: SsoDeps, scope: ProviderScope): Promise<ProviderView[]> {
  const rows = await deps.db
    .select()
    .from(identityProviders)
    .where(and(scopeFilter(scope), isNull(identityProviders.disabledAt)))
    .orderBy(asc(identityProviders.createdAt));
  return rows.map((r) => toView(deps, r));
}

/** Deletes a provider and, with it, every account link and in-flight login through it. */
export async function deleteProvider(deps: SsoDeps, ctx: ActorContext, scope: ProviderScope, id: string) {
  await deps.db.transaction(async (tx) => {
    const [gone] = await tx
      .delete(identityProviders)
      .where(and(eq(identityProviders.id, id), scopeFilter(scope)))
      .returning({ id: identityProviders.id, name: identityProviders.name, kind: identityProviders.kind });
    if (!gone) throw ssoErrors.providerNotFound();
    await recordAudit(tx, ctx, {
      action: 'sso_provider.deleted',
      targetType: 'sso_provider',
      targetId: id,
      before: { scope: scope.kind, kind: gone.kind, name: gone.name },
    });
  });
  deps.discoveryCache.delete(id);
}

/** For a login screen: enabled instance providers, plus the given tenant's if it is active. */
export async function listLoginProviders(db: Executor, tenantId: string | undefined) {
  const rows = await db
    .select({
      id: identityProviders.id,
      name: identityProviders.name,
      kind: identityProviders.kind,
      tenantId: identityProviders.tenantId,
    })
    .from(identityProviders)
    .leftJoin(tenants, eq(tenants.id, identityProviders.tenantId))
    .where(
      and(
        isNull(identityProviders.disabledAt),
        tenantId
          ? or(
              isNull(identityProviders.tenantId),
              and(eq(identityProviders.tenantId, tenantId), eq(tenants.status, 'active'), isNull(tenants.deletedAt)),
            )
          : isNull(identityProviders.tenantId),
      ),
    )
    .orderBy(asc(identityProviders.createdAt));
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    kind: r.kind,
    scope: r.tenantId ? ('tenant' as const) : ('instance' as const),
    startUrl: `/api/v1/auth/sso/${r.id}/start`,
  }));
}

/** A provider usable for login right now, with its secret opened; else SSO_PROVIDER_NOT_FOUND. */
export async function loadLoginProvider(deps: SsoDeps, db: Executor, id: string) {
  const [row] = await db
    .select({ provider: identityProviders, tenantStatus: tenants.status, tenantDeletedAt: tenants.deletedAt })
    .from(identityProviders)
    .leftJoin(tenants, eq(tenants.id, identityProviders.tenantId))
    .where(and(eq(identityProviders.id, id), isNull(identityProviders.disabledAt)));
  if (!row) throw ssoErrors.providerNotFound();
  if (row.provider.tenantId && (row.tenantDeletedAt || row.tenantStatus !== 'active')) {
    throw ssoErrors.providerNotFound();
  }
  const p = row.provider;
  return {
    id: p.id,
    tenantId: p.tenantId,
    kind: p.kind,
    name: p.name,
    issuer: p.issuer,
    clientId: p.clientId,
    clientSecret: deps.ring.open(p.clientSecretSealed, secretAad(p.id)),
    scopes: p.scopes,
  };
}
export type LoginProvider = Awaited<ReturnType<typeof loadLoginProvider>>;
