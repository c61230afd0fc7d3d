import { MODE_PRES, MODE_READ, modeToString } from '../../src/model/access.js';
import { userId, type Uid } from '../../src/model/uid.js';
import type { DataMsg } from '../../src/wire/server-messages.js';
import type { PushReceipt, PushRecipient } from '../push/receipt.js';
import type { ConvTopic } from './conversation.js';

/**
 * Push notifications a conversation causes (the reference's pushForData, pushForP2PSub,
 * pushForGroupSub, pushForReadRcpt): to subscribers who read the topic and want notifications.
 * A recipient with sessions attached gets it silently; the sender's other devices get it too.
 * Payloads name p2p topics by their `p2p…` name; handlers show each recipient the peer's id.
 */

function listening(t: ConvTopic, uid: Uid): boolean {
  const p = t.perUser.get(uid);
  if (!p || p.deleted || p.isChan) return false;
  const mode = p.modeWant & p.modeGiven;
  return (mode & MODE_PRES) !== 0 && (mode & MODE_READ) !== 0;
}

/** A new message. */
export function pushForData(t: ConvTopic, from: Uid, data: DataMsg): PushReceipt | null {
  const head = data.head ?? {};
  const to = new Map<Uid, PushRecipient>();
  for (const [uid, p] of t.perUser) {
    if (!listening(t, uid)) continue;
    to.set(uid, { delivered: uid === from && p.online === 0 ? 1 : p.online, unread: 0 });
  }
  const channel = t.isChannel() ? 'chn' + t.name.slice(3) : '';
  if (to.size === 0 && !channel) return null;
  return {
    to,
    channel,
    payload: {
      what: 'msg',
      silent: false,
      topic: t.name,
      ts: data.ts,
      from: data.from ?? userId(from),
      seq: data.seq,
      mime: typeof head.mime === 'string' ? head.mime : '',
      content: data.content,
      ...(typeof head.webrtc === 'string' ? { webrtc: head.webrtc, aonly: head.aonly === true } : {}),
      ...(typeof head.replace === 'string' ? { replace: head.replace } : {}),
    },
  };
}

/** An invitation or a new subscription: to the invited user (p2p) or to the members (group). */
export function pushForSub(t: ConvTopic, from: Uid, only: Uid | null, want: number, given: number): PushReceipt | null {
  const to = new Map<Uid, PushRecipient>();
  if (only !== null) {
    to.set(only, { delivered: 0, unread: 0 });
  } else {
    for (const uid of t.perUser.keys()) {
      if (uid !== from && listening(t, uid)) to.set(uid, { delivered: 0, unread: 0 });
    }
  }
  if (to.size === 0) return null;
  return {
    to,
    channel: '',
    payload: {
      what: 'sub',
      silent: false,
      topic: t.name,
      ts: new Date(),
      from: userId(from),
      seq: t.lastId,
      mime: '',
      want: modeToString(want),
      given: modeToString(given),
    },
  };
}

/** The user read messages: the user's other devices clear their notifications. */
export function pushForRead(t: ConvTopic, uid: Uid, seq: number): PushReceipt {
  return {
    to: new Map([[uid, { delivered: 0, unread: 0 }]]),
    channel: '',
    payload: { what: 'read', silent: true, topic: t.name, ts: new Date(), from: userId(uid), seq, mime: '' },
  };
}
