import type { Uid } from '../../src/model/uid.js';

/**
 * A credential validator (email, tel) as accounts and `me` use it; errors are StoreErrors with the
 * reference's meanings.
 */
export interface CredValidator {
  /** Checks and normalizes a value; returns it as a tag (`email:a@b.c`), or throws. */
  preCheck(value: string, params?: Record<string, unknown>): string;
  /**
   * Adds an unvalidated credential and sends its code (or, with `resp`, validates it at once).
   * Returns true when the credential is new.
   */
  request(uid: Uid, value: string, lang: string, resp: string, tmpToken: Buffer): Promise<boolean>;
  /** Checks a response; returns the validated value, throws `credentials` when wrong. */
  check(uid: Uid, resp: string): Promise<string>;
  /** Removes a credential of the user. */
  remove(uid: Uid, value: string): Promise<void>;
  /** Sends the password reset code to the credential. */
  resetSecret(value: string, scheme: string, lang: string, code: Buffer, params: Record<string, unknown>): Promise<void>;
  /** The auth scheme that turns a reset code into a temporary login (`code`). */
  tempAuthScheme(): string;
}
