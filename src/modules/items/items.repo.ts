import { and, asc, desc, eq, type SQL, sql } from 'drizzle-orm';
import type { Database, Executor } from '../../platform/db/database.ts';
import { rawQuery } from '../../platform/db/raw-query.ts';
import { AppError } from '../../platform/errors.ts';
import type { ItemSort } from './items.dto.ts';
import { type ItemRow, type ItemStatus, items } from './items.table.ts';

/**
 * The items table's SQL, one operation per function. Every function takes the tenant id and
 * puts it in the WHERE clause: there is no way to read or write an item without naming its
 * tenant. The service runs them bound to that tenant (`inTenant`, or the `sy_item_*` functions), so
 * row-level security enforces the same filter a second time.
 */
const columns = {
  id: items.id,
  tenantId: items.tenantId,
  name: items.name,
  description: items.description,
  status: items.status,
  tags: items.tags,
  metadata: items.metadata,
  version: items.version,
  createdAt: items.createdAt,
  updatedAt: items.updatedAt,
};
export type ItemRecord = Omit<ItemRow, 'searchVector'>;

/** Hot paths (create, get by id) call tenant-bound database functions; this maps their rows. */

interface ItemSqlRow {
  id: string;
  tenant_id: string;
  name: string;
  description: string;
  status: ItemStatus;
  tags: string[];
  metadata: Record<string, unknown>;
  version: number;
  created_at: Date | string;
  updated_at: Date | string;
}

const fromSqlRow = (r: ItemSqlRow): ItemRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  name: r.name,
  description: r.description,
  status: r.status,
  tags: r.tags,
  metadata: r.metadata,
  version: r.version,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});

/** The audit entry written with a created item (`auditValues`), minus the tenant it shares. */
export interface CreationAudit {
  id: string;
  actorType: string;
  actorId: string;
  action: string;
  targetType: string;
  targetId: string;
  changes: unknown;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  traceContext: string | null;
}

/**
 * Inserts an item and its audit entry in one prepared round trip: `sy_item_create` (migrations
 * 0008, 0019) runs both atomically under the tenant's row-level security.
 */
export async function insertItemAudited(
  db: Database,
  row: Omit<ItemRecord, 'version' | 'updatedAt'>,
  audit: CreationAudit,
  quotaItems: number | null | undefined,
): Promise<ItemRecord> {
  const [created] = await rawQuery<ItemSqlRow>(db, {
    name: 'items_create',
    text: `select * from sy_item_create($1, $2, $3, $4, $5, $6::text[], $7::jsonb, $8::timestamptz, $9::int,
      $10, $11, $12, $13, $14, $15, $16::jsonb, $17, $18, $19, $20)`,
    values: [
      row.tenantId,
      row.id,
      row.name,
      row.description,
      row.status,
      row.tags,
      JSON.stringify(row.metadata),
      row.createdAt,
      // With a quota, the insert happens only while the tenant is below it. Without, no counting.
      quotaItems ?? null,
      audit.id,
      audit.actorType,
      audit.actorId,
      audit.action,
      audit.targetType,
      audit.targetId,
      JSON.stringify(audit.changes),
      audit.requestId,
      audit.ip,
      audit.userAgent,
      audit.traceContext,
    ],
  });
  // No row: the quota held the insert back (and the audit row with it).
  if (!created) {
    throw new AppError(
      'QUOTA_ITEMS_EXCEEDED',
      'conflict',
      'This tenant has reached its item quota; ask the instance operator to raise it.',
    );
  }
  return fromSqlRow(created);
}

/** Reads one item by id (the GET hot path): `sy_item_get`, prepared, under row-level security. */
export async function findItemById(db: Database, tenantId: string, id: string): Promise<ItemRecord | undefined> {
  const [row] = await rawQuery<ItemSqlRow>(db, {
    name: 'items_get',
    text: `select * from sy_item_get($1, $2)`,
    values: [tenantId, id],
  });
  return row && fromSqlRow(row);
}

export async function findItem(
  db: Executor,
  tenantId: string,
  id: string,
  opts: { forUpdate?: boolean } = {},
): Promise<ItemRecord | undefined> {
  const q = db
    .select(columns)
    .from(items)
    .where(and(eq(items.tenantId, tenantId), eq(items.id, id)));
  const [row] = opts.forUpdate ? await q.for('update') : await q;
  return row;
}

export type ItemChanges = Partial<Pick<ItemRecord, 'name' | 'description' | 'status' | 'tags' | 'metadata'>>;

