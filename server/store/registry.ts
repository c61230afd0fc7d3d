import { ConfigError } from '../../src/config/errors.js';
import type { Adapter, AdapterOptions } from './contract/adapter.js';

/**
 * Store adapters by name. Factories import their drivers lazily, so an installation that never
 * uses PostgreSQL never loads `pg`.
 */
export type AdapterFactory = (options: AdapterOptions) => Promise<Adapter>;

const factories = new Map<string, AdapterFactory>();

/** Registers a factory; registering a name twice is a programming error. */
export function registerAdapter(name: string, factory: AdapterFactory): void {
  if (factories.has(name)) {
    throw new Error(`store adapter "${name}" is registered twice`);
  }
  factories.set(name, factory);
}

/** The names of the registered adapters. */
export function adapterNames(): string[] {
  return [...factories.keys()];
}

/** Makes an adapter by name; null when no adapter has that name. */
export async function createAdapter(name: string, options: AdapterOptions): Promise<Adapter | null> {
  const factory = factories.get(name);
  return factory ? factory(options) : null;
}

// One knex-based adapter serves the three SQL databases. A server's SQLite connection lives in a
// worker thread unless its config says `"worker": false`: its commits wait for the disk there.
for (const name of ['sqlite', 'mysql', 'postgres'] as const) {
  registerAdapter(name, async (options) => {
    if (name === 'sqlite' && sqliteWorker(options.config) && options.offThread === true) {
      const { WorkerAdapter } = await import('./worker/worker-adapter.js');
      return new WorkerAdapter(name, options);
    }
    const { SqlAdapter } = await import('./sql/sql-adapter.js');
    return new SqlAdapter(name, options);
  });
}

/** `store_config.adapters.sqlite.worker`: true unless set to false. */
function sqliteWorker(config: unknown): boolean {
  const v = config && typeof config === 'object' ? (config as Record<string, unknown>).worker : undefined;
  if (v === undefined || typeof v === 'boolean') {
    return v !== false;
  }
  throw new ConfigError('store_config.adapters.sqlite.worker', `found ${JSON.stringify(v)}`, 'true (the database in a worker thread, the default) or false (on the main thread)');
}
