import type { Database, Statement } from 'better-sqlite3';
import type { Knex } from 'knex';
import type { Ctx } from './context.js';

/**
 * SQLite's hot path without knex: statements prepared once per connection and kept, run on the
 * pool's one connection taken for the whole call, so nothing else interleaves. knex builds and
 * prepares every statement anew (a tenth of a p2p run's samples); better-sqlite3 runs a kept
 * statement directly. Used for the commits of messages and marks, for the hot statements of
 * hot.ts and for raw reads; knex keeps the schema, the migrations and the cold queries.
 */

interface KnexClient {
  acquireConnection(): Promise<Database>;
  releaseConnection(conn: Database): Promise<void>;
}

const statements = new WeakMap<Database, Map<string, Statement>>();

/** The statement for `sql` on this connection, prepared on first use. */
export function prepared(db: Database, sql: string): Statement {
  let byText = statements.get(db);
  if (!byText) {
    byText = new Map();
    statements.set(db, byText);
  }
  let st = byText.get(sql);
  if (!st) {
    st = db.prepare(sql);
    byText.set(sql, st);
  }
  return st;
}

/** Whether a call on this context may take SQLite's connection directly (not inside a knex transaction). */
export function canGoDirect(ctx: Ctx): boolean {
  return ctx.d.name === 'sqlite' && !(ctx.db as Knex.Transaction).isTransaction;
}

/** Runs `fn` with the pool's connection held (SQLite has one), synchronously on it. */
export async function withConnection<T>(ctx: Ctx, fn: (db: Database) => T): Promise<T> {
  const client = (ctx.db as Knex).client as unknown as KnexClient;
  const conn = await client.acquireConnection();
  try {
    return fn(conn);
  } finally {
    await client.releaseConnection(conn);
  }
}

/** Bindings as knex's better-sqlite3 client passes them (dates as numbers, booleans as 0/1). */
export function bindings(args: readonly unknown[]): unknown[] {
  return args.map((b) => (b instanceof Date ? b.valueOf() : typeof b === 'boolean' ? Number(b) : b));
}
