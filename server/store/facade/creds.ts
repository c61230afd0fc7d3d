import type { Uid } from '../../../src/model/uid.js';
import type { Adapter } from '../contract/adapter.js';
import type { Credential } from '../contract/types.js';

/** Credentials (`store.creds`): a user's email, phone... validated or waiting for validation. */
export class Creds {
  readonly #a: Adapter;

  constructor(adapter: Adapter) {
    this.#a = adapter;
  }

  /**
   * Adds or updates a credential. A validated one must be unique (`duplicate` otherwise) and
   * replaces the user's unvalidated record of the same value. An unvalidated one fails with
   * `duplicate` when anyone validated the value, soft-deletes the user's other unvalidated records
   * of the method, and revives its own record if it had one. Returns true when a row was inserted.
   */
  upsert(cred: Credential): Promise<boolean> {
    return this.#a.credUpsert(cred);
  }

  /** The user's current unvalidated credential of the method, or null. */
  getActive(uid: Uid, method: string): Promise<Credential | null> {
    return this.#a.credGetActive(uid, method);
  }

  /** The user's credentials (of one method when `method` is not ''), all or validated only. */
  getAll(uid: Uid, method: string, validatedOnly: boolean): Promise<Credential[]> {
    return this.#a.credGetAll(uid, method, validatedOnly);
  }

  /**
   * Deletes credentials: all of the user's when `method` is '' (hard); otherwise the given one,
   * hard when validated or never tried, soft otherwise (so retries are not reset by re-adding).
   * `not-found` when nothing matched.
   */
  delete(uid: Uid, method: string, value: string): Promise<void> {
    return this.#a.credDel(uid, method, value);
  }

  /** Marks the user's unvalidated credential of the method validated; `not-found` if none. */
  confirm(uid: Uid, method: string): Promise<void> {
    return this.#a.credConfirm(uid, method);
  }

  /** Counts one failed validation attempt. */
  fail(uid: Uid, method: string): Promise<void> {
    return this.#a.credFail(uid, method);
  }
}