/** Applies changes and bumps the version, only if the row still has `expectedVersion`. */
export async function updateItemRow(
  db: Executor,
  tenantId: string,
  id: string,
  expectedVersion: number,
  changes: ItemChanges,
  now: Date,
): Promise<ItemRecord | undefined> {
  const [row] = await db
    .update(items)
    .set({ ...changes, version: sql`${items.version} + 1`, updatedAt: now })
    .where(and(eq(items.tenantId, tenantId), eq(items.id, id), eq(items.version, expectedVersion)))
    .returning(columns);
  return row;
}

export async function deleteItemRow(db: Executor, tenantId: string, id: string): Promise<number> {
  const rows = await db
    .delete(items)
    .where(and(eq(items.tenantId, tenantId), eq(items.id, id)))
    .returning({ id: items.id });
  return rows.length;
}

export interface ItemQuery {
  tenantId: string;
  limit: number;
  statuses?: ItemStatus[] | undefined;
  tags?: string[] | undefined;
  q?: string | undefined;
  sort: ItemSort;
  /** Keyset position: the sort value and id of the last row of the previous page. */
  after?: { value: string; id: string } | undefined;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Minimum `word_similarity(q, name)` for a typo to still match (0–1; pg_trgm's default is 0.6). */
const TRIGRAM_THRESHOLD = 0.4;

export async function selectItems(db: Executor, query: ItemQuery): Promise<(ItemRecord & { sortValue: string })[]> {
  const where: SQL[] = [eq(items.tenantId, query.tenantId)];
  if (query.statuses?.length) where.push(sql`${items.status} in ${query.statuses}`);
  if (query.tags?.length) where.push(sql`${items.tags} @> ${sql.param(query.tags)}::text[]`);

  let tsQuery: SQL | undefined;
  if (query.q) {
    tsQuery = sql`websearch_to_tsquery('english', ${query.q})`;
    where.push(sql`(${items.searchVector} @@ ${tsQuery}
      or word_similarity(${query.q}, ${items.name}) >= ${TRIGRAM_THRESHOLD}
      or ${items.name} ilike ${`%${escapeLike(query.q)}%`})`);
  }

  const { expr, dir } = sortExpression(query.sort, query.q, tsQuery);
  if (query.after) {
    const cmp = dir === 'asc' ? sql`>` : sql`<`;
    where.push(sql`(${expr}, ${items.id}) ${cmp} (${sortParam(query.sort, query.after.value)}, ${query.after.id})`);
  }
  const order = dir === 'asc' ? [asc(expr), asc(items.id)] : [desc(expr), desc(items.id)];
  return (
    db
      // Timestamps leave as ISO 8601 UTC text (precision 3 columns: exact to the millisecond),
      // the form the cursor check accepts back.
      .select({ ...columns, sortValue: sortText(query.sort, expr) })
      .from(items)
      .where(and(...where))
      .orderBy(...order)
      .limit(query.limit + 1)
  );
}

function sortExpression(
  sort: ItemSort,
  q: string | undefined,
  tsQuery: SQL | undefined,
): { expr: SQL; dir: 'asc' | 'desc' } {
  const dir = sort.startsWith('-') || sort === 'relevance' ? 'desc' : 'asc';
  switch (sort) {
    case 'createdAt':
    case '-createdAt':
      return { expr: sql`${items.createdAt}`, dir };
    case 'updatedAt':
    case '-updatedAt':
      return { expr: sql`${items.updatedAt}`, dir };
    case 'name':
    case '-name':
      return { expr: sql`${items.name}`, dir };
    case 'relevance':
      // Rounded to a numeric so the cursor carries the exact value back (floats would not).
      return {
        expr:
          q && tsQuery
            ? sql`round((ts_rank(${items.searchVector}, ${tsQuery}) + similarity(${items.name}, ${q}))::numeric, 6)`
            : sql`0::numeric`,
        dir,
      };
  }
}

function sortText(sort: ItemSort, expr: SQL): SQL<string> {
  if (sort.endsWith('At')) return sql<string>`to_char(${expr} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  return sql<string>`(${expr})::text`;
}

/** The cursor's sort value, cast back to the column's type. */
function sortParam(sort: ItemSort, value: string): SQL {
  if (sort.endsWith('At')) return sql`${value}::timestamptz`;
  if (sort === 'relevance') return sql`${value}::numeric`;
  return sql`${value}::text`;
}

export async function countItemsByStatusRows(db: Executor, tenantId: string) {
  return db
    .select({ status: items.status, count: sql<number>`count(*)::int` })
    .from(items)
    .where(eq(items.tenantId, tenantId))
    .groupBy(items.status);
}
