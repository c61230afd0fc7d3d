import type { Knex } from 'knex';
import type { DialectName } from './dialect.js';

/**
 * The database schema, table by table. On MySQL and PostgreSQL the tables, columns, types and
 * index names are those of the reference server's schema version {@link SCHEMA_VERSION}, so either
 * server can run on a database the other made. SQLite keeps the same tables and columns with
 * SQLite's own types (times as `YYYY-MM-DD HH:MM:SS.mmm` text in UTC, JSON as text).
 */

/** The schema version we create and expect (`kvmeta.version`), equal to the reference's. */
export const SCHEMA_VERSION = 116;

type PerDialect = Record<DialectName, string>;

const T = {
  bigint: { mysql: 'BIGINT', postgres: 'BIGINT', sqlite: 'BIGINT' },
  int: { mysql: 'INT', postgres: 'INT', sqlite: 'INTEGER' },
  smallint: { mysql: 'SMALLINT', postgres: 'SMALLINT', sqlite: 'SMALLINT' },
  time3: { mysql: 'DATETIME(3)', postgres: 'TIMESTAMP(3)', sqlite: 'TEXT' },
  time: { mysql: 'DATETIME', postgres: 'TIMESTAMP', sqlite: 'TEXT' },
  json: { mysql: 'JSON', postgres: 'JSON', sqlite: 'TEXT' },
  text: { mysql: 'TEXT', postgres: 'TEXT', sqlite: 'TEXT' },
  flag: { mysql: 'TINYINT', postgres: 'BOOLEAN', sqlite: 'INTEGER' },
  topicName: { mysql: 'CHAR(25)', postgres: 'VARCHAR(25)', sqlite: 'VARCHAR(25)' },
  mode: { mysql: 'CHAR(8)', postgres: 'VARCHAR(8)', sqlite: 'VARCHAR(8)' },
  varchar: (n: number): PerDialect => ({ mysql: `VARCHAR(${n})`, postgres: `VARCHAR(${n})`, sqlite: `VARCHAR(${n})` }),
} as const;

const FALSE: PerDialect = { mysql: '0', postgres: 'FALSE', sqlite: '0' };
const ZERO: PerDialect = { mysql: '0', postgres: '0', sqlite: '0' };
const EMPTY: PerDialect = { mysql: "''", postgres: "''", sqlite: "''" };

export interface ColumnSpec {
  name: string;
  type: PerDialect;
  notNull?: boolean;
  /** Raw SQL default per dialect. */
  default?: PerDialect;
}

export interface IndexSpec {
  name: string;
  columns: string[];
  unique?: boolean;
}

export interface ForeignSpec {
  column: string;
  references: string;
  cascade?: boolean;
}

export interface TableSpec {
  name: string;
  columns: ColumnSpec[];
  /** The single-column primary key. */
  primary: string;
  /** The primary key is an auto-increment integer. */
  autoIncrement?: boolean;
  indexes: IndexSpec[];
  foreign: ForeignSpec[];
}

const col = (name: string, type: PerDialect, notNull = false, def?: PerDialect): ColumnSpec =>
  def ? { name, type, notNull, default: def } : { name, type, notNull };

const autoId = col('id', T.int, true);

