import { and, asc, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { z } from 'zod';
import type { AuthConfig } from '../../config.ts';
import type { ActorContext, Role } from '../../platform/context.ts';
import {
  checkPasswordPolicy,
  hashPassword,
  hashToken,
  needsRehash,
  verifyAgainstDummy,
  verifyPassword,
} from '../../platform/crypto/index.ts';
import type { KeyRing } from '../../platform/crypto/index.ts';
import type { Database, Executor } from '../../platform/db/database.ts';
import { AppError, invalid, notFound } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { recordAudit } from '../audit/index.ts';
import { BOOTSTRAP_TENANT_ID, tenants } from '../tenants/index.ts';
import { signAccessToken, type TokenKeys } from './access-tokens.ts';
import type { AuthCache } from './auth-cache.ts';
import type { LoginBody, MfaRequired, SessionTokens, SignupBody } from './identity.dto.ts';
import { memberships, refreshTokens, sessions, users } from './identity.table.ts';
import { accountLocked, clearLoginFailures, lockRemaining, recordLoginFailure } from './login-throttle.ts';
import { chooseLoginTenant, createMfaChallenge } from './login-steps.ts';
import { issueRefreshToken, revokeSession, startSession } from './sessions.ts';

export interface AuthDeps {
  db: Database;
  config: AuthConfig;
  tokenKeys: TokenKeys;
  /** Evicted here whenever a session ends or moves, so this process sees it at once. */
  cache: AuthCache;
  /** Seals secrets at rest (TOTP secrets, SSO client secrets). */
  ring: KeyRing;
}

/** Where a request comes from, for the session record and the audit log. */
export interface ClientInfo {
  requestId: string | undefined;
  ip: string | undefined;
  userAgent: string | undefined;
}

/** Any fixed 64-bit number naming the sign-up lock (serialises "who is the first user"). */
const SIGNUP_LOCK_KEY = '7262455013202';

const invalidCredentials = () =>
  new AppError('AUTH_INVALID_CREDENTIALS', 'unauthenticated', 'The email or password is wrong.');

/** Signs an access token for a started session and shapes the response every login path returns. */
export async function issueTokens(
  deps: AuthDeps,
  user: { id: string; email: string; name: string; isOperator: boolean },
  tenant: { id: string; name: string },
  role: Role,
  session: { sessionId: string; refreshToken: string },
): Promise<SessionTokens> {
  const accessToken = await signAccessToken(
    deps.tokenKeys,
    { userId: user.id, tenantId: tenant.id, sessionId: session.sessionId, role },
    { issuer: deps.config.issuer, ttlSeconds: deps.config.accessTokenTtlSeconds },
  );
  return {
    tokenType: 'Bearer',
    accessToken,
    expiresIn: deps.config.accessTokenTtlSeconds,
    refreshToken: session.refreshToken,
    sessionId: session.sessionId,
    user: { id: user.id, email: user.email, name: user.name, isOperator: user.isOperator },
    tenant: { id: tenant.id, name: tenant.name, role },
  };
}

const actorFor = (userId: string, tenantId: string, client: ClientInfo, sessionId?: string): ActorContext => ({
  tenantId,
  actor: { type: 'user', id: userId },
  sessionId,
  requestId: client.requestId,
  ip: client.ip,
  userAgent: client.userAgent,
});

/**
 * Creates a user, their organisation (tenant) with them as owner, and a session. The first
 * account of an instance becomes the instance operator and adopts the bootstrap tenant (and any
 * data created before identity existed). Concurrent first sign-ups yield exactly one operator.
 */
export async function signup(
  deps: AuthDeps,
  input: z.output<typeof SignupBody>,
  client: ClientInfo,
): Promise<SessionTokens> {
  const problems = await checkPasswordPolicy(input.password, { email: input.email, name: input.name });
  if (problems.length) {
    throw new AppError('AUTH_WEAK_PASSWORD', 'invalid', 'Choose a stronger password.', {
      issues: problems.map((p) => ({ path: 'body.password', message: p.message })),
      extra: { reasons: problems.map((p) => p.code) },
    });
  }
  const passwordHash = await hashPassword(input.password);

  const result = await deps.db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${SIGNUP_LOCK_KEY}::bigint)`);
    const [{ count } = { count: 0 }] = await tx.select({ count: sql<number>`count(*)::int` }).from(users);
    const first = Number(count) === 0;
    if (!first && deps.config.signupMode === 'closed') {
      throw new AppError(
        'AUTH_SIGNUP_CLOSED',
        'forbidden',
        'Sign-up is closed on this instance; ask its operator for an account.',
      );
    }
    const [taken] = await tx
      .select({ id: users.id })
      .from(users)
      .where(sql`lower(${users.email}) = ${input.email}`);
    if (taken) {
      // Known gap: this tells a caller the address has an account. Email verification (next
      // increment) will answer every sign-up alike and tell the owner by email instead.
      throw new AppError('AUTH_EMAIL_TAKEN', 'conflict', 'An account with this email already exists; log in instead.');
    }
    const userId = newId('usr');
    const [user] = await tx
      .insert(users)
      .values({ id: userId, email: input.email, name: input.name, passwordHash, isOperator: first })
      .returning();
    if (!user) throw new Error('insert returned no row');

    let tenantId: string;
    const orphanBootstrap =
      first &&
      (
        await tx
          .select({ n: sql<number>`count(*)::int` })
          .from(memberships)
          .where(eq(memberships.tenantId, BOOTSTRAP_TENANT_ID))
      )[0]?.n === 0 &&
      (await tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, BOOTSTRAP_TENANT_ID))).length === 1;
    if (orphanBootstrap) {
      tenantId = BOOTSTRAP_TENANT_ID;
      await tx
        .update(tenants)
        .set({ name: input.organizationName, updatedAt: new Date() })
        .where(eq(tenants.id, tenantId));
    } else {
      tenantId = newId('ten');
      await tx.insert(tenants).values({ id: tenantId, name: input.organizationName });
    }
    await tx.insert(memberships).values({ tenantId, userId, role: 'owner' });
    const session = await startSession(tx, deps.config, {
      userId,
      tenantId,
      ip: client.ip,
      userAgent: client.userAgent,
    });
    await recordAudit(tx, actorFor(userId, tenantId, client, session.sessionId), {
      action: 'user.signed_up',
      targetType: 'user',
      targetId: userId,
      after: { email: user.email, name: user.name, isOperator: first, tenantId, role: 'owner' },
    });
    return { user, tenant: { id: tenantId, name: input.organizationName }, session };
  });
  return issueTokens(deps, result.user, result.tenant, 'owner', result.session);
}

/**
 * Checks email and password and starts a session in the chosen tenant — or, when the account
 * has MFA on, starts no session and returns a single-use token for `completeMfaLogin`.
 */
export async function login(
  deps: AuthDeps,
  input: z.output<typeof LoginBody>,
  client: ClientInfo,
): Promise<SessionTokens | MfaRequired> {
  // Checked first and for every address alike: a locked one is refused even with the right
  // password, without spending a verification on it.
  const lockedFor = await lockRemaining(deps.db, input.email);
  if (lockedFor !== undefined) throw accountLocked(lockedFor);
  const [user] = await deps.db
    .select()
    .from(users)
    .where(sql`lower(${users.email}) = ${input.email}`);
  const fail = () =>
    recordLoginFailure(deps.db, deps.config, { email: input.email, userId: user?.id, client }, invalidCredentials());
  if (!user || !user.passwordHash) {
    // Spend the time a real verification takes, so timing does not reveal unknown emails.
    await verifyAgainstDummy(input.password);
    throw await fail();
  }
  if (!(await verifyPassword(user.passwordHash, input.password))) throw await fail();
  await clearLoginFailures(deps.db, input.email);
  if (needsRehash(user.passwordHash)) {
    // Hashed under weaker parameters than today's: upgrade while we hold the plaintext.
    await deps.db
      .update(users)
      .set({ passwordHash: await hashPassword(input.password), updatedAt: new Date() })
      .where(eq(users.id, user.id));
  }
  if (user.status !== 'active') {
    throw new AppError('AUTH_ACCOUNT_DISABLED', 'forbidden', 'This account is disabled.');
  }
  const chosen = await chooseLoginTenant(
    deps.db,
    user.id,
    input.tenantId,
    () => new AppError('AUTH_NO_TENANT', 'forbidden', 'You are not a member of that tenant.'),
  );
  if (user.mfaEnabledAt) {
    // The password was right but a code is still owed: no session until the second step.
    return deps.db.transaction((tx) => createMfaChallenge(tx, user.id, chosen.tenantId));
  }
  const session = await deps.db.transaction(async (tx) => {
    const s = await startSession(tx, deps.config, {
      userId: user.id,
      tenantId: chosen.tenantId,
      ip: client.ip,
      userAgent: client.userAgent,
    });
    await recordAudit(tx, actorFor(user.id, chosen.tenantId, client, s.sessionId), {
      action: 'user.logged_in',
      targetType: 'session',
      targetId: s.sessionId,
    });
    return s;
  });
  return issueTokens(deps, user, { id: chosen.tenantId, name: chosen.name }, chosen.role, session);
}

/**
 * Exchanges a refresh token for a new pair. Each token works once: presenting a used one means
 * it was copied, so the whole session (token family) is revoked and both holders must log in.
 */
/**
 * How long a refresh token just exchanged may be presented again by the same client. A page that
 * reloads while its refresh is in flight never stores the rotated cookie and sends the old one
 * again; without this it would be taken for a stolen token and the session revoked.
 */
export const REFRESH_REUSE_GRACE_MS = 30_000;

/** The client as a hash of IP and user agent: enough to tell "the same browser" apart, stored in place of either. */
function clientFingerprint(client: ClientInfo): string {
  return hashToken(`${client.ip ?? ''}\n${client.userAgent ?? ''}`);
}

/**
 * Whether presenting a used token is the benign retry: the same client, within the grace window
 * of its exchange, and nothing exchanged in the session since (its successor never came back).
 * Anything else — another client, too late, or a later token already used — is reuse.
 */
async function withinReuseGrace(
  tx: Executor,
  token: { sessionId: string; usedAt: Date; usedBy: string | null },
  usedBy: string,
  now: Date,
): Promise<boolean> {
  if (token.usedBy !== usedBy || now.getTime() - token.usedAt.getTime() > REFRESH_REUSE_GRACE_MS) return false;
  const later = await tx
    .select({ hash: refreshTokens.tokenHash })
    .from(refreshTokens)
    .where(and(eq(refreshTokens.sessionId, token.sessionId), gt(refreshTokens.usedAt, token.usedAt)))
    .limit(1);
  return later.length === 0;
}

export async function refresh(deps: AuthDeps, refreshToken: string, client: ClientInfo): Promise<SessionTokens> {
  const tokenHash = hashToken(refreshToken);
  const outcome = await deps.db.transaction(async (tx) => {
    const [row] = await tx
      .select({ token: refreshTokens, session: sessions })
      .from(refreshTokens)
      .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
      .where(eq(refreshTokens.tokenHash, tokenHash))
      .for('update');
    if (!row) return { error: 'AUTH_INVALID_REFRESH' as const };
    const now = new Date();
    const usedBy = clientFingerprint(client);
    const expired = Boolean(row.session.revokedAt) || row.session.expiresAt <= now || row.token.expiresAt <= now;
    if (row.token.usedAt) {
      const usedAt = row.token.usedAt;
      if (expired || !(await withinReuseGrace(tx, { ...row.token, usedAt }, usedBy, now))) {
        const revoked = await revokeSession(tx, row.session.id, 'refresh_token_reuse');
        if (revoked) {
          await recordAudit(tx, actorFor(row.session.userId, row.session.tenantId, client, row.session.id), {
            action: 'session.revoked',
            targetType: 'session',
            targetId: row.session.id,
            after: { reason: 'refresh_token_reuse' },
          });
        }
        return { error: 'AUTH_REFRESH_REUSED' as const, sessionId: row.session.id };
      }
      // The successor never reached its client: it dies (presenting it later counts as reuse)
      // and the exchange below issues another. Marked used at the same instant as this token, so
      // the grace window still counts from the first exchange and a second retry still qualifies.
      await tx
        .update(refreshTokens)
        .set({ usedAt, usedBy: 'superseded' })
        .where(and(eq(refreshTokens.sessionId, row.session.id), isNull(refreshTokens.usedAt)));
    }
    if (expired) return { error: 'AUTH_INVALID_REFRESH' as const };
    if (!row.token.usedAt) {
      await tx.update(refreshTokens).set({ usedAt: now, usedBy }).where(eq(refreshTokens.tokenHash, tokenHash));
    }
    await tx.update(sessions).set({ lastUsedAt: now }).where(eq(sessions.id, row.session.id));
    const next = await issueRefreshToken(tx, deps.config, row.session.id);
    const [ctx] = await tx
      .select({ user: users, role: memberships.role, tenantName: tenants.name, tenantStatus: tenants.status })
      .from(users)
      .innerJoin(memberships, and(eq(memberships.userId, users.id), eq(memberships.tenantId, row.session.tenantId)))
      .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
      .where(eq(users.id, row.session.userId));
    if (!ctx || ctx.user.status !== 'active' || ctx.tenantStatus !== 'active')
      return { error: 'AUTH_INVALID_REFRESH' as const };
    return { ctx, session: { sessionId: row.session.id, refreshToken: next }, tenantId: row.session.tenantId };
  });
  if ('error' in outcome) {
    if ('sessionId' in outcome && outcome.sessionId) deps.cache.forgetSession(outcome.sessionId);
    throw outcome.error === 'AUTH_REFRESH_REUSED'
      ? new AppError(
          'AUTH_REFRESH_REUSED',
          'unauthenticated',
          'This refresh token was already used; the session has been revoked. Log in again.',
        )
      : new AppError(
          'AUTH_INVALID_REFRESH',
          'unauthenticated',
          'The refresh token is invalid or expired. Log in again.',
        );
  }
  const { ctx, session, tenantId } = outcome;
  return issueTokens(deps, ctx.user, { id: tenantId, name: ctx.tenantName }, ctx.role, session);
}

/** Revokes a session and audits it (once), then evicts it from this process's cache after commit. */
async function endSession(
  deps: AuthDeps,
  ctx: ActorContext,
  sessionId: string,
  reason: string,
  check?: (tx: Executor) => Promise<void>,
): Promise<void> {
  await deps.db.transaction(async (tx) => {
    await check?.(tx);
    if (await revokeSession(tx, sessionId, reason)) {
      await recordAudit(tx, ctx, {
        action: 'session.revoked',
        targetType: 'session',
        targetId: sessionId,
        after: { reason },
      });
    }
  });
  // After commit: a request racing the revocation must not re-cache the live session.
  deps.cache.forgetSession(sessionId);
}

export async function logout(deps: AuthDeps, ctx: ActorContext): Promise<void> {
  if (!ctx.sessionId)
    throw invalid('AUTH_NO_SESSION', 'This credential has no session to end (API keys are revoked instead).');
  await endSession(deps, ctx, ctx.sessionId, 'logout');
}

/** Moves the current session to another tenant the user belongs to, with a fresh access token. */
export async function switchTenant(
  deps: AuthDeps,
  ctx: ActorContext,
  tenantId: string,
): Promise<Omit<SessionTokens, 'refreshToken'>> {
  if (!ctx.sessionId || ctx.actor.type !== 'user')
    throw invalid('AUTH_NO_SESSION', 'Only a user session can switch tenants.');
  const sessionId = ctx.sessionId;
  const [row] = await deps.db
    .select({ user: users, role: memberships.role, tenantName: tenants.name, tenantStatus: tenants.status })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
    .where(and(eq(memberships.userId, ctx.actor.id), eq(memberships.tenantId, tenantId)));
  if (!row) throw notFound('AUTH_NOT_A_MEMBER', 'You are not a member of that tenant.');
  if (row.tenantStatus !== 'active') throw new AppError('TENANT_SUSPENDED', 'forbidden', 'This tenant is suspended.');
  // The refresh token is unchanged by a switch: it follows the session into the new tenant.
  await deps.db.transaction(async (tx) => {
    await tx.update(sessions).set({ tenantId }).where(eq(sessions.id, sessionId));
    await recordAudit(
      tx,
      { ...ctx, tenantId },
      {
        action: 'session.switched_tenant',
        targetType: 'session',
        targetId: sessionId,
        before: { tenantId: ctx.tenantId },
        after: { tenantId },
      },
    );
  });
  deps.cache.forgetSession(sessionId);
  const accessToken = await signAccessToken(
    deps.tokenKeys,
    { userId: row.user.id, tenantId, sessionId, role: row.role },
    { issuer: deps.config.issuer, ttlSeconds: deps.config.accessTokenTtlSeconds },
  );
  return {
    tokenType: 'Bearer',
    accessToken,
    expiresIn: deps.config.accessTokenTtlSeconds,
    sessionId,
    user: { id: row.user.id, email: row.user.email, name: row.user.name, isOperator: row.user.isOperator },
    tenant: { id: tenantId, name: row.tenantName, role: row.role },
  };
}

export async function getMe(db: Executor, ctx: ActorContext) {
  if (ctx.actor.type !== 'user')
    throw invalid('AUTH_NOT_A_USER', 'This credential is not a user (API keys have no profile).');
  const [user] = await db.select().from(users).where(eq(users.id, ctx.actor.id));
  if (!user) throw notFound('AUTH_USER_NOT_FOUND', 'The user no longer exists.');
  const rows = await db
    .select({ tenantId: memberships.tenantId, tenantName: tenants.name, role: memberships.role })
    .from(memberships)
    .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
    .where(eq(memberships.userId, user.id))
    .orderBy(asc(memberships.createdAt));
  const current = rows.find((r) => r.tenantId === ctx.tenantId);
  if (!current) throw notFound('AUTH_NOT_A_MEMBER', 'You are no longer a member of this tenant.');
  return {
    user: {
      id: user.id,
      email: user.email,
      name: user.name,
      isOperator: user.isOperator,
      createdAt: user.createdAt.toISOString(),
      mfaEnabled: user.mfaEnabledAt !== null,
      emailVerified: user.emailVerifiedAt !== null,
    },
    tenant: { id: current.tenantId, name: current.tenantName, role: current.role },
    memberships: rows,
    sessionId: ctx.sessionId ?? null,
  };
}

export async function listSessions(db: Executor, ctx: ActorContext) {
  if (ctx.actor.type !== 'user') return [];
  const rows = await db
    .select()
    .from(sessions)
    .where(and(eq(sessions.userId, ctx.actor.id), isNull(sessions.revokedAt), gt(sessions.expiresAt, new Date())))
    .orderBy(desc(sessions.lastUsedAt));
  return rows.map((s) => ({
    id: s.id,
    current: s.id === ctx.sessionId,
    tenantId: s.tenantId,
    createdAt: s.createdAt.toISOString(),
    lastUsedAt: s.lastUsedAt.toISOString(),
    expiresAt: s.expiresAt.toISOString(),
    ip: s.ip,
    userAgent: s.userAgent,
  }));
}

export async function revokeOwnSession(deps: AuthDeps, ctx: ActorContext, sessionId: string): Promise<void> {
  await endSession(deps, ctx, sessionId, 'revoked_by_user', async (tx) => {
    const [s] = await tx.select({ userId: sessions.userId }).from(sessions).where(eq(sessions.id, sessionId));
    if (!s || ctx.actor.type !== 'user' || s.userId !== ctx.actor.id) {
      throw notFound('AUTH_SESSION_NOT_FOUND', 'No such session of yours.');
    }
  });
}
