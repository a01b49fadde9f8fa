import { and, asc, eq, sql } from 'drizzle-orm';
import type { AuthConfig } from '../../../config.ts';
import type { ActorContext, Role } from '../../../platform/context.ts';
import type { Executor } from '../../../platform/db/database.ts';
import { AppError } from '../../../platform/errors.ts';
import { newId } from '../../../platform/ids.ts';
import { recordAudit } from '../../audit/index.ts';
import { tenants } from '../../tenants/index.ts';
import type { ClientInfo } from '../auth.service.ts';
import { memberships, userIdentities, users } from '../identity.table.ts';
import type { ExternalIdentity } from './adapter.ts';
import type { LoginProvider } from './providers.service.ts';
import { chooseLoginTenant } from '../login-steps.ts';
import { ssoErrors } from './sso.errors.ts';

type User = typeof users.$inferSelect;

export interface ResolvedLogin {
  user: User;
  tenant: { id: string; name: string };
  role: Role;
}

const actor = (userId: string, tenantId: string, client: ClientInfo): ActorContext => ({
  tenantId,
  actor: { type: 'user', id: userId },
  requestId: client.requestId,
  ip: client.ip,
  userAgent: client.userAgent,
});

/** A display name from the provider, bounded and printable; else the email's local part. */
function displayName(identity: ExternalIdentity, email: string): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = (identity.name ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return (cleaned || email.split('@')[0] || 'User').slice(0, 100);
}

/**
 * Finds or makes the local user for an external identity, inside the caller's transaction:
 *
 * 1. an existing link (provider + subject) → that user;
 * 2. else, only with an email the provider marks verified: the user with that email, if their
 *    own address is verified too (otherwise someone could pre-register a victim's address with a
 *    password and wait for the victim's SSO login to hand them the account) — and, for a
 *    tenant's provider, only if they are a member of that tenant (a tenant admin controls that
 *    IdP and must not be able to claim accounts outside their organisation);
 * 3. else a new user without a password: an instance provider gives them their own organisation
 *    (as sign-up does, and refused when SIGNUP_MODE is closed); a tenant provider makes them a
 *    viewer of that tenant.
 *
 * Then picks the tenant the session starts in: the provider's tenant for a tenant provider,
 * else the oldest active membership.
 */
export async function resolveSsoUser(
  tx: Executor,
  config: AuthConfig,
  provider: LoginProvider,
  identity: ExternalIdentity,
  client: ClientInfo,
): Promise<ResolvedLogin> {
  // Two simultaneous first logins of the same identity must not both create a user.
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`sso:${provider.id}:${identity.subject}`}, 0))`);
  const [linked] = await tx
    .select({ user: users })
    .from(userIdentities)
    .innerJoin(users, eq(users.id, userIdentities.userId))
    .where(and(eq(userIdentities.providerId, provider.id), eq(userIdentities.subject, identity.subject)));
  let user = linked?.user;
  if (!user) user = await linkOrCreate(tx, config, provider, identity, client);
  if (user.status !== 'active') throw new AppError('AUTH_ACCOUNT_DISABLED', 'forbidden', 'This account is disabled.');

  const chosen = await chooseLoginTenant(tx, user.id, provider.tenantId, () => ssoErrors.notAMember());
  return { user, tenant: { id: chosen.tenantId, name: chosen.name }, role: chosen.role };
}

async function linkOrCreate(
  tx: Executor,
  config: AuthConfig,
  provider: LoginProvider,
  identity: ExternalIdentity,
  client: ClientInfo,
): Promise<User> {
  const email = identity.email;
  if (!email || !identity.emailVerified) throw ssoErrors.emailNotVerified();
  const link = { providerId: provider.id, subject: identity.subject, email };
  const [existing] = await tx
    .select()
    .from(users)
    .where(sql`lower(${users.email}) = ${email}`);
  if (existing) {
    if (!existing.emailVerifiedAt) throw ssoErrors.accountNotVerified();
    if (provider.tenantId) {
      const [member] = await tx
        .select({ role: memberships.role })
        .from(memberships)
        .where(and(eq(memberships.userId, existing.id), eq(memberships.tenantId, provider.tenantId)));
      if (!member) throw ssoErrors.emailInUse();
    }
    await tx.insert(userIdentities).values({ ...link, userId: existing.id });
    const homeTenant = provider.tenantId ?? (await oldestTenant(tx, existing.id));
    if (homeTenant) {
      await recordAudit(tx, actor(existing.id, homeTenant, client), {
        action: 'user.identity_linked',
        targetType: 'user',
        targetId: existing.id,
        after: { provider: provider.id, subject: identity.subject, via: 'verified_email' },
      });
    }
    return existing;
  }

  if (!provider.tenantId && config.signupMode === 'closed') {
    throw new AppError(
      'AUTH_SIGNUP_CLOSED',
      'forbidden',
      'Sign-up is closed on this instance; ask its operator for an account.',
    );
  }
  const name = displayName(identity, email);
  const userId = newId('usr');
  const [user] = await tx
    .insert(users)
    .values({ id: userId, email, name, passwordHash: null, emailVerifiedAt: new Date() })
    .returning();
  if (!user) throw new Error('insert returned no row');
  let tenantId: string;
  let role: Role;
  if (provider.tenantId) {
    // A tenant's provider is how that tenant lets its people in: they join with the least role.
    tenantId = provider.tenantId;
    role = 'viewer';
  } else {
    tenantId = newId('ten');
    role = 'owner';
    await tx.insert(tenants).values({ id: tenantId, name: `${name}'s organisation`.slice(0, 100) });
  }
  await tx.insert(memberships).values({ tenantId, userId, role });
  await tx.insert(userIdentities).values({ ...link, userId });
  await recordAudit(tx, actor(userId, tenantId, client), {
    action: 'user.signed_up',
    targetType: 'user',
    targetId: userId,
    after: { email, name, tenantId, role, via: 'sso', provider: provider.id },
  });
  return user;
}

async function oldestTenant(tx: Executor, userId: string): Promise<string | undefined> {
  const [row] = await tx
    .select({ tenantId: memberships.tenantId })
    .from(memberships)
    .where(eq(memberships.userId, userId))
    .orderBy(asc(memberships.createdAt))
    .limit(1);
  return row?.tenantId;
}
