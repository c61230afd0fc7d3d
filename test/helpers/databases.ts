import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory from 'knex';

/**
 * The databases tests run against. SQLite always; MariaDB/MySQL and PostgreSQL on the local
 * servers (127.0.0.1:3306 as root, 127.0.0.1:5432 as postgres). Where a server is down, the
 * tests for it are skipped with a message, except in CI (env `CI` set), where that is a failure.
 * `TINODE_TEST_DBS=sqlite,mysql` narrows the list.
 */
export type TestDbKind = 'sqlite' | 'mysql' | 'postgres';

export interface TestDb {
  kind: TestDbKind;
  /** The `--db` URL of a fresh, unique database (not created yet). */
  url: string;
  /** Removes the database (and for SQLite its folder). */
  drop(): Promise<void>;
}

const HOSTS: Record<Exclude<TestDbKind, 'sqlite'>, { host: string; port: number }> = {
  mysql: { host: '127.0.0.1', port: 3306 },
  postgres: { host: '127.0.0.1', port: 5432 },
};

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host, port });
    sock.setTimeout(1000);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('timeout', () => {
      sock.destroy();
      resolve(false);
    });
    sock.once('error', () => resolve(false));
  });
}

/** Which kinds to test, and for the ones left out, why. */
export async function testDbKinds(): Promise<{ kinds: TestDbKind[]; skipped: string[] }> {
  const wanted = (process.env.TINODE_TEST_DBS ?? 'sqlite,mysql,postgres')
    .split(',')
    .map((s) => s.trim())
    .filter((s): s is TestDbKind => s === 'sqlite' || s === 'mysql' || s === 'postgres');
  const kinds: TestDbKind[] = [];
  const skipped: string[] = [];
  for (const kind of wanted) {
    if (kind === 'sqlite') {
      kinds.push(kind);
      continue;
    }
    const { host, port } = HOSTS[kind];
    if (await reachable(host, port)) {
      kinds.push(kind);
    } else if (process.env.CI) {
      throw new Error(`${kind} is not reachable at ${host}:${port}, and CI must test it: start it (see .ci/run)`);
    } else {
      skipped.push(`${kind}: no server at ${host}:${port}`);
    }
  }
  return { kinds, skipped };
}

/** A fresh database of the given kind with a unique name. */
export function newTestDb(kind: TestDbKind): TestDb {
  const name = `tinode_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  switch (kind) {
    case 'sqlite': {
      const dir = mkdtempSync(join(tmpdir(), 'tinode-test-'));
      return {
        kind,
        url: `sqlite:${join(dir, 'tinode.db')}`,
        drop: async () => rmSync(dir, { recursive: true, force: true }),
      };
    }
    case 'mysql':
      return {
        kind,
        url: `mysql://root@127.0.0.1:3306/${name}`,
        drop: () => dropServerDb(kind, name),
      };
    case 'postgres':
      return {
        kind,
        url: `postgres://postgres@127.0.0.1:5432/${name}`,
        drop: () => dropServerDb(kind, name),
      };
  }
}

/** Fresh databases of one kind, made as a test needs them and all dropped at the end. */
export function testDbSet(kind: TestDbKind): { fresh(): string; dropAll(): Promise<void> } {
  const made: TestDb[] = [];
  return {
    fresh() {
      const db = newTestDb(kind);
      made.push(db);
      return db.url;
    },
    async dropAll() {
      for (const db of made.splice(0)) {
        await db.drop();
      }
    },
  };
}

async function dropServerDb(kind: 'mysql' | 'postgres', name: string): Promise<void> {
  const k =
    kind === 'mysql'
      ? knexFactory({ client: 'mysql2', connection: { host: '127.0.0.1', port: 3306, user: 'root' }, pool: { min: 0, max: 1 } })
      : knexFactory({ client: 'pg', connection: { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' }, pool: { min: 0, max: 1 } });
  try {
    if (kind === 'mysql') {
      await k.raw(`DROP DATABASE IF EXISTS \`${name}\``);
    } else {
      await k.raw(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  } finally {
    await k.destroy();
  }
}

/**
 * Opens the store of a `--db` URL with the default config (the keys the database keeps). When the
 * database exists, its keys are resolved as the server resolves them, so ids read as the server
 * reads them; a store opened before the database is made needs `createDb` and `unlock`.
 */
export async function openStore(url: string): Promise<import('../../server/store/store.js').Store> {
  const { loadConfig } = await import('../../src/config/load.js');
  const { Store } = await import('../../server/store/store.js');
  const { config } = loadConfig(undefined, { db: url });
  const store = await Store.open(config.store_config);
  try {
    if (await store.isInitialized()) {
      await store.unlock();
    }
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/** Runs `fn` on the knex of a `--db` URL's database, without resolving its keys. */
async function withRawDb<T>(url: string, fn: (db: import('knex').Knex) => Promise<T>): Promise<T> {
  const { loadConfig } = await import('../../src/config/load.js');
  const { Store } = await import('../../server/store/store.js');
  const { rawDb } = await import('../../server/store/adapter-access.js');
  const { config } = loadConfig(undefined, { db: url });
  const store = await Store.open(config.store_config, { offThread: false });
  try {
    return await fn(await rawDb(store));
  } finally {
    await store.close();
  }
}

/** The keys a database keeps (its `secret.*` entries in `kvmeta`), by entry name. */
export function keptKeys(url: string): Promise<Record<string, string>> {
  return withRawDb(url, async (db) => {
    const rows = (await db('kvmeta').select('key', 'value').where('key', 'like', 'secret.%')) as { key: string; value: unknown }[];
    return Object.fromEntries(rows.map((r) => [r.key.trim(), String(r.value)]));
  });
}

/** Removes the keys a database keeps: it then looks like one made before keys were kept. */
export function forgetKeys(url: string): Promise<void> {
  return withRawDb(url, async (db) => {
    await db('kvmeta').where('key', 'like', 'secret.%').del();
  });
}

/** The stored member count (`topics.subcnt`) of every group topic, by name. */
export function storedMemberCounts(url: string): Promise<Record<string, number>> {
  return withRawDb(url, async (db) => {
    const rows = (await db('topics').select('name', 'subcnt').where('name', 'like', 'grp%')) as { name: string; subcnt: unknown }[];
    return Object.fromEntries(rows.map((r) => [r.name.trim(), Number(r.subcnt)]));
  });
}

/** Overwrites a group's stored member count, as an older server may have left it. */
export function storeMemberCount(url: string, topic: string, count: number): Promise<void> {
  return withRawDb(url, async (db) => {
    await db('topics').where('name', topic).update({ subcnt: count });
  });
}
