import type { ReplyKind } from './replies.js';

/**
 * A request that cannot be carried out, as the ctrl reply the client gets. Thrown anywhere
 * below the session; the session turns it into one reply with the request's id and topic.
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';

  constructor(
    readonly kind: ReplyKind,
    readonly params?: Record<string, unknown>,
    /** Topic to name in the reply instead of the request's. */
    readonly topic?: string,
  ) {
    super(kind);
  }
}
