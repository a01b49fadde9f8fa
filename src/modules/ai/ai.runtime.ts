import type { Registry } from 'prom-client';
import type { AiConfig } from '../../config.ts';
import type { KeyRing } from '../../platform/crypto/index.ts';
import type { Database } from '../../platform/db/database.ts';
import type { OutboundFetch, OutboundPolicy } from '../../platform/net/index.ts';
import { type AiMetrics, createAiMetrics } from './ai.metrics.ts';
import { type Ai, createAi } from './ai.service.ts';
import { createOfflineEngine, type OfflineEngine } from './offline/offline-engine.ts';
import type { AiProvider } from './provider.ts';
import { createAiOutboundFetch } from './provider-fetch.ts';
import { createSdkProvider } from './sdk-provider.ts';
import { loadTenantProvider } from './tenant-provider.ts';

/**
 * What every AI call needs, built once per process and shared by the API and the worker: the
 * instance provider (made once), the fetch tenants' providers go through, the offline engine
 * (loaded on first use) and the counters.
 */
export interface AiRuntime {
  readonly db: Database;
  readonly ring: KeyRing;
  readonly config: AiConfig;
  readonly outbound: OutboundPolicy;
  /** SSRF-guarded; origins in `AI_ALLOWED_BASE_URLS` skip the address check (exact match). */
  readonly tenantFetch: OutboundFetch;
  readonly instanceProvider: AiProvider | undefined;
  readonly offline: OfflineEngine;
  readonly metrics: AiMetrics | undefined;
  readonly now: () => Date;
}

export interface AiRuntimeOptions {
  db: Database;
  ring: KeyRing;
  /** The instance's outbound policy (`OUTBOUND_ALLOWLIST` / `EGRESS_ALLOWLIST`). */
  outbound: OutboundPolicy;
  config: AiConfig;
  /** Where the `switchyard_ai_*` counters go; without it nothing is counted. */
  metrics?: { registry: Registry } | undefined;
  /** Share one per process (the English model takes ~26 MB); made here otherwise. */
  offline?: OfflineEngine | undefined;
  /** Test seam for month boundaries (default: the clock). */
  now?: () => Date;
}

export function createAiRuntime(options: AiRuntimeOptions): AiRuntime {
  const { config } = options;
  const tenantFetch = createTrustedOriginFetch(options.outbound, config.allowedBaseUrls);
  const instance = config.provider;
  // The operator chose the instance's base URL, so its origin is trusted for the instance
  // provider only: tenants' URLs still go through the guard (unless AI_ALLOWED_BASE_URLS says so).
  const instanceProvider = instance
    ? createSdkProvider(
        { id: `instance:${instance.kind}`, ...instance, timeoutMs: config.timeoutMs },
        {
          fetch: createTrustedOriginFetch(
            options.outbound,
            instance.baseUrl ? [new URL(instance.baseUrl).origin] : instanceDefaultOrigin(instance.kind),
          ),
        },
      )
    : undefined;
  return {
    db: options.db,
    ring: options.ring,
    config,
    outbound: options.outbound,
    tenantFetch,
    instanceProvider,
    offline: options.offline ?? createOfflineEngine(),
    metrics: options.metrics ? createAiMetrics(options.metrics.registry, instance?.model) : undefined,
    now: options.now ?? (() => new Date()),
  };
}

/** Ollama's default is loopback: an operator who sets AI_PROVIDER=ollama means this machine's. */
const instanceDefaultOrigin = (kind: string): string[] => (kind === 'ollama' ? ['http://127.0.0.1:11434'] : []);

/**
 * The SSRF-guarded fetch, except for requests whose origin is exactly one of `trusted`: those go
 * through a fetch that allow-lists that host and port. Exact origins, not hosts: trusting
 * `http://10.0.0.5:11434` does not open `http://10.0.0.5:22`. Redirects are never followed (the
 * outbound fetch returns a 3xx as is), so a trusted origin cannot bounce a call elsewhere.
 */
export function createTrustedOriginFetch(policy: OutboundPolicy, trusted: readonly string[]): OutboundFetch {
  const guarded = createAiOutboundFetch(policy);
  if (trusted.length === 0) return guarded;
  const origins = new Set(trusted);
  const hostPorts = trusted.map((o) => {
    const u = new URL(o);
    return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
  });
  const open = createAiOutboundFetch({ allowlist: [...policy.allowlist, ...hostPorts] });
  return (url, init) => (isTrusted(origins, url) ? open(url, init) : guarded(url, init));
}

export function isTrusted(origins: ReadonlySet<string> | readonly string[], url: string | URL): boolean {
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    return false;
  }
  return origins instanceof Set ? origins.has(origin) : (origins as readonly string[]).includes(origin);
}

/**
 * The AI for one call of one tenant: the tenant's own provider if it set one, else the instance
 * provider, else the offline engine. Read on every call (one primary-key read and an unseal), so
 * a change or removal applies at once on every process.
 */
export async function resolveAi(deps: AiRuntime, tenantId: string): Promise<{ ai: Ai; providerLabel: string }> {
  const own = await loadTenantProvider(deps, tenantId);
  const provider = own
    ? createSdkProvider(
        { ...own, id: `tenant:${own.kind}`, timeoutMs: deps.config.timeoutMs },
        { fetch: deps.tenantFetch },
      )
    : deps.instanceProvider;
  const ai = createAi({
    ...(provider ? { provider } : {}),
    offline: deps.offline,
    maxInputChars: deps.config.maxInputChars,
  });
  return { ai, providerLabel: ai.provider.id };
}
