import { MODE_PRES, MODE_READ, MODE_WRITE } from '../../src/model/access.js';
import { userId, type Uid } from '../../src/model/uid.js';
import type { NoteMsg, PubMsg } from '../../src/wire/client-messages.js';
import type { InfoMsg } from '../../src/wire/server-messages.js';
import type { Client } from '../request/client.js';
import type { Request } from '../request/request.js';
import type { Message } from '../store/contract/types.js';
import { publishFromServer } from './conv-messages.js';
import type { ConvTopic } from './conversation.js';

/**
 * Audio and video calls in a p2p topic, as the reference relays them. A `{pub}` with
 * `head.webrtc` starts a call: the message is stored and the caller's session is the call's first
 * party. The callee answers with `{note what="call"}` events, each relayed as `{info what="call"}`
 * to the other side: `ringing` and `accept` go to the caller; once accepted, the callee's session
 * is the second party and `offer`, `answer` and `ice-candidate` go from one party's session to
 * the other's. The call ends on `hang-up`, when it rings too long, or when a party's session
 * leaves the topic; how it ended is stored as a message from the caller that replaces the call's
 * message (`head.replace`, `head.webrtc`: accepted, finished, missed, declined, disconnected;
 * `head["webrtc-duration"]` in ms), which both sides see in their history.
 */

/** The call events clients send (`{note what="call" event=…}`). */
export type CallEvent = 'ringing' | 'accept' | 'offer' | 'answer' | 'ice-candidate' | 'hang-up';

/** How a call ended, or that it was answered: the `head.webrtc` of its replacing message. */
type CallRecord = 'accepted' | 'finished' | 'missed' | 'declined' | 'disconnected';

interface CallParty {
  readonly uid: Uid;
  readonly originator: boolean;
  /** The session on the call; events go to it. */
  readonly client: Client;
}

/** The call of a p2p topic, while it rings or runs. */
export interface ActiveCall {
  /** Seq id of the message that started it: the id clients name the call by. */
  readonly seq: number;
  readonly content: unknown;
  /** `head.mime` of that message, kept in the messages that replace it. */
  readonly mime: unknown;
  /** The parties by session id: the caller's session, then the callee's once accepted. */
  readonly parties: Map<string, CallParty>;
  /** When it was accepted (ms); 0 while it rings. */
  acceptedAt: number;
  /** Ends it as missed when nobody accepts in time. */
  timer: NodeJS.Timeout | null;
}

/** Whether a `{pub}` starts a call (any `head.webrtc`, as in the reference). */
export function isCallStart(req: Request<PubMsg>): boolean {
  const head = req.msg.body.head;
  return head !== undefined && head !== null && head.webrtc !== undefined && head.webrtc !== null;
}

/** Why a `{pub}` that starts a call is refused, or null. `another`: a call started earlier in the same batch. */
export function callRefusal(t: ConvTopic, another: boolean): 'notImplemented' | 'permissionDenied' | 'callBusy' | null {
  if (!t.env.calls) {
    return 'notImplemented';
  }
  if (t.cat !== 'p2p') {
    return 'permissionDenied';
  }
  return t.call || another ? 'callBusy' : null;
}

/** The message of a call was stored: the call rings now, for `webrtc.call_establishment_timeout`. */
export function startCall(t: ConvTopic, req: Request<PubMsg>, msg: Message): void {
  const call: ActiveCall = {
    seq: msg.seqId,
    content: msg.content,
    mime: msg.head?.mime,
    parties: new Map([[req.sess.sid, { uid: req.asUser, originator: true, client: req.sess }]]),
    acceptedAt: 0,
    timer: null,
  };
  const seconds = t.env.calls?.timeoutSeconds ?? 30;
  call.timer = setTimeout(() => t.enqueue(() => (t.call === call ? endCall(t, '', true) : undefined), `call ${call.seq} rang out`), seconds * 1000);
  t.call = call;
}

/** `{note what="call"}`, from a user of the topic (attached, or for some events not). */
export async function handleCallNote(t: ConvTopic, req: Request<NoteMsg>): Promise<void> {
  const call = t.call;
  const n = req.msg.body;
  if (!call || n.seq !== call.seq || t.isStopping || t.deleted) {
    return;
  }
  const pud = t.perUser.get(req.asUser);
  if (!pud || pud.deleted) {
    return;
  }
  const from = userId(req.asUser);
  const sid = req.sess.sid;
  switch (n.event) {
    case 'ringing':
    case 'accept': {
      // Only while it rings, and only from the callee.
      const caller = originator(call);
      if (call.parties.size !== 1 || !caller || caller.client.sid === sid || caller.uid === req.asUser) {
        return;
      }
      if (n.event === 'accept') {
        if (!(await recordCall(t, call, 'accepted', 0))) {
          return;
        }
        call.parties.set(sid, { uid: req.asUser, originator: false, client: req.sess });
        call.acceptedAt = Date.now();
        stopRinging(call);
        // The callee's other devices stop ringing.
        callInfoToUser(t, req.asUser, from, 'accept', call.seq, n.payload, sid, false);
      }
      caller.client.send({ info: { topic: t.original(caller.uid), from, what: 'call', event: n.event, seq: call.seq } });
      return;
    }
    case 'offer':
    case 'answer':
    case 'ice-candidate': {
      // Between the two parties of an accepted call.
      if (call.parties.size !== 2 || !call.parties.has(sid)) {
        return;
      }
      const other = [...call.parties.entries()].find(([s]) => s !== sid)?.[1];
      if (other) {
        const info: InfoMsg = { topic: t.original(other.uid), from, what: 'call', event: n.event, seq: call.seq };
        if (n.payload !== undefined) info.payload = n.payload;
        other.client.send({ info });
      }
      return;
    }
    case 'hang-up': {
      if (call.parties.size === 2 && !call.parties.has(sid)) {
        // Only a party ends a call in progress.
        return;
      }
      const caller = originator(call);
      if (call.parties.size === 1 && caller && caller.uid === req.asUser && caller.client.sid !== sid) {
        // The caller's other devices cannot cancel it.
        return;
      }
      await endCall(t, from, false);
      return;
    }
    default:
      return;
  }
}

