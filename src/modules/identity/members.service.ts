import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { type ActorContext, type Role, roleAtLeast } from '../../platform/context.ts';
import type { Database, Executor } from '../../platform/db/database.ts';
import { inTenant } from '../../platform/db/tenant-scope.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { recordAudit } from '../audit/index.ts';
import { tenants } from '../tenants/index.ts';
import type { AuthCache } from './auth-cache.ts';
import { apiKeys, memberships, sessions, users } from './identity.table.ts';
import { revokeSession } from './sessions.ts';

export interface MembersDeps {
  db: Database;
  cache: AuthCache;
}

export interface MemberView {
  userId: string;
  email: string;
  name: string;
  role: Role;
  joinedAt: string;
}

export async function listMembers(db: Executor, tenantId: string): Promise<MemberView[]> {
  const rows = await db
    .select({
      userId: users.id,
      email: users.email,
      name: users.name,
      role: memberships.role,
      joinedAt: memberships.createdAt,
    })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.tenantId, tenantId))
    .orderBy(asc(memberships.createdAt));
  return rows.map((r) => ({ ...r, joinedAt: r.joinedAt.toISOString() }));
}

async function lockedMember(tx: Executor, tenantId: string, userId: string) {
  const [row] = await tx
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.tenantId, tenantId), eq(memberships.userId, userId)))
    .for('update');
  if (!row) throw notFound('MEMBER_NOT_FOUND', `User ${userId} is not a member of this tenant.`);
  return row;
}

/** Owners are counted under lock, so two concurrent demotions cannot both leave zero owners. */
async function ownerCount(tx: Executor, tenantId: string): Promise<number> {
  const rows = await tx
    .select({ userId: memberships.userId })
    .from(memberships)
    .where(and(eq(memberships.tenantId, tenantId), eq(memberships.role, 'owner')))
    .for('update');
  return rows.length;
}

const lastOwner = () =>
  new AppError(
    'MEMBER_LAST_OWNER',
    'conflict',
    'A tenant needs an owner: transfer ownership before leaving or stepping down.',
  );

/** Only owners grant or take away ownership; admins manage everyone below owner. */
function assertCanManage(ctx: ActorContext, targetRole: Role, newRole?: Role): void {
  const touchesOwner = targetRole === 'owner' || newRole === 'owner';
  const needed: Role = touchesOwner ? 'owner' : 'admin';
  if (!roleAtLeast(ctx.role, needed)) {
    throw new AppError('FORBIDDEN_ROLE', 'forbidden', `Changing this membership needs the ${needed} role.`, {
      extra: { requiredRole: needed },
    });
  }
}

/** Ends a user's sessions in one tenant (removal, demotion is read live and needs no revocation). */
async function revokeSessionsInTenant(
  deps: MembersDeps,
  tx: Executor,
  tenantId: string,
  userId: string,
  reason: string,
) {
  const live = await tx
    .select({ id: sessions.id })
    .from(sessions)
    .where(and(eq(sessions.userId, userId), eq(sessions.tenantId, tenantId), sql`${sessions.revokedAt} is null`));
  for (const s of live) {
    await revokeSession(tx, s.id, reason);
  }
  return live.map((s) => s.id);
}

export async function changeMemberRole(
  deps: MembersDeps,
  ctx: ActorContext,
  userId: string,
  role: Role,
): Promise<MemberView> {
  await inTenant(deps.db, ctx.tenantId, async (tx) => {
    const current = await lockedMember(tx, ctx.tenantId, userId);
    assertCanManage(ctx, current.role, role);
    if (current.role === 'owner' && role !== 'owner' && (await ownerCount(tx, ctx.tenantId)) <= 1) throw lastOwner();
    await tx
      .update(memberships)
      .set({ role })
      .where(and(eq(memberships.tenantId, ctx.tenantId), eq(memberships.userId, userId)));
    await recordAudit(tx, ctx, {
      action: 'member.role_changed',
      targetType: 'user',
      targetId: userId,
      before: { role: current.role },
      after: { role },
    });
  });
  // Roles are cached with sessions for a few seconds: a change must apply at once here.
  deps.cache.sessions.clear();
  const member = (await listMembers(deps.db, ctx.tenantId)).find((m) => m.userId === userId);
  if (!member) throw notFound('MEMBER_NOT_FOUND', `User ${userId} is not a member of this tenant.`);
  return member;
}

