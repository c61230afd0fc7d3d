import { ConfigError } from './errors.js';

/** What a `--db URL` flag selects: the adapter name and that adapter's config section. */
export interface DbSelection {
  adapter: 'sqlite' | 'mysql' | 'postgres';
  config: Record<string, unknown>;
}

const EXPECTED =
  'sqlite:PATH, mysql://USER:PASS@HOST:PORT/DB or postgres://USER:PASS@HOST:PORT/DB';

/**
 * Parses the one-word database selector of `--db`:
 * `sqlite:PATH` (or `sqlite://PATH`), `mysql://user:pass@host:port/db`,
 * `postgres://` or `postgresql://user:pass@host:port/db`. The result uses the config keys of the
 * reference server's adapter sections, so it merges into `store_config.adapters`.
 */
export function parseDbUrl(text: string, flag = '--db'): DbSelection {
  const value = text.trim();
  if (value.startsWith('sqlite:')) {
    const path = value.slice('sqlite:'.length).replace(/^\/\//, '');
    if (!path) {
      throw new ConfigError(flag, 'the SQLite path is empty', EXPECTED);
    }
    return { adapter: 'sqlite', config: { path } };
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(flag, `"${text}" is not a database URL`, EXPECTED);
  }
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  const dbName = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'tinode';
  if (!/^[A-Za-z0-9_]+$/.test(dbName)) {
    throw new ConfigError(flag, `the database name "${dbName}" has characters other than letters, digits and _`, EXPECTED);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '') || 'localhost';
  switch (url.protocol) {
    case 'mysql:':
    case 'mariadb:':
      return {
        adapter: 'mysql',
        config: {
          User: user || 'root',
          Passwd: password,
          Net: 'tcp',
          Addr: `${host}:${url.port || '3306'}`,
          DBName: dbName,
        },
      };
    case 'postgres:':
    case 'postgresql:':
      return {
        adapter: 'postgres',
        config: {
          User: user || 'postgres',
          Passwd: password,
          Host: host,
          Port: url.port || '5432',
          DBName: dbName,
          SSLMode: url.searchParams.get('sslmode') ?? 'disable',
        },
      };
    default:
      throw new ConfigError(flag, `unknown database kind "${url.protocol.replace(/:$/, '')}"`, EXPECTED);
  }
}
