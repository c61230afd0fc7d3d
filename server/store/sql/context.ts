import type { Knex } from 'knex';
import type { Uid } from '../../../src/model/uid.js';
import type { UidCodec } from '../contract/adapter.js';
import type { Dialect } from './dialect.js';
import { bindings as sqliteBindings, canGoDirect, prepared, withConnection } from './sqlite-direct.js';

/** Reference's cap on messages per query (the session send queue holds 128). */
export const MAX_MESSAGE_RESULTS = 100;

/** What every SQL operation needs: a connection or transaction, the dialect, the id codec. */
export interface Ctx {
  readonly db: Knex | Knex.Transaction;
  readonly d: Dialect;
  readonly ids: UidCodec;
  readonly maxResults: number;
}

/** The stored form of a client-visible id, as a query parameter. */
export function sqlId(ctx: Ctx, uid: Uid): string {
  return ctx.d.bigint(ctx.ids.decode(uid));
}

/** Runs `fn` in a transaction, with a context bound to it. Nested calls reuse the transaction. */
export async function inTx<T>(ctx: Ctx, fn: (tx: Ctx) => Promise<T>): Promise<T> {
  if ((ctx.db as Knex.Transaction).isTransaction) {
    return fn(ctx);
  }
  return (ctx.db as Knex).transaction(async (trx) => fn({ ...ctx, db: trx }));
}

/** Rows of a raw query, whatever the driver's result shape. */
export async function rawRows(ctx: Ctx, sql: string, bindings: readonly Knex.RawBinding[] = []): Promise<Record<string, unknown>[]> {
  if (canGoDirect(ctx)) {
    // SQLite: the statement is prepared once per connection and kept.
    return withConnection(ctx, (db) => {
      const st = prepared(db, sql);
      return st.reader ? (st.all(sqliteBindings(bindings)) as Record<string, unknown>[]) : (st.run(sqliteBindings(bindings)), []);
    });
  }
  const res: unknown = await ctx.db.raw(sql, bindings as Knex.RawBinding[]);
  switch (ctx.d.name) {
    case 'mysql':
      return (res as [Record<string, unknown>[]])[0];
    case 'postgres':
      return (res as { rows: Record<string, unknown>[] }).rows;
    default:
      return res as Record<string, unknown>[];
  }
}

/** Affected row count of an update or delete built with knex (a number on every dialect). */
export function affected(n: unknown): number {
  return typeof n === 'number' ? n : Number(n ?? 0);
}