/** Tables in creation order (referenced tables first). */
export const TABLES: TableSpec[] = [
  {
    name: 'users',
    primary: 'id',
    columns: [
      col('id', T.bigint, true),
      col('createdat', T.time3, true),
      col('updatedat', T.time3, true),
      col('state', T.smallint, true, ZERO),
      col('stateat', T.time3),
      col('access', T.json),
      col('lastseen', T.time),
      col('useragent', T.varchar(255), false, EMPTY),
      col('public', T.json),
      col('trusted', T.json),
      col('tags', T.json),
    ],
    indexes: [
      { name: 'users_state_stateat', columns: ['state', 'stateat'] },
      { name: 'users_lastseen_updatedat', columns: ['lastseen', 'updatedat'] },
    ],
    foreign: [],
  },
  {
    name: 'usertags',
    primary: 'id',
    autoIncrement: true,
    columns: [autoId, col('userid', T.bigint, true), col('tag', T.varchar(96), true)],
    indexes: [
      { name: 'usertags_tag', columns: ['tag'] },
      { name: 'usertags_userid_tag', columns: ['userid', 'tag'], unique: true },
    ],
    foreign: [{ column: 'userid', references: 'users.id' }],
  },
  {
    name: 'devices',
    primary: 'id',
    autoIncrement: true,
    columns: [
      autoId,
      col('userid', T.bigint, true),
      col('hash', { mysql: 'CHAR(16)', postgres: 'CHAR(16)', sqlite: 'CHAR(16)' }, true),
      col('deviceid', T.text, true),
      col('platform', T.varchar(32)),
      col('lastseen', T.time, true),
      col('lang', T.varchar(8)),
    ],
    indexes: [{ name: 'devices_hash', columns: ['hash'], unique: true }],
    foreign: [{ column: 'userid', references: 'users.id' }],
  },
  {
    name: 'auth',
    primary: 'id',
    autoIncrement: true,
    columns: [
      autoId,
      col('uname', T.varchar(32), true),
      col('userid', T.bigint, true),
      col('scheme', T.varchar(16), true),
      col('authlvl', T.int, true),
      col('secret', T.varchar(255), true),
      col('expires', T.time),
    ],
    indexes: [
      { name: 'auth_userid_scheme', columns: ['userid', 'scheme'], unique: true },
      { name: 'auth_uname', columns: ['uname'], unique: true },
    ],
    foreign: [{ column: 'userid', references: 'users.id' }],
  },
  {
    name: 'topics',
    primary: 'id',
    autoIncrement: true,
    columns: [
      autoId,
      col('createdat', T.time3, true),
      col('updatedat', T.time3, true),
      col('state', T.smallint, true, ZERO),
      col('stateat', T.time3),
      col('touchedat', T.time3),
      col('name', T.topicName, true),
      col('usebt', T.flag, false, FALSE),
      col('owner', T.bigint, true, ZERO),
      col('access', T.json),
      col('seqid', T.int, true, ZERO),
      col('delid', T.int, false, ZERO),
      col('subcnt', T.int, false, ZERO),
      col('public', T.json),
      col('trusted', T.json),
      col('tags', T.json),
      col('aux', T.json),
    ],
    indexes: [
      { name: 'topics_name', columns: ['name'], unique: true },
      { name: 'topics_owner', columns: ['owner'] },
      { name: 'topics_state_stateat', columns: ['state', 'stateat'] },
      { name: 'topics_name_state_seqid', columns: ['name', 'state', 'seqid'] },
    ],
    foreign: [],
  },
  {
    name: 'topictags',
    primary: 'id',
    autoIncrement: true,
    columns: [autoId, col('topic', T.topicName, true), col('tag', T.varchar(96), true)],
    indexes: [
      { name: 'topictags_tag', columns: ['tag'] },
      { name: 'topictags_topic_tag', columns: ['topic', 'tag'], unique: true },
    ],
    foreign: [{ column: 'topic', references: 'topics.name' }],
  },
  {
    name: 'subscriptions',
    primary: 'id',
    autoIncrement: true,
    columns: [
      autoId,
      col('createdat', T.time3, true),
      col('updatedat', T.time3, true),
      col('deletedat', T.time3),
      col('userid', T.bigint, true),
      col('topic', T.topicName, true),
      col('delid', T.int, false, ZERO),
      col('recvseqid', T.int, false, ZERO),
      col('readseqid', T.int, false, ZERO),
      col('modewant', T.mode),
      col('modegiven', T.mode),
      col('private', T.json),
    ],
    indexes: [
      { name: 'subscriptions_topic_userid', columns: ['topic', 'userid'], unique: true },
      { name: 'subscriptions_topic', columns: ['topic'] },
      { name: 'subscriptions_deletedat', columns: ['deletedat'] },
      { name: 'subscriptions_userid_topic_deletedat', columns: ['userid', 'topic', 'deletedat'] },
    ],
    foreign: [{ column: 'userid', references: 'users.id' }],
  },
  {
    name: 'messages',
    primary: 'id',
    autoIncrement: true,
    columns: [
      autoId,
      col('createdat', T.time3, true),
      col('updatedat', T.time3, true),
      col('deletedat', T.time3),
      col('delid', T.int, false, ZERO),
      col('seqid', T.int, true),
      col('topic', T.topicName, true),
      col('from', T.bigint, true),
      col('head', T.json),
      col('content', T.json),
    ],
    indexes: [{ name: 'messages_topic_seqid', columns: ['topic', 'seqid'], unique: true }],
    foreign: [{ column: 'topic', references: 'topics.name' }],
  },
  {
    name: 'dellog',
    primary: 'id',
    autoIncrement: true,
    columns: [
      autoId,
      col('topic', T.topicName, true),
      col('deletedfor', T.bigint, true, ZERO),
      col('delid', T.int, true),
      col('low', T.int, true),
      col('hi', T.int, true),
    ],
    indexes: [
      { name: 'dellog_topic_delid_deletedfor', columns: ['topic', 'delid', 'deletedfor'] },
      { name: 'dellog_topic_deletedfor_low_hi', columns: ['topic', 'deletedfor', 'low', 'hi'] },
      { name: 'dellog_deletedfor', columns: ['deletedfor'] },
    ],
    foreign: [{ column: 'topic', references: 'topics.name' }],
  },
  {
    name: 'credentials',
    primary: 'id',
    autoIncrement: true,
    columns: [
      autoId,
      col('createdat', T.time3, true),
      col('updatedat', T.time3, true),
      col('deletedat', T.time3),
      col('method', T.varchar(16), true),
      col('value', T.varchar(128), true),
      col('synthetic', T.varchar(192), true),
      col('userid', T.bigint, true),
      col('resp', T.varchar(255)),
      col('done', T.flag, true, FALSE),
      col('retries', T.int, true, ZERO),
    ],
    indexes: [{ name: 'credentials_uniqueness', columns: ['synthetic'], unique: true }],
    foreign: [{ column: 'userid', references: 'users.id' }],
  },
  {
    name: 'fileuploads',
    primary: 'id',
    columns: [
      col('id', T.bigint, true),
      col('createdat', T.time3, true),
      col('updatedat', T.time3, true),
      col('userid', T.bigint),
      col('status', T.int, true),
      col('mimetype', T.varchar(255), true),
      col('size', T.bigint, true),
      col('etag', T.varchar(128)),
      col('location', T.varchar(2048), true),
    ],
    indexes: [{ name: 'fileuploads_status', columns: ['status'] }],
    // No foreign key on userid: deleting a user must not be blocked by the files they uploaded.
    foreign: [],
  },
  {
    name: 'filemsglinks',
    primary: 'id',
    autoIncrement: true,
    columns: [
      autoId,
      col('createdat', T.time3, true),
      col('fileid', T.bigint, true),
      col('msgid', T.int),
      col('topic', T.topicName),
      col('userid', T.bigint),
    ],
    indexes: [],
    foreign: [
      { column: 'fileid', references: 'fileuploads.id', cascade: true },
      { column: 'msgid', references: 'messages.id', cascade: true },
      { column: 'topic', references: 'topics.name', cascade: true },
      { column: 'userid', references: 'users.id', cascade: true },
    ],
  },
  {
    name: 'kvmeta',
    primary: 'key',
    columns: [col('key', T.varchar(64), true), col('createdat', T.time3), col('value', T.text)],
    indexes: [{ name: 'kvmeta_createdat_key', columns: ['createdat', 'key'] }],
    foreign: [],
  },
];

