import type { AuthLevel } from '../../../src/model/auth-level.js';
import type { Uid } from '../../../src/model/uid.js';
import type { Adapter } from '../contract/adapter.js';
import { StoreError } from '../contract/errors.js';
import type { AuthRecord } from '../contract/types.js';

/**
 * Authentication records (`store.auth`), one per user and scheme. Callers name a record by scheme
 * and the scheme's own unique value (`basic`, `alice`); the store keeps it as `basic:alice`.
 */
export class Auth {
  readonly #a: Adapter;

  constructor(adapter: Adapter) {
    this.#a = adapter;
  }

  /** Adds the `scheme:unique` record of a user; `duplicate` when the value or the user's scheme is taken. */
  addRecord(uid: Uid, level: AuthLevel, scheme: string, unique: string, secret: Buffer, expires: Date | null): Promise<void> {
    return this.#a.authAddRecord(uid, scheme, `${scheme}:${unique}`, level, secret, expires);
  }

  /** The record of `scheme:unique` (its `unique` as stored, with the prefix), or null. */
  getUniqueRecord(scheme: string, unique: string): Promise<AuthRecord | null> {
    return this.#a.authGetUniqueRecord(`${scheme}:${unique}`);
  }

  /**
   * The user's record of a scheme with the scheme prefix removed from `unique`, or null.
   * Throws `internal` when the stored value has no prefix.
   */
  async getRecord(uid: Uid, scheme: string): Promise<AuthRecord | null> {
    const rec = await this.#a.authGetRecord(uid, scheme);
    if (!rec) {
      return null;
    }
    const at = rec.unique.indexOf(':');
    if (at < 0) {
      throw new StoreError('internal', 'malformed authentication record');
    }
    return { ...rec, unique: rec.unique.slice(at + 1) };
  }

  /**
   * Changes a record: the level always; `unique` (without the scheme prefix), secret and expiry
   * only when given ('' or null keeps them). `not-found` when the user has no record of the scheme.
   */
  updateRecord(uid: Uid, level: AuthLevel, scheme: string, unique: string, secret: Buffer | null, expires: Date | null): Promise<void> {
    return this.#a.authUpdRecord(uid, scheme, unique ? `${scheme}:${unique}` : '', level, secret, expires);
  }

  /** Removes the user's record of a scheme. */
  delScheme(uid: Uid, scheme: string): Promise<void> {
    return this.#a.authDelScheme(uid, scheme);
  }

  /** Removes all the user's records; returns how many. */
  delAllRecords(uid: Uid): Promise<number> {
    return this.#a.authDelAllRecords(uid);
  }
}
