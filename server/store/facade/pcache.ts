import type { Adapter } from '../contract/adapter.js';

/** The persistent key-value cache (`store.pcache`, the `kvmeta` table): short-lived codes and the like. */
export class PCache {
  readonly #a: Adapter;

  constructor(adapter: Adapter) {
    this.#a = adapter;
  }

  /** A value, or throws `not-found`. */
  get(key: string): Promise<string> {
    return this.#a.pcacheGet(key);
  }

  /** Sets a value; with `failOnDuplicate`, `duplicate` when the key exists. */
  upsert(key: string, value: string, failOnDuplicate: boolean): Promise<void> {
    return this.#a.pcacheUpsert(key, value, failOnDuplicate);
  }

  /** Deletes an entry; a missing one is not an error. */
  delete(key: string): Promise<void> {
    return this.#a.pcacheDelete(key);
  }

  /** Deletes entries with the key prefix created before the time. */
  expire(keyPrefix: string, olderThan: Date): Promise<void> {
    return this.#a.pcacheExpire(keyPrefix, olderThan);
  }
}
