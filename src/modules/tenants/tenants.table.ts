import { integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Tenants (organisations). Every table that holds tenant data references this one. The identity
 * issue adds memberships and the operator area; until then every request acts as the bootstrap
 * tenant that the first migrations create.
 */
export const tenants = pgTable('tenants', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  status: text('status', { enum: ['active', 'suspended'] })
    .notNull()
    .default('active'),
  /** Set by the operator; null means unlimited. */
  quotaItems: integer('quota_items'),
  quotaMembers: integer('quota_members'),
  /** Soft delete: the tenant is unusable at once and purged later by a cleanup job. */
  deletedAt: timestamp('deleted_at', { withTimezone: true, mode: 'date', precision: 3 }),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull().defaultNow(),
});
