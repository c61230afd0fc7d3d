import { p2pNameForUser, userId, type Uid } from '../../src/model/uid.js';

/**
 * A push notification on its way to handlers: who should get it and what it says (the
 * reference's `push.Receipt`). Topics build receipts; the dispatcher adds unread counts and
 * devices; handlers deliver them.
 */

/** Push actions. */
export type PushAction = 'msg' | 'sub' | 'read';

export interface PushPayload {
  what: PushAction;
  /** Perform the action without showing a notification. */
  silent: boolean;
  /** The topic as the recipient knows it (a p2p topic is rewritten per recipient). */
  topic: string;
  ts: Date;
  /** `{data}`: the sender. */
  from: string;
  seq: number;
  mime: string;
  content?: unknown;
  webrtc?: string;
  aonly?: boolean;
  replace?: string;
  /** Subscription changes: the new modes. */
  want?: string;
  given?: string;
}

export interface PushRecipient {
  /** Sessions of the user the message reached directly (a push to an online user is silent). */
  delivered: number;
  /** The user's device tokens, filled in by the dispatcher. */
  devices?: string[];
  /** The user's unread count, filled in by the dispatcher. */
  unread: number;
}

export interface PushReceipt {
  to: Map<Uid, PushRecipient>;
  /** Channel (FCM topic) for channel readers. */
  channel: string;
  payload: PushPayload;
}

/** The payload as one recipient sees it: a p2p topic is named by the other user's id. */
export function payloadFor(payload: PushPayload, uid: Uid): PushPayload {
  return payload.topic.startsWith('p2p') ? { ...payload, topic: p2pNameForUser(uid, payload.topic) } : payload;
}

/** A receipt as JSON (the stdout handler's line, and what tests read). */
export function receiptJson(rcpt: PushReceipt): Record<string, unknown> {
  const to: Record<string, unknown> = {};
  for (const [uid, r] of rcpt.to) to[userId(uid)] = r;
  return { to, channel: rcpt.channel || undefined, payload: rcpt.payload };
}

