import { MODE_CME_FND } from '../../../src/model/access.js';
import { fndName, userId, type Uid } from '../../../src/model/uid.js';
import type { Adapter } from '../contract/adapter.js';
import type { QueryOpt, Subscription, User, UserUpdate } from '../contract/types.js';
import { newSubscription } from './subs.js';

/** What {@link Users.create} is given: a user without its id and update time. */
export type NewUser = Omit<User, 'id' | 'createdAt' | 'updatedAt'> & { createdAt?: Date };

/** Most user records {@link Users.get} keeps; past it the kept ones are let go at once. */
const MAX_KEPT_READS = 1024;
/**
 * How long a kept record is served (ms). Writes through this store are seen at once (see
 * {@link Users.get}); the age bounds what a write by another process could leave unseen.
 */
const KEPT_READ_MS = 1000;

/** A record as read, with the write count before the read and when it was read. */
interface KeptRead {
  readonly user: User | null;
  readonly writes: number;
  readonly at: number;
}

/** Users (`store.users`): accounts, their tags, and the topics they take part in. */
export class Users {
  readonly #a: Adapter;
  readonly #newUid: () => Uid;
  /**
   * Writes to user records through this store, counted when each starts and when it ends: a
   * kept read is current only while the count has not moved since before it was read.
   */
  #writes = 0;
  readonly #kept = new Map<Uid, KeptRead>();

  constructor(adapter: Adapter, newUid: () => Uid) {
    this.#a = adapter;
    this.#newUid = newUid;
  }

  /**
   * Creates a user with a new id, created now unless `createdAt` is given, and its `me` and `fnd`
   * subscriptions (`priv` goes to `me`). Removes the half-made user if the subscriptions fail.
   * `duplicate` when a unique tag is taken.
   */
  async create(fields: NewUser, priv: unknown = null): Promise<User> {
    const createdAt = fields.createdAt ?? new Date();
    const user: User = { ...fields, id: this.#newUid(), createdAt, updatedAt: createdAt };
    await this.#write(() => this.#a.userCreate(user));
    try {
      await this.#a.topicShare('', [
        newSubscription(user.id, userId(user.id), MODE_CME_FND, MODE_CME_FND, priv, createdAt),
        newSubscription(user.id, fndName(user.id), MODE_CME_FND, MODE_CME_FND, null, createdAt),
      ]);
    } catch (err) {
      await this.#write(() => this.#a.userDelete(user.id, true)).catch(() => undefined);
      throw err;
    }
    return user;
  }

  /**
   * A user that is not deleted, or null. A session setup reads its user twice (at login, then
   * when `me` loads) and other requests read one again soon after: a record read less than a
   * second ago is served again (a copy) as long as no user record has been written through this
   * store since, so every write is seen by the next read.
   */
  async get(uid: Uid): Promise<User | null> {
    const kept = this.#kept.get(uid);
    if (kept && kept.writes === this.#writes && performance.now() - kept.at < KEPT_READ_MS) {
      return kept.user && structuredClone(kept.user);
    }
    const writes = this.#writes;
    const user = await this.#a.userGet(uid);
    if (this.#kept.size >= MAX_KEPT_READS) {
      this.#kept.clear();
    }
    this.#kept.set(uid, { user: user && structuredClone(user), writes, at: performance.now() });
    return user;
  }

  /** Runs a write to user records, counted before and after (see {@link get}). */
  async #write<T>(op: () => Promise<T>): Promise<T> {
    this.#writes++;
    try {
      return await op();
    } finally {
      this.#writes++;
    }
  }

  /** The users among `uids` that exist and are not deleted, in no particular order. */
  getAll(uids: Uid[]): Promise<User[]> {
    return this.#a.userGetAll(uids);
  }

  /**
   * Deletes a user. Soft: marks the user, its subscriptions, the topics it owns and its p2p topics
   * deleted. Hard: removes the user with everything of its own (auth records, credentials, devices,
   * tags, subscriptions, owned topics with their messages); its messages elsewhere stay.
   */
  delete(uid: Uid, hard: boolean): Promise<void> {
    return this.#write(() => this.#a.userDelete(uid, hard));
  }

  /** Updates the given fields. Changing `state` also changes owned and p2p topics (not deleted ones). */
  update(uid: Uid, update: UserUpdate): Promise<void> {
    return this.#write(() => this.#a.userUpdate(uid, update));
  }

  /**
   * Changes indexed tags: with `reset`, replaces all tags; otherwise adds `add` (ignoring ones the
   * user has) and removes `remove`. Returns the tags after the change; `duplicate` when a unique
   * tag is taken by another user.
   */
  updateTags(uid: Uid, add: string[], remove: string[], reset: string[] | null): Promise<string[]> {
    return this.#write(() => this.#a.userUpdateTags(uid, add, remove, reset));
  }

  /** The user who owns the validated credential `method:value`, or zero. */
  getByCred(method: string, value: string): Promise<Uid> {
    return this.#a.userGetByCred(method, value);
  }

  /** Unread message counts (topic seq minus read seq) over subscriptions with R, per user. */
  unreadCount(uids: Uid[]): Promise<Map<Uid, number>> {
    return this.#a.userUnreadCount(uids);
  }

  /** Up to `limit` users never seen, with no validated credential, last updated before the time. */
  getUnvalidated(lastUpdatedBefore: Date, limit: number): Promise<Uid[]> {
    return this.#a.userGetUnvalidated(lastUpdatedBefore, limit);
  }

  /**
   * The user's contact list: subscriptions except `me` and `fnd`, each with the topic's (for p2p,
   * the peer's) public, trusted, seq, touched, state and last seen in `extra`. With
   * `ifModifiedSince`, only those changed after it; with `limit`, the least recently changed first.
   */
  getTopics(uid: Uid, keepDeleted: boolean, opts?: QueryOpt): Promise<Subscription[]> {
    return this.#a.topicsForUser(uid, keepDeleted, opts);
  }

  /** Names of the topics the user owns (not deleted). */
  getOwnTopics(uid: Uid): Promise<string[]> {
    return this.#a.ownTopics(uid);
  }

  /** `chn…` names of the channels the user reads with notifications (P) on. */
  getChannels(uid: Uid): Promise<string[]> {
    return this.#a.channelsForUser(uid);
  }
}
