import type { InfoMsg, PresMsg } from '../../src/wire/server-messages.js';

/**
 * A server message travelling between topics through the hub: the wire message plus routing
 * instructions the client never sees (the reference's `json:"-"` fields).
 */
export interface RoutedPres {
  kind: 'pres';
  pres: PresMsg;
  /** The sender wants to hear our own state back (`on`). */
  wantReply?: boolean;
  /** Deliver only to users whose mode has any of these bits. */
  filterIn?: number;
  /** Deliver only to users whose mode has none of these bits. */
  filterOut?: number;
  /** Deliver only to this user (`usr…`). */
  singleUser?: string;
  /** Deliver to everyone but this user. */
  excludeUser?: string;
  /** Skip sessions attached to this topic (they heard it there). */
  skipTopic?: string;
  /** Skip this session. */
  skipSid?: string;
}

export interface RoutedInfo {
  kind: 'info';
  info: InfoMsg;
  skipTopic?: string;
  skipSid?: string;
}

export type Routed = RoutedPres | RoutedInfo;
