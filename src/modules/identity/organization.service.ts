import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { ActorContext } from '../../platform/context.ts';
import type { Database } from '../../platform/db/database.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { recordAudit } from '../audit/index.ts';
import { listAllTenants, renameTenant, setTenantStatus, softDeleteTenant, tenants } from '../tenants/index.ts';
import type { AuthCache } from './auth-cache.ts';
import { memberships, sessions, users } from './identity.table.ts';

export interface OrgDeps {
  db: Database;
  cache: AuthCache;
}

/** A signed-in user creates another organisation, which they own. */
export async function createOrganization(deps: OrgDeps, ctx: ActorContext, name: string) {
  if (ctx.actor.type !== 'user')
    throw new AppError('AUTH_NOT_A_USER', 'invalid', 'Only a user can create an organisation.');
  const userId = ctx.actor.id;
  return deps.db.transaction(async (tx) => {
    const id = newId('ten');
    await tx.insert(tenants).values({ id, name });
    await tx.insert(memberships).values({ tenantId: id, userId, role: 'owner' });
    await recordAudit(
      tx,
      { ...ctx, tenantId: id },
      { action: 'tenant.created', targetType: 'tenant', targetId: id, after: { name } },
    );
    return { id, name, role: 'owner' as const };
  });
}

export async function renameOrganization(deps: OrgDeps, ctx: ActorContext, name: string) {
  return deps.db.transaction(async (tx) => {
    const [before] = await tx.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, ctx.tenantId));
    const row = await renameTenant(tx, ctx.tenantId, name);
    await recordAudit(tx, ctx, {
      action: 'tenant.renamed',
      targetType: 'tenant',
      targetId: ctx.tenantId,
      before: { name: before?.name },
      after: { name },
    });
    return { id: row.id, name: row.name, status: row.status, createdAt: row.createdAt.toISOString() };
  });
}

async function endTenantSessions(
  deps: OrgDeps,
  tx: Parameters<Parameters<Database['transaction']>[0]>[0],
  tenantId: string,
  reason: string,
) {
  const ended = await tx
    .update(sessions)
    .set({ revokedAt: new Date(), revokedReason: reason })
    .where(and(eq(sessions.tenantId, tenantId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return ended.map((s) => s.id);
}

/** Owner only. The organisation stops working at once; its data is purged later. */
export async function deleteOrganization(deps: OrgDeps, ctx: ActorContext): Promise<void> {
  const ended = await deps.db.transaction(async (tx) => {
    await softDeleteTenant(tx, ctx.tenantId);
    const ids = await endTenantSessions(deps, tx, ctx.tenantId, 'tenant_deleted');
    await recordAudit(tx, ctx, { action: 'tenant.deleted', targetType: 'tenant', targetId: ctx.tenantId });
    return ids;
  });
  for (const id of ended) deps.cache.forgetSession(id);
  deps.cache.forgetApiKeys();
}

// ---- the instance operator ----------------------------------------------------------------

/** Operator rights are checked against the database on each call, never taken from a token. */
export async function assertOperator(db: Database, ctx: ActorContext): Promise<void> {
  const isOperator =
    ctx.actor.type === 'user' &&
    (await db.select({ op: users.isOperator }).from(users).where(eq(users.id, ctx.actor.id)))[0]?.op === true;
  if (!isOperator) throw new AppError('OPERATOR_ONLY', 'forbidden', 'Only the instance operator can do this.');
}

export async function operatorListTenants(db: Database, opts: { limit: number; afterId?: string | undefined }) {
  const rows = await listAllTenants(db, opts);
  const ids = rows.map((r) => r.id);
  const counts = ids.length
    ? await db
        .select({ tenantId: memberships.tenantId, n: sql<number>`count(*)::int` })
        .from(memberships)
        .where(inArray(memberships.tenantId, ids))
        .groupBy(memberships.tenantId)
    : [];
  const members = new Map(counts.map((c) => [c.tenantId, Number(c.n)]));
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    status: r.status,
    deleted: r.deletedAt !== null,
    members: members.get(r.id) ?? 0,
    quotas: { items: r.quotaItems ?? null, members: r.quotaMembers ?? null },
    createdAt: r.createdAt.toISOString(),
  }));
}

