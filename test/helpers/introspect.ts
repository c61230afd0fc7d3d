import type { Knex } from 'knex';
import type { TestDbKind } from './databases.js';

/** A column as the database describes it, normalized: `name type[(len|precision)][!]` (! = NOT NULL). */
export type ColumnDesc = string;

function mysqlType(r: Record<string, unknown>): string {
  const t = String(r.DATA_TYPE ?? r.data_type).toLowerCase();
  const len = r.CHARACTER_MAXIMUM_LENGTH ?? r.character_maximum_length;
  const prec = r.DATETIME_PRECISION ?? r.datetime_precision;
  // MariaDB implements JSON as LONGTEXT with a validity check.
  if (t === 'longtext') return 'json';
  if (t === 'varchar' || t === 'char') return `${t}(${String(len)})`;
  if (t === 'datetime') return Number(prec) > 0 ? `datetime(${String(prec)})` : 'datetime';
  return t;
}

function pgType(r: Record<string, unknown>): string {
  const t = String(r.data_type);
  const len = r.character_maximum_length;
  switch (t) {
    case 'character varying':
      return `varchar(${String(len)})`;
    case 'character':
      return `char(${String(len)})`;
    case 'timestamp without time zone':
      return Number(r.datetime_precision) === 3 ? 'timestamp(3)' : 'timestamp';
    default:
      return t;
  }
}

/** Ordered column descriptions per table. */
export async function describeColumns(k: Knex, kind: TestDbKind, database: string): Promise<Record<string, ColumnDesc[]>> {
  const out: Record<string, ColumnDesc[]> = {};
  if (kind === 'sqlite') {
    const tables = (await k.raw("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")) as { name: string }[];
    for (const { name } of tables) {
      const cols = (await k.raw(`PRAGMA table_info("${name}")`)) as { name: string; type: string; notnull: unknown }[];
      out[name] = cols.map((c) => `${c.name} ${c.type.toLowerCase()}${Number(c.notnull) ? '!' : ''}`);
    }
    return out;
  }
  const rows =
    kind === 'mysql'
      ? ((await k.raw('SELECT * FROM information_schema.columns WHERE table_schema=? ORDER BY table_name, ordinal_position', [database])) as [
          Record<string, unknown>[],
        ])[0]
      : ((await k.raw("SELECT * FROM information_schema.columns WHERE table_schema='public' ORDER BY table_name, ordinal_position")) as {
          rows: Record<string, unknown>[];
        }).rows;
  for (const r of rows) {
    const table = String(r.TABLE_NAME ?? r.table_name);
    const name = String(r.COLUMN_NAME ?? r.column_name);
    const notNull = String(r.IS_NULLABLE ?? r.is_nullable) === 'NO';
    (out[table] ??= []).push(`${name} ${kind === 'mysql' ? mysqlType(r) : pgType(r)}${notNull ? '!' : ''}`);
  }
  return out;
}

/** Index names per table (primary keys and indexes made for foreign keys left out). */
export async function describeIndexes(k: Knex, kind: TestDbKind, database: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  const add = (table: string, name: string) => {
    const list = (out[table] ??= []);
    if (!list.includes(name)) list.push(name);
  };
  if (kind === 'sqlite') {
    const rows = (await k.raw("SELECT tbl_name, name FROM sqlite_master WHERE type='index' AND name NOT LIKE 'sqlite_%'")) as {
      tbl_name: string;
      name: string;
    }[];
    rows.forEach((r) => add(r.tbl_name, r.name));
  } else if (kind === 'mysql') {
    const [rows] = (await k.raw('SELECT table_name AS t, index_name AS i FROM information_schema.statistics WHERE table_schema=?', [database])) as [
      { t: string; i: string }[],
    ];
    rows.filter((r) => r.i !== 'PRIMARY' && !r.i.endsWith('_foreign')).forEach((r) => add(r.t, r.i));
  } else {
    const { rows } = (await k.raw("SELECT tablename AS t, indexname AS i FROM pg_indexes WHERE schemaname='public'")) as {
      rows: { t: string; i: string }[];
    };
    rows.filter((r) => !r.i.endsWith('_pkey')).forEach((r) => add(r.t, r.i));
  }
  for (const list of Object.values(out)) {
    list.sort();
  }
  return out;
}
