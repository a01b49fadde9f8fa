import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { eq, inArray } from 'drizzle-orm';
import { describeEachBackend } from '../../../test/support/app.ts';
import { hashToken, KeyRing, SECRET_BOX_ERRORS, SecretBoxError } from '../../platform/crypto/index.ts';
import { newId } from '../../platform/ids.ts';
import { aiProviders, providerKeyAad } from '../ai/index.ts';
import { signingKeyAad, signingKeys, webhookSecretAad, workflows } from '../workflows/index.ts';
import { createTenant } from '../tenants/index.ts';
import { identityProviders, ssoStates, users } from './identity.table.ts';
import { totpAad } from './mfa.service.ts';
import { rotateSealedSecrets } from './rotate-key.ts';
import { secretAad } from './sso/providers.service.ts';
import { verifierAad } from './sso/sso.service.ts';

const key = () => randomBytes(32);
let seq = 0;

describeEachBackend('admin rotate-key', (getDb) => {
  const oldKey = key();
  const newKey = key();
  const oldRing = new KeyRing([oldKey]);
  const rotating = new KeyRing([newKey, oldKey]);
  const newOnly = new KeyRing([newKey]);

  async function insertUser(totp: { ring: KeyRing; secret: string } | null): Promise<string> {
    const id = newId('usr');
    await getDb()
      .handle.db.insert(users)
      .values({
        id,
        email: `rotate.${process.pid}.${++seq}@example.test`,
        name: 'Rotate',
        totpSecretSealed: totp ? totp.ring.seal(totp.secret, totpAad(id)) : null,
      });
    return id;
  }

  async function insertProvider(ring: KeyRing, secret: string): Promise<string> {
    const id = newId('idp');
    await getDb()
      .handle.db.insert(identityProviders)
      .values({
        id,
        tenantId: null,
        kind: 'oidc',
        name: 'IdP',
        issuer: 'https://idp.example.test',
        clientId: 'client',
        clientSecretSealed: ring.seal(secret, secretAad(id)),
      });
    return id;
  }

  async function insertState(providerId: string, ring: KeyRing, verifier: string): Promise<string> {
    const stateHash = hashToken(randomBytes(16).toString('hex'));
    await getDb()
      .handle.db.insert(ssoStates)
      .values({
        stateHash,
        providerId,
        nonce: 'nonce',
        codeVerifierSealed: ring.seal(verifier, verifierAad(stateHash)),
        expiresAt: new Date(Date.now() + 600_000),
      });
    return stateHash;
  }

  async function insertAiProvider(ring: KeyRing, apiKey: string): Promise<string> {
    const tenantId = (await createTenant(getDb().handle.db, { name: 'rotate' })).id;
    await getDb()
      .handle.db.insert(aiProviders)
      .values({
        tenantId,
        kind: 'openai',
        model: 'gpt-4o-mini',
        apiKeySealed: ring.seal(apiKey, providerKeyAad(tenantId)),
        updatedBy: 'user:usr_rotate',
      });
    return tenantId;
  }

  /** A workflow with a sealed webhook secret, and its tenant's webhook signing key. */
  async function insertWorkflowSecrets(ring: KeyRing): Promise<{ workflowId: string; keyId: string }> {
    const db = getDb().handle.db;
    const tenantId = (await createTenant(db, { name: 'rotate-wf' })).id;
    const workflowId = newId('wfl');
    await db.insert(workflows).values({
      id: workflowId,
      tenantId,
      name: 'rotate',
      webhookKey: `whk_${randomBytes(18).toString('base64url')}`,
      webhookSecret: ring.seal('hmac-secret-of-the-webhook', webhookSecretAad(workflowId)),
    });
    const keyId = newId('wsk');
    await db.insert(signingKeys).values({
      id: keyId,
      tenantId,
      algorithm: 'ed25519',
      publicKey: 'cHVibGlj',
      privateKeySealed: ring.seal(Buffer.from('pkcs8-der-bytes'), signingKeyAad(keyId)),
    });
    return { workflowId, keyId };
  }

  const totpOf = async (id: string) =>
    (await getDb().handle.db.select().from(users).where(eq(users.id, id)))[0]?.totpSecretSealed ?? null;

  it('re-seals only old-key values under the current key, in batches, and changes nothing on a second run', async () => {
    const db = getDb().handle.db;
    // Five TOTP secrets under the old key (more than one batch of 2), one already current, one unenrolled.
    const secrets = new Map<string, string>();
    for (let i = 0; i < 5; i++) {
      const secret = `TOTPSECRET${i}`;
      secrets.set(await insertUser({ ring: oldRing, secret }), secret);
    }
    const currentUser = await insertUser({ ring: newOnly, secret: 'ALREADYNEW' });
    const currentSealed = await totpOf(currentUser);
    const unenrolled = await insertUser(null);
    const providerId = await insertProvider(oldRing, 'client-secret-ü');
    const stateHash = await insertState(providerId, oldRing, 'pkce-verifier');
    const aiTenant = await insertAiProvider(oldRing, 'sk-ai-key');
    const wf = await insertWorkflowSecrets(oldRing);

    const first = await rotateSealedSecrets(db, rotating, { batchSize: 2 });
    assert.equal(first.keyId, newOnly.currentKeyId);
    assert.deepEqual(first.columns, {
      'users.totp_secret_sealed': { resealed: 5, current: 1, failed: 0 },
      'identity_providers.client_secret_sealed': { resealed: 1, current: 0, failed: 0 },
      'sso_states.code_verifier_sealed': { resealed: 1, current: 0, failed: 0 },
      'ai_providers.api_key_sealed': { resealed: 1, current: 0, failed: 0 },
      'workflows.webhook_secret': { resealed: 1, current: 0, failed: 0 },
      'signing_keys.private_key_sealed': { resealed: 1, current: 0, failed: 0 },
    });
    assert.deepEqual(first.failures, []);

    // Everything now opens with the new key alone, to the same plaintext, under the same AAD.
    for (const [id, secret] of secrets) {
      const sealed = await totpOf(id);
      assert.ok(sealed);
      assert.equal(newOnly.open(sealed, totpAad(id)), secret);
      assert.equal(newOnly.needsRotation(sealed), false);
      assert.throws(
        () => oldRing.open(sealed, totpAad(id)),
        (err) => err instanceof SecretBoxError && err.code === SECRET_BOX_ERRORS.unknownKey,
      );
    }
    assert.equal(await totpOf(currentUser), currentSealed, 'a value already under the current key is untouched');
    assert.equal(await totpOf(unenrolled), null);
    const [provider] = await db.select().from(identityProviders).where(eq(identityProviders.id, providerId));
    assert.equal(newOnly.open(provider?.clientSecretSealed ?? '', secretAad(providerId)), 'client-secret-ü');
    const [state] = await db.select().from(ssoStates).where(eq(ssoStates.stateHash, stateHash));
    assert.equal(newOnly.open(state?.codeVerifierSealed ?? '', verifierAad(stateHash)), 'pkce-verifier');
    const [ai] = await db.select().from(aiProviders).where(eq(aiProviders.tenantId, aiTenant));
    assert.equal(newOnly.open(ai?.apiKeySealed ?? '', providerKeyAad(aiTenant)), 'sk-ai-key');
    const [w] = await db.select().from(workflows).where(eq(workflows.id, wf.workflowId));
    assert.equal(newOnly.open(w?.webhookSecret ?? '', webhookSecretAad(wf.workflowId)), 'hmac-secret-of-the-webhook');
    const [sk] = await db.select().from(signingKeys).where(eq(signingKeys.id, wf.keyId));
    assert.equal(newOnly.openBytes(sk?.privateKeySealed ?? '', signingKeyAad(wf.keyId)).toString(), 'pkcs8-der-bytes');

    const before = await db
      .select()
      .from(users)
      .where(inArray(users.id, [...secrets.keys()]));
    const second = await rotateSealedSecrets(db, rotating, { batchSize: 2 });
    assert.deepEqual(second.columns, {
      'users.totp_secret_sealed': { resealed: 0, current: 6, failed: 0 },
      'identity_providers.client_secret_sealed': { resealed: 0, current: 1, failed: 0 },
      'sso_states.code_verifier_sealed': { resealed: 0, current: 1, failed: 0 },
      'ai_providers.api_key_sealed': { resealed: 0, current: 1, failed: 0 },
      'workflows.webhook_secret': { resealed: 0, current: 1, failed: 0 },
      'signing_keys.private_key_sealed': { resealed: 0, current: 1, failed: 0 },
    });
    const after = await db
      .select()
      .from(users)
      .where(inArray(users.id, [...secrets.keys()]));
    assert.deepEqual(after, before, 'the second run wrote nothing');
  });

  it('leaves a value the ring cannot open as it is, reports it, and still rotates the rest', async () => {
    const db = getDb().handle.db;
    const lostRing = new KeyRing([key()]);
    const lost = await insertUser({ ring: lostRing, secret: 'LOSTKEY' });
    const lostSealed = await totpOf(lost);
    const stale = await insertUser({ ring: oldRing, secret: 'STALE' });
    // A value moved to another row fails authentication: its AAD names the original row.
    const moved = await insertUser(null);
    await db
      .update(users)
      .set({ totpSecretSealed: oldRing.seal('MOVED', totpAad(stale)) })
      .where(eq(users.id, moved));

    const result = await rotateSealedSecrets(db, rotating);
    const totp = result.columns['users.totp_secret_sealed'];
    assert.equal(totp.resealed, 1);
    assert.equal(totp.failed, 2);
    assert.deepEqual(result.failures.map((f) => f.rowKey).sort(), [lost, moved].sort());
    assert.match(result.failures.find((f) => f.rowKey === lost)?.message ?? '', /not in the key ring/);
    assert.equal(await totpOf(lost), lostSealed, 'an unreadable value is never changed or dropped');
    assert.equal(newOnly.open((await totpOf(stale)) ?? '', totpAad(stale)), 'STALE');
  });
});
