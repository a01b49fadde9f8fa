import { and, desc, eq, gte, lt, lte, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { ActorContext } from '../../platform/context.ts';
import type { Executor } from '../../platform/db/database.ts';
import { notFound } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { decodeCursor, encodeCursor } from '../../platform/validation.ts';
import { type AuditChanges, type AuditRow, auditLogs } from './audit.table.ts';
import { captureTraceContext } from '../../platform/telemetry/tracing.ts';

export interface AuditEntry {
  /** `<target>.<verb>`, past tense: `item.created`, `setting.updated`. */
  action: string;
  targetType: string;
  targetId: string;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

/**
 * Keeps only what changed: for an update, the fields whose JSON differs, before and after.
 * Creations keep the whole `after`, deletions the whole `before`.
 */
export function diffChanges(
  before: Record<string, unknown> | null | undefined,
  after: Record<string, unknown> | null | undefined,
): AuditChanges {
  if (!before || !after) return { before: before ?? null, after: after ?? null };
  const b: Record<string, unknown> = {};
  const a: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
      b[key] = before[key];
      a[key] = after[key];
    }
  }
  return { before: b, after: a };
}

/**
 * Writes one audit entry. Call it with the transaction that makes the change, so the change and
 * its audit entry commit or roll back together.
 */
export async function recordAudit(tx: Executor, ctx: ActorContext, entry: AuditEntry): Promise<void> {
  await tx.insert(auditLogs).values(auditValues(ctx, entry));
}

export function auditValues(ctx: ActorContext, entry: AuditEntry) {
  return {
    id: newId('aud'),
    tenantId: ctx.tenantId,
    actorType: ctx.actor.type,
    actorId: ctx.actor.id,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    changes: diffChanges(entry.before, entry.after),
    requestId: ctx.requestId ?? null,
    ip: ctx.ip ?? null,
    userAgent: ctx.userAgent?.slice(0, 512) ?? null,
    traceContext: captureTraceContext(),
  };
}

export interface AuditLogView {
  id: string;
  actor: { type: string; id: string };
  action: string;
  target: { type: string; id: string };
  changes: AuditChanges;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  createdAt: string;
}

const toView = (r: AuditRow): AuditLogView => ({
  id: r.id,
  actor: { type: r.actorType, id: r.actorId },
  action: r.action,
  target: { type: r.targetType, id: r.targetId },
  changes: r.changes,
  requestId: r.requestId,
  ip: r.ip,
  userAgent: r.userAgent,
  createdAt: r.createdAt.toISOString(),
});

export interface AuditFilter {
  limit: number;
  cursor?: string | undefined;
  action?: string | undefined;
  actorId?: string | undefined;
  targetType?: string | undefined;
  targetId?: string | undefined;
  requestId?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

const AuditCursor = z.object({ k: z.literal('audit'), id: z.string().max(64) });

/** Newest first. Ids are time-ordered, so the id alone is a stable keyset. */
export async function listAuditLogs(db: Executor, tenantId: string, f: AuditFilter) {
  const where: SQL[] = [eq(auditLogs.tenantId, tenantId)];
  if (f.action) where.push(eq(auditLogs.action, f.action));
  if (f.actorId) where.push(eq(auditLogs.actorId, f.actorId));
  if (f.targetType) where.push(eq(auditLogs.targetType, f.targetType));
  if (f.targetId) where.push(eq(auditLogs.targetId, f.targetId));
  if (f.requestId) where.push(eq(auditLogs.requestId, f.requestId));
  if (f.from) where.push(gte(auditLogs.createdAt, new Date(f.from)));
  if (f.to) where.push(lte(auditLogs.createdAt, new Date(f.to)));
  if (f.cursor) where.push(lt(auditLogs.id, decodeCursor(f.cursor, AuditCursor).id));
  const rows = await db
    .select()
    .from(auditLogs)
    .where(and(...where))
    .orderBy(desc(auditLogs.id))
    .limit(f.limit + 1);
  const page = rows.slice(0, f.limit);
  const last = page.at(-1);
  return {
    data: page.map(toView),
    nextCursor: rows.length > f.limit && last ? encodeCursor({ k: 'audit', id: last.id }) : null,
  };
}

export async function getAuditLog(db: Executor, tenantId: string, id: string): Promise<AuditLogView> {
  const [row] = await db
    .select()
    .from(auditLogs)
    .where(and(eq(auditLogs.tenantId, tenantId), eq(auditLogs.id, id)));
  if (!row) throw notFound('AUDIT_LOG_NOT_FOUND', `No audit log entry ${id} in this tenant.`);
  return toView(row);
}
