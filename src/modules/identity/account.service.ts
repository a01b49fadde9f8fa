import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import type { ActorContext } from '../../platform/context.ts';
import {
  checkPasswordPolicy,
  hashPassword,
  hashToken,
  randomToken,
  verifyPassword,
} from '../../platform/crypto/index.ts';
import type { Executor } from '../../platform/db/database.ts';
import { AppError } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { recordAudit } from '../audit/index.ts';
import { enqueueEmail } from '../mail/index.ts';
import { tenants } from '../tenants/index.ts';
import { type AuthDeps, type ClientInfo, issueTokens } from './auth.service.ts';
import type { SessionTokens } from './identity.dto.ts';
import { invitations, users, userTokens } from './identity.table.ts';
import { consumeInvitation } from './invitations.service.ts';
import { clearLoginFailures } from './login-throttle.ts';
import { revokeUserSessions, startSession } from './sessions.ts';

export interface AccountDeps extends AuthDeps {
  publicUrl: string;
}

const RESET_TTL_MS = 60 * 60_000;
const VERIFY_TTL_MS = 48 * 3_600_000;

async function assertPolicy(password: string, context: { email?: string; name?: string }, path: string) {
  const problems = await checkPasswordPolicy(password, context);
  if (problems.length) {
    throw new AppError('AUTH_WEAK_PASSWORD', 'invalid', 'Choose a stronger password.', {
      issues: problems.map((p) => ({ path, message: p.message })),
      extra: { reasons: problems.map((p) => p.code) },
    });
  }
}

/**
 * Creates an account from an invitation: the person joins the inviting tenant (no tenant of
 * their own), whatever SIGNUP_MODE says, and the address counts as verified — the link reached it.
 */
export async function signupInvited(
  deps: AccountDeps,
  input: { token: string; name: string; password: string },
  client: ClientInfo,
): Promise<SessionTokens> {
  const [invite] = await deps.db
    .select({ email: invitations.email })
    .from(invitations)
    .where(
      and(
        eq(invitations.tokenHash, hashToken(input.token)),
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
        gt(invitations.expiresAt, new Date()),
      ),
    );
  if (!invite)
    throw new AppError('INVITATION_INVALID', 'not_found', 'This invitation link is invalid, used, revoked or expired.');
  await assertPolicy(input.password, { email: invite.email, name: input.name }, 'body.password');
  const passwordHash = await hashPassword(input.password);
  const result = await deps.db.transaction(async (tx) => {
    const [taken] = await tx
      .select({ id: users.id })
      .from(users)
      .where(sql`lower(${users.email}) = ${invite.email}`);
    if (taken) {
      throw new AppError(
        'AUTH_EMAIL_TAKEN',
        'conflict',
        'An account with this email exists: log in and accept the invitation.',
      );
    }
    const userId = newId('usr');
    const [user] = await tx
      .insert(users)
      .values({ id: userId, email: invite.email, name: input.name, passwordHash, emailVerifiedAt: new Date() })
      .returning();
    if (!user) throw new Error('insert returned no row');
    const joined = await consumeInvitation(tx, input.token, user, client);
    const [tenant] = await tx.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, joined.tenantId));
    const session = await startSession(tx, deps.config, {
      userId,
      tenantId: joined.tenantId,
      ip: client.ip,
      userAgent: client.userAgent,
    });
    await recordAudit(
      tx,
      { ...client, tenantId: joined.tenantId, actor: { type: 'user', id: userId }, sessionId: session.sessionId },
      {
        action: 'user.signed_up',
        targetType: 'user',
        targetId: userId,
        after: { email: user.email, name: user.name, via: 'invitation' },
      },
    );
    return { user, tenant: { id: joined.tenantId, name: tenant?.name ?? '' }, role: joined.role, session };
  });
  return issueTokens(deps, result.user, result.tenant, result.role, result.session);
}

/** Changes the password after checking the current one; every other session of the user ends. */
export async function changePassword(
  deps: AuthDeps,
  ctx: ActorContext,
  input: { currentPassword: string; newPassword: string },
): Promise<void> {
  if (ctx.actor.type !== 'user') throw new AppError('AUTH_NOT_A_USER', 'invalid', 'Only a user has a password.');
  const userId = ctx.actor.id;
  const [user] = await deps.db.select().from(users).where(eq(users.id, userId));
  if (!user?.passwordHash || !(await verifyPassword(user.passwordHash, input.currentPassword))) {
    throw new AppError('AUTH_INVALID_CREDENTIALS', 'unauthenticated', 'The current password is wrong.');
  }
  await assertPolicy(input.newPassword, { email: user.email, name: user.name }, 'body.newPassword');
  const passwordHash = await hashPassword(input.newPassword);
  const ended = await deps.db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash, updatedAt: new Date() }).where(eq(users.id, userId));
    const ids = await revokeUserSessions(tx, userId, 'password_changed', ctx.sessionId);
    await recordAudit(tx, ctx, { action: 'user.password_changed', targetType: 'user', targetId: userId });
    return ids;
  });
  // After commit, so a racing request cannot re-cache a session that is already over.
  for (const id of ended) deps.cache.forgetSession(id);
}

