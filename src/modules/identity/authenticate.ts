import type { Role } from '../../platform/context.ts';
import type { ActorContext } from '../../platform/context.ts';
import { hashToken } from '../../platform/crypto/index.ts';
import type { Database } from '../../platform/db/database.ts';
import { rawQuery } from '../../platform/db/raw-query.ts';
import { AppError } from '../../platform/errors.ts';
import { type AccessClaims, type TokenKeys, verifyAccessToken } from './access-tokens.ts';
import type { ApiKeyFacts, AuthCache, SessionFacts } from './auth-cache.ts';

export interface Credentials {
  authorization: string | undefined;
  apiKey: string | undefined;
}

export interface ClientMeta {
  requestId: string | undefined;
  ip: string | undefined;
  userAgent: string | undefined;
}

export const API_KEY_PREFIX = 'sy_';

const required = () =>
  new AppError('AUTH_REQUIRED', 'unauthenticated', 'Send an access token (Authorization: Bearer …) or an API key.');
const revoked = () =>
  new AppError(
    'AUTH_SESSION_REVOKED',
    'unauthenticated',
    'This session has ended (logged out, revoked or expired). Log in again.',
  );
const suspended = () => new AppError('TENANT_SUSPENDED', 'forbidden', 'This tenant is suspended.');

interface SessionCheckRow {
  revoked_at: Date | null;
  expires_at: Date | string;
  session_tenant: string;
  role: Role | null;
  tenant_status: string | null;
  quota_items: number | null;
  user_status: string;
}

interface ApiKeyRow {
  id: string;
  tenant_id: string;
  role: Role;
  scopes: string[];
  expires_at: Date | string | null;
  tenant_status: string;
  quota_items: number | null;
}

/**
 * Turns request credentials into an ActorContext, or throws 401/403. A JWT is checked twice:
 * its signature and claims, then — in one indexed query — that its session is live, the user
 * active, the membership still there (with its current role) and the tenant not suspended. So
 * logout, revocation, removal and suspension take effect on the next request, not at expiry.
 */
export async function authenticate(
  deps: { db: Database; tokenKeys: TokenKeys; issuer: string; cache: AuthCache },
  creds: Credentials,
  client: ClientMeta,
): Promise<ActorContext> {
  const header = creds.authorization?.trim();
  let bearer: string | undefined;
  if (header) {
    const m = /^Bearer\s+(\S{10,4096})$/i.exec(header);
    if (!m) throw new AppError('AUTH_INVALID_TOKEN', 'unauthenticated', 'Authorization must be "Bearer <token>".');
    bearer = m[1];
  }
  const apiKey = creds.apiKey?.trim() || (bearer?.startsWith(API_KEY_PREFIX) ? bearer : undefined);
  if (apiKey) return authenticateApiKey(deps, apiKey, client);
  if (!bearer) throw required();

  const claims = await verifiedClaims(deps, bearer);
  const cached = deps.cache.sessions.get(claims.sessionId);
  if (cached && cached.tenantId === claims.tenantId) return userContext(claims, cached, client);
  const [row] = await rawQuery<SessionCheckRow>(deps.db, {
    name: 'auth_session_check',
    text: `select s.revoked_at, s.expires_at, s.tenant_id as session_tenant, m.role, t.status as tenant_status, t.quota_items,
                  u.status as user_status
             from sessions s
             join users u on u.id = s.user_id
             left join memberships m on m.tenant_id = s.tenant_id and m.user_id = s.user_id
             left join tenants t on t.id = s.tenant_id
            where s.id = $1 and s.user_id = $2`,
    values: [claims.sessionId, claims.userId],
  });
  if (!row || row.revoked_at || new Date(row.expires_at) <= new Date() || row.user_status !== 'active') throw revoked();
  // A token minted for another tenant of the same session (before a switch) is stale.
  if (row.session_tenant !== claims.tenantId || !row.role) throw revoked();
  if (row.tenant_status !== 'active') throw suspended();
  const facts = { role: row.role, tenantId: claims.tenantId, quotaItems: row.quota_items };
  deps.cache.sessions.set(claims.sessionId, facts);
  // The membership's role now, not the one in the token: a demotion applies at once.
  return userContext(claims, facts, client);
}

