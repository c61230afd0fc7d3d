import type { Adapter } from './contract/adapter.js';
import type { Store } from './store.js';

/**
 * The one way to the adapter behind a {@link Store}, for tests that check the adapter contract or
 * look at rows directly. Production code uses the store's groups: eslint.config.js forbids
 * importing this module outside server/store and test/.
 */

export type { Adapter, AdapterOptions, UidCodec } from './contract/adapter.js';
export type { SqlAdapter } from './sql/sql-adapter.js';
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
