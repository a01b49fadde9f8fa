import { sql } from 'drizzle-orm';
import type { Executor, Transaction } from './database.ts';

/**
 * Row-level security, the second wall (migration 0008). Tenant-scoped work runs in a
 * transaction under the `switchyard_tenant` role with `app.tenant_id` naming the tenant: every
 * table with a tenant_id column then shows and accepts only that tenant's rows, even if a query
 * forgot its `where tenant_id = …`. Outside such a transaction the connection is the tables'
 * owner, which the policies do not bind: sign-in, invitations, the operator and the engine's
 * bookkeeping, which cross tenants by nature.
 *
 * The hottest statements (an item by id, an item's creation) skip the transaction: they call
 * SECURITY DEFINER functions owned by the tenant role (`sy_item_get`, `sy_item_create`), which
 * name the tenant and query under the same policies in one prepared round trip.
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
