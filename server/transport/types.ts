import type { Connection, TransportKind } from '../session/connection.js';
import type { SessionSink } from './hand-to-session.js';

export type { SessionSink } from './hand-to-session.js';

/*
 * What transports need from the rest of the server: a way to open a session on a new
 * connection, the encoded error replies they answer at the HTTP level, and the API key check.
 * Transports decode what they receive into client messages and encode the server messages they
 * send, each in its own format (JSON for websocket and long polling, protobuf for gRPC); the
 * session sees typed messages only.
 */

/** Where sessions come from: what every transport asks before and when it accepts a client. */
export interface SessionGatekeeper {
  /**
   * Why a new session from `remoteAddr` would be refused (too many from that address, too many
   * long-poll sessions), or null when it may open. Asked before a connection is accepted.
   */
  admit(remoteAddr: string, kind: TransportKind): string | null;
}

export interface SessionHost extends SessionGatekeeper {
  /** Opens a session over a new connection. */
  open(conn: Connection): SessionSink;
}

/** JSON bodies of the HTTP-level answers, as the reference sends them. */
export interface HttpReplies {
  /** 403: missing or invalid API key. */
  apiKeyRequired(): string;
  /** 403: unknown or expired long-poll session. */
  sessionNotFound(): string;
  /** 400 (or 413/417): a long-poll message that cannot be read. */
  malformed(id: string): string;
  /** 405: wrong HTTP method. */
  methodNotAllowed(): string;
  /** 404 for any other URL. */
  notFound(): string;
  /** 503: the server does not take this client now (a limit on sessions, a full queue). */
  serviceUnavailable(id: string): string;
  /** 201: the long-poll handshake carrying the new session id. */
  lpCreated(id: string, sid: string): string;
}

/** Options shared by the HTTP transports. */
export interface TransportOptions {
  host: SessionHost;
  replies: HttpReplies;
  /** Validates an API key. */
  checkApiKey(key: string): boolean;
  /** Largest accepted frame or request body, bytes (`max_message_size`). */
  maxMessageSize: number;
  /** Deepest nesting accepted in a client message (`limits.max_json_depth`). @default 64 */
  maxJsonDepth?: number;
  useXForwardedFor: boolean;
}
