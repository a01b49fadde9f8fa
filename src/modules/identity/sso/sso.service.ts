import { and, eq, gt, isNull, lt } from 'drizzle-orm';
import { calculatePKCECodeChallenge } from 'openid-client';
import type { ActorContext } from '../../../platform/context.ts';
import { hashToken, randomToken, safeEqual } from '../../../platform/crypto/index.ts';
import { recordAudit } from '../../audit/index.ts';
import { issueTokens, type ClientInfo } from '../auth.service.ts';
import type { MfaRequired, SessionTokens } from '../identity.dto.ts';
import { ssoStates } from '../identity.table.ts';
import { createMfaChallenge } from '../login-steps.ts';
import { startSession } from '../sessions.ts';
import { resolveSsoUser } from './link-account.ts';
import { loadLoginProvider } from './providers.service.ts';
import { callbackUrl, type SsoDeps } from './sso.deps.ts';
import { ssoErrors } from './sso.errors.ts';

/** How long a started sign-in may take at the provider. */
export const SSO_STATE_TTL_SECONDS = 10 * 60;
/** Same lifetime as a password login's MFA step (auth.service.ts). */

/** The AAD that binds a sealed PKCE verifier to its login state (also used by `rotate-key`). */
export const verifierAad = (stateHash: string) => `sso_state:${stateHash}:code_verifier`;

/**
 * Begins a sign-in: a random state (stored hashed, single use), nonce and PKCE verifier (stored
 * sealed) for ten minutes, and the provider's authorization URL to send the browser to. The
 * state is also returned so the route can bind it to the browser with a cookie.
 */
export async function startSso(
  deps: SsoDeps,
  providerId: string,
  redirectTo: string | undefined,
): Promise<{ location: string; state: string }> {
  const provider = await loadLoginProvider(deps, deps.db, providerId);
  const state = randomToken(32);
  const nonce = randomToken(32);
  const codeVerifier = randomToken(48); // 64 base64url characters: within PKCE's 43–128
  const stateHash = hashToken(state);
  const now = Date.now();
  const location = await deps.adapters[provider.kind].authorizationUrl(provider, {
    redirectUri: callbackUrl(deps, provider.id),
    state,
    nonce,
    codeChallenge: await calculatePKCECodeChallenge(codeVerifier),
  });
  await deps.db.transaction(async (tx) => {
    // Pruned where rows are made, so abandoned sign-ins do not pile up.
    await tx.delete(ssoStates).where(lt(ssoStates.expiresAt, new Date(now - 3600_000)));
    await tx.insert(ssoStates).values({
      stateHash,
      providerId: provider.id,
      nonce,
      codeVerifierSealed: deps.ring.seal(codeVerifier, verifierAad(stateHash)),
      redirectTo: redirectTo ?? null,
      expiresAt: new Date(now + SSO_STATE_TTL_SECONDS * 1000),
    });
  });
  return { location: location.href, state };
}

export interface CallbackInput {
  providerId: string;
  /** The query string exactly as received (code, state, iss, …), without the `?`. */
  rawQuery: string;
  state: string;
  /** The state the start step left in this browser's cookie. */
  cookieState: string | undefined;
}

/**
 * Completes a sign-in: consumes the state (once, atomically), exchanges the code with PKCE,
 * lets the adapter validate what the provider returned (ID token signature, nonce, …), finds or
 * creates the user and starts a session. An account with MFA on gets an MFA challenge instead,
 * finished with POST /auth/login/mfa like a password login.
 */
export async function completeSso(
  deps: SsoDeps,
  input: CallbackInput,
  client: ClientInfo,
): Promise<(SessionTokens | MfaRequired) & { redirectTo: string | null }> {
  if (!input.cookieState || !safeEqual(input.cookieState, input.state)) throw ssoErrors.stateMismatch();
  const stateHash = hashToken(input.state);
  const [flow] = await deps.db
    .update(ssoStates)
    .set({ usedAt: new Date() })
    .where(
      and(
        eq(ssoStates.stateHash, stateHash),
        eq(ssoStates.providerId, input.providerId),
        isNull(ssoStates.usedAt),
        gt(ssoStates.expiresAt, new Date()),
      ),
    )
    .returning();
  if (!flow) throw ssoErrors.stateInvalid();
  const provider = await loadLoginProvider(deps, deps.db, input.providerId);
  const redirectUri = callbackUrl(deps, provider.id);
  const identity = await deps.adapters[provider.kind].exchange(provider, {
    currentUrl: new URL(`${redirectUri}?${input.rawQuery}`),
    redirectUri,
    state: input.state,
    nonce: flow.nonce,
    codeVerifier: deps.ring.open(flow.codeVerifierSealed, verifierAad(stateHash)),
  });

  const outcome = await deps.db.transaction(async (tx) => {
    const login = await resolveSsoUser(tx, deps.config, provider, identity, client);
    if (login.user.mfaEnabledAt) {
      // The provider vouched for the first factor only.
      return { kind: 'mfa' as const, mfa: await createMfaChallenge(tx, login.user.id, login.tenant.id) };
    }
    const session = await startSession(tx, deps.config, {
      userId: login.user.id,
      tenantId: login.tenant.id,
      ip: client.ip,
      userAgent: client.userAgent,
    });
    const ctx: ActorContext = {
      tenantId: login.tenant.id,
      actor: { type: 'user', id: login.user.id },
      sessionId: session.sessionId,
      requestId: client.requestId,
      ip: client.ip,
      userAgent: client.userAgent,
    };
    await recordAudit(tx, ctx, {
      action: 'user.logged_in',
      targetType: 'session',
      targetId: session.sessionId,
      after: { via: 'sso', provider: provider.id },
    });
    return { kind: 'session' as const, login, session };
  });
  if (outcome.kind === 'mfa') return { ...outcome.mfa, redirectTo: flow.redirectTo };
  const tokens = await issueTokens(deps, outcome.login.user, outcome.login.tenant, outcome.login.role, outcome.session);
  return { ...tokens, redirectTo: flow.redirectTo };
}
