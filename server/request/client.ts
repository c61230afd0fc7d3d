import type { AuthLevel } from '../../src/model/auth-level.js';
import type { Uid } from '../../src/model/uid.js';
import type { ServerMessage } from '../../src/wire/server-messages.js';

/**
 * A client as topics and the hub see it: who it is, how it is connected, and a way to send it
 * messages. A session implements it; in a cluster, a session attached through another node will.
 * Topics never see more of a session than this.
 */
export interface Client {
  /** The session id, unique on the server. */
  readonly sid: string;
  /** The logged-in user; zero before login. */
  readonly uid: Uid;
  readonly authLvl: AuthLevel;
  /** A background session (a woken app, a bot): not counted online until it comes to the foreground. */
  readonly background: boolean;
  readonly userAgent: string;
  /** Language from `{hi}` (`en-US`), for messages made by the server. */
  readonly lang: string;
  /** Country from the language, for phone numbers. */
  readonly countryCode: string;
  /** The client has gone: nothing should be attached to it any more. */
  readonly isEnded: boolean;
  /**
   * Routable names of the topics the client is attached to. A topic adds its name when it
   * attaches the client and removes it when it detaches it; nobody else changes it.
   */
  readonly subs: Set<string>;
  /**
   * Sends a message. Messages are immutable once sent (their encoding is cached for
   * broadcasts). Returns false when the client could not keep up and was dropped.
   */
  send(msg: ServerMessage): boolean;
  /**
   * Sends a message that may wait a moment (up to `limits.presence_batch_ms`) to share a write
   * with others to the same client. Whatever is sent afterwards goes after it.
   */
  sendSoon(msg: ServerMessage): boolean;
}

/**
 * The id of a request the server makes on a client's behalf (a subscription renewed at a topic's
 * new node in a cluster): its reply is not the client's and is never written to it.
 */
export const SERVER_REQUEST_ID = '\u0000server';
