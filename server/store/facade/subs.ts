import type { Uid } from '../../../src/model/uid.js';
import type { Adapter } from '../contract/adapter.js';
import { StoreError } from '../contract/errors.js';
import type { QueryOpt, SeqMarks, Subscription, SubscriptionUpdate } from '../contract/types.js';
import type { GroupCommit } from './group-commit.js';

/**
 * A subscription record with the given modes, created at `at` (now by default), with no read,
 * received or delete marks. Nothing is stored: pass it to {@link Subs.create} or a topic creator.
 */
export function newSubscription(user: Uid, topic: string, want: number, given: number, priv: unknown, at = new Date()): Subscription {
  return {
    createdAt: at,
    updatedAt: at,
    deletedAt: null,
    user,
    topic,
    delId: 0,
    recvSeqId: 0,
    readSeqId: 0,
    modeWant: want,
    modeGiven: given,
    private: priv,
  };
}

/** Subscriptions (`store.subs`): a user's relation to a topic, its modes and its marks. */
export class Subs {
  readonly #a: Adapter;
  readonly #commits: GroupCommit;

  /** `commits` batches marks with the messages of the same turn (one per store). */
  constructor(adapter: Adapter, commits: GroupCommit) {
    this.#a = adapter;
    this.#commits = commits;
  }

  /**
   * Creates or revives subscriptions to one topic. `me`/`fnd` records (`usr…`, `fnd…` topics) are
   * not counted as subscribers; others add to the group's count once each. Throws `malformed`
   * (synchronously) when the subscriptions are not all to the same topic; none is a no-op.
   */
  create(...subs: Subscription[]): Promise<void> {
    const first = subs[0];
    if (!first) {
      return Promise.resolve();
    }
    if (subs.some((s) => s.topic !== first.topic)) {
      throw new StoreError('malformed', 'subscriptions must be to the same topic');
    }
    const ephemeral = first.topic.startsWith('usr') || first.topic.startsWith('fnd');
    return this.#a.topicShare(ephemeral ? '' : first.topic, subs);
  }

  /** One subscription, or null (deleted ones only with `keepDeleted`). */
  get(topic: string, user: Uid, keepDeleted: boolean): Promise<Subscription | null> {
    return this.#a.subscriptionGet(topic, user, keepDeleted);
  }

  /** All the user's live subscriptions (`me` and `fnd` included), without private values. */
  forUser(uid: Uid): Promise<Subscription[]> {
    return this.#a.subsForUser(uid);
  }

  /** A topic's subscriptions (one user's with `opts.user`), without the users' public data. */
  forTopic(topic: string, keepDeleted: boolean, opts?: QueryOpt): Promise<Subscription[]> {
    return this.#a.subsForTopic(topic, keepDeleted, opts);
  }

  /** Updates one subscription, or every subscription of the topic when `user` is zero. */
  update(topic: string, user: Uid, update: SubscriptionUpdate): Promise<void> {
    return this.#a.subsUpdate(topic, user, update);
  }

  /**
   * Moves a subscriber's recv mark (and read mark, when given) as a `{note}` does, in the next
   * group commit with the messages and marks of other topics; settles once committed. The
   * subscription's `updatedAt` stays (contact lists asked with `ims` do not report it).
   */
  moveMarks(topic: string, user: Uid, marks: SeqMarks): Promise<void> {
    return this.#commits.add({ topic, msgs: [], marks: new Map([[user, marks]]) });
  }

  /** Soft-deletes one live subscription and forgets the user's soft-deleted messages there; `not-found` if none. */
  delete(topic: string, user: Uid): Promise<void> {
    return this.#a.subsDelete(topic, user);
  }
}
