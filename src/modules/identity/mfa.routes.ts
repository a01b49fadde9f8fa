import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { problems } from '../../platform/http/openapi.ts';
import { clientInfo, getRequestContext } from '../../platform/http/request-context.ts';
import type { AuthDeps } from './auth.service.ts';
import { Password, SessionTokensSchema } from './identity.dto.ts';
import {
  completeMfaLogin,
  confirmTotp,
  disableMfa,
  enrollTotp,
  getMfaStatus,
  regenerateRecoveryCodes,
} from './mfa.service.ts';

const tags = ['auth'];

/** A TOTP code (6 digits) or a recovery code (`xxxx-xxxx-xxxx`; case, dashes and spaces ignored). */
const Code = z
  .string()
  .trim()
  .min(6)
  .max(32)
  .regex(/^[0-9A-Za-z -]+$/, 'is not a code')
  .describe('A 6-digit code from the authenticator app, or a recovery code');

const MfaLoginBody = z.strictObject({ mfaToken: z.string().min(20).max(200), code: Code }).meta({ id: 'MfaLogin' });
const BothFactorsBody = z.strictObject({ password: Password, code: Code });
const RecoveryCodesSchema = z
  .object({
    recoveryCodes: z
      .array(z.string())
      .describe('Each works once in place of a code; shown only now, stored only hashed'),
  })
  .meta({ id: 'MfaRecoveryCodes' });

/** The login second step: public, because the MFA token from `/auth/login` is the credential. */
export const publicMfaRoutes =
  (deps: AuthDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/auth/login/mfa',
      {
        schema: {
          tags,
          summary: 'Finish an MFA login with a code from the authenticator app or a recovery code',
          description:
            'Wrong codes answer 401 MFA_INVALID_CODE with `attemptsLeft`; after 5 the MFA token is dead ' +
            '(MFA_CHALLENGE_EXPIRED) and the password is needed again. A code works once (MFA_CODE_REUSED).',
          security: [],
          body: MfaLoginBody,
          response: { 200: SessionTokensSchema, ...problems(400, 413, 415, 429) },
        },
      },
      async (req) => completeMfaLogin(deps, req.body, clientInfo(req)),
    );
  };

/**
 * Managing one's own MFA. Open to every role (`anyRole`): a viewer protects their account too.
 * Every change asks for proof again — the password to enrol, a code to confirm, both to disable
 * or regenerate recovery codes — so a stolen access token alone cannot change the factors.
 */
export const mfaRoutes =
  (deps: AuthDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/auth/mfa',
      {
        config: { anyRole: true },
        schema: {
          tags,
          summary: 'My MFA status',
          response: {
            200: z
              .object({
                enabled: z.boolean(),
                enabledAt: z.iso.datetime().nullable(),
                enrollmentPending: z.boolean().describe('Enrolled but not yet confirmed with a code'),
                recoveryCodesLeft: z.number().int(),
              })
              .meta({ id: 'MfaStatus' }),
            ...problems(400, 404),
          },
        },
      },
      async (req) => getMfaStatus(deps.db, getRequestContext(req)),
    );
    app.post(
      '/auth/mfa/totp/enroll',
      {
        config: { anyRole: true },
        schema: {
          tags,
          summary: 'Start TOTP enrolment: a new secret to add to an authenticator app',
          description: 'Not in force until confirmed. Enrolling again before confirming replaces the secret.',
          body: z.strictObject({ password: Password }),
          response: {
            200: z
              .object({
                secret: z.string().describe('Base32, for typing into the app by hand'),
                otpauthUri: z.string().describe('otpauth://totp/… (SHA1, 6 digits, 30 s)'),
                qrSvg: z.string().describe('The URI as a QR code, an SVG document'),
              })
              .meta({ id: 'TotpEnrollment' }),
            ...problems(400, 404, 409, 413, 415),
          },
        },
      },
      async (req) => enrollTotp(deps, getRequestContext(req), req.body.password),
    );
    app.post(
      '/auth/mfa/totp/confirm',
      {
        config: { anyRole: true },
        schema: {
          tags,
          summary: 'Turn MFA on with a first code; returns recovery codes once and ends my other sessions',
          body: z.strictObject({ code: Code }),
          response: { 200: RecoveryCodesSchema, ...problems(400, 404, 409, 413, 415) },
        },
      },
      async (req) => confirmTotp(deps, getRequestContext(req), req.body.code),
    );
    app.post(
      '/auth/mfa/disable',
      {
        config: { anyRole: true },
        schema: {
          tags,
          summary: 'Turn MFA off (password and a code); ends my other sessions',
          body: BothFactorsBody,
          response: { 204: z.undefined(), ...problems(400, 404, 409, 413, 415, 429) },
        },
      },
      async (req, reply) => {
        await disableMfa(deps, getRequestContext(req), req.body);
        return reply.status(204).send();
      },
    );
    app.post(
      '/auth/mfa/recovery-codes',
      {
        config: { anyRole: true },
        schema: {
          tags,
          summary: 'Replace my recovery codes (password and a code); the old ones stop working',
          body: BothFactorsBody,
          response: { 200: RecoveryCodesSchema, ...problems(400, 404, 409, 413, 415, 429) },
        },
      },
      async (req) => regenerateRecoveryCodes(deps, getRequestContext(req), req.body),
    );
  };
