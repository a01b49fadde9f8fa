import { LRUCache } from 'lru-cache';
import type { Role } from '../../platform/context.ts';
import type { AccessClaims } from './access-tokens.ts';

/**
 * What `authenticate` learned recently, so a burst of requests on one session costs one
 * signature check and one database lookup instead of one per request.
 *
 * - Verified tokens are kept by their exact string until their own expiry: a token is immutable,
 *   so the cached answer cannot go stale (the cache never outlives `exp`).
 * - Session checks (live? role? tenant active?) are kept for `sessionTtlMs`. A logout, a
 *   revocation or a tenant switch made through this process evicts the entry at once; one made
 *   through another API process is seen within `sessionTtlMs`.
 */
export interface SessionFacts {
  role: Role;
  tenantId: string;
  quotaItems: number | null;
}

export interface ApiKeyFacts {
  id: string;
  tenantId: string;
  role: Role;
  scopes: string[];
  quotaItems: number | null;
}

export interface AuthCache {
  tokens: LRUCache<string, AccessClaims & { expMs: number }>;
  sessions: LRUCache<string, SessionFacts>;
  apiKeys: LRUCache<string, ApiKeyFacts>;
  forgetSession(sessionId: string): void;
  forgetApiKeys(): void;
}

export function createAuthCache(opts: { sessionTtlMs?: number; max?: number } = {}): AuthCache {
  const ttl = opts.sessionTtlMs ?? 5_000;
  const max = opts.max ?? 10_000;
  const sessions = new LRUCache<string, SessionFacts>({ max, ttl });
  const apiKeys = new LRUCache<string, ApiKeyFacts>({ max, ttl });
  return {
    tokens: new LRUCache({ max }),
    sessions,
    apiKeys,
    forgetSession: (sessionId) => sessions.delete(sessionId),
    forgetApiKeys: () => apiKeys.clear(),
  };
}
