import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeEachBackend } from '../../../test/support/app.ts';
import { rawQuery, sqlLiteral } from './raw-query.ts';

const NASTY = [
  "it's",
  "'); drop table users; --",
  "back\\slash \\' and \\x41",
  '$1 $$ dollar $tag$',
  'ünïcødé 🎉 \u2028',
  '',
  ' '.repeat(3),
  "''",
];

describeEachBackend('rawQuery', (getDb, backend) => {
  it('returns every kind of parameter exactly as sent, through the prepared path', async () => {
    const db = getDb().handle.db;
    const date = new Date('2026-01-02T03:04:05.678Z');
    for (const s of NASTY) {
      const [row] = await rawQuery<{
        s: string;
        n: number;
        f: number;
        b: boolean;
        z: null;
        d: Date;
        a: string[];
        j: unknown;
      }>(db, {
        name: 'raw_query_test_roundtrip',
        text: `select $1::text as s, $2::int as n, $3::float8 as f, $4::boolean as b, $5::text as z,
                   $6::timestamptz as d, $7::text[] as a, $8::jsonb as j`,
        values: [s, -42, -1.5e-3, false, null, date, [s, 'x', "o'k"], { s, nested: [1, { q: "'" }] }],
      });
      assert.ok(row);
      assert.equal(row.s, s);
      assert.equal(row.n, -42);
      assert.equal(row.f, -1.5e-3);
      assert.equal(row.b, false);
      assert.equal(row.z, null);
      assert.equal(new Date(row.d).toISOString(), date.toISOString());
      assert.deepEqual(row.a, [s, 'x', "o'k"]);
      assert.deepEqual(row.j, { s, nested: [1, { q: "'" }] });
    }
    const [empty] = await rawQuery<{ n: number }>(db, {
      name: 'raw_query_test_empty_array',
      text: `select cardinality($1::text[]) as n`,
      values: [[]],
    });
    assert.equal(empty?.n, 0);
    if (backend === 'pglite') {
      const names = await rawQuery<{ name: string }>(db, {
        name: 'raw_query_test_prepared',
        text: `select name from pg_prepared_statements where name like 'raw_query_test_%' order by name`,
        values: [],
      });
      assert.deepEqual(
        names.map((r) => r.name),
        ['raw_query_test_empty_array', 'raw_query_test_prepared', 'raw_query_test_roundtrip'],
      );
    }
  });

  it('runs a statement it cannot prepare plainly, and refuses a name reused for other text', async () => {
    const db = getDb().handle.db;
    // `$1` alone has no type PostgreSQL can infer at PREPARE time.
    const [a] = await rawQuery<{ v: string }>(db, {
      name: 'raw_query_test_untyped',
      text: `select $1 as v`,
      values: ['x'],
    });
    assert.equal(a?.v, 'x');
    const [b] = await rawQuery<{ v: number }>(db, { name: 'raw_query_test_reused', text: `select 1 as v`, values: [] });
    assert.equal(b?.v, 1);
    await assert.rejects(
      rawQuery(db, { name: 'raw_query_test_reused', text: `select 2 as v`, values: [] }),
      /Prepared statements must be unique/,
    );
  });
});

it('refuses values it cannot write as an exact literal', () => {
  assert.throws(() => sqlLiteral('a\0b'), RangeError);
  assert.throws(() => sqlLiteral(Number.NaN), RangeError);
  assert.throws(() => sqlLiteral(Symbol('x')), TypeError);
  assert.equal(sqlLiteral("o'k"), "'o''k'");
  assert.equal(sqlLiteral(-3), '(-3)');
  assert.equal(sqlLiteral([]), "'{}'");
});