async function issueUserToken(tx: Executor, userId: string, purpose: 'verify_email' | 'reset_password', ttlMs: number) {
  const token = `ut_${randomToken(32)}`;
  await tx
    .insert(userTokens)
    .values({ tokenHash: hashToken(token), userId, purpose, expiresAt: new Date(Date.now() + ttlMs) });
  return token;
}

/**
 * Starts a password reset. The route answers 202 whether or not the address has an account, so
 * the answer does not reveal which addresses exist.
 */
export async function requestPasswordReset(deps: AccountDeps, email: string): Promise<void> {
  const [user] = await deps.db
    .select({ id: users.id, email: users.email })
    .from(users)
    .where(sql`lower(${users.email}) = ${email}`);
  if (!user) return;
  await deps.db.transaction(async (tx) => {
    const token = await issueUserToken(tx, user.id, 'reset_password', RESET_TTL_MS);
    await enqueueEmail(tx, {
      tenantId: null,
      to: user.email,
      kind: 'reset_password',
      subject: 'Reset your Switchyard password',
      text:
        `Someone asked to reset the password of this account. If it was you, open this link within an hour:\n` +
        `${deps.publicUrl}/reset-password?token=${encodeURIComponent(token)}\n\n` +
        `(API: POST /api/v1/auth/password/reset {"token": "${token}", "password": "…"}.)\n` +
        `If it was not you, ignore this email: your password has not changed.\n`,
    });
  });
}

async function takeUserToken(tx: Executor, token: string, purpose: 'verify_email' | 'reset_password') {
  const [row] = await tx
    .select()
    .from(userTokens)
    .where(
      and(
        eq(userTokens.tokenHash, hashToken(token)),
        eq(userTokens.purpose, purpose),
        isNull(userTokens.usedAt),
        gt(userTokens.expiresAt, new Date()),
      ),
    )
    .for('update');
  if (!row) throw new AppError('AUTH_LINK_INVALID', 'invalid', 'This link is invalid, already used or expired.');
  await tx.update(userTokens).set({ usedAt: new Date() }).where(eq(userTokens.tokenHash, row.tokenHash));
  return row;
}

/** Sets a new password from an emailed link; every session of the user ends. */
export async function resetPassword(deps: AccountDeps, input: { token: string; password: string }): Promise<void> {
  const ended = await deps.db.transaction(async (tx) => {
    const row = await takeUserToken(tx, input.token, 'reset_password');
    const [user] = await tx.select().from(users).where(eq(users.id, row.userId));
    if (!user) throw new AppError('AUTH_LINK_INVALID', 'invalid', 'This link is invalid, already used or expired.');
    await assertPolicy(input.password, { email: user.email, name: user.name }, 'body.password');
    await tx
      .update(users)
      .set({
        passwordHash: await hashPassword(input.password),
        emailVerifiedAt: user.emailVerifiedAt ?? new Date(),
        updatedAt: new Date(),
      })
      .where(eq(users.id, user.id));
    const ids = await revokeUserSessions(tx, user.id, 'password_reset');
    // The recovery path from a login lockout: proving the mailbox lifts the lock.
    await clearLoginFailures(tx, user.email);
    // Unused reset links die with the password they were meant to replace.
    await tx
      .update(userTokens)
      .set({ usedAt: new Date() })
      .where(and(eq(userTokens.userId, user.id), eq(userTokens.purpose, 'reset_password'), isNull(userTokens.usedAt)));
    return ids;
  });
  for (const id of ended) deps.cache.forgetSession(id);
}

/** Emails the signed-in user a link that proves they own their address. */
export async function requestEmailVerification(deps: AccountDeps, ctx: ActorContext): Promise<void> {
  if (ctx.actor.type !== 'user') throw new AppError('AUTH_NOT_A_USER', 'invalid', 'Only a user has an email address.');
  const userId = ctx.actor.id;
  const [user] = await deps.db.select().from(users).where(eq(users.id, userId));
  if (!user) throw new AppError('AUTH_USER_NOT_FOUND', 'not_found', 'The user no longer exists.');
  if (user.emailVerifiedAt)
    throw new AppError('AUTH_EMAIL_ALREADY_VERIFIED', 'conflict', 'Your email address is already verified.');
  await deps.db.transaction(async (tx) => {
    const token = await issueUserToken(tx, userId, 'verify_email', VERIFY_TTL_MS);
    await enqueueEmail(tx, {
      tenantId: null,
      to: user.email,
      kind: 'verify_email',
      subject: 'Confirm your email address for Switchyard',
      text:
        `Confirm that this is your address by opening this link within 48 hours:\n` +
        `${deps.publicUrl}/verify-email?token=${encodeURIComponent(token)}\n\n` +
        `(API: POST /api/v1/auth/verify-email {"token": "${token}"}.)\n`,
    });
  });
}

export async function verifyEmail(deps: AccountDeps, token: string): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const row = await takeUserToken(tx, token, 'verify_email');
    await tx.update(users).set({ emailVerifiedAt: new Date(), updatedAt: new Date() }).where(eq(users.id, row.userId));
  });
}
