import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { StoreError } from '../contract/errors.js';
import { ObjState } from '../contract/types.js';
import { affected, type Ctx } from './context.js';
import { decodeInt, encodeTime } from './dialect.js';
import { addColumn, addIndex, createTable, SCHEMA_VERSION, TABLES, type TableSpec } from './schema.js';
import { knexConfig, type ConnectionSettings } from './settings.js';

/** Creating, checking, upgrading and dropping the database. */

/** The oldest reference schema version we can upgrade from. */
export const OLDEST_UPGRADABLE = 112;

function spec(name: string): TableSpec {
  const t = TABLES.find((x) => x.name === name);
  if (!t) {
    throw new Error(`no table ${name}`);
  }
  return t;
}

function column(table: string, name: string) {
  const c = spec(table).columns.find((x) => x.name === name);
  if (!c) {
    throw new Error(`no column ${table}.${name}`);
  }
  return c;
}

function index(table: string, name: string) {
  const ix = spec(table).indexes.find((x) => x.name === name);
  if (!ix) {
    throw new Error(`no index ${name}`);
  }
  return ix;
}

export async function getDbVersion(ctx: Ctx): Promise<number> {
  let row: { value: unknown } | undefined;
  try {
    row = (await ctx.db('kvmeta').select('value').where('key', 'version').first()) as { value: unknown } | undefined;
  } catch (err) {
    if (ctx.d.isMissingTable(err) || ctx.d.isMissingDatabase(err)) {
      throw new StoreError('db-not-initialized', 'database not initialized');
    }
    throw err;
  }
  if (!row) {
    throw new StoreError('db-not-initialized', 'database not initialized');
  }
  return decodeInt(row.value);
}

/** Runs `fn` with a short-lived connection to the server without the database selected. */
async function withServerConnection<T>(s: ConnectionSettings, fn: (k: Knex) => Promise<T>): Promise<T> {
  const admin = knexFactory(await knexConfig({ ...s, maxConnections: 1 }, false));
  try {
    return await fn(admin);
  } finally {
    await admin.destroy();
  }
}

async function createMysqlDatabase(k: Knex, name: string): Promise<void> {
  try {
    await k.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci`);
  } catch (err) {
    // MariaDB before 11.4 lacks the MySQL 8 collation: use the closest it has.
    if ((err as { code?: string }).code !== 'ER_UNKNOWN_COLLATION') {
      throw err;
    }
    await k.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  }
}

async function createPostgresDatabase(k: Knex, name: string): Promise<void> {
  try {
    await k.raw(`CREATE DATABASE "${name}" WITH ENCODING 'UTF8'`);
  } catch (err) {
    // A server whose template database is not UTF-8 needs the pristine template.
    if ((err as { code?: string }).code !== '22023') {
      throw err;
    }
    await k.raw(`CREATE DATABASE "${name}" WITH ENCODING 'UTF8' TEMPLATE template0`);
  }
}

/** Whether the database has any of our tables. */
async function hasTables(ctx: Ctx): Promise<boolean> {
  try {
    return await ctx.db.schema.hasTable('kvmeta');
  } catch (err) {
    if (ctx.d.isMissingDatabase(err)) {
      return false;
    }
    throw err;
  }
}

/**
 * Creates (after dropping, with `reset`) the database and every table. `reconnect` is called
 * after the database itself was dropped or created, to refresh the pool's connections.
 */
export async function createDb(ctx: Ctx, s: ConnectionSettings, reset: boolean, reconnect: () => Promise<Ctx>): Promise<void> {
  let c = ctx;
  if (s.dialect === 'sqlite') {
    if (reset) {
      await c.db.raw('PRAGMA foreign_keys = OFF');
      for (const t of [...TABLES].reverse()) {
        await c.db.schema.dropTableIfExists(t.name);
      }
      await c.db.raw('PRAGMA foreign_keys = ON');
    } else if (await hasTables(c)) {
      throw new StoreError('duplicate', `the database ${s.path} already has Tinode tables`);
    }
  } else {
    // Refuse before touching the pool, so the adapter stays usable on an existing database.
    if (!reset && (await hasTables(c))) {
      throw new StoreError('duplicate', `the database ${s.database} already has Tinode tables`);
    }
    await ctx.db.destroy();
    try {
      await withServerConnection(s, async (k) => {
        if (reset) {
          await k.raw(s.dialect === 'mysql' ? `DROP DATABASE IF EXISTS \`${s.database}\`` : `DROP DATABASE IF EXISTS "${s.database}"`);
        }
        await (s.dialect === 'mysql' ? createMysqlDatabase(k, s.database) : createPostgresDatabase(k, s.database));
      });
    } finally {
      // The old pool is gone whether or not the database was made.
      c = await reconnect();
    }
  }
  const build = async (tx: Ctx) => {
    for (const t of TABLES) {
      await createTable(tx.db as Knex, s.dialect, t);
    }
    const now = encodeTime(new Date());
    await tx.db('topics').insert({
      createdat: now,
      updatedat: now,
      state: ObjState.OK,
      touchedat: now,
      name: 'sys',
      access: JSON.stringify({ Auth: 'N', Anon: 'N' }),
      public: JSON.stringify({ fn: 'System' }),
    });
    await tx.db('kvmeta').insert({ key: 'version', createdat: now, value: String(SCHEMA_VERSION) });
  };
  // PostgreSQL and SQLite roll DDL back with the transaction; MySQL commits each statement.
  if (s.dialect === 'mysql') {
    await build(c);
  } else {
    await (c.db as Knex).transaction((trx) => build({ ...c, db: trx }));
  }
}

