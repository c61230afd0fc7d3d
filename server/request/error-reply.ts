import { reply, type ReplyKind } from '../../src/wire/replies.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import type { ServerMessage } from '../../src/wire/server-messages.js';
import { isStoreError, type StoreErrorCode } from '../store/contract/errors.js';

/**
 * The one place where errors become ctrl replies: protocol errors by their kind, store errors as
 * the reference maps them (its `decodeStoreError`), anything else as an internal error (500).
 */

/** Store errors as the reference maps them to replies (its `decodeStoreError`). */
const STORE_REPLIES: Record<StoreErrorCode, ReplyKind> = {
  internal: 'unknown',
  malformed: 'malformed',
  failed: 'authFailed',
  denied: 'permissionDenied',
  duplicate: 'duplicateCredential',
  unsupported: 'notImplemented',
  expired: 'authFailed',
  policy: 'policy',
  credentials: 'validateCredentials',
  'user-not-found': 'userNotFound',
  'topic-not-found': 'topicNotFound',
  'not-found': 'notFound',
  'invalid-response': 'invalidResponse',
  'db-not-initialized': 'unknown',
  'db-version': 'unknown',
};

/** The reply kind for any error: protocol errors by kind, store errors by code, else internal. */
export function errorKind(err: unknown): ReplyKind {
  if (err instanceof ProtocolError) {
    return err.kind;
  }
  if (isStoreError(err)) {
    return STORE_REPLIES[err.code];
  }
  return 'unknown';
}

/** The one reply for an error raised while handling request `id` on `topic`. */
export function errorReply(err: unknown, id: string, topic: string, ts: Date, params?: Record<string, unknown>): ServerMessage {
  if (err instanceof ProtocolError) {
    return reply(err.kind, id, err.topic ?? topic, ts, params ?? err.params);
  }
  return reply(errorKind(err), id, topic, ts, params);
}