function idColumnType(dialect: DialectName): string {
  switch (dialect) {
    case 'mysql':
      return 'INT NOT NULL AUTO_INCREMENT';
    case 'postgres':
      return 'SERIAL NOT NULL';
    case 'sqlite':
      // Exactly INTEGER: SQLite then makes the primary key an alias of the rowid.
      return 'INTEGER';
  }
}

/** Adds one column to a table being created or altered. */
export function addColumn(knex: Knex, t: Knex.CreateTableBuilder, dialect: DialectName, c: ColumnSpec): Knex.ColumnBuilder {
  const b = t.specificType(c.name, c.type[dialect]);
  if (c.notNull) {
    b.notNullable();
  }
  if (c.default) {
    b.defaultTo(knex.raw(c.default[dialect]));
  }
  return b;
}

/** Adds one index to a table being created or altered. */
export function addIndex(t: Knex.CreateTableBuilder, ix: IndexSpec): void {
  if (ix.unique) {
    t.unique(ix.columns, { indexName: ix.name });
  } else {
    t.index(ix.columns, ix.name);
  }
}

/** Creates one table with its columns, keys and indexes. */
export async function createTable(knex: Knex, dialect: DialectName, spec: TableSpec): Promise<void> {
  await knex.schema.createTable(spec.name, (t) => {
    for (const c of spec.columns) {
      if (spec.autoIncrement && c.name === spec.primary) {
        t.specificType(c.name, idColumnType(dialect));
      } else {
        addColumn(knex, t, dialect, c);
      }
    }
    t.primary([spec.primary]);
    for (const f of spec.foreign) {
      const [table, column] = f.references.split('.') as [string, string];
      const fk = t.foreign(f.column).references(column).inTable(table);
      if (f.cascade) {
        fk.onDelete('CASCADE');
      }
    }
    for (const ix of spec.indexes) {
      addIndex(t, ix);
    }
    if (dialect === 'mysql') {
      t.engine('InnoDB');
    }
  });
}
