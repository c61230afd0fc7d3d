/**
 * Errors the store reports, by code. The server maps each code to a ctrl reply in one place;
 * anything else thrown by a driver is an internal error.
 */
export type StoreErrorCode =
  | 'internal'
  | 'malformed'
  | 'failed'
  | 'duplicate'
  | 'unsupported'
  | 'expired'
  | 'policy'
  | 'credentials'
  | 'user-not-found'
  | 'topic-not-found'
  | 'not-found'
  | 'denied'
  | 'invalid-response'
  | 'db-not-initialized'
  | 'db-version';

export class StoreError extends Error {
  override readonly name = 'StoreError';

  constructor(
    readonly code: StoreErrorCode,
    message?: string,
  ) {
    super(message ?? code);
  }
}

/** Whether `err` is a StoreError with the given code. */
export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  return err instanceof StoreError && (code === undefined || err.code === code);
}
