import { and, asc, eq, gt, isNull } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.ts';
import { newId } from '../../platform/ids.ts';
import { tenants } from './tenants.table.ts';

/** Created by migration 0002; requests act as this tenant until identity lands. */
export const BOOTSTRAP_TENANT_ID = 'ten_00000000000000000000000000';

export interface Tenant {
  id: string;
  name: string;
  status: 'active' | 'suspended';
  createdAt: Date;
}

export async function createTenant(db: Executor, input: { name: string }): Promise<Tenant> {
  const [row] = await db
    .insert(tenants)
    .values({ id: newId('ten'), name: input.name })
    .returning();
  if (!row) throw new Error('insert returned no row');
  return row;
}

export async function getTenant(db: Executor, id: string): Promise<Tenant | undefined> {
  const [row] = await db.select().from(tenants).where(eq(tenants.id, id));
  return row;
}

export async function renameTenant(db: Executor, tenantId: string, name: string): Promise<Tenant> {
  const [row] = await db
    .update(tenants)
    .set({ name, updatedAt: new Date() })
    .where(eq(tenants.id, tenantId))
    .returning();
  if (!row) throw new Error(`tenant ${tenantId} vanished`);
  return row;
}

/**
 * Soft delete: the tenant is suspended and marked deleted at once (every credential for it stops
 * working); a cleanup job purges it after the retention period.
 */
export async function softDeleteTenant(db: Executor, tenantId: string): Promise<void> {
  await db
    .update(tenants)
    .set({ status: 'suspended', deletedAt: new Date(), updatedAt: new Date() })
    .where(eq(tenants.id, tenantId));
}

export async function setTenantStatus(
  db: Executor,
  tenantId: string,
  status: 'active' | 'suspended',
): Promise<Tenant | undefined> {
  const [row] = await db
    .update(tenants)
    .set({ status, updatedAt: new Date() })
    .where(and(eq(tenants.id, tenantId), isNull(tenants.deletedAt)))
    .returning();
  return row;
}

export interface TenantSummary extends Tenant {
  deletedAt: Date | null;
  quotaItems: number | null;
  quotaMembers: number | null;
}

export async function listAllTenants(
  db: Executor,
  opts: { limit: number; afterId?: string | undefined },
): Promise<TenantSummary[]> {
  return db
    .select()
    .from(tenants)
    .where(opts.afterId ? gt(tenants.id, opts.afterId) : undefined)
    .orderBy(asc(tenants.id))
    .limit(opts.limit);
}
