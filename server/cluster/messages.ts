import type { AuthLevel } from '../../src/model/auth-level.js';
import type { Uid } from '../../src/model/uid.js';
import type { ClientMessage } from '../../src/wire/client-messages.js';
import type { ReplyKind } from '../../src/wire/replies.js';
import type { ServerMessage } from '../../src/wire/server-messages.js';
import type { ResolvedTopic } from '../request/topic-name.js';
import type { Routed } from '../topic/routed.js';

/** What nodes send each other (encoded with node-codec). */

/** The calls of a topic router that go to a topic's master. */
export type TopicOp = 'join' | 'leave' | 'publish' | 'meta' | 'metaDetached' | 'deleteTopic' | 'note';

/** A session as its node describes it to a topic's master, with each request (it may change). */
export interface ClientSnapshot {
  sid: string;
  uid: Uid;
  authLvl: AuthLevel;
  background: boolean;
  userAgent: string;
  lang: string;
  countryCode: string;
}

/** A request as the master gets it: the session side's Request without the session. */
export interface RequestData {
  msg: ClientMessage;
  asUser: Uid;
  authLvl: AuthLevel;
  ts: Date;
  original: string;
  rcptTo: string;
  target?: ResolvedTopic;
}

export type NodeRequest =
  /** A topic request forwarded to its master. */
  | { op: 'topic'; kind: TopicOp; from: string; client: ClientSnapshot; req: RequestData }
  /** The asking node is the topic's master now: stop serving it here. */
  | { op: 'release'; from: string; name: string }
  /** An account is suspended or deleted: end its sessions and stop its topics here. */
  | { op: 'stopUser'; from: string; uid: Uid };

export type NodeReply =
  | { ok: true }
  /** This node is not the topic's master (any more): ask again where the ring says now. */
  | { moved: true }
  | { err: { kind: ReplyKind; params?: Record<string, unknown>; topic?: string } };

/** What a master sends the sessions of one node, in order (gathered in a batch). */
export type BatchEntry =
  /** A message for these sessions. */
  | { t: 'm'; s: string[]; soon?: boolean; m: ServerMessage }
  /** A topic attached the session. */
  | { t: 'a'; s: string; n: string }
  /** A topic detached the session; `moved` when the topic left that node. */
  | { t: 'd'; s: string; n: string; moved?: boolean };

export type NodeEvent =
  /** Master → origin: messages and attachments for sessions of the origin. */
  | { t: 'b'; f: string; e: BatchEntry[] }
  /** Origin → master: the session is gone. */
  | { t: 'gone'; f: string; s: string }
  /** Origin → master: the background session came to the foreground. */
  | { t: 'fg'; f: string; s: string }
  /** Origin → master: the session's user agent, seen in a request (for `me`). */
  | { t: 'ua'; f: string; s: string; uid: Uid; ua: string }
  /** Any node → master: presence or info for a topic. */
  | { t: 'r'; n: string; r: Routed };