/**
 * Removes a member (an admin removing someone, or anyone leaving). The last owner cannot leave.
 * The removed user's sessions in this tenant end at once.
 */
export async function removeMember(deps: MembersDeps, ctx: ActorContext, userId: string): Promise<void> {
  const leaving = ctx.actor.type === 'user' && ctx.actor.id === userId;
  const revoked = await inTenant(deps.db, ctx.tenantId, async (tx) => {
    const current = await lockedMember(tx, ctx.tenantId, userId);
    if (!leaving) assertCanManage(ctx, current.role);
    if (current.role === 'owner' && (await ownerCount(tx, ctx.tenantId)) <= 1) throw lastOwner();
    await tx.delete(memberships).where(and(eq(memberships.tenantId, ctx.tenantId), eq(memberships.userId, userId)));
    // Keys the person made leave with them: a departed member must not keep a way in.
    await tx
      .update(apiKeys)
      .set({ revokedAt: new Date() })
      .where(
        and(eq(apiKeys.tenantId, ctx.tenantId), eq(apiKeys.createdBy, `user:${userId}`), isNull(apiKeys.revokedAt)),
      );
    const ids = await revokeSessionsInTenant(
      deps,
      tx,
      ctx.tenantId,
      userId,
      leaving ? 'left_tenant' : 'removed_from_tenant',
    );
    await recordAudit(tx, ctx, {
      action: leaving ? 'member.left' : 'member.removed',
      targetType: 'user',
      targetId: userId,
      before: { role: current.role },
    });
    return ids;
  });
  for (const id of revoked) deps.cache.forgetSession(id);
  deps.cache.forgetApiKeys();
}

/** The caller (an owner) makes another member owner and steps down to admin. */
export async function transferOwnership(deps: MembersDeps, ctx: ActorContext, toUserId: string): Promise<void> {
  if (ctx.actor.type !== 'user' || ctx.role !== 'owner') {
    throw new AppError('FORBIDDEN_ROLE', 'forbidden', 'Only an owner can transfer ownership.', {
      extra: { requiredRole: 'owner' },
    });
  }
  const fromUserId = ctx.actor.id;
  if (toUserId === fromUserId) {
    throw new AppError('MEMBER_TRANSFER_TO_SELF', 'invalid', 'You already own this tenant.');
  }
  await inTenant(deps.db, ctx.tenantId, async (tx) => {
    const target = await lockedMember(tx, ctx.tenantId, toUserId);
    await lockedMember(tx, ctx.tenantId, fromUserId);
    await tx
      .update(memberships)
      .set({ role: 'owner' })
      .where(and(eq(memberships.tenantId, ctx.tenantId), eq(memberships.userId, toUserId)));
    await tx
      .update(memberships)
      .set({ role: 'admin' })
      .where(and(eq(memberships.tenantId, ctx.tenantId), eq(memberships.userId, fromUserId)));
    await recordAudit(tx, ctx, {
      action: 'tenant.ownership_transferred',
      targetType: 'tenant',
      targetId: ctx.tenantId,
      before: { owner: fromUserId, newOwnerRole: target.role },
      after: { owner: toUserId, previousOwnerRole: 'admin' },
    });
  });
  deps.cache.sessions.clear();
}

/**
 * Refuses a new member when the tenant is at its member quota (null: unlimited). Counted inside
 * the caller's transaction; like the item quota, a soft limit under concurrency.
 */
export async function assertRoomForMember(tx: Executor, tenantId: string): Promise<void> {
  const [row] = await tx.select({ quota: tenants.quotaMembers }).from(tenants).where(eq(tenants.id, tenantId));
  if (row?.quota === null || row?.quota === undefined) return;
  const [{ n } = { n: 0 }] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(memberships)
    .where(eq(memberships.tenantId, tenantId));
  if (Number(n) >= row.quota) {
    throw new AppError(
      'QUOTA_MEMBERS_EXCEEDED',
      'conflict',
      'This tenant has reached its member quota; ask the instance operator to raise it.',
    );
  }
}
