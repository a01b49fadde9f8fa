import { asc, eq, lt } from 'drizzle-orm';
import type { Role } from '../../platform/context.ts';
import { hashToken, randomToken } from '../../platform/crypto/index.ts';
import type { Executor } from '../../platform/db/database.ts';
import { AppError } from '../../platform/errors.ts';
import { tenants } from '../tenants/index.ts';
import { memberships, mfaChallenges } from './identity.table.ts';

/**
 * Steps every way of logging in shares (password, SSO, and later others), kept in one place so
 * a rule — which tenant a login lands in, how an MFA step is owed — cannot drift between them.
 */

/** How long the second step of an MFA login may take. */
export const MFA_CHALLENGE_TTL_SECONDS = 5 * 60;
/**
 * Challenges older than this are deleted when new ones are made. It must exceed both the
 * challenge lifetime and the window over which mfa.service.ts counts a user's wrong codes.
 */
const MFA_CHALLENGE_KEEP_MS = 60 * 60_000;

export interface MfaRequired {
  mfaRequired: true;
  mfaToken: string;
  expiresIn: number;
}

/** The first factor passed but a code is still owed: no session until the second step. */
export async function createMfaChallenge(tx: Executor, userId: string, tenantId: string): Promise<MfaRequired> {
  const mfaToken = `mfa_${randomToken(32)}`;
  const now = Date.now();
  // Pruned here, where rows are made, so the table (no index by user) stays small.
  await tx.delete(mfaChallenges).where(lt(mfaChallenges.createdAt, new Date(now - MFA_CHALLENGE_KEEP_MS)));
  await tx.insert(mfaChallenges).values({
    tokenHash: hashToken(mfaToken),
    userId,
    tenantId,
    expiresAt: new Date(now + MFA_CHALLENGE_TTL_SECONDS * 1000),
  });
  return { mfaRequired: true, mfaToken, expiresIn: MFA_CHALLENGE_TTL_SECONDS };
}

/**
 * The tenant a login lands in: the one asked for, or else the user's oldest active membership.
 * `notMember` is the error for a named tenant the user does not belong to.
 */
export async function chooseLoginTenant(
  db: Executor,
  userId: string,
  wanted: string | null | undefined,
  notMember: () => Error,
): Promise<{ tenantId: string; name: string; role: Role }> {
  const rows = await db
    .select({ tenantId: memberships.tenantId, role: memberships.role, name: tenants.name, status: tenants.status })
    .from(memberships)
    .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
    .where(eq(memberships.userId, userId))
    .orderBy(asc(memberships.createdAt));
  const chosen = wanted ? rows.find((r) => r.tenantId === wanted) : rows.find((r) => r.status === 'active');
  if (!chosen) {
    if (wanted) throw notMember();
    throw new AppError('AUTH_NO_TENANT', 'forbidden', 'You are not a member of any active tenant.');
  }
  if (chosen.status !== 'active') throw new AppError('TENANT_SUSPENDED', 'forbidden', 'This tenant is suspended.');
  return { tenantId: chosen.tenantId, name: chosen.name, role: chosen.role };
}
