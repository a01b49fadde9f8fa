import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { type SQL, sql } from 'drizzle-orm';
import { describeEachBackend } from '../../../test/support/app.ts';
import { createTenant } from '../../modules/tenants/index.ts';
import type { Database, Executor } from './database.ts';
import { inTenant, TENANT_ROLE } from './tenant-scope.ts';

const rows = async <T>(db: Executor, q: SQL) => ((await db.execute(q)) as unknown as { rows: T[] }).rows;

describeEachBackend('row-level security', (getDb) => {
  let db: Database;
  let a: string;
  let b: string;
  before(async () => {
    db = getDb().handle.db;
    a = (await createTenant(db, { name: 'RLS A' })).id;
    b = (await createTenant(db, { name: 'RLS B' })).id;
    // Written as the owner, whom the policies do not bind: one item for A, two for B.
    await db.execute(sql`insert into items (id, tenant_id, name) values
      ('itm_rlsa1', ${a}, 'a1'), ('itm_rlsb1', ${b}, 'b1'), ('itm_rlsb2', ${b}, 'b2')`);
  });

  it('puts every table with a tenant_id column (and tenants) under a tenant_isolation policy', async () => {
    const tables = await rows<{ table_name: string; rls: boolean; policies: number }>(
      db,
      sql`select c.table_name, cl.relrowsecurity as rls,
            (select count(*)::int from pg_policies p where p.tablename = c.table_name and p.policyname = 'tenant_isolation') as policies
          from information_schema.columns c
          join pg_class cl on cl.relname = c.table_name and cl.relnamespace = 'public'::regnamespace
          where c.table_schema = 'public' and (c.column_name = 'tenant_id' or c.table_name = 'tenants')
          group by c.table_name, cl.relrowsecurity order by 1`,
    );
    assert.ok(tables.length >= 10, `found only ${tables.map((t) => t.table_name).join(', ')}`);
    const open = tables.filter((t) => !t.rls || t.policies !== 1).map((t) => t.table_name);
    assert.deepEqual(open, [], `tables without row-level security: ${open.join(', ')}`);
  });

  it('shows a tenant only its own rows even when the query has no tenant filter', async () => {
    const seen = await inTenant(db, a, (tx) =>
      rows<{ id: string }>(tx, sql`select id from items where id like 'itm_rls%' order by id`),
    );
    assert.deepEqual(
      seen.map((r) => r.id),
      ['itm_rlsa1'],
    );
    const ten = await inTenant(db, b, (tx) => rows<{ id: string }>(tx, sql`select id from tenants`));
    assert.deepEqual(
      ten.map((r) => r.id),
      [b],
    );
  });

  it("refuses to write another tenant's rows and leaves them untouched", async () => {
    await assert.rejects(
      inTenant(db, a, (tx) => tx.execute(sql`insert into items (id, tenant_id, name) values ('itm_rlsx', ${b}, 'x')`)),
      (err: Error & { cause?: { code?: string }; code?: string }) =>
        (err.cause?.code ?? err.code) === '42501' || /row-level security/.test(String(err.cause ?? err)),
    );
    const updated = await inTenant(db, a, (tx) =>
      rows<{ id: string }>(tx, sql`update items set name = 'stolen' where id = 'itm_rlsb1' returning id`),
    );
    assert.equal(updated.length, 0);
    const deleted = await inTenant(db, a, (tx) =>
      rows<{ id: string }>(tx, sql`delete from items where tenant_id = ${b} returning id`),
    );
    assert.equal(deleted.length, 0);
    const [row] = await rows<{ name: string }>(db, sql`select name from items where id = 'itm_rlsb1'`);
    assert.equal(row?.name, 'b1');
  });

  it('shows nothing under the tenant role when no tenant is named (fail closed)', async () => {
    const seen = await db.transaction(async (tx) => {
      await tx.execute(sql`select set_config('role', ${TENANT_ROLE}, true)`);
      return rows<{ n: number }>(tx, sql`select count(*)::int as n from items`);
    });
    assert.equal(seen[0]?.n, 0);
  });

  it('runs the hot-path functions as the tenant role and hands the connection back as the owner', async () => {
    const fns = await rows<{ name: string; owner: string; definer: boolean }>(
      db,
      sql`select p.proname as name, pg_get_userbyid(p.proowner) as owner, p.prosecdef as definer
          from pg_proc p where p.pronamespace = 'public'::regnamespace and p.proname like 'sy\_%' order by 1`,
    );
    assert.deepEqual(
      fns.map((f) => f.name),
      ['sy_item_create', 'sy_item_get'],
    );
    for (const f of fns) assert.deepEqual([f.owner, f.definer], [TENANT_ROLE, true], f.name);

    // Asked for another tenant's item, the function finds nothing.
    assert.equal((await rows(db, sql`select * from sy_item_get(${a}, 'itm_rlsb1')`)).length, 0);
    assert.equal((await rows(db, sql`select * from sy_item_get(${b}, 'itm_rlsb1')`)).length, 1);
    // The same mechanism with no WHERE at all: a definer function of the tenant role sees one tenant.
    await db.execute(
      sql.raw(`create function rls_test_count(p text) returns bigint language plpgsql security definer as $f$
      begin perform set_config('app.tenant_id', p, true); return (select count(*) from items where id like 'itm_rls%'); end $f$`),
    );
    await db.execute(sql.raw(`alter function rls_test_count(text) owner to ${TENANT_ROLE}`));
    const [count] = await rows<{ n: string }>(db, sql`select rls_test_count(${b}) as n`);
    assert.equal(Number(count?.n), 2);

    // Every connection is back to the owner with no tenant set.
    for (let i = 0; i < 8; i++) {
      await rows(db, sql`select * from sy_item_get(${b}, 'itm_rlsb2')`);
      const [who] = await rows<{ u: string; t: string | null; n: number }>(
        db,
        sql`select current_user as u, nullif(current_setting('app.tenant_id', true), '') as t,
              (select count(*)::int from items where id like 'itm_rls%') as n`,
      );
      assert.notEqual(who?.u, TENANT_ROLE);
      assert.equal(who?.t, null);
      assert.equal(who?.n, 3);
    }
  });

  it('creates an item and its audit entry together, or neither', async () => {
    const audit = (id: string) => [
      id,
      'user',
      'usr_x',
      'item.created',
      'item',
      'itm_rlsc',
      '{}',
      null,
      null,
      null,
      null,
    ];
    const create = (tenant: string, auditId: string) =>
      db.execute(sql`select * from sy_item_create(${tenant}, 'itm_rlsc', 'c', '', 'active', '{}'::text[], '{}'::jsonb,
        now(), null, ${sql.join(
          audit(auditId).map((v) => sql`${v}`),
          sql`, `,
        )})`);
    await create(a, 'aud_rlsc1');
    // The same item id again: the insert fails, and no second audit entry is left behind.
    await assert.rejects(create(a, 'aud_rlsc2'));
    const [n] = await rows<{ items: number; audits: number }>(
      db,
      sql`select (select count(*)::int from items where id = 'itm_rlsc') as items,
            (select count(*)::int from audit_logs where id in ('aud_rlsc1', 'aud_rlsc2')) as audits`,
    );
    assert.deepEqual({ ...n }, { items: 1, audits: 1 });
  });

  it('refuses a malformed tenant id before it reaches the database', async () => {
    await assert.rejects(
      inTenant(db, "ten_x' or '1'='1", async () => 1),
      /malformed tenant id/,
    );
  });
});
