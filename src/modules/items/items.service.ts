import { z } from 'zod';
import type { ActorContext } from '../../platform/context.ts';
import type { Database } from '../../platform/db/database.ts';
import { inTenant } from '../../platform/db/tenant-scope.ts';
import { AppError, invalid, notFound } from '../../platform/errors.ts';
import { idPattern, newId } from '../../platform/ids.ts';
import { decodeCursor, encodeCursor, invalidCursor } from '../../platform/validation.ts';
import { auditValues, recordAudit } from '../audit/index.ts';
import type { CreateItemInput, Item, ItemSort, ListItemsQuery, UpdateItemInput } from './items.dto.ts';
import {
  countItemsByStatusRows,
  deleteItemRow,
  findItem,
  findItemById,
  type ItemChanges,
  type ItemRecord,
  insertItemAudited,
  selectItems,
  updateItemRow,
} from './items.repo.ts';
import { ITEM_STATUSES, type ItemStatus } from './items.table.ts';

export const toItem = (r: ItemRecord): Item => ({
  id: r.id,
  name: r.name,
  description: r.description,
  status: r.status,
  tags: r.tags,
  metadata: r.metadata,
  version: r.version,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

/** What an audit entry records of an item: everything a user set, not the bookkeeping. */
const auditView = (i: Item) => ({
  name: i.name,
  description: i.description,
  status: i.status,
  tags: i.tags,
  metadata: i.metadata,
  version: i.version,
});

const itemNotFound = (id: string) => notFound('ITEM_NOT_FOUND', `No item ${id} in this tenant.`, { itemId: id });

export async function createItem(db: Database, ctx: ActorContext, input: CreateItemInput): Promise<Item> {
  const now = new Date();
  const id = newId('itm', now.getTime());
  // Everything the creation audit records is known before the insert (version starts at 1),
  // so the item and its audit entry are written by one atomic statement.
  const after = auditView({ ...input, id, version: 1, createdAt: '', updatedAt: '' });
  const row = await insertItemAudited(
    db,
    {
      id,
      tenantId: ctx.tenantId,
      name: input.name,
      description: input.description,
      status: input.status,
      tags: input.tags,
      metadata: input.metadata,
      createdAt: now,
    },
    auditValues(ctx, { action: 'item.created', targetType: 'item', targetId: id, after }),
    // The quota read at authentication (≤ 5 s old); none for system callers.
    ctx.quotaItems,
  );
  return toItem(row);
}

export async function getItem(db: Database, ctx: ActorContext, id: string): Promise<Item> {
  const row = await findItemById(db, ctx.tenantId, id);
  if (!row) throw itemNotFound(id);
  return toItem(row);
}

/**
 * The version a client expects, from `If-Match` (→ 412 when stale) or the body's `version`
 * (→ 409 when stale). Without either the write is unconditional but still atomic.
 */
export interface Precondition {
  ifMatch?: string | undefined;
  bodyVersion?: number | undefined;
}

interface ExpectedVersion {
  version: number | undefined;
  via: 'if-match' | 'body' | 'none';
}

export function parsePrecondition(p: Precondition): ExpectedVersion {
  let fromHeader: number | undefined;
  const header = p.ifMatch?.trim();
  if (header && header !== '*') {
    const m = /^(?:W\/)?"?(\d{1,9})"?$/.exec(header);
    if (!m)
      throw invalid('INVALID_IF_MATCH', 'If-Match must be an ETag of this API, such as "3".', [
        { path: 'headers.if-match', message: 'is not a version ETag' },
      ]);
    fromHeader = Number(m[1]);
  }
  if (fromHeader !== undefined && p.bodyVersion !== undefined && fromHeader !== p.bodyVersion) {
    throw invalid('PRECONDITION_MISMATCH', 'If-Match and body.version name different versions.', [
      { path: 'body.version', message: 'differs from If-Match' },
    ]);
  }
  if (fromHeader !== undefined) return { version: fromHeader, via: 'if-match' };
  if (p.bodyVersion !== undefined) return { version: p.bodyVersion, via: 'body' };
  return { version: undefined, via: 'none' };
}

function staleVersion(expected: ExpectedVersion, current: number, id: string): AppError {
  const extra = { itemId: id, currentVersion: current, expectedVersion: expected.version };
  const message = `Item ${id} is at version ${current}, not ${expected.version}: someone else changed it. Reload and apply your change again.`;
  return expected.via === 'if-match'
    ? new AppError('ITEM_PRECONDITION_FAILED', 'precondition_failed', message, { extra })
    : new AppError('ITEM_VERSION_CONFLICT', 'conflict', message, { extra });
}

export async function updateItem(
  db: Database,
  ctx: ActorContext,
  id: string,
  input: UpdateItemInput,
  precondition: Precondition,
): Promise<Item> {
  const expected = parsePrecondition({ ...precondition, bodyVersion: input.version });
  const changes: ItemChanges = {};
  if (input.name !== undefined) changes.name = input.name;
  if (input.description !== undefined) changes.description = input.description;
  if (input.status !== undefined) changes.status = input.status;
  if (input.tags !== undefined) changes.tags = input.tags;
  if (input.metadata !== undefined) changes.metadata = input.metadata;

  return inTenant(db, ctx.tenantId, async (tx) => {
    // Lock the row first: the audit entry needs the exact state this update replaces.
    const current = await findItem(tx, ctx.tenantId, id, { forUpdate: true });
    if (!current) throw itemNotFound(id);
    if (expected.version !== undefined && expected.version !== current.version) {
      throw staleVersion(expected, current.version, id);
    }
    const row = await updateItemRow(tx, ctx.tenantId, id, current.version, changes, new Date());
    if (!row) throw new Error('locked row vanished during update');
    const before = toItem(current);
    const after = toItem(row);
    await recordAudit(tx, ctx, {
      action: 'item.updated',
      targetType: 'item',
      targetId: id,
      before: auditView(before),
      after: auditView(after),
    });
    return after;
  });
}

export async function deleteItem(
  db: Database,
  ctx: ActorContext,
  id: string,
  precondition: Precondition,
): Promise<void> {
  const expected = parsePrecondition(precondition);
  await inTenant(db, ctx.tenantId, async (tx) => {
    const current = await findItem(tx, ctx.tenantId, id, { forUpdate: true });
    if (!current) throw itemNotFound(id);
    if (expected.version !== undefined && expected.version !== current.version) {
      throw staleVersion(expected, current.version, id);
    }
    await deleteItemRow(tx, ctx.tenantId, id);
    await recordAudit(tx, ctx, {
      action: 'item.deleted',
      targetType: 'item',
      targetId: id,
      before: auditView(toItem(current)),
    });
  });
}

const ItemCursor = z.object({
  s: z.string().max(20),
  q: z.string().max(1000).nullable(),
  v: z.string().max(400),
  id: z.string().regex(idPattern('itm')),
});

/**
 * A cursor is client-controlled: its sort value is checked for the sort's type here and turned
 * into a canonical form, so a forged one is a 400 and never reaches SQL as something to cast.
 */
function cursorSortValue(sort: ItemSort, v: string): string {
  if (sort.endsWith('At')) {
    const ms = Date.parse(v);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(ms)) throw invalidCursor();
    return new Date(ms).toISOString();
  }
  if (sort === 'relevance') {
    if (!/^-?\d{1,12}(\.\d{1,6})?$/.test(v)) throw invalidCursor();
    return v;
  }
  if (v.includes('\u0000') || !v.isWellFormed()) throw invalidCursor();
  return v;
}

export async function listItems(db: Database, ctx: ActorContext, query: ListItemsQuery) {
  const sort: ItemSort = query.sort ?? (query.q ? 'relevance' : '-createdAt');
  if (sort === 'relevance' && !query.q) {
    throw invalid('ITEMS_SORT_NEEDS_QUERY', 'Sorting by relevance needs a search query q.', [
      { path: 'querystring.sort', message: 'relevance needs q' },
    ]);
  }
  let after: { value: string; id: string } | undefined;
  if (query.cursor) {
    const c = decodeCursor(query.cursor, ItemCursor);
    if (c.s !== sort || c.q !== (query.q ?? null)) throw invalidCursor();
    after = { value: cursorSortValue(sort, c.v), id: c.id };
  }
  const rows = await inTenant(db, ctx.tenantId, (tx) =>
    selectItems(tx, {
      tenantId: ctx.tenantId,
      limit: query.limit,
      statuses: query.status,
      tags: query.tag,
      q: query.q,
      sort,
      after,
    }),
  );
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  const nextCursor =
    rows.length > query.limit && last
      ? encodeCursor({ s: sort, q: query.q ?? null, v: last.sortValue, id: last.id })
      : null;
  return { data: page.map(toItem), nextCursor };
}

export async function countItemsByStatus(db: Database, tenantId: string): Promise<Record<ItemStatus, number>> {
  const counts = Object.fromEntries(ITEM_STATUSES.map((s) => [s, 0])) as Record<ItemStatus, number>;
  for (const r of await inTenant(db, tenantId, (tx) => countItemsByStatusRows(tx, tenantId)))
    counts[r.status] = Number(r.count);
  return counts;
}
