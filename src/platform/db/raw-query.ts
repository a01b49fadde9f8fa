import type { Database } from './database.ts';

/**
 * A fixed SQL statement with positional parameters. `name` makes it a prepared statement, parsed
 * and planned once: per connection on PostgreSQL (the driver's named statements), per database on
 * PGlite (SQL `PREPARE`, then `EXECUTE` with the values as quoted literals — see `pgliteExecute`).
 */
export interface RawStatement {
  name: string;
  text: string;
  values: unknown[];
}

interface QueryableClient {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

const isPgPool = (c: object) => 'totalCount' in c && 'idleCount' in c;

/** The connection was ended by the server (admin or crash shutdown), not the statement refused. */
function connectionEnded(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '57P01' || code === '57P02';
}

/**
 * Runs a hand-written statement on the database's own client, bypassing Drizzle's query builder
 * (~80 µs per statement, measured in bench/): for a few hot paths only. Not for transactions —
 * it runs on the pool (PostgreSQL) or the single session (PGlite), so use one atomic statement,
 * e.g. a data-modifying CTE. Rows come back with SQL column names, values parsed by the driver.
 */
export async function rawQuery<T>(db: Database, stmt: RawStatement): Promise<T[]> {
  if (observers.size === 0) return runRaw<T>(db, stmt);
  const started = performance.now();
  let outcome: 'ok' | 'error' = 'ok';
  try {
    return await runRaw<T>(db, stmt);
  } catch (err) {
    outcome = 'error';
    throw err;
  } finally {
    const seconds = (performance.now() - started) / 1000;
    for (const observe of observers) observe(stmt.name, outcome, seconds);
  }
}

type QueryObserver = (statement: string, outcome: 'ok' | 'error', seconds: number) => void;
const observers = new Set<QueryObserver>();

/**
 * Calls `observe` after every raw statement (the query-duration histogram): its name — a constant
 * of the code, so a bounded label — how it ended, and how long it took. Returns the unsubscribe.
 */
export function observeRawQueries(observe: QueryObserver): () => void {
  observers.add(observe);
  return () => observers.delete(observe);
}

async function runRaw<T>(db: Database, stmt: RawStatement): Promise<T[]> {
  const client = (db as unknown as { $client?: QueryableClient }).$client;
  if (!client || typeof client.query !== 'function') throw new Error('database client does not support raw queries');
  if (isPgPool(client as object)) {
    const run = async () => (await client.query({ name: stmt.name, text: stmt.text, values: stmt.values })).rows as T[];
    // After a server restart the pool can hand out idle connections whose backends are already
    // gone, before it has seen them close: the server ended them (57P01/57P02) without running the
    // statement, so it is safe to retry on another connection (a few times: several may be dead).
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (err) {
        if (attempt >= 3 || !connectionEnded(err)) throw err;
      }
    }
  }
  return (await pgliteExecute(client, stmt)).rows as T[];
}

// ------------------------------------------------------------------------------------ PGlite

/**
 * PGlite has no named statements in its API, and parsing + planning a statement in WASM costs
 * more than executing it (a CTE of the engine: ~200 µs of ~300, measured in bench/). So each named
 * statement is `PREPARE`d once per database, and executed with `EXECUTE name(literal, …)`, the
 * values written as SQL literals by `sqlLiteral` — quoting that is exact under
 * `standard_conforming_strings` (checked once: off, and everything takes the plain path). A
 * statement PostgreSQL cannot prepare (a parameter of undeterminable type) takes the plain,
 * parameterised path; a name reused for a different text is refused, as on PostgreSQL.
 */
interface PreparedState {
  /** Statement name → its text, once prepared; `null` = cannot be prepared, run it plainly. */
  statements: Map<string, string | null>;
  /** Names being prepared now: concurrent first uses wait for the same PREPARE. */
  preparing: Map<string, Promise<boolean>>;
  literalsSafe: Promise<boolean>;
}

const prepared = new WeakMap<object, PreparedState>();
const STATEMENT_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function stateOf(client: QueryableClient): PreparedState {
  let s = prepared.get(client);
  if (!s) {
    s = {
      statements: new Map(),
      preparing: new Map(),
      literalsSafe: client
        .query(`select current_setting('standard_conforming_strings') as v`)
        .then((r) => (r.rows[0] as { v?: string } | undefined)?.v === 'on')
        .catch(() => false),
    };
    prepared.set(client, s);
  }
  return s;
}

async function ensurePrepared(client: QueryableClient, state: PreparedState, stmt: RawStatement): Promise<boolean> {
  const known = state.statements.get(stmt.name);
  if (known !== undefined && known !== null && known !== stmt.text) {
    // A programming error, refused as node-postgres refuses it on PostgreSQL.
    throw new Error(`Prepared statements must be unique - '${stmt.name}' was used for a different statement`);
  }
  if (known !== undefined) return known !== null;
  let pending = state.preparing.get(stmt.name);
  if (!pending) {
    pending = client
      .query(`prepare ${stmt.name} as ${stmt.text}`)
      .then(() => true)
      .catch(() => false)
      .then((ok) => {
        state.statements.set(stmt.name, ok ? stmt.text : null);
        state.preparing.delete(stmt.name);
        return ok;
      });
    state.preparing.set(stmt.name, pending);
  }
  if (!(await pending)) return false;
  return ensurePrepared(client, state, stmt); // throws if a concurrent first use had other text
}

async function pgliteExecute(client: QueryableClient, stmt: RawStatement): Promise<{ rows: unknown[] }> {
  const state = stateOf(client);
  if (STATEMENT_NAME.test(stmt.name) && (await state.literalsSafe) && (await ensurePrepared(client, state, stmt))) {
    const args = stmt.values.map(sqlLiteral);
    return client.query(args.length ? `execute ${stmt.name}(${args.join(', ')})` : `execute ${stmt.name}`);
  }
  return client.query(stmt.text, stmt.values);
}

/**
 * A value as an SQL literal, for `EXECUTE` arguments (typed by the prepared statement's
 * parameters). Strings are single-quoted with quotes doubled — complete under
 * `standard_conforming_strings = on`, where a backslash is an ordinary character. NUL cannot be
 * stored in PostgreSQL text and is refused, as the driver would.
 */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      if (!Number.isFinite(value)) throw new RangeError(`cannot send ${value} as a statement parameter`);
      return value < 0 ? `(${value})` : String(value);
    case 'bigint':
      return value < 0n ? `(${value})` : String(value);
    case 'boolean':
      return value ? 'TRUE' : 'FALSE';
    case 'object':
      if (value instanceof Date) return quote(value.toISOString());
      if (Buffer.isBuffer(value)) return quote(`\\x${value.toString('hex')}`);
      if (Array.isArray(value)) return value.length ? `ARRAY[${value.map(sqlLiteral).join(', ')}]` : `'{}'`;
      return quote(JSON.stringify(value));
    default:
      throw new TypeError(`cannot send a ${typeof value} as a statement parameter`);
  }
}

function quote(s: string): string {
  if (s.includes('\0')) throw new RangeError('a statement parameter cannot contain a NUL character');
  return `'${s.replaceAll("'", "''")}'`;
}
