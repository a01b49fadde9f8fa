import { and, asc, eq, gt, isNotNull } from 'drizzle-orm';
import type { KeyRing } from '../../platform/crypto/index.ts';
import type { Database, Executor } from '../../platform/db/database.ts';
import { aiProviders, providerKeyAad } from '../ai/index.ts';
import { signingKeyAad, signingKeys, webhookSecretAad, workflows } from '../workflows/index.ts';
import { identityProviders, ssoStates, users } from './identity.table.ts';
import { totpAad } from './mfa.service.ts';
import { secretAad } from './sso/providers.service.ts';
import { verifierAad } from './sso/sso.service.ts';

/**
 * `switchyard admin rotate-key`: re-seals every value sealed under an older master key with the
 * current (first) key of the ring, so the old key can then be removed.
 *
 * Invariants:
 * - Only values with `ring.needsRotation` are touched; running it again changes nothing
 *   (idempotent), and an interrupted run resumes where it stopped.
 * - Each batch is read `FOR UPDATE` and rewritten in one transaction, so a value the server
 *   changes meanwhile (a TOTP re-enrolment) is never overwritten with a stale one; locks are held
 *   for one batch only.
 * - A value the ring cannot open (its key is already gone, or it was altered) is left exactly as
 *   it is and reported, never dropped: the operator decides what to do with it.
 * - The plaintext is re-sealed byte for byte (`openBytes` → `seal`), with the same AAD.
 */

/** Every column that holds a sealed value, with the AAD its rows are sealed with. */
const SEALED_COLUMNS = {
  'users.totp_secret_sealed': {
    aad: totpAad,
    select: (tx: Executor, after: string | undefined, limit: number) =>
      tx
        .select({ key: users.id, sealed: users.totpSecretSealed })
        .from(users)
        .where(and(isNotNull(users.totpSecretSealed), after === undefined ? undefined : gt(users.id, after)))
        .orderBy(asc(users.id))
        .limit(limit)
        .for('update'),
    replace: (tx: Executor, key: string, sealed: string) =>
      tx.update(users).set({ totpSecretSealed: sealed }).where(eq(users.id, key)),
  },
  'identity_providers.client_secret_sealed': {
    aad: secretAad,
    select: (tx: Executor, after: string | undefined, limit: number) =>
      tx
        .select({ key: identityProviders.id, sealed: identityProviders.clientSecretSealed })
        .from(identityProviders)
        .where(after === undefined ? undefined : gt(identityProviders.id, after))
        .orderBy(asc(identityProviders.id))
        .limit(limit)
        .for('update'),
    replace: (tx: Executor, key: string, sealed: string) =>
      tx.update(identityProviders).set({ clientSecretSealed: sealed }).where(eq(identityProviders.id, key)),
  },
  // Short-lived (ten minutes), but a sign-in started just before the old key is removed should
  // still complete.
  'sso_states.code_verifier_sealed': {
    aad: verifierAad,
    select: (tx: Executor, after: string | undefined, limit: number) =>
      tx
        .select({ key: ssoStates.stateHash, sealed: ssoStates.codeVerifierSealed })
        .from(ssoStates)
        .where(after === undefined ? undefined : gt(ssoStates.stateHash, after))
        .orderBy(asc(ssoStates.stateHash))
        .limit(limit)
        .for('update'),
    replace: (tx: Executor, key: string, sealed: string) =>
      tx.update(ssoStates).set({ codeVerifierSealed: sealed }).where(eq(ssoStates.stateHash, key)),
  },
  // Tenants' AI provider keys (one row per tenant, keyed by tenant id).
  'ai_providers.api_key_sealed': {
    aad: providerKeyAad,
    select: (tx: Executor, after: string | undefined, limit: number) =>
      tx
        .select({ key: aiProviders.tenantId, sealed: aiProviders.apiKeySealed })
        .from(aiProviders)
        .where(
          and(isNotNull(aiProviders.apiKeySealed), after === undefined ? undefined : gt(aiProviders.tenantId, after)),
        )
        .orderBy(asc(aiProviders.tenantId))
        .limit(limit)
        .for('update'),
    replace: (tx: Executor, key: string, sealed: string) =>
      tx.update(aiProviders).set({ apiKeySealed: sealed }).where(eq(aiProviders.tenantId, key)),
  },
  // Webhook triggers' HMAC secrets.
  'workflows.webhook_secret': {
    aad: webhookSecretAad,
    select: (tx: Executor, after: string | undefined, limit: number) =>
      tx
        .select({ key: workflows.id, sealed: workflows.webhookSecret })
        .from(workflows)
        .where(and(isNotNull(workflows.webhookSecret), after === undefined ? undefined : gt(workflows.id, after)))
        .orderBy(asc(workflows.id))
        .limit(limit)
        .for('update'),
    replace: (tx: Executor, key: string, sealed: string) =>
      tx.update(workflows).set({ webhookSecret: sealed }).where(eq(workflows.id, key)),
  },
  // Tenants' Ed25519 keys for signing outbound webhooks.
  'signing_keys.private_key_sealed': {
    aad: signingKeyAad,
    select: (tx: Executor, after: string | undefined, limit: number) =>
      tx
        .select({ key: signingKeys.id, sealed: signingKeys.privateKeySealed })
        .from(signingKeys)
        .where(after === undefined ? undefined : gt(signingKeys.id, after))
        .orderBy(asc(signingKeys.id))
        .limit(limit)
        .for('update'),
    replace: (tx: Executor, key: string, sealed: string) =>
      tx.update(signingKeys).set({ privateKeySealed: sealed }).where(eq(signingKeys.id, key)),
  },
} as const;

