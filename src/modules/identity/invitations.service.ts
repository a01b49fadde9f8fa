import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import { type ActorContext, type Role, roleAtLeast } from '../../platform/context.ts';
import { hashToken, randomToken } from '../../platform/crypto/index.ts';
import type { Database, Executor } from '../../platform/db/database.ts';
import { inTenant } from '../../platform/db/tenant-scope.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { recordAudit } from '../audit/index.ts';
import { enqueueEmail } from '../mail/index.ts';
import { tenants } from '../tenants/index.ts';
import { invitations, memberships, users } from './identity.table.ts';
import { assertRoomForMember } from './members.service.ts';

export interface InvitationsDeps {
  db: Database;
  /** Base URL for links in emails, e.g. https://switchyard.example.com. */
  publicUrl: string;
}

const INVITATION_TTL_MS = 7 * 86_400_000;

export interface InvitationView {
  id: string;
  email: string;
  role: Role;
  invitedBy: string;
  createdAt: string;
  expiresAt: string;
  status: 'pending' | 'accepted' | 'revoked' | 'expired';
}

function view(r: typeof invitations.$inferSelect): InvitationView {
  const status = r.acceptedAt
    ? 'accepted'
    : r.revokedAt
      ? 'revoked'
      : r.expiresAt <= new Date()
        ? 'expired'
        : 'pending';
  return {
    id: r.id,
    email: r.email,
    role: r.role,
    invitedBy: r.invitedBy,
    createdAt: r.createdAt.toISOString(),
    expiresAt: r.expiresAt.toISOString(),
    status,
  };
}

async function mailInvitation(
  tx: Executor,
  deps: InvitationsDeps,
  tenantId: string,
  email: string,
  role: Role,
  token: string,
) {
  const [tenant] = await tx.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, tenantId));
  const link = `${deps.publicUrl}/accept-invitation?token=${encodeURIComponent(token)}`;
  await enqueueEmail(tx, {
    tenantId,
    to: email,
    kind: 'invitation',
    subject: `You are invited to ${tenant?.name ?? 'a workspace'} on Switchyard`,
    text:
      `You have been invited to join ${tenant?.name ?? 'a workspace'} as ${role}.\n\n` +
      `Accept within 7 days: ${link}\n\n` +
      `(API: POST /api/v1/invitations/accept {"token": "${token}"} when signed in, or ` +
      `POST /api/v1/auth/signup-invited {"token", "name", "password"} to create an account.)\n`,
  });
}

/** Invites an email address with a role no higher than the inviter's (owners only by owners). */
export async function createInvitation(
  deps: InvitationsDeps,
  ctx: ActorContext,
  input: { email: string; role: Role },
): Promise<InvitationView> {
  if (!roleAtLeast(ctx.role, input.role === 'owner' ? 'owner' : 'admin') || !roleAtLeast(ctx.role, input.role)) {
    throw new AppError('INVITATION_ROLE_TOO_HIGH', 'forbidden', `You cannot invite someone as ${input.role}.`);
  }
  const token = `inv_${randomToken(32)}`;
  return inTenant(deps.db, ctx.tenantId, async (tx) => {
    const [member] = await tx
      .select({ id: users.id })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.tenantId, ctx.tenantId), sql`lower(${users.email}) = ${input.email}`));
    if (member) throw new AppError('INVITATION_ALREADY_MEMBER', 'conflict', 'That person is already a member.');
    await assertRoomForMember(tx, ctx.tenantId);
    // A new invitation for the same address replaces any pending one.
    await tx
      .update(invitations)
      .set({ revokedAt: new Date() })
      .where(
        and(
          eq(invitations.tenantId, ctx.tenantId),
          eq(invitations.email, input.email),
          isNull(invitations.acceptedAt),
          isNull(invitations.revokedAt),
        ),
      );
    const [row] = await tx
      .insert(invitations)
      .values({
        id: newId('inv'),
        tenantId: ctx.tenantId,
        email: input.email,
        role: input.role,
        tokenHash: hashToken(token),
        invitedBy: `${ctx.actor.type}:${ctx.actor.id}`,
        expiresAt: new Date(Date.now() + INVITATION_TTL_MS),
      })
      .returning();
    if (!row) throw new Error('insert returned no row');
    await mailInvitation(tx, deps, ctx.tenantId, input.email, input.role, token);
    await recordAudit(tx, ctx, {
      action: 'invitation.created',
      targetType: 'invitation',
      targetId: row.id,
      after: { email: input.email, role: input.role },
    });
    return view(row);
  });
}

