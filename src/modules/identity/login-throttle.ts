import { asc, eq, lt, sql } from 'drizzle-orm';
import type { AuthConfig } from '../../config.ts';
import { hashToken } from '../../platform/crypto/index.ts';
import type { Database, Executor } from '../../platform/db/database.ts';
import { AppError } from '../../platform/errors.ts';
import { recordAudit } from '../audit/index.ts';
import type { ClientInfo } from './auth.service.ts';
import { loginThrottles, memberships } from './identity.table.ts';

/**
 * Per-account login throttling: after `loginMaxFailures` consecutive wrong passwords an email
 * address is locked for `loginLockoutSeconds`, and every login for it is refused — the right
 * password included, or the lock would only slow a guesser down until they hit it.
 *
 * Invariants:
 * - The state is keyed by a hash of the address, never by user id, so an unknown address counts,
 *   locks and answers exactly like a known one: a lock reveals nothing about who has an account.
 * - It lives in the database, so it holds across api processes and restarts.
 * - A password right before the lock resets the count; a password reset (the recovery path, by
 *   the emailed link) lifts the lock.
 * - At most `loginMaxFailures` audit entries per account per window: attempts refused while
 *   locked are not audited, or a locked-out guesser could still fill a tenant's audit log.
 *
 * Concurrent wrong guesses that all pass the lock check before the count reaches the limit can
 * overshoot it by the number in flight; the per-IP auth rate limit bounds that.
 */

type ThrottleConfig = Pick<AuthConfig, 'loginMaxFailures' | 'loginLockoutSeconds'>;

/** The key of an address: hashed so the table holds no emails (a lookup still needs the address). */
export const throttleKey = (email: string): string => hashToken(`login-throttle:${email.trim().toLowerCase()}`);

export const accountLocked = (retryAfterSeconds: number) =>
  new AppError(
    'AUTH_ACCOUNT_LOCKED',
    'rate_limited',
    'Too many failed logins: this account is locked for a while. Retry later, or reset the password to unlock it now.',
    { extra: { retryAfterSeconds } },
  );

/** Seconds left on the address's lock, or undefined when it may log in. */
export async function lockRemaining(db: Executor, email: string, now = new Date()): Promise<number | undefined> {
  const [row] = await db
    .select({ lockedUntil: loginThrottles.lockedUntil })
    .from(loginThrottles)
    .where(eq(loginThrottles.emailHash, throttleKey(email)));
  if (!row?.lockedUntil || row.lockedUntil <= now) return undefined;
  return Math.max(1, Math.ceil((row.lockedUntil.getTime() - now.getTime()) / 1000));
}

/**
 * Counts a wrong password for the address (known or not) and, for a known user, audits it in
 * their first tenant. Returns the error the login should answer with: AUTH_ACCOUNT_LOCKED when
 * this failure reached the limit, else `wrong`.
 */
export async function recordLoginFailure(
  db: Database,
  config: ThrottleConfig,
  attempt: { email: string; userId: string | undefined; client: ClientInfo },
  wrong: AppError,
): Promise<AppError> {
  const now = new Date();
  const windowStart = new Date(now.getTime() - config.loginLockoutSeconds * 1000);
  const lockUntil = new Date(now.getTime() + config.loginLockoutSeconds * 1000);
  const at = (d: Date) => sql`${d.toISOString()}::timestamptz`;
  // A failure long after the previous one, or after a lock ran out, starts a new count.
  const failures = sql`case
    when ${loginThrottles.lastFailureAt} <= ${at(windowStart)}
      or (${loginThrottles.lockedUntil} is not null and ${loginThrottles.lockedUntil} <= ${at(now)})
    then 1 else ${loginThrottles.failures} + 1 end`;
  const firstLock = config.loginMaxFailures <= 1 ? lockUntil : null;
  const locked = await db.transaction(async (tx) => {
    // Stale rows (mostly guessed addresses) go where new ones are made; the index keeps it cheap.
    await tx.delete(loginThrottles).where(lt(loginThrottles.lastFailureAt, windowStart));
    const [row] = await tx
      .insert(loginThrottles)
      .values({ emailHash: throttleKey(attempt.email), failures: 1, lastFailureAt: now, lockedUntil: firstLock })
      .onConflictDoUpdate({
        target: loginThrottles.emailHash,
        set: {
          failures,
          lastFailureAt: now,
          lockedUntil: sql`case when ${failures} >= ${config.loginMaxFailures} then ${at(lockUntil)} else null end`,
        },
      })
      .returning({ failures: loginThrottles.failures, lockedUntil: loginThrottles.lockedUntil });
    const nowLocked = Boolean(row?.lockedUntil && row.lockedUntil > now);
    if (attempt.userId) await auditFailure(tx, attempt.userId, attempt.client, nowLocked, row?.failures ?? 1);
    return nowLocked;
  });
  return locked ? accountLocked(config.loginLockoutSeconds) : wrong;
}

/** After a right password or a password reset: the count starts again and any lock is lifted. */
export async function clearLoginFailures(db: Executor, email: string): Promise<void> {
  await db.delete(loginThrottles).where(eq(loginThrottles.emailHash, throttleKey(email)));
}

/** Audits in the user's first tenant (audit entries belong to one); a user without any is skipped. */
async function auditFailure(tx: Executor, userId: string, client: ClientInfo, locked: boolean, failures: number) {
  const [first] = await tx
    .select({ tenantId: memberships.tenantId })
    .from(memberships)
    .where(eq(memberships.userId, userId))
    .orderBy(asc(memberships.createdAt))
    .limit(1);
  if (!first) return;
  await recordAudit(
    tx,
    {
      tenantId: first.tenantId,
      // Nobody proved who they are: the attempt is anonymous, aimed at the user.
      actor: { type: 'anonymous', id: 'anonymous' },
      requestId: client.requestId,
      ip: client.ip,
      userAgent: client.userAgent,
    },
    {
      action: 'user.login_failed',
      targetType: 'user',
      targetId: userId,
      after: { outcome: locked ? 'locked_out' : 'wrong_password', failures },
    },
  );
}
