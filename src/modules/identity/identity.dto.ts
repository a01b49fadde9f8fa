import { z } from 'zod';
import { ROLES } from '../../platform/context.ts';
import { idPattern } from '../../platform/ids.ts';
import { safeText } from '../../platform/validation.ts';

export const Email = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email({ error: 'is not an email address' }))
  .transform((e) => e.toLowerCase());

/** Bounded in bytes before hashing: argon2 on megabytes of input is a denial of service. */
export const Password = z.string().min(1).max(256);

export const SignupBody = z
  .strictObject({
    email: Email,
    password: Password,
    name: safeText({ min: 1, max: 100 }),
    organizationName: safeText({ min: 1, max: 100 }),
  })
  .meta({ id: 'Signup' });

export const LoginBody = z
  .strictObject({
    email: Email,
    password: Password,
    tenantId: z
      .string()
      .regex(idPattern('ten'))
      .optional()
      .describe('Tenant to act in; default: the oldest membership'),
  })
  .meta({ id: 'Login' });

export const RefreshBody = z
  .strictObject({
    refreshToken: z
      .string()
      .min(20)
      .max(200)
      .optional()
      .describe('Omit to use the sy_refresh cookie (with X-CSRF-Token)'),
  })
  .meta({ id: 'Refresh' });
export const SwitchTenantBody = z.strictObject({ tenantId: z.string().regex(idPattern('ten')) });

export const SessionTokensSchema = z
  .object({
    tokenType: z.literal('Bearer'),
    accessToken: z.string(),
    expiresIn: z.number().int().describe('Seconds until the access token expires'),
    refreshToken: z.string().describe('Opaque, single use: each refresh returns a new one'),
    sessionId: z.string(),
    user: z.object({ id: z.string(), email: z.string(), name: z.string(), isOperator: z.boolean() }),
    tenant: z.object({ id: z.string(), name: z.string(), role: z.enum(ROLES) }),
  })
  .meta({ id: 'SessionTokens' });
export type SessionTokens = z.output<typeof SessionTokensSchema>;

/** What a correct password earns when the account has MFA on: a ticket for the second step. */
export const MfaRequiredSchema = z
  .object({
    mfaRequired: z.literal(true),
    mfaToken: z.string().describe('Single use: send it with a code to POST /auth/login/mfa'),
    expiresIn: z.number().int().describe('Seconds until the MFA token expires'),
  })
  .meta({ id: 'MfaRequired' });
export type MfaRequired = z.output<typeof MfaRequiredSchema>;

export const LoginResultSchema = z
  .union([SessionTokensSchema, MfaRequiredSchema])
  .describe('A session, or — when the account has MFA on — `mfaRequired` and a token for the second step');

export const MeSchema = z
  .object({
    user: z.object({
      id: z.string(),
      email: z.string(),
      name: z.string(),
      isOperator: z.boolean(),
      createdAt: z.iso.datetime(),
      mfaEnabled: z.boolean().describe('Whether logging in asks for a second factor'),
      emailVerified: z.boolean().describe('Whether the user proved they own the address (POST /auth/verify-email)'),
    }),
    tenant: z.object({ id: z.string(), name: z.string(), role: z.enum(ROLES) }),
    memberships: z.array(z.object({ tenantId: z.string(), tenantName: z.string(), role: z.enum(ROLES) })),
    sessionId: z.string().nullable(),
  })
  .meta({ id: 'Me' });

export const SessionSchema = z
  .object({
    id: z.string(),
    current: z.boolean(),
    tenantId: z.string(),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
  })
  .meta({ id: 'Session' });
