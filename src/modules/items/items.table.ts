import { sql } from 'drizzle-orm';
import { customType, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { tenants } from '../tenants/index.ts';

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

export const ITEM_STATUSES = ['active', 'archived', 'draft'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

export const items = pgTable(
  'items',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    status: text('status', { enum: ITEM_STATUSES }).notNull().default('active'),
    tags: text('tags')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    /** Optimistic concurrency: bumped by every update; clients send it back as If-Match. */
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull().defaultNow(),
    /** Full-text document, maintained by PostgreSQL itself. */
    searchVector: tsvector('search_vector')
      .notNull()
      .generatedAlwaysAs(
        sql`setweight(to_tsvector('english', coalesce(name, '')), 'A') || setweight(to_tsvector('english', coalesce(description, '')), 'B')`,
      ),
  },
  (t) => [
    index('items_tenant_created_idx').on(t.tenantId, t.createdAt, t.id),
    index('items_tenant_updated_idx').on(t.tenantId, t.updatedAt, t.id),
    index('items_tenant_name_idx').on(t.tenantId, t.name, t.id),
    index('items_tenant_status_idx').on(t.tenantId, t.status),
    index('items_tags_idx').using('gin', t.tags),
    index('items_search_idx').using('gin', t.searchVector),
    index('items_name_trgm_idx').using('gin', t.name.op('gin_trgm_ops')),
  ],
);

export type ItemRow = typeof items.$inferSelect;
