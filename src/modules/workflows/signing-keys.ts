import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import type { KeyRing } from '../../platform/crypto/index.ts';
import type { Database, Executor } from '../../platform/db/database.ts';
import { inTenant } from '../../platform/db/tenant-scope.ts';
import { newId } from '../../platform/ids.ts';
import { signingKeys } from './signing-keys.table.ts';

/**
 * Per-tenant Ed25519 keys for signing outbound webhooks the Standard Webhooks way
 * (https://www.standardwebhooks.com): `webhook-signature: v1a,<base64 signature>` over
 * `${webhook-id}.${webhook-timestamp}.${body}`. Asymmetric on purpose: receivers verify with the
 * published public key, so no shared secret ever has to be shown to anyone or kept by them.
 */

export const SIGNATURE_VERSION = 'v1a';
export const SIGNED_CONTENT = '{webhook-id}.{webhook-timestamp}.{body}';

type SigningKeyRow = typeof signingKeys.$inferSelect;

/** AAD of a sealed private key: the sealed value cannot be moved to another key's row. */
export const signingKeyAad = (id: string) => `signing-key:${id}`;

/**
 * The tenant's key, made on first use. Two first uses at once both insert; the unique index on
 * `tenant_id` keeps one and the loser reads it back (its own statement, so it sees the winner's
 * committed row). Works under the tenant's row-level security or as the owner.
 */
export async function ensureSigningKey(db: Executor, ring: KeyRing, tenantId: string): Promise<SigningKeyRow> {
  const [existing] = await db.select().from(signingKeys).where(eq(signingKeys.tenantId, tenantId));
  if (existing) return existing;
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const id = newId('wsk');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  const [inserted] = await db
    .insert(signingKeys)
    .values({
      id,
      tenantId,
      algorithm: 'ed25519',
      publicKey: raw.toString('base64'),
      privateKeySealed: ring.seal(pkcs8, signingKeyAad(id)),
    })
    .onConflictDoNothing({ target: signingKeys.tenantId })
    .returning();
  if (inserted) return inserted;
  const [winner] = await db.select().from(signingKeys).where(eq(signingKeys.tenantId, tenantId));
  if (!winner) throw new Error('signing key vanished after a conflicting insert');
  return winner;
}

/** What `GET /api/v1/webhook-signing-key` answers: everything a receiver needs to verify. */
export function publicKeyDocument(row: SigningKeyRow) {
  const raw = Buffer.from(row.publicKey, 'base64');
  const pem = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' })
    .export({ format: 'pem', type: 'spki' })
    .toString();
  return {
    keyId: row.id,
    algorithm: 'ed25519' as const,
    /** The raw 32-byte key, base64. */
    publicKey: row.publicKey,
    publicKeyPem: pem,
    /** The same key as the Standard Webhooks libraries take it (`whpk_` + base64). */
    standardWebhooksPublicKey: `whpk_${row.publicKey}`,
    headerFormat: `${SIGNATURE_VERSION},<base64 Ed25519 signature>`,
    signedContent: SIGNED_CONTENT,
    createdAt: row.createdAt.toISOString(),
  };
}

export interface WebhookSigner {
  /** Signs `content` with the tenant's private key (made on first use); the signature is base64. */
  sign(tenantId: string, content: string): Promise<{ keyId: string; signature: string }>;
}

/**
 * The engine's signer. Runs as the tables' owner (it serves every tenant) and names the tenant in
 * its one query. Opened private keys are cached in memory for a few minutes, so a busy workflow
 * does not read and unseal its key on every call.
 */
export function createWebhookSigner(deps: { db: Database; ring: KeyRing }): WebhookSigner {
  const keys = new LRUCache<string, { keyId: string; key: KeyObject }>({ max: 1_000, ttl: 5 * 60_000 });
  return {
    async sign(tenantId, content) {
      let entry = keys.get(tenantId);
      if (!entry) {
        const row = await ensureSigningKey(deps.db, deps.ring, tenantId);
        const der = deps.ring.openBytes(row.privateKeySealed, signingKeyAad(row.id));
        entry = { keyId: row.id, key: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }) };
        keys.set(tenantId, entry);
      }
      return { keyId: entry.keyId, signature: sign(null, Buffer.from(content, 'utf8'), entry.key).toString('base64') };
    },
  };
}

/** The tenant's public key document, the key made now if the tenant has none yet. */
export async function getSigningKey(deps: { db: Database; ring: KeyRing }, tenantId: string) {
  const row = await inTenant(deps.db, tenantId, (tx) => ensureSigningKey(tx, deps.ring, tenantId));
  return publicKeyDocument(row);
}
