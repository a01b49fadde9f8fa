import { sql } from 'drizzle-orm';
import pg from 'pg';
import type { Database, Executor, Transaction } from './database.ts';
import type { RawStatement } from './raw-query.ts';

/**
 * Row-level security, the second wall (migration 0008). Tenant-scoped work runs in a
 * transaction under the `switchyard_tenant` role with `app.tenant_id` naming the tenant: every
 * table with a tenant_id column then shows and accepts only that tenant's rows, even if a query
 * forgot its `where tenant_id = …`. Outside such a transaction the connection is the tables'
 * owner, which the policies do not bind: sign-in, invitations, the operator and the engine's
 * bookkeeping, which cross tenants by nature.
 */
export const TENANT_ROLE = 'switchyard_tenant';

/** Our tenant ids (`ten_…`): checked before they become a setting, so no odd value slips in. */
const TENANT_ID = /^ten_[0-9A-Za-z_-]{1,64}$/;

function checkTenantId(tenantId: string): void {
  if (!TENANT_ID.test(tenantId)) throw new Error(`refusing a tenant scope for a malformed tenant id`);
}

/**
 * Runs `fn` in a transaction bound to one tenant. Nested inside another `inTenant` (or any
 * transaction) it becomes a savepoint and re-binds the tenant for its duration.
 */
export async function inTenant<T>(db: Executor, tenantId: string, fn: (tx: Transaction) => Promise<T>): Promise<T> {
  checkTenantId(tenantId);
  return db.transaction(async (tx) => {
    await tx.execute(
      sql`select set_config('role', ${TENANT_ROLE}, true), set_config('app.tenant_id', ${tenantId}, true)`,
    );
    return fn(tx as Transaction);
  });
}

interface PgPoolLike {
  query(text: string): Promise<{ rows: unknown[] } | { rows: unknown[] }[]>;
}
interface PgliteLike {
  transaction<T>(
    fn: (tx: { query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> }) => Promise<T>,
  ): Promise<T>;
}

/**
 * One fixed statement bound to one tenant, in as few round trips as the driver allows — for the
 * hot paths (`rawQuery`'s tenant-bound twin).
 *
 * On PostgreSQL it is a single simple-protocol message: `set local role …; select set_config(…);
 * <statement>` run as one implicit transaction (an error anywhere rolls all of it back, and the
 * role and setting end with it), so the wall costs no extra round trip. The simple protocol
 * carries no parameters, so the values are inlined as escaped literals (`sqlLiteral`); the
 * statement must cast every parameter whose type is not text (`$2::int`, `$3::jsonb`, …).
 * On PGlite, an in-process transaction with the parameters bound.
 */
export async function tenantRawQuery<T>(db: Database, tenantId: string, stmt: RawStatement): Promise<T[]> {
  checkTenantId(tenantId);
  const client = (db as unknown as { $client?: object }).$client;
  if (!client) throw new Error('database client does not support raw queries');
  if ('totalCount' in client && 'idleCount' in client) {
    const text =
      `set local role ${TENANT_ROLE}; select set_config('app.tenant_id', ${sqlLiteral(tenantId)}, true); ` +
      inlineParams(stmt.text, stmt.values);
    const results = (await (client as unknown as PgPoolLike).query(text)) as { rows: unknown[] }[];
    return results[2]!.rows as T[];
  }
  return (client as PgliteLike).transaction(async (tx) => {
    await tx.query(`select set_config('role', $1, true), set_config('app.tenant_id', $2, true)`, [
      TENANT_ROLE,
      tenantId,
    ]);
    return (await tx.query(stmt.text, stmt.values)).rows as T[];
  });
}

/** Replaces `$n` placeholders with literals. Our statements carry no `$` inside string literals. */
export function inlineParams(text: string, values: readonly unknown[]): string {
  return text.replace(/\$(\d+)/g, (_, n: string) => {
    const i = Number(n) - 1;
    if (i < 0 || i >= values.length) throw new Error(`statement refers to $${n} but has ${values.length} values`);
    return sqlLiteral(values[i]);
  });
}

/**
 * A value as a SQL literal, escaped by node-postgres' own `escapeLiteral`. Arrays become array
 * literals and objects JSON, the forms node-postgres would send as parameters.
 */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('non-finite number in a statement');
    return `(${String(value)})`;
  }
  if (typeof value === 'bigint') return `(${value.toString()})`;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return pg.escapeLiteral(value);
  if (value instanceof Date) return pg.escapeLiteral(value.toISOString());
  if (Array.isArray(value)) return pg.escapeLiteral(arrayLiteral(value));
  return pg.escapeLiteral(JSON.stringify(value));
}

function arrayLiteral(values: readonly unknown[]): string {
  const parts = values.map((v) => {
    if (v === null || v === undefined) return 'NULL';
    if (Array.isArray(v)) return arrayLiteral(v);
    const s = typeof v === 'string' ? v : v instanceof Date ? v.toISOString() : JSON.stringify(v);
    return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  });
  return `{${parts.join(',')}}`;
}