const userContext = (claims: AccessClaims, facts: SessionFacts, client: ClientMeta): ActorContext => ({
  tenantId: claims.tenantId,
  actor: { type: 'user', id: claims.userId },
  role: facts.role,
  quotaItems: facts.quotaItems,
  sessionId: claims.sessionId,
  requestId: client.requestId,
  ip: client.ip,
  userAgent: client.userAgent,
});

/** Signature and claims checks, remembered per token string until the token expires. */
async function verifiedClaims(deps: { tokenKeys: TokenKeys; issuer: string; cache: AuthCache }, token: string) {
  const hit = deps.cache.tokens.get(token);
  if (hit && hit.expMs > Date.now()) return hit;
  const claims = await verifyAccessToken(deps.tokenKeys, token, { issuer: deps.issuer });
  deps.cache.tokens.set(token, claims, { ttl: Math.max(1, claims.expMs - Date.now()) });
  return claims;
}

async function authenticateApiKey(
  deps: { db: Database; cache: AuthCache },
  key: string,
  client: ClientMeta,
): Promise<ActorContext> {
  if (!key.startsWith(API_KEY_PREFIX) || key.length > 200) {
    throw new AppError('AUTH_INVALID_API_KEY', 'unauthenticated', 'The API key is not valid.');
  }
  const keyHash = hashToken(key);
  const cached = deps.cache.apiKeys.get(keyHash);
  if (cached) return apiKeyContext(cached, client);
  const [row] = await rawQuery<ApiKeyRow>(deps.db, {
    name: 'auth_api_key_check',
    text: `select k.id, k.tenant_id, k.role, k.scopes, k.expires_at, t.status as tenant_status, t.quota_items
             from api_keys k join tenants t on t.id = k.tenant_id
            where k.key_hash = $1 and k.revoked_at is null`,
    values: [keyHash],
  });
  if (!row || (row.expires_at && new Date(row.expires_at) <= new Date())) {
    throw new AppError('AUTH_INVALID_API_KEY', 'unauthenticated', 'The API key is not valid, revoked or expired.');
  }
  if (row.tenant_status !== 'active') throw suspended();
  const facts = {
    id: row.id,
    tenantId: row.tenant_id,
    role: row.role,
    scopes: row.scopes,
    quotaItems: row.quota_items,
  };
  recordKeyUse(deps, row.id);
  // An expiring key is never cached past its expiry.
  const ttl = row.expires_at ? Math.min(5_000, new Date(row.expires_at).getTime() - Date.now()) : undefined;
  deps.cache.apiKeys.set(keyHash, facts, ttl === undefined ? undefined : { ttl: Math.max(1, ttl) });
  return apiKeyContext(facts, client);
}

/**
 * Records that a key was used, at most once a minute per key, without making the request wait:
 * `last_used_at` is for people deciding which keys to revoke, not an audit trail.
 */
function recordKeyUse(deps: { db: Database; log?: { warn: (o: object, m: string) => void } }, keyId: string): void {
  rawQuery(deps.db, {
    name: 'auth_api_key_used',
    text: `update api_keys set last_used_at = now()
            where id = $1 and (last_used_at is null or last_used_at < now() - interval '1 minute')`,
    values: [keyId],
  }).catch((err: unknown) => deps.log?.warn({ err, keyId }, 'could not record API key use'));
}

const apiKeyContext = (k: ApiKeyFacts, client: ClientMeta): ActorContext => ({
  tenantId: k.tenantId,
  actor: { type: 'api_key', id: k.id },
  role: k.role,
  scopes: k.scopes,
  quotaItems: k.quotaItems,
  requestId: client.requestId,
  ip: client.ip,
  userAgent: client.userAgent,
});
