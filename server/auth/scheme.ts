import type { AuthLevel } from '../../src/model/auth-level.js';
import type { DefaultAccess } from '../../src/model/access.js';
import type { Uid } from '../../src/model/uid.js';
import type { ObjState } from '../store/contract/types.js';

/**
 * What accounts, login, topics and file access need from authentication schemes; the schemes in
 * this folder implement it. Errors are StoreErrors with the reference's meanings (`malformed`,
 * `failed`, `duplicate`, `policy`, `expired`, `unsupported`...).
 */

/** Feature flags of an authentication record. */
export const FEATURE_VALIDATED = 1;
export const FEATURE_NO_LOGIN = 2;

/** The result of authenticating, or the input to making a token. */
export interface AuthResult {
  uid: Uid;
  authLevel: AuthLevel;
  /** Milliseconds the authentication stays valid; 0 for the scheme's default. */
  lifetimeMs: number;
  features: number;
  /** Tags the scheme adds to the user (`basic:alice`). */
  tags: string[];
  /** The user's state when the scheme knows it; undefined to look it up. */
  state?: ObjState | undefined;
  /** `method:value` of the credential a reset token was issued for. */
  credential?: string | undefined;
  /** Values an external authenticator supplies for a new account. */
  defacs?: DefaultAccess | undefined;
  public?: unknown;
  private?: unknown;
}

export interface AuthScheme {
  /** The scheme's own name (`basic`, `token`...), whatever its logical name. */
  readonly realName: string;
  /** Prepares the scheme at start (an external authenticator is asked for its tag namespaces). */
  init?(): Promise<void>;
  /** Whether the secret could make a new account (unique, policy-compliant); throws otherwise. */
  isUnique(secret: Buffer, remoteAddr: string): Promise<boolean>;
  /** Adds the record of a new account; returns it with the level and tags. */
  addRecord(rec: AuthResult, secret: Buffer, remoteAddr: string): Promise<AuthResult>;
  /** Changes the secret (and login) of an account; returns the record with updated tags. */
  updateRecord(rec: AuthResult, secret: Buffer, remoteAddr: string): Promise<AuthResult>;
  /** Checks a secret. */
  authenticate(secret: Buffer, remoteAddr: string): Promise<{ rec: AuthResult; challenge?: Buffer | undefined }>;
  /** Makes a secret for the record (tokens); unsupported elsewhere. */
  genSecret(rec: AuthResult): Promise<{ secret: Buffer; expires: Date }>;
  /** A search term as a tag of this scheme (`basic:alice`), or ''. */
  asTag(term: string): string;
  delRecords(uid: Uid): Promise<void>;
  /** Tag namespaces this scheme owns. */
  restrictedTags(): string[];
  /** What a password reset mail needs to say (`{login}`). */
  getResetParams(uid: Uid): Promise<Record<string, unknown>>;
}

export interface AuthSchemes {
  /** The scheme of a logical name (as clients name it), or null when unknown or hidden. */
  get(name: string): AuthScheme | null;
  /** Every logical name that reaches a scheme. */
  names(): string[];
}
