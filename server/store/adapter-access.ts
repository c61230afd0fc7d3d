import type { Adapter } from './contract/adapter.js';
import type { Knex } from 'knex';
import type { ConnectionSettings } from './sql/settings.js';
import type { Store } from './store.js';

/**
 * The one way to the adapter behind a {@link Store}, for tests that check the adapter contract or
 * look at rows directly. Production code uses the store's groups: eslint.config.js forbids
 * importing this module outside server/store and test/.
 */

export type { Adapter, AdapterOptions, UidCodec } from './contract/adapter.js';
export type { SqlAdapter } from './sql/sql-adapter.js';
export type { WorkerAdapter } from './worker/worker-adapter.js';
export { createAdapter } from './registry.js';

let reveal: ((store: Store) => Adapter) | null = null;

/** Called once, by the Store class itself, to hand over how its private adapter is read. */
export function grantAdapterAccess(fn: (store: Store) => Adapter): void {
  if (reveal) {
    throw new Error('adapter access is granted once, by Store');
  }
  reveal = fn;
}

/** The adapter a store owns (the same object, so a test may wrap its methods). */
export function adapterOf(store: Store): Adapter {
  if (!reveal) {
    throw new Error('the Store class is not loaded');
  }
  return reveal(store);
}

/**
 * A knex instance on the database behind a store, to look at rows directly: the adapter's own
 * (SQL adapters on the main thread), or a connection of the test's own when the adapter's
 * connection lives in a worker thread.
 */
export async function rawDb(store: Store): Promise<Knex> {
  const a = adapterOf(store) as Adapter & { db?: Knex; inspect?: () => Promise<Knex> };
  if (a.inspect) {
    return a.inspect();
  }
  if (a.db) {
    return a.db;
  }
  throw new Error(`the ${a.name} adapter has no SQL database to look at`);
}

/** The connection settings of a store's SQL adapter. */
export function connectionSettingsOf(store: Store): ConnectionSettings {
  const a = adapterOf(store) as Adapter & { connectionSettings?: () => ConnectionSettings };
  if (!a.connectionSettings) {
    throw new Error(`the ${a.name} adapter has no connection settings`);
  }
  return a.connectionSettings();
}
