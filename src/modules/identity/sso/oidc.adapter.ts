import { LRUCache } from 'lru-cache';
import * as client from 'openid-client';
import { isAppError } from '../../../platform/errors.ts';
import { isAllowListed, OutboundUrlError } from '../../../platform/net/index.ts';
import type { AdapterDeps, ExternalIdentity, ProtocolAdapter, ProviderSecrets } from './adapter.ts';
import { ssoErrors } from './sso.errors.ts';

/**
 * Generic OpenID Connect (Keycloak, Google, Microsoft, …) through `openid-client`: discovery from
 * the issuer, authorization code with PKCE (S256), state and nonce; the library validates the ID
 * token (signature against the issuer's JWKS, `iss`, `aud`, `exp`, `nonce`). Every request it makes
 * goes through the SSRF-guarded fetch, including JWKS and userinfo.
 */

/** Discovered configurations, per provider, so a login does not fetch metadata twice. */
export type DiscoveryCache = LRUCache<string, client.Configuration>;
export const createDiscoveryCache = (): DiscoveryCache => new LRUCache({ max: 500, ttl: 10 * 60_000 });

/** Whether an http (not https) issuer is acceptable: only for hosts the operator allow-listed. */
export function insecureIssuerAllowed(deps: AdapterDeps, issuer: URL): boolean {
  return issuer.protocol === 'https:' || isAllowListed(deps.outbound, issuer.hostname, issuer.port, issuer.protocol);
}

/** Fetches and checks the issuer's metadata. `atSetup` makes failures a 400 instead of a 503. */
export async function discover(
  deps: AdapterDeps,
  provider: Pick<ProviderSecrets, 'issuer' | 'clientId' | 'clientSecret'>,
  atSetup = false,
): Promise<client.Configuration> {
  const issuer = new URL(provider.issuer ?? '');
  if (!insecureIssuerAllowed(deps, issuer)) throw ssoErrors.issuerNotHttps();
  try {
    return await client.discovery(issuer, provider.clientId, { client_secret: provider.clientSecret }, undefined, {
      // The library types its fetch after the WHATWG one; ours is that, with the guard in front.
      [client.customFetch]: deps.fetch as unknown as client.CustomFetch,
      execute: issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [],
      timeout: 10,
    });
  } catch (err) {
    const refusal = outboundRefusal(err);
    if (refusal) throw refusal;
    throw ssoErrors.discoveryFailed(issuer.href, atSetup);
  }
}

function outboundRefusal(err: unknown): OutboundUrlError | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof OutboundUrlError) return e;
  }
  return undefined;
}

/** Maps what openid-client throws during the code exchange to our stable codes. */
function exchangeError(err: unknown): Error {
  const refusal = outboundRefusal(err);
  if (refusal) return refusal;
  if (isAppError(err)) return err;
  if (err instanceof client.AuthorizationResponseError) return ssoErrors.idpError(err.error);
  if (err instanceof client.ResponseBodyError) return ssoErrors.codeRejected();
  const cause = (err as { cause?: unknown }).cause;
  // A network failure or timeout talking to the provider is theirs, not the user's.
  if (err instanceof TypeError || cause instanceof TypeError || (err as Error).name === 'TimeoutError') {
    return ssoErrors.providerUnavailable();
  }
  return ssoErrors.idTokenInvalid();
}

const verified = (v: unknown) => v === true || v === 'true';
const text = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : null);

export function createOidcAdapter(deps: AdapterDeps, cache: DiscoveryCache): ProtocolAdapter {
  const configFor = async (provider: ProviderSecrets) => {
    const cached = cache.get(provider.id);
    if (cached) return cached;
    const config = await discover(deps, provider);
    cache.set(provider.id, config);
    return config;
  };
  return {
    async authorizationUrl(provider, input) {
      const config = await configFor(provider);
      return client.buildAuthorizationUrl(config, {
        redirect_uri: input.redirectUri,
        scope: provider.scopes,
        state: input.state,
        nonce: input.nonce,
        code_challenge: input.codeChallenge,
        code_challenge_method: 'S256',
      });
    },
    async exchange(provider, input): Promise<ExternalIdentity> {
      const config = await configFor(provider);
      try {
        const tokens = await client.authorizationCodeGrant(config, input.currentUrl, {
          pkceCodeVerifier: input.codeVerifier,
          expectedState: input.state,
          expectedNonce: input.nonce,
          idTokenExpected: true,
        });
        const idClaims = tokens.claims();
        if (!idClaims) throw ssoErrors.idTokenInvalid();
        let claims: Record<string, unknown> = { ...idClaims };
        // Providers that follow the spec to the letter (oidc-provider, some Keycloak setups) put
        // profile and email claims only in userinfo when an access token is issued.
        if (claims.email === undefined && config.serverMetadata().userinfo_endpoint) {
          const info = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
          claims = { ...info, ...claims };
        }
        return {
          subject: idClaims.sub,
          email: text(claims.email)?.toLowerCase() ?? null,
          emailVerified: verified(claims.email_verified),
          name: text(claims.name) ?? text(claims.preferred_username),
        };
      } catch (err) {
        throw exchangeError(err);
      }
    },
  };
}
