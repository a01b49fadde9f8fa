import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { describeEachBackend } from '../../../test/support/app.ts';
import { createTenant } from '../../modules/tenants/index.ts';
import type { Database } from './database.ts';
import { inTenant, sqlLiteral, TENANT_ROLE, tenantRawQuery } from './tenant-scope.ts';

const rows = async <T>(db: Database | Parameters<Parameters<typeof inTenant>[2]>[0], q: ReturnType<typeof sql>) =>
  (await db.execute(q)).rows as T[];

describeEachBackend('row-level security', (getDb, backend) => {
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

  it('binds the hot-path statements to the tenant and hands the connection back as the owner', async () => {
    for (let i = 0; i < 12; i++) {
      const seen = await tenantRawQuery<{ id: string }>(db, b, {
        name: 'rls_test_all_items',
        text: `select id from items where id like $1 order by id`,
        values: ['itm_rls%'],
      });
      assert.deepEqual(
        seen.map((r) => r.id),
        ['itm_rlsb1', 'itm_rlsb2'],
      );
    }
    // Every pooled connection is back to the owner with no tenant set.
    for (let i = 0; i < 8; i++) {
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

  it('rolls the whole hot-path statement back when any part of it fails', async () => {
    await assert.rejects(
      tenantRawQuery(db, a, {
        name: 'rls_test_two_inserts',
        text: `with x as (insert into items (id, tenant_id, name) values ('itm_rlsy', $1, 'y') returning id)
               insert into items (id, tenant_id, name) select 'itm_rlsz', $2, 'z' from x`,
        values: [a, b],
      }),
    );
    const [n] = await rows<{ n: number }>(
      db,
      sql`select count(*)::int as n from items where id in ('itm_rlsy', 'itm_rlsz')`,
    );
    assert.equal(n?.n, 0);
  });

  it('refuses a malformed tenant id before it reaches the database', async () => {
    await assert.rejects(
      inTenant(db, "ten_x' or '1'='1", async () => 1),
      /malformed tenant id/,
    );
    await assert.rejects(tenantRawQuery(db, '', { name: 'x', text: 'select 1', values: [] }), /malformed tenant id/);
  });

  if (backend === 'postgres') {
    it('inlines any value as a literal that reads back unchanged (property)', async () => {
      const text = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !s.includes('\u0000'));
      await fc.assert(
        fc.asyncProperty(
          text,
          fc.array(text, { maxLength: 5 }),
          fc.jsonValue({ maxDepth: 3 }),
          fc.integer(),
          async (s, arr, json, n) => {
            const [row] = await tenantRawQuery<{ s: string; arr: string[]; json: unknown; n: number }>(db, a, {
              name: 'rls_literals',
              text: `select $1::text as s, $2::text[] as arr, $3::jsonb as json, $4::int as n`,
              values: [s, arr, JSON.stringify(json), n],
            });
            assert.equal(row?.s, s);
            assert.deepEqual(row?.arr, arr);
            assert.deepEqual(row?.json, JSON.parse(JSON.stringify(json)));
            assert.equal(row?.n, n);
          },
        ),
        { numRuns: 150 },
      );
      assert.equal(sqlLiteral("it's \\ here"), " E'it''s \\\\ here'");
    });
  }
});
