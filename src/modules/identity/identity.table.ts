import { sql } from 'drizzle-orm';
import { boolean, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { tenants } from '../tenants/index.ts';

import { ROLES } from '../../platform/context.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date', precision: 3 });

/** People. Global, not tenant-scoped: one user can belong to several tenants. */
export const users = pgTable(
  'users',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull(),
    name: text('name').notNull(),
    /** argon2id PHC string; null for accounts that only sign in through SSO. */
    passwordHash: text('password_hash'),
    emailVerifiedAt: ts('email_verified_at'),
    /** The instance operator stands above tenants (list, suspend, quotas, instance health). */
    isOperator: boolean('is_operator').notNull().default(false),
    status: text('status', { enum: ['active', 'disabled'] })
      .notNull()
      .default('active'),
    /** TOTP secret sealed with the master key ring (AAD `user:<id>:totp`); null until enrolled. */
    totpSecretSealed: text('totp_secret_sealed'),
    /** Set once the user confirmed enrolment with a valid code: from then on login asks for one. */
    mfaEnabledAt: ts('mfa_enabled_at'),
    /** The last TOTP time step accepted: a code from that step or earlier is a replay. */
    totpLastStep: integer('totp_last_step'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('users_email_lower_idx').on(sql`lower(${t.email})`)],
);

/** One-time recovery codes for MFA, stored hashed; each works once. */
export const mfaRecoveryCodes = pgTable(
  'mfa_recovery_codes',
  {
    codeHash: text('code_hash').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: ts('created_at').notNull().defaultNow(),
    usedAt: ts('used_at'),
  },
  (t) => [index('mfa_recovery_codes_user_idx').on(t.userId)],
);

/**
 * The second step of a login with MFA: the password was right, a code is still owed. The token
 * (hashed here) is short-lived, single use, and allows a bounded number of wrong codes.
 */
export const mfaChallenges = pgTable('mfa_challenges', {
  tokenHash: text('token_hash').primaryKey(),
  userId: text('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  tenantId: text('tenant_id').references(() => tenants.id, { onDelete: 'cascade' }),
  createdAt: ts('created_at').notNull().defaultNow(),
  expiresAt: ts('expires_at').notNull(),
  failedAttempts: integer('failed_attempts').notNull().default(0),
  usedAt: ts('used_at'),
});

/** Single-use emailed links: email verification and password reset. Stored hashed. */
export const userTokens = pgTable(
  'user_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: text('purpose', { enum: ['verify_email', 'reset_password'] }).notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
    usedAt: ts('used_at'),
  },
  (t) => [index('user_tokens_user_idx').on(t.userId)],
);

/** Invitations to join a tenant with a role; the emailed token is stored hashed. */
export const invitations = pgTable(
  'invitations',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    role: text('role', { enum: ROLES }).notNull(),
    tokenHash: text('token_hash').notNull(),
    invitedBy: text('invited_by').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
    acceptedAt: ts('accepted_at'),
    acceptedBy: text('accepted_by'),
    revokedAt: ts('revoked_at'),
  },
  (t) => [uniqueIndex('invitations_token_idx').on(t.tokenHash), index('invitations_tenant_idx').on(t.tenantId)],
);

/** SSO providers: per instance (tenant null) or per tenant. Client secrets are sealed. */
export const identityProviders = pgTable(
  'identity_providers',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').references(() => tenants.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['oidc', 'github'] }).notNull(),
    /** Shown on the login button. */
    name: text('name').notNull(),
    issuer: text('issuer'),
    clientId: text('client_id').notNull(),
    clientSecretSealed: text('client_secret_sealed').notNull(),
    scopes: text('scopes').notNull().default('openid email profile'),
    createdAt: ts('created_at').notNull().defaultNow(),
    disabledAt: ts('disabled_at'),
  },
  (t) => [index('identity_providers_tenant_idx').on(t.tenantId)],
);

