import { pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { tenants } from '../tenants/tenants.table.ts';

/**
 * Each tenant's Ed25519 key pair for signing outbound webhooks (the `webhook` step), made on first
 * use. The public key is published (`GET /api/v1/webhook-signing-key`); the private key is stored
 * only sealed with the master key ring (AAD `signing-key:<id>`), never shown to anyone.
 */
export const signingKeys = pgTable(
  'signing_keys',
  {
    /** `wsk_…`: named in the public key document so receivers can tell keys apart after a rotation. */
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    algorithm: text('algorithm', { enum: ['ed25519'] }).notNull(),
    /** The raw 32-byte public key, base64. */
    publicKey: text('public_key').notNull(),
    /** The PKCS#8 DER private key, sealed with the key ring. */
    privateKeySealed: text('private_key_sealed').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull().defaultNow(),
  },
  // One key per tenant for now; rotation would retire the old row instead of deleting it.
  (t) => [uniqueIndex('signing_keys_tenant_idx').on(t.tenantId)],
);