/** Ensures the directory of a SQLite file exists, so the driver can create the file. */
export function prepareSqlitePath(path: string): void {
  if (path !== ':memory:' && !path.startsWith('file:')) {
    mkdirSync(dirname(path), { recursive: true });
  }
}

interface UpgradeStep {
  from: number;
  run(ctx: Ctx, s: ConnectionSettings): Promise<void>;
}

/**
 * Adds columns; on MySQL each goes to its place in the table (after the column that precedes it
 * in the spec), as the reference's upgrades do, so an upgraded table matches a new one.
 */
async function addColumns(ctx: Ctx, s: ConnectionSettings, table: string, names: string[]): Promise<void> {
  const k = ctx.db as Knex;
  const cols = spec(table).columns;
  await k.schema.alterTable(table, (t) => {
    for (const n of names) {
      const b = addColumn(k, t as Knex.CreateTableBuilder, s.dialect, column(table, n));
      const at = cols.findIndex((c) => c.name === n);
      if (s.dialect === 'mysql' && at > 0) {
        b.after(cols[at - 1]!.name);
      }
    }
  });
}

async function addIndexes(ctx: Ctx, table: string, names: string[]): Promise<void> {
  await (ctx.db as Knex).schema.alterTable(table, (t) => {
    for (const n of names) {
      addIndex(t as Knex.CreateTableBuilder, index(table, n));
    }
  });
}

/** Steps from each reference schema version to the next. */
const UPGRADES: UpgradeStep[] = [
  {
    from: 112,
    async run(ctx, s) {
      await addIndexes(ctx, 'users', ['users_lastseen_updatedat']);
      await addColumns(ctx, s, 'kvmeta', ['createdat']);
      await addIndexes(ctx, 'kvmeta', ['kvmeta_createdat_key']);
    },
  },
  {
    from: 113,
    async run(ctx, s) {
      await addColumns(ctx, s, 'topics', ['aux']);
      await addColumns(ctx, s, 'fileuploads', ['etag']);
    },
  },
  {
    from: 114,
    async run(ctx) {
      await addIndexes(ctx, 'subscriptions', ['subscriptions_userid_topic_deletedat']);
      await addIndexes(ctx, 'topics', ['topics_name_state_seqid']);
    },
  },
  {
    from: 115,
    async run(ctx, s) {
      await addColumns(ctx, s, 'topics', ['subcnt']);
      await recountMembers(ctx);
    },
  },
];

/**
 * Sets each group topic's stored member count (`subcnt`) to its live subscriptions under the
 * `grp…` and `chn…` names, as the reference's `TopicUpdateSubCnt` does for one topic. Returns how
 * many topics were corrected.
 */
export async function recountMembers(ctx: Ctx): Promise<number> {
  const live = () =>
    ctx
      .db('subscriptions')
      .count('*')
      .whereNull('deletedat')
      .where((q) => q.whereRaw('subscriptions.topic=topics.name').orWhereRaw(`subscriptions.topic=${ctx.d.concat("'chn'", 'SUBSTR(topics.name,4)')}`));
  const n: unknown = await ctx.db('topics').where('name', 'like', 'grp%').whereNot('subcnt', live()).update({ subcnt: live() });
  return affected(n);
}

/** Brings the schema from an older version to {@link SCHEMA_VERSION}, step by step. */
export async function upgradeDb(ctx: Ctx, s: ConnectionSettings, log: (msg: string) => void = () => {}): Promise<void> {
  let version = await getDbVersion(ctx);
  if (version > SCHEMA_VERSION) {
    throw new StoreError('db-version', `the database has schema version ${version}, newer than ${SCHEMA_VERSION}: use a newer tinode`);
  }
  if (version < OLDEST_UPGRADABLE) {
    throw new StoreError(
      'db-version',
      `the database has schema version ${version}; upgrades start at ${OLDEST_UPGRADABLE}: upgrade it with the reference tinode-db first, or use --reset`,
    );
  }
  while (version < SCHEMA_VERSION) {
    const step = UPGRADES.find((u) => u.from === version);
    if (!step) {
      throw new StoreError('db-version', `no upgrade from schema version ${version}`);
    }
    await step.run(ctx, s);
    version += 1;
    await ctx.db('kvmeta').where('key', 'version').update({ value: String(version) });
    log(`schema upgraded to version ${version}`);
  }
  // Counts stored by older servers may be off (earlier versions of this server counted the owner of a new group twice).
  const fixed = await recountMembers(ctx);
  if (fixed > 0) {
    log(`member counts of ${fixed} group topic${fixed === 1 ? '' : 's'} recounted`);
  }
}