/** A user's account at an SSO provider (provider + subject), linked by verified email only. */
export const userIdentities = pgTable(
  'user_identities',
  {
    providerId: text('provider_id')
      .notNull()
      .references(() => identityProviders.id, { onDelete: 'cascade' }),
    subject: text('subject').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    email: text('email'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.providerId, t.subject] }), index('user_identities_user_idx').on(t.userId)],
);

/** In-flight SSO logins: state (hashed), nonce and PKCE verifier (sealed), single use. */
export const ssoStates = pgTable('sso_states', {
  stateHash: text('state_hash').primaryKey(),
  providerId: text('provider_id')
    .notNull()
    .references(() => identityProviders.id, { onDelete: 'cascade' }),
  nonce: text('nonce').notNull(),
  codeVerifierSealed: text('code_verifier_sealed').notNull(),
  redirectTo: text('redirect_to'),
  createdAt: ts('created_at').notNull().defaultNow(),
  expiresAt: ts('expires_at').notNull(),
  usedAt: ts('used_at'),
});

/** A user's role in a tenant. */
export const memberships = pgTable(
  'memberships',
  {
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ROLES }).notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.userId] }), index('memberships_user_idx').on(t.userId)],
);

/**
 * A login session: one refresh-token family. Access tokens name it (`sid`), so revoking the
 * session makes its access tokens useless at once, not only when they expire.
 */
export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The tenant this session currently acts in (switchable among the user's memberships). */
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    createdAt: ts('created_at').notNull().defaultNow(),
    lastUsedAt: ts('last_used_at').notNull().defaultNow(),
    /** Absolute lifetime: refreshing never extends a session past this. */
    expiresAt: ts('expires_at').notNull(),
    revokedAt: ts('revoked_at'),
    revokedReason: text('revoked_reason'),
    ip: text('ip'),
    userAgent: text('user_agent'),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

/** Opaque refresh tokens, stored hashed; each is used once and replaced (rotation). */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    createdAt: ts('created_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
    /** Set when exchanged; presenting it again is reuse and revokes the whole family. */
    usedAt: ts('used_at'),
    /**
     * Who exchanged it: a hash of the client's IP and user agent. The same client presenting it
     * again within the grace window lost the answer (a reload mid-refresh), not its token.
     */
    usedBy: text('used_by'),
  },
  (t) => [index('refresh_tokens_session_idx').on(t.sessionId)],
);

/** Tenant API keys, stored hashed, with a role that caps what they can do. */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** First characters of the key, shown in lists so people can tell keys apart. */
    prefix: text('prefix').notNull(),
    keyHash: text('key_hash').notNull(),
    /** The creator's role when the key was made: the key never exceeds it. */
    role: text('role', { enum: ROLES }).notNull(),
    /** Permissions the key carries (`items:read`, …), each within `role`'s permissions. */
    scopes: text('scopes')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    createdBy: text('created_by').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    lastUsedAt: ts('last_used_at'),
    expiresAt: ts('expires_at'),
    revokedAt: ts('revoked_at'),
  },
  (t) => [uniqueIndex('api_keys_hash_idx').on(t.keyHash), index('api_keys_tenant_idx').on(t.tenantId)],
);

/**
 * Failed password logins per email address, for throttling and temporary lockout. Keyed by a
 * hash of the normalised address — known or not — so a lockout looks the same either way and
 * the table holds no addresses. Rows are transient: a success or a password reset deletes them,
 * and stale ones are pruned when new failures are written.
 */
export const loginThrottles = pgTable(
  'login_throttles',
  {
    /** SHA-256 of the lower-cased, trimmed email. */
    emailHash: text('email_hash').primaryKey(),
    /** Consecutive wrong passwords, counting from the first one still inside the window. */
    failures: integer('failures').notNull(),
    lastFailureAt: ts('last_failure_at').notNull(),
    /** While in the future, every login for the address is refused, right password or not. */
    lockedUntil: ts('locked_until'),
  },
  (t) => [index('login_throttles_last_failure_idx').on(t.lastFailureAt)],
);
