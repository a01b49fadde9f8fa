import type { SsoConfig } from '../../../config.ts';
import type { OutboundFetch, OutboundPolicy } from '../../../platform/net/index.ts';

/** Who the identity provider says signed in. Only `emailVerified: true` may link accounts. */
export interface ExternalIdentity {
  /** Stable id at the provider (`sub`, or GitHub's numeric user id). */
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
}

/** A provider row with its secret opened, as the protocol adapters need it. */
export interface ProviderSecrets {
  id: string;
  kind: 'oidc' | 'github';
  issuer: string | null;
  clientId: string;
  clientSecret: string;
  scopes: string;
}

export interface AuthorizeInput {
  redirectUri: string;
  state: string;
  nonce: string;
  codeChallenge: string;
}

export interface ExchangeInput {
  /** The callback URL exactly as the provider sent the browser to it (code, state, iss, …). */
  currentUrl: URL;
  redirectUri: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** One protocol (generic OIDC, GitHub OAuth2) behind one shape. */
export interface ProtocolAdapter {
  authorizationUrl(provider: ProviderSecrets, input: AuthorizeInput): Promise<URL>;
  exchange(provider: ProviderSecrets, input: ExchangeInput): Promise<ExternalIdentity>;
}

/** What the adapters need from the outside: every request goes through the SSRF-guarded fetch. */
export interface AdapterDeps {
  fetch: OutboundFetch;
  outbound: OutboundPolicy;
  sso: SsoConfig;
}
