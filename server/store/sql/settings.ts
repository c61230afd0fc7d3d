import type { Knex } from 'knex';
import { ConfigError } from '../../../src/config/errors.js';
import type { DialectName } from './dialect.js';

/**
 * Connection settings: resolved from an adapter section of `store_config.adapters` and turned
 * into a knex configuration for the database's driver.
 */
export interface ConnectionSettings {
  dialect: DialectName;
  /** SQLite: the database file. */
  path?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  /** MySQL, PostgreSQL: the database name. */
  database: string;
  maxConnections: number;
  /** Milliseconds; 0 for none. */
  queryTimeout: number;
  /** SQLite: PRAGMA synchronous. */
  synchronous?: 'full' | 'normal';
  ssl?: boolean;
}

/** PostgreSQL type ids whose text form we parse ourselves: timestamps and JSON. */
const PG_RAW_TYPES = new Set([1114, 1184, 114, 3802, 1082]);

/**
 * The knex configuration for a connection. `withDatabase: false` connects to the server without
 * selecting the database (to create or drop it).
 */
export async function knexConfig(s: ConnectionSettings, withDatabase = true): Promise<Knex.Config> {
  return { ...(await driverConfig(s, withDatabase)), log: QUIET };
}

/** Knex would print pool errors itself; they reach the caller as exceptions anyway. */
const QUIET = { warn() {}, error() {}, deprecate() {}, debug() {} };

async function driverConfig(s: ConnectionSettings, withDatabase: boolean): Promise<Knex.Config> {
  switch (s.dialect) {
    case 'sqlite': {
      const synchronous = s.synchronous ?? 'full';
      return {
        client: 'better-sqlite3',
        connection: { filename: s.path ?? ':memory:' },
        useNullAsDefault: true,
        pool: {
          min: 1,
          max: 1,
          afterCreate(conn: import('better-sqlite3').Database, done: (err: Error | null, conn: unknown) => void) {
            try {
              conn.pragma('journal_mode = WAL');
              conn.pragma(`synchronous = ${synchronous}`);
              conn.pragma('foreign_keys = ON');
              conn.pragma('busy_timeout = 5000');
              conn.defaultSafeIntegers(true);
              done(null, conn);
            } catch (err) {
              done(err as Error, conn);
            }
          },
        },
      };
    }
    case 'mysql':
      return {
        client: 'mysql2',
        connection: {
          host: s.host,
          port: s.port,
          user: s.user,
          password: s.password,
          ...(withDatabase ? { database: s.database } : {}),
          charset: 'utf8mb4',
          timezone: 'Z',
          dateStrings: true,
          supportBigNumbers: true,
          bigNumberStrings: true,
          jsonStrings: true,
          multipleStatements: false,
          // Only the hot statements (constants of the code, a few dozen) are prepared; the bound is a safety net.
          maxPreparedStatements: 128,
          ...(s.ssl ? { ssl: {} } : {}),
        } as Knex.MySql2ConnectionConfig,
        pool: { min: 0, max: s.maxConnections },
        acquireConnectionTimeout: s.queryTimeout || 60_000,
      };
    case 'postgres': {
      const pg = (await import('pg')).default;
      return {
        client: 'pg',
        connection: {
          host: s.host,
          port: s.port,
          user: s.user,
          password: s.password,
          database: withDatabase ? s.database : 'postgres',
          ...(s.ssl ? { ssl: true } : {}),
          ...(s.queryTimeout ? { statement_timeout: s.queryTimeout } : {}),
          types: {
            getTypeParser: (oid: number, format?: 'text' | 'binary') =>
              PG_RAW_TYPES.has(oid) ? (v: string) => v : pg.types.getTypeParser(oid, format ?? 'text'),
          },
        } as Knex.PgConnectionConfig,
        pool: { min: 0, max: s.maxConnections },
        acquireConnectionTimeout: s.queryTimeout || 60_000,
      };
    }
  }
}

function asRecord(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function strKey(section: Record<string, unknown>, key: string, path: string, def: string): string {
  const v = section[key];
  if (v === undefined || v === null) {
    return def;
  }
  if (typeof v !== 'string' && typeof v !== 'number') {
    throw new ConfigError(`${path}.${key}`, `found ${typeof v}`, 'a string');
  }
  return String(v);
}

function intKey(section: Record<string, unknown>, key: string, path: string, def: number): number {
  const v = section[key];
  if (v === undefined || v === null) {
    return def;
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new ConfigError(`${path}.${key}`, `found ${JSON.stringify(v)}`, 'a non-negative integer');
  }
  return v;
}

function checkDbName(name: string, path: string): string {
  if (!/^[A-Za-z0-9_]+$/.test(name)) {
    throw new ConfigError(path, `the database name "${name}" has characters other than letters, digits and _`, 'a plain database name such as "tinode"');
  }
  return name;
}

function parsePort(text: string, path: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new ConfigError(path, `"${text}" is not a port number`, 'a port from 1 to 65535');
  }
  return port;
}

