import { stringify } from 'csv-stringify/sync';
import { and, asc, eq, gt, gte, lt, or, type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Executor } from '../../../platform/db/database.ts';
import { inTenant } from '../../../platform/db/tenant-scope.ts';
import { newId } from '../../../platform/ids.ts';
import { items } from '../../items/index.ts';
import { runs } from '../../workflows/workflows.table.ts';
import { GenerateReportPayload, JOB_LIMITS } from '../jobs.dto.ts';
import { files } from '../jobs.table.ts';
import { JobFailure, type JobHandler, parsePayload } from './handler.ts';

type Row = Record<string, unknown> & { id: string; createdAt: string };

interface Source {
  columns: readonly string[];
  table: PgTable & { tenantId: AnyPgColumn; createdAt: AnyPgColumn; id: AnyPgColumn };
  page(tx: Executor, where: SQL | undefined, limit: number): Promise<Row[]>;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

const SOURCES: Record<'items' | 'runs', Source> = {
  items: {
    columns: ['id', 'name', 'status', 'tags', 'createdAt', 'updatedAt'],
    table: items,
    async page(tx, where, limit) {
      const rows = await tx
        .select({
          id: items.id,
          name: items.name,
          status: items.status,
          tags: items.tags,
          createdAt: items.createdAt,
          updatedAt: items.updatedAt,
        })
        .from(items)
        .where(where)
        .orderBy(asc(items.createdAt), asc(items.id))
        .limit(limit);
      return rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString() }));
    },
  },
  runs: {
    columns: ['id', 'workflowId', 'version', 'status', 'triggerType', 'createdAt', 'finishedAt'],
    table: runs,
    async page(tx, where, limit) {
      const rows = await tx
        .select({
          id: runs.id,
          workflowId: runs.workflowId,
          version: runs.version,
          status: runs.status,
          triggerType: runs.triggerType,
          createdAt: runs.createdAt,
          finishedAt: runs.finishedAt,
        })
        .from(runs)
        .where(where)
        .orderBy(asc(runs.createdAt), asc(runs.id))
        .limit(limit);
      return rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString(), finishedAt: iso(r.finishedAt) }));
    },
  },
};

/**
 * A cell as a spreadsheet should show it: a text starting with `=`, `+`, `-`, `@`, tab or CR is
 * prefixed with `'` so no spreadsheet evaluates it as a formula (CSV injection).
 */
function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = Array.isArray(v) ? v.join(',') : String(v);
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

const tooLarge = (what: string) =>
  new JobFailure(
    'JOB_REPORT_TOO_LARGE',
    `The report would exceed ${what}: choose a shorter period (from/to) or split it.`,
    true,
  );

/**
 * `generate-report`: the tenant's items or runs created in [from, to), oldest first, read in
 * pages of 1,000 under the tenant's row-level security, as CSV (header line, tags joined with
 * commas) or a JSON array. At most 100,000 rows and 20 MiB: a larger report fails rather than
 * silently missing rows. The file is stored with the job's success, downloadable at
 * `/api/v1/files/:id`.
 */
export const generateReport: JobHandler = async (payload, ctx) => {
  const p = parsePayload(GenerateReportPayload, payload);
  const source = SOURCES[p.source];
  const t = source.table;
  const range: SQL[] = [eq(t.tenantId, ctx.tenantId)];
  if (p.from) range.push(gte(t.createdAt, p.from));
  if (p.to) range.push(lt(t.createdAt, p.to));

  const [counted] = await inTenant(ctx.db, ctx.tenantId, (tx) =>
    tx
      .select({ n: sql<number>`count(*)::int` })
      .from(t)
      .where(and(...range)),
  );
  const total = Number(counted?.n ?? 0);
  if (total > JOB_LIMITS.reportMaxRows) throw tooLarge(`${JOB_LIMITS.reportMaxRows} rows (it has ${total})`);

  const chunks: Buffer[] = [];
  let bytes = 0;
  let rows = 0;
  const push = (text: string) => {
    const b = Buffer.from(text, 'utf8');
    bytes += b.length;
    if (bytes > JOB_LIMITS.reportMaxBytes) throw tooLarge(`${JOB_LIMITS.reportMaxBytes} bytes`);
    chunks.push(b);
  };
  push(p.format === 'csv' ? stringify([source.columns]) : '[');

  let after: { createdAt: string; id: string } | undefined;
  for (;;) {
    const where = after
      ? and(
          ...range,
          or(
            gt(t.createdAt, new Date(after.createdAt)),
            and(eq(t.createdAt, new Date(after.createdAt)), gt(t.id, after.id)),
          ),
        )
      : and(...range);
    const page = await inTenant(ctx.db, ctx.tenantId, (tx) => source.page(tx, where, JOB_LIMITS.reportPageRows));
    if (page.length > 0) {
      // Rows created while the report runs can push it past the count taken at the start.
      if (rows + page.length > JOB_LIMITS.reportMaxRows) throw tooLarge(`${JOB_LIMITS.reportMaxRows} rows`);
      if (p.format === 'csv') {
        push(stringify(page.map((r) => source.columns.map((c) => csvCell(r[c])))));
      } else {
        push(`${rows > 0 ? ',' : ''}${page.map((r) => JSON.stringify(r)).join(',')}`);
      }
      rows += page.length;
    }
    const last = page.at(-1);
    if (!last || page.length < JOB_LIMITS.reportPageRows) break;
    after = { createdAt: last.createdAt, id: last.id };
    await ctx.checkpoint(Math.min(95, Math.floor((rows / Math.max(total, rows)) * 95)));
  }
  if (p.format === 'json') push(']');

  const content = Buffer.concat(chunks);
  const fileId = newId('fil');
  const name = `${p.source}-report-${ctx.jobId}.${p.format}`;
  const contentType = p.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8';
  return {
    commit: async (tx) => {
      await tx.insert(files).values({ id: fileId, tenantId: ctx.tenantId, name, contentType, size: bytes, content });
      return { fileId, name, rows, bytes, downloadUrl: `/api/v1/files/${fileId}` };
    },
  };
};