/** Suspends or resumes a tenant; suspension ends its sessions and stops its API keys at once. */
export async function operatorSetTenantStatus(
  deps: OrgDeps,
  ctx: ActorContext,
  tenantId: string,
  status: 'active' | 'suspended',
) {
  const ended = await deps.db.transaction(async (tx) => {
    const row = await setTenantStatus(tx, tenantId, status);
    if (!row) throw notFound('TENANT_NOT_FOUND', `No tenant ${tenantId} (or it was deleted).`);
    const ids = status === 'suspended' ? await endTenantSessions(deps, tx, tenantId, 'tenant_suspended') : [];
    await recordAudit(
      tx,
      { ...ctx, tenantId },
      {
        action: status === 'suspended' ? 'tenant.suspended' : 'tenant.resumed',
        targetType: 'tenant',
        targetId: tenantId,
      },
    );
    return ids;
  });
  for (const id of ended) deps.cache.forgetSession(id);
  deps.cache.forgetApiKeys();
}

/**
 * `switchyard admin create-operator`: makes an existing user the instance operator, or creates
 * one (with an organisation of their own, so they can log in). Idempotent for an existing user.
 */
export async function createOperator(
  db: Database,
  input: { email: string; name: string; passwordHash: string },
): Promise<{ userId: string; created: boolean }> {
  return db.transaction(async (tx) => {
    const [existing] = await tx
      .select({ id: users.id })
      .from(users)
      .where(sql`lower(${users.email}) = ${input.email}`);
    if (existing) {
      await tx.update(users).set({ isOperator: true, updatedAt: new Date() }).where(eq(users.id, existing.id));
      return { userId: existing.id, created: false };
    }
    const userId = newId('usr');
    const tenantId = newId('ten');
    await tx.insert(users).values({
      id: userId,
      email: input.email,
      name: input.name,
      passwordHash: input.passwordHash,
      isOperator: true,
      emailVerifiedAt: new Date(),
    });
    await tx.insert(tenants).values({ id: tenantId, name: 'Operations' });
    await tx.insert(memberships).values({ tenantId, userId, role: 'owner' });
    await recordAudit(
      tx,
      { tenantId, actor: { type: 'system', id: 'cli' }, requestId: undefined, ip: undefined, userAgent: undefined },
      { action: 'user.operator_created', targetType: 'user', targetId: userId, after: { email: input.email } },
    );
    return { userId, created: true };
  });
}

/** Sets a tenant's quotas (null lifts one). Lowering below current use blocks only new growth. */
export async function operatorSetQuotas(
  deps: OrgDeps,
  ctx: ActorContext,
  tenantId: string,
  quotas: { items?: number | null | undefined; members?: number | null | undefined },
) {
  return deps.db
    .transaction(async (tx) => {
      const [before] = await tx
        .select({ items: tenants.quotaItems, members: tenants.quotaMembers })
        .from(tenants)
        .where(and(eq(tenants.id, tenantId), isNull(tenants.deletedAt)))
        .for('update');
      if (!before) throw notFound('TENANT_NOT_FOUND', `No tenant ${tenantId} (or it was deleted).`);
      const after = {
        items: quotas.items === undefined ? before.items : quotas.items,
        members: quotas.members === undefined ? before.members : quotas.members,
      };
      await tx
        .update(tenants)
        .set({ quotaItems: after.items, quotaMembers: after.members, updatedAt: new Date() })
        .where(eq(tenants.id, tenantId));
      await recordAudit(
        tx,
        { ...ctx, tenantId },
        { action: 'tenant.quotas_changed', targetType: 'tenant', targetId: tenantId, before, after },
      );
      return after;
    })
    .finally(() => {
      // Quotas ride along with cached session facts: apply the change here at once.
      deps.cache.sessions.clear();
      deps.cache.forgetApiKeys();
    });
}

/** The operator's view of the instance: what runs, and how much of it there is. */
export async function operatorInstanceSummary(db: Database) {
  const [t] = await db
    .select({
      total: sql<number>`count(*)::int`,
      active: sql<number>`count(*) filter (where ${tenants.status} = 'active' and ${tenants.deletedAt} is null)::int`,
      suspended: sql<number>`count(*) filter (where ${tenants.status} = 'suspended' and ${tenants.deletedAt} is null)::int`,
      deleted: sql<number>`count(*) filter (where ${tenants.deletedAt} is not null)::int`,
    })
    .from(tenants);
  const [u] = await db.select({ total: sql<number>`count(*)::int` }).from(users);
  return {
    tenants: {
      total: Number(t?.total ?? 0),
      active: Number(t?.active ?? 0),
      suspended: Number(t?.suspended ?? 0),
      deleted: Number(t?.deleted ?? 0),
    },
    users: { total: Number(u?.total ?? 0) },
  };
}
