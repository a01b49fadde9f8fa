import { hkdfSync } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { AppError } from '../../platform/errors.ts';
import { ROLES, type Role } from '../../platform/context.ts';

/**
 * Short-lived JWT access tokens. HS256 with keys derived (HKDF) from the instance master keys, so
 * every process that shares the master key verifies every other's tokens, and rotating the
 * master key rotates signing keys: `kid` names the master key a token was signed under, and
 * tokens under a previous key still verify until they expire.
 *
 * The algorithm, issuer and audience are pinned on verification (no `alg: none`, no key
 * confusion). A valid signature is not enough to act: `authenticate` also checks that the
 * session named by `sid` is live and the membership still holds.
 */
export interface TokenKey {
  kid: string;
  key: Uint8Array;
}

export interface TokenKeys {
  current: TokenKey;
  byKid: ReadonlyMap<string, Uint8Array>;
}

const AUDIENCE = 'switchyard-api';
const ALG = 'HS256';

export const TOKEN_KEY_INFO = 'switchyard access-token v1';

/** Token keys from already-derived subkeys (see `KeyRing.deriveSubkeys(TOKEN_KEY_INFO)`). */
export function tokenKeysFrom(subkeys: readonly { id: string; key: Uint8Array }[]): TokenKeys {
  const current = subkeys[0];
  if (!current) throw new Error('no key to sign access tokens with');
  return { current: { kid: current.id, key: current.key }, byKid: new Map(subkeys.map((k) => [k.id, k.key])) };
}

/** Token keys derived (HKDF) from raw 32-byte master keys, current first. */
export function deriveTokenKeys(masterKeys: readonly { id: string; key: Uint8Array }[]): TokenKeys {
  return tokenKeysFrom(
    masterKeys.map((m) => ({
      id: m.id,
      key: new Uint8Array(hkdfSync('sha256', m.key, new Uint8Array(0), TOKEN_KEY_INFO, 32)),
    })),
  );
}

export interface AccessClaims {
  userId: string;
  tenantId: string;
  sessionId: string;
  role: Role;
}

export interface VerifiedClaims extends AccessClaims {
  /** Expiry, epoch milliseconds. */
  expMs: number;
}

export async function signAccessToken(
  keys: TokenKeys,
  claims: AccessClaims,
  opts: { issuer: string; ttlSeconds: number },
): Promise<string> {
  return new SignJWT({ tid: claims.tenantId, sid: claims.sessionId, role: claims.role })
    .setProtectedHeader({ alg: ALG, kid: keys.current.kid, typ: 'at+jwt' })
    .setSubject(claims.userId)
    .setIssuer(opts.issuer)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${opts.ttlSeconds}s`)
    .sign(keys.current.key);
}

const invalidToken = (why: string) =>
  new AppError('AUTH_INVALID_TOKEN', 'unauthenticated', `The access token is not valid: ${why}.`);

export async function verifyAccessToken(
  keys: TokenKeys,
  token: string,
  opts: { issuer: string },
): Promise<VerifiedClaims> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(
      token,
      (header) => {
        const key = header.kid ? keys.byKid.get(header.kid) : undefined;
        if (!key) throw invalidToken('unknown signing key');
        return key;
      },
      { algorithms: [ALG], issuer: opts.issuer, audience: AUDIENCE, typ: 'at+jwt' },
    ));
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (err instanceof joseErrors.JWTExpired) {
      throw new AppError('AUTH_TOKEN_EXPIRED', 'unauthenticated', 'The access token has expired: refresh it.');
    }
    throw invalidToken('signature, issuer, audience or format check failed');
  }
  const { sub, tid, sid, role, exp } = payload as JWTPayload & { tid?: unknown; sid?: unknown; role?: unknown };
  if (
    typeof exp !== 'number' ||
    typeof sub !== 'string' ||
    typeof tid !== 'string' ||
    typeof sid !== 'string' ||
    !ROLES.includes(role as Role)
  ) {
    throw invalidToken('claims are missing');
  }
  return { userId: sub, tenantId: tid, sessionId: sid, role: role as Role, expMs: exp * 1000 };
}