/**
 * A session left the topic (`{leave}`, gone, evicted): if it is on the call, the call ends as
 * disconnected, in the topic's inbox after what runs now.
 */
export function callPartyLeft(t: ConvTopic, sid: string): void {
  const call = t.call;
  if (call?.parties.has(sid)) {
    t.enqueue(() => (t.call === call ? endCall(t, '', false) : undefined), `call ${call.seq}: a party left`);
  }
}

/**
 * The topic stops: a call still on ends as disconnected (stored, and both sides told), unless
 * the topic itself is being deleted, when there is nowhere to store it.
 */
export async function callOnUnload(t: ConvTopic, deleted: boolean): Promise<void> {
  const call = t.call;
  if (!call) return;
  if (deleted) {
    stopRinging(call);
    t.call = null;
    return;
  }
  await endCall(t, '', false);
}

/**
 * Ends the call: `from` is the user who hung up ('' when the server ends it, `timedOut` when it
 * rang out). Stores how it ended and tells the sessions attached here, then both users' other
 * sessions on their `me`.
 */
async function endCall(t: ConvTopic, from: string, timedOut: boolean): Promise<void> {
  const call = t.call;
  if (!call) return;
  stopRinging(call);
  t.call = null;
  const caller = originator(call);
  let record: CallRecord;
  let duration = 0;
  if (from && call.parties.size === 2) {
    record = 'finished';
    duration = Date.now() - call.acceptedAt;
  } else if (from) {
    // Hung up before anyone answered: by the caller it was missed, by the callee declined.
    record = caller && from === userId(caller.uid) ? 'missed' : 'declined';
  } else {
    record = timedOut ? 'missed' : 'disconnected';
  }
  await recordCall(t, call, record, duration);
  const info: InfoMsg = { topic: caller ? t.original(caller.uid) : t.xoriginal, what: 'call', event: 'hang-up', seq: call.seq };
  t.fanOut({ info }, {});
  for (const uid of t.perUser.keys()) {
    callInfoToUser(t, uid, from, 'hang-up', call.seq, undefined, undefined, true);
  }
}

/**
 * Stores the message replacing the call's: from the caller, with the call's content and mime,
 * `head.webrtc` saying how it stands. False when it could not be stored.
 */
async function recordCall(t: ConvTopic, call: ActiveCall, record: CallRecord, duration: number): Promise<boolean> {
  const caller = originator(call);
  if (!caller) return false;
  if ((t.modeOf(caller.uid) & MODE_WRITE) === 0) {
    // The caller may no longer write here (blocked meanwhile): nothing is stored in their name.
    t.env.log.info(`topic ${t.name}: call ${call.seq} ${record}, not recorded: ${userId(caller.uid)} may not write`);
    return false;
  }
  const head: Record<string, unknown> = { replace: `:${call.seq}`, webrtc: record };
  if (duration > 0) head['webrtc-duration'] = duration;
  if (call.mime !== undefined && call.mime !== null) head.mime = call.mime;
  return publishFromServer(t, caller.uid, head, call.content);
}

/**
 * `{info what="call"}` on a user's `me` (src: the topic as the user names it), if the user hears
 * presence and reads here. `offlineOnly`: not to sessions attached to this topic (told here).
 */
function callInfoToUser(t: ConvTopic, uid: Uid, from: string, event: CallEvent, seq: number, payload: unknown, skipSid: string | undefined, offlineOnly: boolean): void {
  const pud = t.perUser.get(uid);
  const mode = pud ? pud.modeGiven & pud.modeWant : 0;
  if (!pud || pud.deleted || (mode & MODE_PRES) === 0 || (mode & MODE_READ) === 0) {
    return;
  }
  const info: InfoMsg = { topic: 'me', src: t.original(uid), what: 'call', event, seq };
  if (from) info.from = from;
  if (payload !== undefined) info.payload = payload;
  t.env.host.route(userId(uid), { kind: 'info', info, skipSid, skipTopic: offlineOnly ? t.name : undefined });
}

function originator(call: ActiveCall): CallParty | undefined {
  for (const p of call.parties.values()) {
    if (p.originator) return p;
  }
  return undefined;
}

function stopRinging(call: ActiveCall): void {
  if (call.timer) {
    clearTimeout(call.timer);
    call.timer = null;
  }
}
