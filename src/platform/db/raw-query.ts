import type { Database } from './database.ts';

/**
 * A fixed SQL statement with positional parameters. `name` makes it a server-side prepared
 * statement on PostgreSQL (parsed and planned once per connection); PGlite ignores it.
 */
export interface RawStatement {
  name: string;
  text: string;
  values: unknown[];
}

interface QueryableClient {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
  query(text: string, values: unknown[]): Promise<{ rows: unknown[] }>;
}

const isPgPool = (c: object) => 'totalCount' in c && 'idleCount' in c;

/**
 * Runs a hand-written statement on the database's own client, bypassing Drizzle's query builder
 * (~80 µs per statement, measured in bench/): for a few hot paths only. Not for transactions —
 * it runs on the pool (PostgreSQL) or the single session (PGlite), so use one atomic statement,
 * e.g. a data-modifying CTE. Rows come back with SQL column names, values parsed by the driver.
 */
export async function rawQuery<T>(db: Database, stmt: RawStatement): Promise<T[]> {
  const client = (db as unknown as { $client?: QueryableClient }).$client;
  if (!client || typeof client.query !== 'function') throw new Error('database client does not support raw queries');
  const result = isPgPool(client as object)
    ? await client.query({ name: stmt.name, text: stmt.text, values: stmt.values })
    : await client.query(stmt.text, stmt.values);
  return result.rows as T[];
}
