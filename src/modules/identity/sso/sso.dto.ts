import { z } from 'zod';
import { idPattern } from '../../../platform/ids.ts';
import { safeText } from '../../../platform/validation.ts';
import { MfaRequiredSchema, SessionTokensSchema } from '../identity.dto.ts';

export const PROVIDER_KINDS = ['oidc', 'github'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export const DEFAULT_SCOPES: Record<ProviderKind, string> = {
  oidc: 'openid email profile',
  github: 'read:user user:email',
};

/** OAuth scope tokens (RFC 6749 §3.3), space-separated. */
const scopeList = z
  .string()
  .trim()
  .max(512)
  .regex(/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/, 'must be scope names separated by single spaces');

export const CreateProviderBody = z
  .strictObject({
    kind: z.enum(PROVIDER_KINDS),
    name: safeText({ min: 1, max: 100 }).describe('Shown on the login button'),
    issuer: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .optional()
      .describe('OIDC only: the issuer URL; discovery reads `<issuer>/.well-known/openid-configuration`'),
    clientId: safeText({ min: 1, max: 512 }),
    clientSecret: z.string().min(1).max(4096).describe('Stored encrypted; never returned'),
    scopes: scopeList.optional().describe('Default: `openid email profile` (OIDC), `read:user user:email` (GitHub)'),
  })
  .superRefine((body, ctx) => {
    if (body.kind === 'oidc' && !body.issuer) {
      ctx.addIssue({ code: 'custom', path: ['issuer'], message: 'is required for an OIDC provider' });
    }
    if (body.kind === 'github' && body.issuer) {
      ctx.addIssue({
        code: 'custom',
        path: ['issuer'],
        message: 'is not used for GitHub (its endpoints come from GITHUB_OAUTH_URL and GITHUB_API_URL)',
      });
    }
    if (body.kind === 'oidc' && body.scopes && !body.scopes.split(' ').includes('openid')) {
      ctx.addIssue({ code: 'custom', path: ['scopes'], message: 'must include openid' });
    }
  })
  .meta({ id: 'CreateSsoProvider' });
export type CreateProviderInput = z.output<typeof CreateProviderBody>;

export const ProviderSchema = z
  .object({
    id: z.string(),
    tenantId: z.string().nullable().describe('null for an instance-wide provider'),
    kind: z.enum(PROVIDER_KINDS),
    name: z.string(),
    issuer: z.string().nullable(),
    clientId: z.string(),
    scopes: z.string(),
    hasSecret: z.literal(true).describe('The client secret is stored encrypted and never returned'),
    callbackUrl: z.string().describe('Register this redirect URI at the identity provider'),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'SsoProvider' });
export type ProviderView = z.output<typeof ProviderSchema>;

export const PublicProviderSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(PROVIDER_KINDS),
    scope: z.enum(['instance', 'tenant']),
    startUrl: z.string().describe('Send the browser here to sign in'),
  })
  .meta({ id: 'SsoLoginProvider' });

export const ProviderParams = z.strictObject({
  id: z.string().regex(idPattern('idp'), 'is not a provider id (idp_…)'),
});

/** Only a path on this server: never another origin (`//evil.example`, `/\evil.example`). */
export const RedirectTo = z
  .string()
  .max(512)
  .regex(/^\/(?![/\\])[^\s\\]*$/, 'must be a relative path on this server, like /dashboard');

export const StartQuery = z.strictObject({ redirectTo: RedirectTo.optional() });

/** Providers add their own parameters (`iss`, `session_state`, …): kept, and bounded by the URL size. */
export const CallbackQuery = z.looseObject({
  state: z.string().min(1).max(512),
  code: z.string().max(4096).optional(),
  error: z.string().max(200).optional(),
});

export const PublicListQuery = z.strictObject({
  tenantId: z
    .string()
    .regex(idPattern('ten'), 'is not a tenant id (ten_…)')
    .optional()
    .describe("Also list this tenant's own providers"),
});

const redirectToField = {
  redirectTo: z.string().nullable().describe('The relative path given to /start, for the client to go to next'),
};
export const SsoLoginResultSchema = z
  .union([SessionTokensSchema.extend(redirectToField), MfaRequiredSchema.extend(redirectToField)])
  .describe('A session, or — when the account has MFA on — `mfaRequired` and a token for POST /auth/login/mfa');