/** Parses a go-sql-driver DSN `user:pass@tcp(host:port)/db?params` or a `mysql://` URL. */
function parseMysqlDsn(dsn: string, path: string): Partial<ConnectionSettings> {
  if (/^mysql:\/\//.test(dsn) && dsn.includes('@tcp(')) {
    dsn = dsn.slice('mysql://'.length);
  }
  const go = /^(?:([^:@]*)(?::([^@]*))?@)?(?:tcp|unix)?(?:\(([^)]*)\))?\/([^?]*)(?:\?.*)?$/.exec(dsn);
  if (go) {
    const [host, port] = (go[3] ?? 'localhost:3306').split(':');
    return {
      user: go[1] || 'root',
      password: go[2] ?? '',
      host: host || 'localhost',
      port: parsePort(port ?? '3306', path),
      database: go[4] || 'tinode',
    };
  }
  try {
    const url = new URL(dsn);
    return {
      user: decodeURIComponent(url.username) || 'root',
      password: decodeURIComponent(url.password),
      host: url.hostname || 'localhost',
      port: parsePort(url.port || '3306', path),
      database: url.pathname.replace(/^\//, '') || 'tinode',
    };
  } catch {
    throw new ConfigError(path, `cannot parse the DSN "${dsn}"`, 'user:pass@tcp(host:port)/dbname or mysql://user:pass@host:port/dbname');
  }
}

/**
 * Resolves the adapter section of `store_config.adapters` (the reference server's keys for mysql
 * and postgres: `User`, `Passwd`, `Addr`/`Host`+`Port`, `DBName`, `dsn`, `max_open_conns`,
 * `sql_timeout`; for sqlite: `path`, `synchronous`) into connection settings.
 */
export function resolveSettings(dialect: DialectName, raw: unknown, maxResultsPath = 'store_config.adapters'): ConnectionSettings {
  const path = `${maxResultsPath}.${dialect}`;
  const section = asRecord(raw);
  if (dialect === 'sqlite') {
    const sync = strKey(section, 'synchronous', path, 'full').toLowerCase();
    if (sync !== 'full' && sync !== 'normal') {
      throw new ConfigError(`${path}.synchronous`, `found "${sync}"`, '"full" (durable across power loss) or "normal"');
    }
    return {
      dialect,
      path: strKey(section, 'path', path, './data/tinode.db'),
      database: 'main',
      maxConnections: 1,
      queryTimeout: 0,
      synchronous: sync,
    };
  }
  const maxConnections = intKey(section, 'max_open_conns', path, dialect === 'mysql' ? 64 : 50) || 64;
  const queryTimeout = intKey(section, 'sql_timeout', path, 10) * 1000;
  const dsn = section.dsn;
  if (dialect === 'mysql') {
    if (typeof dsn === 'string' && dsn) {
      return { dialect, maxConnections, queryTimeout, database: 'tinode', ...parseMysqlDsn(dsn, `${path}.dsn`) };
    }
    const addr = strKey(section, 'Addr', path, 'localhost:3306');
    const [host, port] = addr.includes(':') ? addr.split(':') : [addr, '3306'];
    return {
      dialect,
      host: host || 'localhost',
      port: parsePort(port ?? '3306', `${path}.Addr`),
      user: strKey(section, 'User', path, 'root'),
      password: strKey(section, 'Passwd', path, ''),
      database: checkDbName(strKey(section, 'DBName', path, 'tinode'), `${path}.DBName`),
      maxConnections,
      queryTimeout,
    };
  }
  if (typeof dsn === 'string' && dsn) {
    let url: URL;
    try {
      url = new URL(dsn);
    } catch {
      throw new ConfigError(`${path}.dsn`, `cannot parse the DSN "${dsn}"`, 'postgresql://user:pass@host:port/dbname');
    }
    return {
      dialect,
      host: url.hostname || 'localhost',
      port: parsePort(url.port || '5432', `${path}.dsn`),
      user: decodeURIComponent(url.username) || 'postgres',
      password: decodeURIComponent(url.password),
      database: checkDbName(url.pathname.replace(/^\//, '') || 'tinode', `${path}.dsn`),
      maxConnections,
      queryTimeout,
      ssl: ['require', 'verify-ca', 'verify-full'].includes(url.searchParams.get('sslmode') ?? ''),
    };
  }
  return {
    dialect,
    host: strKey(section, 'Host', path, 'localhost'),
    port: parsePort(strKey(section, 'Port', path, '5432'), `${path}.Port`),
    user: strKey(section, 'User', path, 'postgres'),
    password: strKey(section, 'Passwd', path, ''),
    database: checkDbName(strKey(section, 'DBName', path, 'tinode'), `${path}.DBName`),
    maxConnections,
    queryTimeout,
    ssl: ['require', 'verify-ca', 'verify-full'].includes(strKey(section, 'SSLMode', path, 'disable')),
  };
}

/** A short description for logs: where the data lives. */
export function describeSettings(s: ConnectionSettings): string {
  switch (s.dialect) {
    case 'sqlite':
      return `SQLite ${s.path}`;
    case 'mysql':
      return `MySQL ${s.user}@${s.host}:${s.port}/${s.database}`;
    case 'postgres':
      return `PostgreSQL ${s.user}@${s.host}:${s.port}/${s.database}`;
  }
}
