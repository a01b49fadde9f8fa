import { and, desc, eq, isNull } from 'drizzle-orm';
import type { ActorContext, Role } from '../../platform/context.ts';
import { hasPermission, type Permission } from '../../platform/permissions.ts';
import { hashToken, randomToken } from '../../platform/crypto/index.ts';
import type { Database } from '../../platform/db/database.ts';
import { inTenant } from '../../platform/db/tenant-scope.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { recordAudit } from '../audit/index.ts';
import { API_KEY_PREFIX } from './authenticate.ts';
import { apiKeys } from './identity.table.ts';

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  scopes: string[];
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
}

const toView = (k: typeof apiKeys.$inferSelect): ApiKeyView => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  role: k.role,
  scopes: k.scopes,
  createdBy: k.createdBy,
  createdAt: k.createdAt.toISOString(),
  lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
  expiresAt: k.expiresAt?.toISOString() ?? null,
});

/**
 * Creates an API key with the given scopes. The secret is returned once and stored only as a
 * hash. A key never holds a permission its creator lacks: it records the creator's role as a
 * cap, and each scope must be one the creator has right now.
 */
export async function createApiKey(
  db: Database,
  ctx: ActorContext,
  input: { name: string; scopes: Permission[]; expiresAt?: string | undefined },
): Promise<ApiKeyView & { key: string }> {
  const role = ctx.role;
  const creator = { role, scopes: ctx.scopes, isApiKey: ctx.actor.type === 'api_key' };
  const beyond = input.scopes.filter((p) => !hasPermission(creator, p));
  if (!role || beyond.length) {
    throw new AppError(
      'API_KEY_SCOPE_TOO_WIDE',
      'forbidden',
      `You cannot grant scopes you do not hold: ${beyond.join(', ')}.`,
      {
        extra: { scopes: beyond },
      },
    );
  }
  if (input.expiresAt && Date.parse(input.expiresAt) <= Date.now()) {
    throw new AppError('API_KEY_EXPIRY_IN_PAST', 'invalid', 'expiresAt must be in the future.', {
      issues: [{ path: 'body.expiresAt', message: 'is in the past' }],
    });
  }
  const key = `${API_KEY_PREFIX}${randomToken(30)}`;
  return inTenant(db, ctx.tenantId, async (tx) => {
    const [row] = await tx
      .insert(apiKeys)
      .values({
        id: newId('key'),
        tenantId: ctx.tenantId,
        name: input.name,
        prefix: key.slice(0, 10),
        keyHash: hashToken(key),
        role,
        scopes: [...new Set(input.scopes)],
        createdBy: `${ctx.actor.type}:${ctx.actor.id}`,
        expiresAt: input.expiresAt ? new Date(input.expiresAt) : null,
      })
      .returning();
    if (!row) throw new Error('insert returned no row');
    const view = toView(row);
    await recordAudit(tx, ctx, {
      action: 'api_key.created',
      targetType: 'api_key',
      targetId: row.id,
      after: { name: view.name, scopes: view.scopes, prefix: view.prefix, expiresAt: view.expiresAt },
    });
    return { ...view, key };
  });
}

export async function listApiKeys(db: Database, tenantId: string): Promise<ApiKeyView[]> {
  const rows = await inTenant(db, tenantId, (tx) =>
    tx
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.tenantId, tenantId), isNull(apiKeys.revokedAt)))
      .orderBy(desc(apiKeys.createdAt)),
  );
  return rows.map(toView);
}

export async function revokeApiKey(db: Database, ctx: ActorContext, id: string): Promise<void> {
  await inTenant(db, ctx.tenantId, async (tx) => {
    const rows = await tx
      .update(apiKeys)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiKeys.tenantId, ctx.tenantId), eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
      .returning({ id: apiKeys.id, name: apiKeys.name });
    const row = rows[0];
    if (!row) throw notFound('API_KEY_NOT_FOUND', `No active API key ${id} in this tenant.`);
    await recordAudit(tx, ctx, {
      action: 'api_key.revoked',
      targetType: 'api_key',
      targetId: id,
      before: { name: row.name },
    });
  });
}
