import { and, eq, gt, isNull, ne } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.ts';
import { newId } from '../../platform/ids.ts';
import { hashToken, randomToken } from '../../platform/crypto/index.ts';
import type { AuthConfig } from '../../config.ts';
import { refreshTokens, sessions } from './identity.table.ts';

/** Starts a session (a refresh-token family) and returns its first refresh token. */
export async function startSession(
  tx: Executor,
  config: AuthConfig,
  input: { userId: string; tenantId: string; ip: string | undefined; userAgent: string | undefined },
): Promise<{ sessionId: string; refreshToken: string }> {
  const now = Date.now();
  const sessionId = newId('ses', now);
  await tx.insert(sessions).values({
    id: sessionId,
    userId: input.userId,
    tenantId: input.tenantId,
    expiresAt: new Date(now + config.sessionMaxAgeSeconds * 1000),
    ip: input.ip ?? null,
    userAgent: input.userAgent?.slice(0, 512) ?? null,
  });
  const refreshToken = await issueRefreshToken(tx, config, sessionId, now);
  return { sessionId, refreshToken };
}

/** A new refresh token for a session; it never outlives the session's absolute expiry. */
export async function issueRefreshToken(tx: Executor, config: AuthConfig, sessionId: string, now = Date.now()) {
  const token = `rt_${randomToken(32)}`;
  await tx.insert(refreshTokens).values({
    tokenHash: hashToken(token),
    sessionId,
    expiresAt: new Date(now + config.refreshTokenTtlSeconds * 1000),
  });
  return token;
}

export async function revokeSession(tx: Executor, sessionId: string, reason: string): Promise<boolean> {
  const rows = await tx
    .update(sessions)
    .set({ revokedAt: new Date(), revokedReason: reason })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return rows.length > 0;
}

/**
 * Revokes every live session of a user except `keep` (password change, MFA change, …) in one
 * statement; returns the ids, for the caller to evict from the auth cache after commit.
 */
export async function revokeUserSessions(
  tx: Executor,
  userId: string,
  reason: string,
  keep?: string,
): Promise<string[]> {
  const rows = await tx
    .update(sessions)
    .set({ revokedAt: new Date(), revokedReason: reason })
    .where(
      and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, new Date()),
        keep ? ne(sessions.id, keep) : undefined,
      ),
    )
    .returning({ id: sessions.id });
  return rows.map((r) => r.id);
}
