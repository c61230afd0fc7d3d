import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterOf, rawDb, type Adapter } from '../../server/store/adapter-access.js';
import type { Store } from '../../server/store/store.js';
import { MODE_CFULL } from '../../src/model/access.js';
import { newTestDb, openStore, testDbKinds, type TestDb } from '../helpers/databases.js';
import { grpName, makeMsg, makeSub, makeTopic, makeUser, sec } from './conformance-fixtures.js';

/**
 * The reads of a session setup and of a page of history are prepared once per connection and run
 * again from there (server/store/sql/hot.ts), as the database server itself counts them: MariaDB's
 * per-connection `Com_stmt_prepare`/`Com_stmt_execute`, PostgreSQL's `pg_prepared_statements` (with
 * the runs of each) on each connection. (SQLite keeps its statement objects on its one connection: test/store's other
 * suites and the bench cover it.)
 */
const { kinds } = await testDbKinds();
const servers = kinds.filter((k): k is 'mysql' | 'postgres' => k !== 'sqlite');

interface PoolResource {
  resource: unknown;
}

/** The pool's idle connections (every call below has finished, so all of them). */
function idleConnections(k: Knex): unknown[] {
  const pool = (k.client as { pool: { free: PoolResource[] } }).pool;
  return pool.free.map((r) => r.resource);
}

function mysqlQuery(conn: unknown, sql: string): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) =>
    (conn as { query(sql: string, cb: (err: Error | null, rows: unknown) => void): void }).query(sql, (err, rows) =>
      err ? reject(err) : resolve(rows as Record<string, unknown>[]),
    ),
  );
}

async function pgQuery(conn: unknown, sql: string): Promise<Record<string, unknown>[]> {
  return (await (conn as { query(sql: string): Promise<{ rows: Record<string, unknown>[] }> }).query(sql)).rows;
}

describe.each(servers)('hot statements on %s', (kind) => {
  let db: TestDb;
  let store: Store;
  let a: Adapter;
  let k: Knex;

  beforeAll(async () => {
    db = newTestDb(kind);
    store = await openStore(db.url);
    await store.createDb(false);
    await store.unlock();
    a = adapterOf(store);
    k = await rawDb(store);
  });

  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('are prepared once per connection and executed from then on, with the same results as before', async () => {
    const now = sec(Date.now());
    const owner = makeUser(store.newUid(), now);
    await a.userCreate(owner);
    const topic = makeTopic(grpName(store.newUid()), owner.id, now);
    await a.topicCreate(topic);
    await a.topicShare(topic.name, [makeSub(owner.id, topic.name, MODE_CFULL, MODE_CFULL, now)]);
    await a.messageSaveAll(topic.name, [1, 2, 3].map((seq) => makeMsg(topic.name, seq, owner.id, now)));

    const before = await counters();
    const rounds = 40;
    for (let i = 0; i < rounds; i++) {
      expect((await a.userGet(owner.id))?.id).toBe(owner.id);
      expect((await a.subsForTopic(topic.name, false)).map((s) => s.user)).toEqual([owner.id]);
      expect((await a.messageGetAll(topic.name, owner.id, { limit: 2 })).map((m) => m.seqId)).toEqual([3, 2]);
    }
    const after = await counters();
    const connections = idleConnections(k).length;
    // Three statements, each prepared at most once per connection however many times it ran.
    expect(after.prepared - before.prepared).toBeLessThanOrEqual(3 * connections);
    expect(after.executed - before.executed).toBeGreaterThanOrEqual(3 * rounds);
  });

  /** Statements prepared and executed so far, over every connection of the pool. */
  async function counters(): Promise<{ prepared: number; executed: number }> {
    let prepared = 0;
    let executed = 0;
    for (const conn of idleConnections(k)) {
      if (kind === 'mysql') {
        const rows = await mysqlQuery(conn, "SHOW SESSION STATUS WHERE Variable_name IN ('Com_stmt_prepare','Com_stmt_execute')");
        for (const r of rows) {
          const n = Number(r.Value);
          if (r.Variable_name === 'Com_stmt_prepare') prepared += n;
          else executed += n;
        }
      } else {
        // A connection's named statements, each with the number of times it was planned for a run.
        const rows = await pgQuery(conn, "SELECT generic_plans + custom_plans AS runs FROM pg_prepared_statements WHERE name LIKE 'tn_hot_%'");
        prepared += rows.length;
        executed += rows.reduce((n, r) => n + Number(r.runs), 0);
      }
    }
    return { prepared, executed };
  }
});
