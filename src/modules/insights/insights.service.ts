import { and, desc, eq, inArray, isNull, lt, or, type SQL } from 'drizzle-orm';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ActorContext } from '../../platform/context.ts';
import type { Database } from '../../platform/db/database.ts';
import { inTenant } from '../../platform/db/tenant-scope.ts';
import { idPattern, newId } from '../../platform/ids.ts';
import { decodeCursor, encodeCursor, invalidCursor } from '../../platform/validation.ts';
import { recordAudit } from '../audit/index.ts';
import { tenants } from '../tenants/index.ts';
import { findInsights, HOUR_MS } from './detect.ts';
import { readTenantHistory } from './history.repo.ts';
import type { Insight, ListInsightsQuery } from './insights.dto.ts';
import { insights } from './insights.table.ts';

export interface InsightsDeps {
  db: Database;
  logger: Logger;
}

/** New insights one tenant can get from one pass: a flood helps nobody read them. */
const MAX_NEW_PER_TENANT = 50;

/** The insights pass as an audit actor. */
const systemActor = (tenantId: string): ActorContext => ({
  tenantId,
  actor: { type: 'system', id: 'insights' },
  requestId: undefined,
  ip: undefined,
  userAgent: undefined,
});

type InsightRow = typeof insights.$inferSelect;

const view = (r: InsightRow): Insight => ({
  id: r.id,
  workflowId: r.workflowId,
  kind: r.kind,
  severity: r.severity,
  title: r.title,
  details: r.details as Record<string, unknown>,
  windowStart: r.windowStart.toISOString(),
  windowEnd: r.windowEnd.toISOString(),
  createdAt: r.createdAt.toISOString(),
});

/**
 * One insights pass over whole hours up to the start of `now`'s hour: per tenant, in one
 * transaction under its row-level security, read the history, find the insights, insert the new
 * ones (a finding already raised has the same dedupe key and inserts nothing) and audit each new
 * one as `insight.raised` — the audit log is the outbox the event relay reads, so `insight.raised`
 * event triggers see each insight exactly once. A tenant whose pass fails is logged and skipped.
 */
export async function raiseInsights(
  deps: InsightsDeps,
  opts: { now?: Date; tenantId?: string } = {},
): Promise<{ tenants: number; raised: Insight[] }> {
  const end = new Date(Math.floor((opts.now ?? new Date()).getTime() / HOUR_MS) * HOUR_MS);
  const tenantIds = opts.tenantId
    ? [opts.tenantId]
    : (
        await deps.db
          .select({ id: tenants.id })
          .from(tenants)
          .where(and(eq(tenants.status, 'active'), isNull(tenants.deletedAt)))
      ).map((t) => t.id);
  const raised: Insight[] = [];
  for (const tenantId of tenantIds) {
    try {
      raised.push(...(await raiseForTenant(deps.db, tenantId, end)));
    } catch (err) {
      deps.logger.warn({ err, tenantId }, 'insights pass failed for a tenant; it is tried again next hour');
    }
  }
  return { tenants: tenantIds.length, raised };
}

async function raiseForTenant(db: Database, tenantId: string, end: Date): Promise<Insight[]> {
  return inTenant(db, tenantId, async (tx) => {
    const found = findInsights(await readTenantHistory(tx, tenantId, end));
    if (found.length === 0) return [];
    // Leave out what was raised already before capping, so old findings never crowd out new ones.
    const known = new Set(
      (
        await tx
          .select({ key: insights.dedupeKey })
          .from(insights)
          .where(
            and(
              eq(insights.tenantId, tenantId),
              inArray(
                insights.dedupeKey,
                found.map((d) => d.dedupeKey),
              ),
            ),
          )
      ).map((r) => r.key),
    );
    const drafts = found.filter((d) => !known.has(d.dedupeKey)).slice(0, MAX_NEW_PER_TENANT);
    if (drafts.length === 0) return [];
    const rows = await tx
      .insert(insights)
      .values(drafts.map((d) => ({ id: newId('ins'), tenantId, ...d })))
      .onConflictDoNothing({ target: [insights.tenantId, insights.dedupeKey] })
      .returning();
    const out = rows.map(view).sort((a, b) => a.id.localeCompare(b.id));
    for (const insight of out) {
      const { id: _id, ...after } = insight;
      await recordAudit(tx, systemActor(tenantId), {
        action: 'insight.raised',
        targetType: 'insight',
        targetId: insight.id,
        after,
      });
    }
    return out;
  });
}

const InsightCursor = z.object({ k: z.literal('ins'), c: z.iso.datetime(), id: z.string().regex(idPattern('ins')) });

/** Newest first, keyset-paginated on (createdAt, id). */
export async function listInsights(db: Database, ctx: ActorContext, query: ListInsightsQuery) {
  const where: SQL[] = [eq(insights.tenantId, ctx.tenantId)];
  if (query.workflowId) where.push(eq(insights.workflowId, query.workflowId));
  if (query.kind) where.push(inArray(insights.kind, query.kind));
  if (query.severity) where.push(inArray(insights.severity, query.severity));
  if (query.cursor) {
    const c = decodeCursor(query.cursor, InsightCursor);
    const at = new Date(c.c);
    if (Number.isNaN(at.getTime())) throw invalidCursor();
    const before = or(lt(insights.createdAt, at), and(eq(insights.createdAt, at), lt(insights.id, c.id)));
    if (before) where.push(before);
  }
  const rows = await inTenant(db, ctx.tenantId, (tx) =>
    tx
      .select()
      .from(insights)
      .where(and(...where))
      .orderBy(desc(insights.createdAt), desc(insights.id))
      .limit(query.limit + 1),
  );
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    data: page.map(view),
    nextCursor:
      rows.length > query.limit && last
        ? encodeCursor({ k: 'ins', c: last.createdAt.toISOString(), id: last.id })
        : null,
  };
}
