import type { OutboundConfig, SsoConfig } from '../../../config.ts';
import { createOutboundFetch, type OutboundFetch } from '../../../platform/net/index.ts';
import type { AuthDeps } from '../auth.service.ts';
import type { ProtocolAdapter } from './adapter.ts';
import { createGithubAdapter } from './github.adapter.ts';
import { createDiscoveryCache, createOidcAdapter, type DiscoveryCache } from './oidc.adapter.ts';
import type { ProviderKind } from './sso.dto.ts';

/** Everything single sign-on needs, built once per app. */
export interface SsoDeps extends AuthDeps {
  /** This server's public origin: callback URLs are `${publicUrl}/api/v1/auth/sso/:id/callback`. */
  publicUrl: string;
  outbound: OutboundConfig;
  sso: SsoConfig;
  /** The SSRF-guarded fetch every request to a provider goes through. */
  fetch: OutboundFetch;
  discoveryCache: DiscoveryCache;
  adapters: Record<ProviderKind, ProtocolAdapter>;
}

export function createSsoDeps(
  auth: AuthDeps,
  opts: { publicUrl: string; outbound: OutboundConfig; sso: SsoConfig; fetch?: OutboundFetch },
): SsoDeps {
  const fetch = opts.fetch ?? createOutboundFetch(opts.outbound);
  const discoveryCache = createDiscoveryCache();
  const adapterDeps = { fetch, outbound: opts.outbound, sso: opts.sso };
  return {
    ...auth,
    publicUrl: opts.publicUrl.replace(/\/+$/, ''),
    outbound: opts.outbound,
    sso: opts.sso,
    fetch,
    discoveryCache,
    adapters: { oidc: createOidcAdapter(adapterDeps, discoveryCache), github: createGithubAdapter(adapterDeps) },
  };
}

export const callbackUrl = (deps: Pick<SsoDeps, 'publicUrl'>, providerId: string) =>
  `${deps.publicUrl}/api/v1/auth/sso/${providerId}/callback`;
