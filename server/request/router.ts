import type { Uid } from '../../src/model/uid.js';
import type { DelMsg, GetMsg, LeaveMsg, NoteMsg, PubMsg, SetMsg, SubMsg } from '../../src/wire/client-messages.js';
import type { Client } from './client.js';
import type { Request } from './request.js';

/**
 * How requests reach topics: the only way the session side talks to them. The hub implements it
 * for topics in this process; in a cluster the same calls go to the node that owns a topic. Each
 * call settles when the topic has handled the request (its replies sent to the request's client);
 * a refusal is thrown as the request's reply.
 */
export interface TopicRouter {
  /** `{sub}`: loads the topic (creating it for `new…`/`nch…` and p2p) and subscribes. */
  join(req: Request<SubMsg>): Promise<void>;
  /** `{leave}` from a client attached to the topic. */
  leave(req: Request<LeaveMsg>): Promise<void>;
  /** `{pub}`: to an attached topic, or to `sys`, which takes messages from anyone. */
  publish(req: Request<PubMsg>): Promise<void>;
  /** `{get}`, `{set}` and `{del}` (but `del topic`) on an attached topic. */
  meta(req: Request<GetMsg | SetMsg | DelMsg>): Promise<void>;
  /** What a client not attached to a topic may ask: its description, its own subscription. */
  metaDetached(req: Request<GetMsg | SetMsg>): Promise<void>;
  /** `{del what="topic"}`, attached or not: the owner deletes it, members leave it. */
  deleteTopic(req: Request<DelMsg>): Promise<void>;
  /**
   * `{note}` to an attached topic, or (receipts, a callee's answers to a call) to a live topic the
   * client is not attached to; notes are never answered.
   */
  note(req: Request<NoteMsg>): Promise<void>;
  /** The client made a request: its user agent counts as its user's latest. */
  userAgentSeen(client: Client, uid: Uid): void;
  /** A background client came to the foreground: its topics count it online now. */
  toForeground(client: Client): void;
  /** The client went away: every topic it is attached to detaches it. */
  detachAll(client: Client): void;
  /** Stops the live topics of a user being deleted (p2p topics, owned groups, me, fnd, slf). */
  stopTopicsForUser(uid: Uid): Promise<void>;
  /** Tells the contacts a user had in these topics that the user is gone (account deleted). */
  announceGone(uid: Uid, topics: readonly string[]): void;
}
