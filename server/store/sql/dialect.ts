
/**
 * What differs between the SQL databases the adapter serves: how to connect, how values are
 * written and read back, how errors are recognized, and how a database is created or dropped.
 * Everything else is shared SQL.
 */
export type DialectName = 'sqlite' | 'mysql' | 'postgres';

const TS_RE = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]00(?::?00)?)?$/;

/** Formats a time as `YYYY-MM-DD HH:MM:SS.mmm` in UTC: the text every dialect stores. */
export function encodeTime(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

/** Reads a stored time (text in UTC, or a Date) back; null stays null. */
export function decodeTime(v: unknown): Date | null {
  if (v === null || v === undefined) {
    return null;
  }
  if (v instanceof Date) {
    return v;
  }
  const m = TS_RE.exec(String(v));
  if (!m) {
    throw new Error(`unexpected timestamp value from the database: ${String(v)}`);
  }
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, ms));
}

/** Like {@link decodeTime} for NOT NULL columns. */
export function decodeTimeRequired(v: unknown): Date {
  return decodeTime(v) ?? new Date(0);
}

/** Reads an integer column (number, bigint or numeric string). */
export function decodeInt(v: unknown): number {
  if (v === null || v === undefined) {
    return 0;
  }
  return typeof v === 'number' ? v : Number(v);
}

/** Reads a BIGINT id column into a bigint. */
export function decodeBigint(v: unknown): bigint {
  if (v === null || v === undefined || v === '') {
    return 0n;
  }
  return typeof v === 'bigint' ? v : BigInt(v as string | number);
}

/** Reads a boolean stored as BOOLEAN or TINYINT. */
export function decodeBool(v: unknown): boolean {
  return v === true || v === 1 || v === 1n || v === '1' || v === 't' || v === 'true';
}

/** Writes a JSON column: SQL NULL for null/undefined, JSON text otherwise. */
export function encodeJson(v: unknown): string | null {
  return v === undefined || v === null ? null : JSON.stringify(v);
}

/** Reads a JSON column stored as text (or already parsed by a driver). */
export function decodeJson(v: unknown): unknown {
  if (v === null || v === undefined) {
    return null;
  }
  if (typeof v === 'string') {
    return v === '' ? null : (JSON.parse(v) as unknown);
  }
  if (Buffer.isBuffer(v)) {
    return JSON.parse(v.toString('utf8')) as unknown;
  }
  return v;
}

/** The per-database behaviour the shared SQL code relies on. */
export interface Dialect {
  readonly name: DialectName;
  /**
   * A BIGINT parameter (decrypted id) as decimal text: exact on every driver (SQLite's integer
   * affinity turns it back into an integer on store and comparison).
   */
  bigint(v: bigint): string;
  /** A boolean parameter. */
  bool(v: boolean): boolean | number;
  /** Quotes an identifier that is a reserved word (`from`, `key`, `value`). */
  quote(id: string): string;
  /** SQL concatenation of the given SQL expressions. */
  concat(...parts: string[]): string;
  isDuplicate(err: unknown): boolean;
  isMissingTable(err: unknown): boolean;
  isMissingDatabase(err: unknown): boolean;
}

function errCode(err: unknown): string {
  const e = err as { code?: unknown; errno?: unknown } | null;
  return e && typeof e === 'object' ? String(e.code ?? '') : '';
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export const dialects: Record<DialectName, Dialect> = {
  sqlite: {
    name: 'sqlite',
    bigint: (v) => v.toString(),
    bool: (v) => (v ? 1 : 0),
    quote: (id) => `"${id}"`,
    concat: (...parts) => parts.join(' || '),
    isDuplicate: (err) => /^SQLITE_CONSTRAINT_(UNIQUE|PRIMARYKEY)$/.test(errCode(err)),
    isMissingTable: (err) => /no such table/.test(errMessage(err)),
    isMissingDatabase: () => false,
  },
  mysql: {
    name: 'mysql',
    bigint: (v) => v.toString(),
    bool: (v) => (v ? 1 : 0),
    quote: (id) => `\`${id}\``,
    concat: (...parts) => `CONCAT(${parts.join(',')})`,
    isDuplicate: (err) => errCode(err) === 'ER_DUP_ENTRY',
    isMissingTable: (err) => errCode(err) === 'ER_NO_SUCH_TABLE',
    isMissingDatabase: (err) => errCode(err) === 'ER_BAD_DB_ERROR',
  },
  postgres: {
    name: 'postgres',
    bigint: (v) => v.toString(),
    bool: (v) => v,
    quote: (id) => `"${id}"`,
    concat: (...parts) => parts.join(' || '),
    isDuplicate: (err) => errCode(err) === '23505',
    isMissingTable: (err) => errCode(err) === '42P01',
    isMissingDatabase: (err) => errCode(err) === '3D000',
  },
};
