import { readFileSync } from 'node:fs';
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { parseDbUrl } from './db-url.js';
import { ConfigError } from './errors.js';
import { configSchema, type TinodeConfig } from './schema.js';
import { withUnknownKeyListener } from './schema-kit.js';

/** Command-line values that override the file. Undefined fields leave the file's value. */
export interface ConfigOverrides {
  /** `--db URL`: selects the store adapter and its connection. */
  db?: string | undefined;
  /** Any other top-level keys, already in config form (`listen`, `grpc_listen`, ...). */
  set?: Record<string, unknown>;
}

/** The result of loading: the frozen config and the warnings a person should see. */
export interface LoadedConfig {
  config: TinodeConfig;
  /** Where it came from, for logs: a path, or "built-in defaults". */
  source: string;
  warnings: string[];
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `${line}:${column}`;
}

/** Reads a JSON-with-comments file, naming the file, line and column of a syntax error. */
export function readJsonc(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError('--config', `cannot read "${path}" (${code ?? String(err)})`, 'a readable config file');
  }
  const errors: ParseError[] = [];
  const value: unknown = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
  const first = errors[0];
  if (first) {
    throw new ConfigError(
      `${path}:${lineAndColumn(text, first.offset)}`,
      `syntax error (${printParseErrorCode(first.error)})`,
      'JSON with // or /* */ comments, as in tinode.conf',
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(path, 'the file does not hold a JSON object', 'an object of config keys');
  }
  return value;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) {
      deepFreeze(v);
    }
  }
  return value;
}

/**
 * Loads the config: the file (if any), then the overrides, validated against the schema with
 * defaults filled in, deep-frozen. Throws {@link ConfigError} naming the key at fault.
 */
export function loadConfig(file: string | undefined, overrides: ConfigOverrides = {}): LoadedConfig {
  const rawConfig = (file ? readJsonc(file) : {}) as Record<string, unknown>;
  const merged: Record<string, unknown> = { ...rawConfig, ...(overrides.set ?? {}) };
  if (overrides.db !== undefined) {
    const sel = parseDbUrl(overrides.db);
    const store = { ...((merged.store_config as Record<string, unknown> | undefined) ?? {}) };
    const adapters = { ...((store.adapters as Record<string, unknown> | undefined) ?? {}) };
    const current = adapters[sel.adapter];
    adapters[sel.adapter] = {
      ...(current && typeof current === 'object' ? (current as Record<string, unknown>) : {}),
      ...sel.config,
    };
    if (sel.adapter !== 'sqlite') {
      // A URL names the database completely: a dsn from the file would contradict it.
      delete (adapters[sel.adapter] as Record<string, unknown>).dsn;
    }
    store.adapters = adapters;
    store.use_adapter = sel.adapter;
    merged.store_config = store;
  }
  const warnings: string[] = [];
  const config = withUnknownKeyListener(
    (key) => warnings.push(`unknown config key "${key}" ignored`),
    () => configSchema.parse(merged, ''),
  );
  // Keep the default sqlite section available even when the file lists only other adapters.
  const adapters = config.store_config.adapters;
  if (!adapters.sqlite) {
    adapters.sqlite = { path: './data/tinode.db' };
  }
  return { config: deepFreeze(config), source: file ?? 'built-in defaults', warnings };
}
