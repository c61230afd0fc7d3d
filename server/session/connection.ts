import type { TransportKind } from '../../src/model/transport-kind.js';
import type { ServerMessage } from '../../src/wire/server-messages.js';

export type { TransportKind };

/**
 * What a session knows of its transport: where the client is, how to send it one message, and
 * how to end the connection. Framing, encoding (JSON or protobuf) and flow control are the
 * transport's business.
 */
export interface Connection {
  readonly kind: TransportKind;
  /** The client's address (after `X-Forwarded-For` when configured). */
  readonly remoteAddr: string;
  /**
   * Queues one server message for the client. Returns false when the client is not keeping up
   * (its queue is over the limit): the caller then drops the session.
   */
  send(msg: ServerMessage): boolean;
  /** Sends `last` (if any) and closes the connection; further sends are ignored. */
  close(last?: ServerMessage): void;
  /**
   * Ends the connection at once, discarding what is still queued for the client: the session is
   * dropped because the client does not keep up, and a polite close would wait behind the very
   * backlog that got it dropped (and, with reading paused, for a closing handshake the server
   * does not read).
   */
  abort(): void;
  /**
   * Stops taking messages from the client until {@link resume}: the session's inbound queue is
   * full. Streams stop reading (the client's sends back up to it); long polling answers new
   * messages 503 meanwhile.
   */
  pause(): void;
  resume(): void;
}

/** Most messages queued for a slow client before its session is dropped (the reference's 128). */
export const SEND_QUEUE_LIMIT = 128;