export type SealedColumn = keyof typeof SEALED_COLUMNS;
export const SEALED_COLUMN_NAMES = Object.keys(SEALED_COLUMNS) as SealedColumn[];

export interface RotationCounts {
  /** Re-sealed under the current key by this run. */
  resealed: number;
  /** Already under the current key: left alone. */
  current: number;
  /** Could not be opened with the ring: left alone, listed in `failures`. */
  failed: number;
}

export interface RotationResult {
  /** The key every re-sealed value is now under. */
  keyId: string;
  columns: Record<SealedColumn, RotationCounts>;
  failures: { column: SealedColumn; rowKey: string; message: string }[];
}

export interface RotateOptions {
  /** Rows read, locked and rewritten per transaction. Default 200. */
  batchSize?: number;
}

export async function rotateSealedSecrets(
  db: Database,
  ring: KeyRing,
  opts: RotateOptions = {},
): Promise<RotationResult> {
  const batchSize = opts.batchSize ?? 200;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('batchSize must be a positive integer');
  const result: RotationResult = {
    keyId: ring.currentKeyId,
    columns: Object.fromEntries(
      SEALED_COLUMN_NAMES.map((c) => [c, { resealed: 0, current: 0, failed: 0 }]),
    ) as RotationResult['columns'],
    failures: [],
  };
  for (const column of SEALED_COLUMN_NAMES) {
    const spec = SEALED_COLUMNS[column];
    const counts = result.columns[column];
    let after: string | undefined;
    for (;;) {
      const last = await db.transaction(async (tx) => {
        const rows = await spec.select(tx, after, batchSize);
        for (const { key, sealed } of rows) {
          if (sealed === null) continue; // excluded by the query; keeps the type honest
          let plaintext: Buffer;
          try {
            if (!ring.needsRotation(sealed)) {
              counts.current += 1;
              continue;
            }
            plaintext = ring.openBytes(sealed, spec.aad(key));
          } catch (err) {
            counts.failed += 1;
            result.failures.push({ column, rowKey: key, message: (err as Error).message });
            continue;
          }
          await spec.replace(tx, key, ring.seal(plaintext, spec.aad(key)));
          counts.resealed += 1;
        }
        return rows.length < batchSize ? undefined : rows.at(-1)?.key;
      });
      if (last === undefined) break;
      after = last;
    }
  }
  return result;
}
