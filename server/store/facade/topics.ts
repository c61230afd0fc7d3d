import { MODE_CFULL } from '../../../src/model/access.js';
import type { Uid } from '../../../src/model/uid.js';
import type { Adapter } from '../contract/adapter.js';
import type { QueryOpt, Subscription, Topic, TopicUpdate } from '../contract/types.js';
import { newSubscription } from './subs.js';

/** What {@link Topics.create} is given: a topic without its times and subscriber count. */
export type NewTopic = Omit<Topic, 'createdAt' | 'updatedAt' | 'touchedAt' | 'subCnt'> & { createdAt?: Date };

/** Topics (`store.topics`): group, channel, p2p and `slf` topics and the `sys` topic. */
export class Topics {
  readonly #a: Adapter;

  constructor(adapter: Adapter) {
    this.#a = adapter;
  }

  /**
   * Creates a group topic (or `slf`), created now unless `createdAt` is given, and, when it has an
   * owner (non-zero), the owner's subscription with the given modes and private value. The
   * subscriber count starts at 0 and the owner's subscription makes it 1. Returns what was stored.
   */
  async create(topic: NewTopic, ownerWant = MODE_CFULL, ownerPrivate: unknown = null, ownerGiven = MODE_CFULL): Promise<Topic> {
    const createdAt = topic.createdAt ?? new Date();
    const full: Topic = { ...topic, createdAt, updatedAt: createdAt, touchedAt: createdAt, subCnt: 0 };
    await this.#a.topicCreate(full);
    if (full.owner !== 0n) {
      await this.#a.topicShare(full.name, [newSubscription(full.owner, full.name, ownerWant, ownerGiven, ownerPrivate, createdAt)]);
      full.subCnt = 1;
    }
    return full;
  }

  /**
   * Creates a p2p topic with both subscriptions. The initiator's subscription is (re)set; the
   * invited user's is created, or revived with its private value kept.
   */
  createP2P(initiator: Subscription, invited: Subscription): Promise<void> {
    return this.#a.topicCreateP2P(initiator, invited);
  }

  /**
   * A topic by name (including deleted ones), or null. A group topic's subscriber count is
   * recounted (live subscriptions under its `grp…` and `chn…` names) and stored when it differed.
   */
  get(name: string): Promise<Topic | null> {
    return this.#a.topicGet(name);
  }

  /**
   * A topic's subscriptions (not channel readers) with each user's public, trusted and last seen;
   * for p2p topics, those of the other user.
   */
  getUsers(topic: string, keepDeleted: boolean, opts?: QueryOpt): Promise<Subscription[]> {
    return this.#a.usersForTopic(topic, keepDeleted, opts);
  }

  /** Deletes a topic: hard removes it with subscriptions, messages and logs; soft marks it deleted. */
  delete(topic: string, isChan: boolean, hard: boolean): Promise<void> {
    return this.#a.topicDelete(topic, isChan, hard);
  }

  /** Records a new message: the topic's seq becomes `seqId` and touched becomes the message time. */
  updateOnMessage(topic: string, seqId: number, at: Date): Promise<void> {
    return this.#a.topicUpdateOnMessage(topic, seqId, at);
  }

  /** Recounts a group topic's subscribers: live subscriptions under its `grp…` and `chn…` names. */
  updateSubCnt(topic: string): Promise<void> {
    return this.#a.topicUpdateSubCnt(topic);
  }

  /** Updates the given fields (tags are re-indexed). Without `touchedAt`, `updatedAt` also sets it. */
  update(topic: string, update: TopicUpdate): Promise<void> {
    return this.#a.topicUpdate(topic, update);
  }

  /** Sets the topic's owner (subscriptions are the caller's to change). */
  ownerChange(topic: string, newOwner: Uid): Promise<void> {
    return this.#a.topicOwnerChange(topic, newOwner);
  }
}
