import type { Knex } from 'knex';
import type { Ctx } from './context.js';
import type { Dialect, DialectName } from './dialect.js';
import { bindings as sqliteBindings, canGoDirect, prepared, withConnection } from './sqlite-direct.js';

/**
 * The statements of the hot paths (a user and their subscriptions at attach, a topic and its
 * members, a page of history, a message, a topic's seq, read marks), prepared once per connection
 * and reused: SQLite keeps the statement object, MySQL/MariaDB runs it with mysql2's `execute`
 * (the server parses it once per connection; mysql2 keeps it), PostgreSQL as a named statement
 * (parsed and planned once per connection). knex stays for the schema, the migrations and the cold
 * queries; it built and sent every hot read as new text, which the database parsed anew.
 *
 * A hot statement is a constant of its module, so their number is fixed by the code: nothing a
 * client sends can grow a connection's set of prepared statements.
 */
export class HotStatement {
  readonly #build: (d: Dialect) => string;
  readonly #texts = new Map<DialectName, HotText>();

  constructor(build: (d: Dialect) => string) {
    this.#build = build;
  }

  /** The statement's text for a dialect, with its PostgreSQL form and name. */
  text(d: Dialect): HotText {
    let t = this.#texts.get(d.name);
    if (!t) {
      const sql = this.#build(d).replace(/\s+/g, ' ').trim();
      t = { sql, pg: positional(sql), name: `tn_hot_${++named}` };
      this.#texts.set(d.name, t);
    }
    return t;
  }
}

interface HotText {
  /** With `?` placeholders (SQLite, MySQL, knex). */
  readonly sql: string;
  /** With `$1`, `$2`... (PostgreSQL). */
  readonly pg: string;
  /** PostgreSQL's statement name: one per text, the same on every connection. */
  readonly name: string;
}

let named = 0;

/** Declares a hot statement; `sql` may depend on the dialect (quoting of reserved words). */
export function hot(sql: string | ((d: Dialect) => string)): HotStatement {
  return new HotStatement(typeof sql === 'string' ? () => sql : sql);
}

/**
 * A family of hot statements told apart by a few flags (a filter present or not): one statement
 * per combination, made on first use, so still a number fixed by the code.
 */
export function hotFamily<F extends boolean[]>(build: (d: Dialect, ...flags: F) => string): (...flags: F) => HotStatement {
  const members = new Map<string, HotStatement>();
  return (...flags: F) => {
    const key = flags.map((f) => (f ? '1' : '0')).join('');
    let st = members.get(key);
    if (!st) {
      st = new HotStatement((d) => build(d, ...flags));
      members.set(key, st);
    }
    return st;
  };
}

/** `?` placeholders as PostgreSQL's numbered ones. Hot statements hold no quoted text. */
function positional(sql: string): string {
  if (/'/.test(sql)) {
    throw new Error(`a hot statement may not hold quoted text: ${sql}`);
  }
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** The result of a statement that changes rows. */
export interface HotResult {
  /** Rows changed. */
  readonly changes: number;
  /** MySQL/SQLite: the id of an inserted row (PostgreSQL: use RETURNING and {@link hotRows}). */
  readonly insertId: number;
}

/** Runs a reading statement (or one with RETURNING) and returns its rows. */
export async function hotRows(ctx: Ctx, st: HotStatement, args: readonly unknown[]): Promise<Record<string, unknown>[]> {
  const res = await run(ctx, st, args, true);
  return res as Record<string, unknown>[];
}

/** Runs a statement that changes rows. */
export async function hotRun(ctx: Ctx, st: HotStatement, args: readonly unknown[]): Promise<HotResult> {
  return (await run(ctx, st, args, false)) as HotResult;
}

interface PoolClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(conn: unknown): Promise<void>;
}

interface MysqlConnection {
  execute(sql: string, values: unknown[], cb: (err: Error | null, res: unknown) => void): void;
  __knex__disposed?: unknown;
}

interface PgConnection {
  query(q: { name: string; text: string; values: unknown[] }): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
}

async function run(ctx: Ctx, st: HotStatement, args: readonly unknown[], reads: boolean): Promise<Record<string, unknown>[] | HotResult> {
  const t = st.text(ctx.d);
  if (ctx.d.name === 'sqlite') {
    if (!canGoDirect(ctx)) {
      // Inside a knex transaction on SQLite: its connection is the transaction's.
      return viaKnex(ctx, t.sql, args, reads);
    }
    return withConnection(ctx, (db) => {
      const s = prepared(db, t.sql);
      if (reads) {
        return s.all(sqliteBindings(args)) as Record<string, unknown>[];
      }
      const r = s.run(sqliteBindings(args));
      return { changes: r.changes, insertId: Number(r.lastInsertRowid) };
    });
  }
  // In a transaction knex's client hands out the transaction's connection (and releases nothing).
  const client = (ctx.db as Knex).client as unknown as PoolClient;
  const conn = await client.acquireConnection();
  try {
    if (ctx.d.name === 'mysql') {
      const c = conn as MysqlConnection;
      const res = await new Promise<unknown>((resolve, reject) => {
        c.execute(t.sql, args.map(mysqlValue), (err, r) => {
          if (err) {
            if ((err as { fatal?: boolean }).fatal) {
              // The connection is gone: knex's pool validation drops it.
              c.__knex__disposed = err;
            }
            reject(err);
          } else resolve(r);
        });
      });
      if (reads) {
        return res as Record<string, unknown>[];
      }
      const h = res as { affectedRows?: number; insertId?: number | string };
      return { changes: Number(h.affectedRows ?? 0), insertId: Number(h.insertId ?? 0) };
    }
    const res = await (conn as PgConnection).query({ name: t.name, text: t.pg, values: args.map(pgValue) });
    return reads ? res.rows : { changes: res.rowCount ?? 0, insertId: 0 };
  } finally {
    await client.releaseConnection(conn);
  }
}

async function viaKnex(ctx: Ctx, sql: string, args: readonly unknown[], reads: boolean): Promise<Record<string, unknown>[] | HotResult> {
  const res: unknown = await ctx.db.raw(sql, args as Knex.RawBinding[]);
  if (reads) {
    return res as Record<string, unknown>[];
  }
  const r = res as { changes?: number; lastInsertRowid?: number | bigint };
  return { changes: Number(r.changes ?? 0), insertId: Number(r.lastInsertRowid ?? 0) };
}

/** mysql2's `execute` takes no undefined and sends booleans as TINY already. */
function mysqlValue(v: unknown): unknown {
  return v === undefined ? null : v;
}

function pgValue(v: unknown): unknown {
  return v === undefined ? null : v;
}