export async function listInvitations(db: Executor, tenantId: string): Promise<InvitationView[]> {
  const rows = await db
    .select()
    .from(invitations)
    .where(eq(invitations.tenantId, tenantId))
    .orderBy(desc(invitations.createdAt))
    .limit(200);
  return rows.map(view);
}

async function pendingInvitation(tx: Executor, tenantId: string, id: string) {
  const [row] = await tx
    .select()
    .from(invitations)
    .where(and(eq(invitations.tenantId, tenantId), eq(invitations.id, id)))
    .for('update');
  if (!row || row.acceptedAt || row.revokedAt)
    throw notFound('INVITATION_NOT_FOUND', `No pending invitation ${id} in this tenant.`);
  return row;
}

/** Sends a fresh link (the old one stops working) and restarts the 7 days. */
export async function resendInvitation(deps: InvitationsDeps, ctx: ActorContext, id: string): Promise<InvitationView> {
  const token = `inv_${randomToken(32)}`;
  return inTenant(deps.db, ctx.tenantId, async (tx) => {
    const row = await pendingInvitation(tx, ctx.tenantId, id);
    const [updated] = await tx
      .update(invitations)
      .set({ tokenHash: hashToken(token), expiresAt: new Date(Date.now() + INVITATION_TTL_MS) })
      .where(eq(invitations.id, id))
      .returning();
    if (!updated) throw new Error('update returned no row');
    await mailInvitation(tx, deps, ctx.tenantId, row.email, row.role, token);
    await recordAudit(tx, ctx, { action: 'invitation.resent', targetType: 'invitation', targetId: id });
    return view(updated);
  });
}

export async function revokeInvitation(deps: InvitationsDeps, ctx: ActorContext, id: string): Promise<void> {
  await inTenant(deps.db, ctx.tenantId, async (tx) => {
    await pendingInvitation(tx, ctx.tenantId, id);
    await tx.update(invitations).set({ revokedAt: new Date() }).where(eq(invitations.id, id));
    await recordAudit(tx, ctx, { action: 'invitation.revoked', targetType: 'invitation', targetId: id });
  });
}

const invalidInvitation = () =>
  new AppError('INVITATION_INVALID', 'not_found', 'This invitation link is invalid, used, revoked or expired.');

/**
 * Takes a valid invitation by its token, under lock, for a user whose email matches it; marks it
 * used and creates the membership. Single use: a second acceptance finds it accepted.
 */
export async function consumeInvitation(
  tx: Executor,
  token: string,
  user: { id: string; email: string },
  client: Omit<ActorContext, 'tenantId' | 'actor' | 'role' | 'sessionId'>,
): Promise<{ tenantId: string; role: Role }> {
  const [row] = await tx
    .select()
    .from(invitations)
    .where(
      and(
        eq(invitations.tokenHash, hashToken(token)),
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
        gt(invitations.expiresAt, new Date()),
      ),
    )
    .for('update');
  if (!row) throw invalidInvitation();
  if (row.email !== user.email.toLowerCase()) {
    throw new AppError('INVITATION_EMAIL_MISMATCH', 'forbidden', 'This invitation was sent to another email address.');
  }
  await assertRoomForMember(tx, row.tenantId);
  await tx.update(invitations).set({ acceptedAt: new Date(), acceptedBy: user.id }).where(eq(invitations.id, row.id));
  await tx
    .insert(memberships)
    .values({ tenantId: row.tenantId, userId: user.id, role: row.role })
    .onConflictDoNothing();
  await recordAudit(
    tx,
    { ...client, tenantId: row.tenantId, actor: { type: 'user', id: user.id } },
    {
      action: 'invitation.accepted',
      targetType: 'invitation',
      targetId: row.id,
      after: { userId: user.id, role: row.role },
    },
  );
  return { tenantId: row.tenantId, role: row.role };
}

/** A signed-in user accepts an invitation sent to their address. */
export async function acceptInvitation(db: Database, ctx: ActorContext, token: string) {
  if (ctx.actor.type !== 'user')
    throw new AppError('AUTH_NOT_A_USER', 'invalid', 'Only a user can accept an invitation.');
  const userId = ctx.actor.id;
  return db.transaction(async (tx) => {
    const [user] = await tx.select({ id: users.id, email: users.email }).from(users).where(eq(users.id, userId));
    if (!user) throw notFound('AUTH_USER_NOT_FOUND', 'The user no longer exists.');
    const joined = await consumeInvitation(tx, token, user, ctx);
    const [tenant] = await tx.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, joined.tenantId));
    return { tenantId: joined.tenantId, tenantName: tenant?.name ?? '', role: joined.role };
  });
}
