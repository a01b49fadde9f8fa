import { randomBytes } from 'node:crypto';
import { and, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import { Secret, TOTP } from 'otpauth';
import { renderSVG } from 'uqr';
import type { ActorContext } from '../../platform/context.ts';
import { hashToken, randomToken, verifyAgainstDummy, verifyPassword } from '../../platform/crypto/index.ts';
import type { Executor } from '../../platform/db/database.ts';
import { AppError, conflict, invalid, notFound } from '../../platform/errors.ts';
import { recordAudit } from '../audit/index.ts';
import { tenants } from '../tenants/index.ts';
import { type AuthDeps, type ClientInfo, issueTokens } from './auth.service.ts';
import type { SessionTokens } from './identity.dto.ts';
import { memberships, mfaChallenges, mfaRecoveryCodes, users } from './identity.table.ts';
import { revokeUserSessions, startSession } from './sessions.ts';

/**
 * TOTP multi-factor authentication: enrolment, the second step of a login, recovery codes.
 *
 * Invariants:
 * - The TOTP secret is stored only sealed (AAD `user:<id>:totp`); recovery codes only hashed.
 * - A TOTP code works once: its time step must exceed `users.totp_last_step`, advanced by a
 *   compare-and-set, so two requests racing with one code cannot both win. A recovery code is
 *   spent the same way (`used_at is null` in the update).
 * - Wrong codes are counted in the database, so the limits hold across API processes: at most
 *   `CHALLENGE_MAX_ATTEMPTS` per login challenge, and `USER_FAILURE_LIMIT` per user within
 *   `FAILURE_WINDOW_MS` wherever the codes were typed (a password holder can open new
 *   challenges at will, so the per-challenge limit alone would not bound guessing).
 */

/** What every authenticator app assumes; most ignore other values in the otpauth URI. */
const TOTP_PARAMS = { algorithm: 'SHA1', digits: 6, period: 30 } as const;
/** Steps either side of now a code may come from: absorbs clock drift and typing time. */
const TOTP_WINDOW = 1;
const TOTP_ISSUER = 'Switchyard';
const RECOVERY_CODE_COUNT = 10;
/** Crockford's base32, lower case: no i, l, o or u to misread; 32 symbols keep bytes unbiased. */
const RECOVERY_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const RECOVERY_CODE_CHARS = 12;
/** Wrong codes one login challenge takes before the password is needed again. */
export const CHALLENGE_MAX_ATTEMPTS = 5;
/** Wrong codes per user within the window, across challenges and routes; then codes wait. */
export const USER_FAILURE_LIMIT = 10;
const FAILURE_WINDOW_MS = 15 * 60_000;

type UserRow = typeof users.$inferSelect;
type Method = 'totp' | 'recovery_code';
type CodeCheck = { ok: true; method: Method } | { ok: false; reason: 'code' | 'code_reused' };

/** The AAD that binds a sealed TOTP secret to its user row (also used by `rotate-key`). */
export const totpAad = (userId: string) => `user:${userId}:totp`;
const totpOf = (secret: Secret, label = 'account') => new TOTP({ issuer: TOTP_ISSUER, label, secret, ...TOTP_PARAMS });

const challengeExpired = () =>
  new AppError(
    'MFA_CHALLENGE_EXPIRED',
    'unauthenticated',
    'This MFA login has expired, was used, or had too many wrong codes. Log in again with your password.',
  );
const invalidCode = (attemptsLeft: number) =>
  new AppError(
    'MFA_INVALID_CODE',
    'unauthenticated',
    attemptsLeft > 0 ? 'The code is wrong.' : 'The code is wrong and no attempts are left: log in again.',
    { extra: { attemptsLeft } },
  );
const codeReused = () =>
  new AppError('MFA_CODE_REUSED', 'unauthenticated', 'This code was already used; wait for the next one.');
const tooManyAttempts = (retryAfterSeconds: number) =>
  new AppError('MFA_TOO_MANY_ATTEMPTS', 'rate_limited', 'Too many wrong codes for this account; wait and retry.', {
    extra: { retryAfterSeconds },
  });
const VERIFICATION_MESSAGES = {
  password: 'The password is wrong.',
  code: 'The code is wrong.',
  code_reused: 'This code was already used; wait for the next one.',
} as const;
/** The extra proof a sensitive change asks for was refused; the access token itself is fine. */
const verificationFailed = (reason: keyof typeof VERIFICATION_MESSAGES) =>
  new AppError('MFA_VERIFICATION_FAILED', 'forbidden', VERIFICATION_MESSAGES[reason], { extra: { reason } });
const alreadyEnabled = () =>
  conflict('MFA_ALREADY_ENABLED', 'MFA is already on; disable it first to enrol another authenticator.');

/** The time step a code belongs to, or null when it matches none within the window. */
export function matchTotpStep(secretBase32: string, code: string, now = Date.now()): number | null {
  const totp = totpOf(Secret.fromBase32(secretBase32));
  const delta = totp.validate({ token: code, timestamp: now, window: TOTP_WINDOW });
  return delta === null ? null : totp.counter({ timestamp: now }) + delta;
}

/** Six digits are a TOTP code; twelve base32 symbols (dashes, spaces, case ignored) a recovery code. */
function parseCode(input: string): { kind: 'totp' | 'recovery'; value: string } | undefined {
  const compact = input.replace(/[\s-]/g, '').toLowerCase();
  if (/^\d{6}$/.test(compact)) return { kind: 'totp', value: compact };
  const symbols = compact.replace(/[il]/g, '1').replace(/o/g, '0');
  if (symbols.length === RECOVERY_CODE_CHARS && [...symbols].every((c) => RECOVERY_ALPHABET.includes(c))) {
    return { kind: 'recovery', value: symbols };
  }
  return undefined;
}

/** Salted with the user id, so one table-wide dictionary cannot test every user's codes at once. */
const recoveryHash = (userId: string, symbols: string) => hashToken(`${userId}:${symbols}`);

function newRecoveryCode(): string {
  // 256 is a multiple of 32, so masking each byte keeps every symbol equally likely (60 bits).
  const symbols = [...randomBytes(RECOVERY_CODE_CHARS)].map((b) => RECOVERY_ALPHABET[b & 31]).join('');
  return symbols.match(/.{4}/g)?.join('-') ?? symbols;
}

/** Checks a code and, if right, spends it. Never touches a failure counter. */
async function consumeCode(
  tx: Executor,
  deps: AuthDeps,
  user: UserRow,
  input: string,
  now: number,
): Promise<CodeCheck> {
  const parsed = parseCode(input);
  if (parsed?.kind === 'totp' && user.totpSecretSealed) {
    const step = matchTotpStep(deps.ring.open(user.totpSecretSealed, totpAad(user.id)), parsed.value, now);
    if (step === null) return { ok: false, reason: 'code' };
    const won = await tx
      .update(users)
      .set({ totpLastStep: step })
      .where(and(eq(users.id, user.id), or(isNull(users.totpLastStep), lt(users.totpLastStep, step))))
      .returning({ id: users.id });
    return won.length > 0 ? { ok: true, method: 'totp' } : { ok: false, reason: 'code_reused' };
  }
  if (parsed?.kind === 'recovery') {
    const spent = await tx
      .update(mfaRecoveryCodes)
      .set({ usedAt: new Date(now) })
      .where(
        and(
          eq(mfaRecoveryCodes.codeHash, recoveryHash(user.id, parsed.value)),
          eq(mfaRecoveryCodes.userId, user.id),
          isNull(mfaRecoveryCodes.usedAt),
        ),
      )
      .returning({ codeHash: mfaRecoveryCodes.codeHash });
    if (spent.length > 0) return { ok: true, method: 'recovery_code' };
  }
  return { ok: false, reason: 'code' };
}

/** When the oldest wrong code in the window was typed: the budget frees up as it ages out. */
const firstFailureMs = sql<number | null>`(extract(epoch from
  min(${mfaChallenges.createdAt}) filter (where ${mfaChallenges.failedAttempts} > 0)) * 1000)::float8`;

/** MFA_TOO_MANY_ATTEMPTS when the user's recent wrong codes have reached the limit. */
async function checkFailureBudget(tx: Executor, userId: string, now: number): Promise<AppError | undefined> {
  const [row] = await tx
    .select({ n: sql<number>`coalesce(sum(${mfaChallenges.failedAttempts}), 0)::int`, oldestMs: firstFailureMs })
    .from(mfaChallenges)
    .where(and(eq(mfaChallenges.userId, userId), gt(mfaChallenges.createdAt, new Date(now - FAILURE_WINDOW_MS))));
  if (!row || Number(row.n) < USER_FAILURE_LIMIT) return undefined;
  const oldest = row.oldestMs === null ? now : Number(row.oldestMs);
  return tooManyAttempts(Math.max(1, Math.ceil((oldest + FAILURE_WINDOW_MS - now) / 1000)));
}

/**
 * A wrong code typed on an authenticated route, recorded as a spent challenge with one failure:
 * the per-user budget then counts it like a wrong code at login.
 */
async function recordFailure(tx: Executor, userId: string, now: number): Promise<void> {
  await tx.insert(mfaChallenges).values({
    tokenHash: hashToken(randomToken(16)),
    userId,
    expiresAt: new Date(now),
    usedAt: new Date(now),
    failedAttempts: 1,
  });
}

async function replaceRecoveryCodes(tx: Executor, userId: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await tx.delete(mfaRecoveryCodes).where(eq(mfaRecoveryCodes.userId, userId));
  await tx
    .insert(mfaRecoveryCodes)
    .values(codes.map((c) => ({ userId, codeHash: recoveryHash(userId, c.replaceAll('-', '')) })));
  return codes;
}

/** Revokes the user's other sessions; returns their ids to evict from the cache after commit. */
async function revokeOtherSessions(tx: Executor, userId: string, reason: string, keep: string | undefined) {
  const ids = await revokeUserSessions(tx, userId, reason, keep);
  return { revoked: ids.length, ids };
}

function userOf(ctx: ActorContext): string {
  if (ctx.actor.type !== 'user') throw invalid('AUTH_NOT_A_USER', 'Only a user can manage MFA (not an API key).');
  return ctx.actor.id;
}

/** Loads the caller and checks their password again (outside any transaction: argon2 is slow). */
async function reauthenticate(deps: AuthDeps, userId: string, password: string): Promise<UserRow> {
  const [user] = await deps.db.select().from(users).where(eq(users.id, userId));
  if (!user) throw notFound('AUTH_USER_NOT_FOUND', 'The user no longer exists.');
  if (!user.passwordHash) {
    await verifyAgainstDummy(password);
    throw verificationFailed('password');
  }
  if (!(await verifyPassword(user.passwordHash, password))) throw verificationFailed('password');
  return user;
}

/** `POST /auth/mfa/totp/enroll`: a new secret, sealed but not yet in force until confirmed. */
export async function enrollTotp(deps: AuthDeps, ctx: ActorContext, password: string) {
  const user = await reauthenticate(deps, userOf(ctx), password);
  if (user.mfaEnabledAt) throw alreadyEnabled();
  const secret = new Secret({ size: 20 }); // 160 bits, as RFC 4226 recommends
  const pending = await deps.db
    .update(users)
    .set({
      totpSecretSealed: deps.ring.seal(secret.base32, totpAad(user.id)),
      totpLastStep: null,
      updatedAt: new Date(),
    })
    .where(and(eq(users.id, user.id), isNull(users.mfaEnabledAt)))
    .returning({ id: users.id });
  if (pending.length === 0) throw alreadyEnabled();
  const otpauthUri = totpOf(secret, user.email).toString();
  return { secret: secret.base32, otpauthUri, qrSvg: renderSVG(otpauthUri, { ecc: 'M', pixelSize: 6, border: 2 }) };
}

/** `POST /auth/mfa/totp/confirm`: turns MFA on, returns recovery codes once, ends other sessions. */
export async function confirmTotp(
  deps: AuthDeps,
  ctx: ActorContext,
  code: string,
): Promise<{ recoveryCodes: string[] }> {
  const userId = userOf(ctx);
  const now = Date.now();
  const outcome = await deps.db.transaction(async (tx) => {
    const [user] = await tx.select().from(users).where(eq(users.id, userId)).for('update');
    if (!user) return { error: notFound('AUTH_USER_NOT_FOUND', 'The user no longer exists.') };
    if (user.mfaEnabledAt) return { error: alreadyEnabled() };
    if (!user.totpSecretSealed) {
      return { error: conflict('MFA_NOT_ENROLLED', 'No enrolment is pending: start with POST /auth/mfa/totp/enroll.') };
    }
    // Only a TOTP code proves the app holds the secret (no recovery codes exist yet anyway).
    const check = parseCode(code)?.kind === 'totp' ? await consumeCode(tx, deps, user, code, now) : undefined;
    if (!check?.ok) return { error: verificationFailed(check?.reason ?? 'code') };
    await tx
      .update(users)
      .set({ mfaEnabledAt: new Date(now), updatedAt: new Date(now) })
      .where(eq(users.id, userId));
    const recoveryCodes = await replaceRecoveryCodes(tx, userId);
    const ended = await revokeOtherSessions(tx, userId, 'mfa_enabled', ctx.sessionId);
    await recordAudit(tx, ctx, {
      action: 'user.mfa_enabled',
      targetType: 'user',
      targetId: userId,
      after: { method: 'totp', revokedSessions: ended.revoked },
    });
    return { recoveryCodes, evict: ended.ids };
  });
  if ('error' in outcome) throw outcome.error;
  // After commit: a request racing the revocation must not re-cache a live session.
  for (const id of outcome.evict) deps.cache.forgetSession(id);
  return { recoveryCodes: outcome.recoveryCodes };
}

/**
 * Password and a code (TOTP or recovery), for changes to an enabled MFA; then `change` runs in
 * the same transaction. A wrong code counts against the user's failure budget.
 */
async function withBothFactors<T>(
  deps: AuthDeps,
  ctx: ActorContext,
  input: { password: string; code: string },
  change: (tx: Executor, user: UserRow, method: Method) => Promise<T>,
): Promise<T> {
  const userId = (await reauthenticate(deps, userOf(ctx), input.password)).id;
  const now = Date.now();
  const outcome = await deps.db.transaction(async (tx) => {
    const [user] = await tx.select().from(users).where(eq(users.id, userId)).for('update');
    if (!user?.mfaEnabledAt) return { error: conflict('MFA_NOT_ENABLED', 'MFA is not on for this account.') };
    const exhausted = await checkFailureBudget(tx, userId, now);
    if (exhausted) return { error: exhausted };
    const check = await consumeCode(tx, deps, user, input.code, now);
    if (!check.ok) {
      if (check.reason === 'code') await recordFailure(tx, userId, now);
      return { error: verificationFailed(check.reason) };
    }
    return { value: await change(tx, user, check.method) };
  });
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}

/** `POST /auth/mfa/disable`: removes the secret and recovery codes and ends other sessions. */
export async function disableMfa(deps: AuthDeps, ctx: ActorContext, input: { password: string; code: string }) {
  const evict = await withBothFactors(deps, ctx, input, async (tx, user, method) => {
    await tx
      .update(users)
      .set({ totpSecretSealed: null, mfaEnabledAt: null, totpLastStep: null, updatedAt: new Date() })
      .where(eq(users.id, user.id));
    await tx.delete(mfaRecoveryCodes).where(eq(mfaRecoveryCodes.userId, user.id));
    const ended = await revokeOtherSessions(tx, user.id, 'mfa_disabled', ctx.sessionId);
    await recordAudit(tx, ctx, {
      action: 'user.mfa_disabled',
      targetType: 'user',
      targetId: user.id,
      after: { provedWith: method, revokedSessions: ended.revoked },
    });
    return ended.ids;
  });
  for (const id of evict) deps.cache.forgetSession(id);
}

/** `POST /auth/mfa/recovery-codes`: a fresh set; every earlier code stops working. */
export async function regenerateRecoveryCodes(
  deps: AuthDeps,
  ctx: ActorContext,
  input: { password: string; code: string },
): Promise<{ recoveryCodes: string[] }> {
  return withBothFactors(deps, ctx, input, async (tx, user, method) => {
    const recoveryCodes = await replaceRecoveryCodes(tx, user.id);
    await recordAudit(tx, ctx, {
      action: 'user.mfa_recovery_codes_regenerated',
      targetType: 'user',
      targetId: user.id,
      after: { provedWith: method },
    });
    return { recoveryCodes };
  });
}

/** `GET /auth/mfa`: whether MFA is on, an enrolment is pending, and how many recovery codes remain. */
export async function getMfaStatus(db: Executor, ctx: ActorContext) {
  const userId = userOf(ctx);
  const [user] = await db
    .select({ enabledAt: users.mfaEnabledAt, sealed: users.totpSecretSealed })
    .from(users)
    .where(eq(users.id, userId));
  if (!user) throw notFound('AUTH_USER_NOT_FOUND', 'The user no longer exists.');
  const [left] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(mfaRecoveryCodes)
    .where(and(eq(mfaRecoveryCodes.userId, userId), isNull(mfaRecoveryCodes.usedAt)));
  return {
    enabled: user.enabledAt !== null,
    enabledAt: user.enabledAt?.toISOString() ?? null,
    enrollmentPending: user.enabledAt === null && user.sealed !== null,
    recoveryCodesLeft: Number(left?.n ?? 0),
  };
}

/**
 * `POST /auth/login/mfa`: the second step of a login. The challenge row is locked, so attempts on
 * one challenge are serialised across processes; wrong codes are counted in the same transaction.
 */
export async function completeMfaLogin(
  deps: AuthDeps,
  input: { mfaToken: string; code: string },
  client: ClientInfo,
): Promise<SessionTokens> {
  const now = Date.now();
  const tokenHash = hashToken(input.mfaToken);
  const outcome = await deps.db.transaction(async (tx) => {
    const [challenge] = await tx
      .select()
      .from(mfaChallenges)
      .where(eq(mfaChallenges.tokenHash, tokenHash))
      .for('update');
    if (
      !challenge?.tenantId ||
      challenge.usedAt ||
      challenge.expiresAt.getTime() <= now ||
      challenge.failedAttempts >= CHALLENGE_MAX_ATTEMPTS
    ) {
      return { error: challengeExpired() };
    }
    const [row] = await tx
      .select({ user: users, role: memberships.role, tenantName: tenants.name, tenantStatus: tenants.status })
      .from(users)
      .innerJoin(memberships, and(eq(memberships.userId, users.id), eq(memberships.tenantId, challenge.tenantId)))
      .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
      .where(eq(users.id, challenge.userId));
    // MFA turned off, membership or account gone since the password step: start again.
    if (!row?.user.mfaEnabledAt) return { error: challengeExpired() };
    if (row.user.status !== 'active') {
      return { error: new AppError('AUTH_ACCOUNT_DISABLED', 'forbidden', 'This account is disabled.') };
    }
    if (row.tenantStatus !== 'active') {
      return { error: new AppError('TENANT_SUSPENDED', 'forbidden', 'This tenant is suspended.') };
    }
    const exhausted = await checkFailureBudget(tx, row.user.id, now);
    if (exhausted) return { error: exhausted };
    const check = await consumeCode(tx, deps, row.user, input.code, now);
    if (!check.ok) {
      if (check.reason === 'code_reused') return { error: codeReused() };
      const [counted] = await tx
        .update(mfaChallenges)
        .set({ failedAttempts: sql`${mfaChallenges.failedAttempts} + 1` })
        .where(eq(mfaChallenges.tokenHash, tokenHash))
        .returning({ n: mfaChallenges.failedAttempts });
      return { error: invalidCode(Math.max(0, CHALLENGE_MAX_ATTEMPTS - (counted?.n ?? CHALLENGE_MAX_ATTEMPTS))) };
    }
    await tx
      .update(mfaChallenges)
      .set({ usedAt: new Date(now) })
      .where(eq(mfaChallenges.tokenHash, tokenHash));
    const session = await startSession(tx, deps.config, {
      userId: row.user.id,
      tenantId: challenge.tenantId,
      ip: client.ip,
      userAgent: client.userAgent,
    });
    const actor: ActorContext = {
      tenantId: challenge.tenantId,
      actor: { type: 'user', id: row.user.id },
      sessionId: session.sessionId,
      requestId: client.requestId,
      ip: client.ip,
      userAgent: client.userAgent,
    };
    await recordAudit(tx, actor, {
      action: 'user.logged_in',
      targetType: 'session',
      targetId: session.sessionId,
      after: { mfa: check.method },
    });
    return { user: row.user, tenant: { id: challenge.tenantId, name: row.tenantName }, role: row.role, session };
  });
  if ('error' in outcome) throw outcome.error;
  return issueTokens(deps, outcome.user, outcome.tenant, outcome.role, outcome.session);
}
