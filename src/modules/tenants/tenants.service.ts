import { eq } from 'drizzle-orm';
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
