import { AppError } from '../../../platform/errors.ts';

/**
 * Every error code single sign-on raises, in one place. Codes are stable: never rename one once
 * shipped. Messages go to the browser or API client, so they never carry a secret or a token.
 */
export const ssoErrors = {
  providerNotFound: () => new AppError('SSO_PROVIDER_NOT_FOUND', 'not_found', 'No such single sign-on provider.'),
  issuerNotHttps: () =>
    new AppError(
      'SSO_ISSUER_NOT_HTTPS',
      'invalid',
      'The issuer must be an https URL (http only for hosts on OUTBOUND_ALLOWLIST).',
      { issues: [{ path: 'body.issuer', message: 'must use https' }] },
    ),
  discoveryFailed: (issuer: string, atSetup: boolean) =>
    new AppError(
      'SSO_DISCOVERY_FAILED',
      atSetup ? 'invalid' : 'unavailable',
      `Could not read the OpenID configuration of ${issuer} (${issuer.replace(/\/$/, '')}/.well-known/openid-configuration).`,
    ),
  providerUnavailable: () =>
    new AppError('SSO_PROVIDER_UNAVAILABLE', 'unavailable', 'The identity provider did not answer; try again later.'),
  stateInvalid: () =>
    new AppError(
      'SSO_STATE_INVALID',
      'invalid',
      'This sign-in link is unknown, expired or already used; start signing in again.',
    ),
  stateMismatch: () =>
    new AppError(
      'SSO_STATE_MISMATCH',
      'invalid',
      'This sign-in was not started in this browser (the state cookie is missing or different); start again.',
    ),
  idpError: (error: string) =>
    new AppError('SSO_IDP_ERROR', 'unauthenticated', `The identity provider refused the sign-in (${error}).`, {
      extra: { idpError: error },
    }),
  codeRejected: () =>
    new AppError(
      'SSO_CODE_REJECTED',
      'unauthenticated',
      'The identity provider did not accept the authorization code; start signing in again.',
    ),
  idTokenInvalid: () =>
    new AppError(
      'SSO_ID_TOKEN_INVALID',
      'unauthenticated',
      "The identity provider's response failed validation (signature, issuer, audience, nonce or expiry).",
    ),
  emailNotVerified: () =>
    new AppError(
      'SSO_EMAIL_NOT_VERIFIED',
      'conflict',
      'The identity provider did not vouch for a verified email address, so this sign-in cannot be matched or create an account.',
    ),
  accountNotVerified: () =>
    new AppError(
      'SSO_ACCOUNT_NOT_VERIFIED',
      'conflict',
      'An account with this email exists but has not verified its address. Log in with your password and verify your email first; then single sign-on links to it.',
    ),
  emailInUse: () =>
    new AppError(
      'SSO_EMAIL_IN_USE',
      'conflict',
      "An account with this email exists and is not a member of this provider's organisation; log in with that account instead.",
    ),
  notAMember: () =>
    new AppError(
      'SSO_NOT_A_MEMBER',
      'forbidden',
      "You are no longer a member of this provider's organisation; ask an admin to invite you again.",
    ),
} as const;
