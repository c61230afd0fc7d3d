import type { TinodeConfig } from '../../src/config/schema.js';
import { ConfigError } from '../../src/config/errors.js';
import { MODE_CFULL, MODE_CME_FND } from '../../src/model/access.js';
import type { AuthLevel } from '../../src/model/auth-level.js';
import { fndName, userId, type Uid } from '../../src/model/uid.js';
import { UidGenerator } from '../../src/model/uidgen.js';
import type { Adapter, UidCodec } from './adapter.js';
import { isStoreError, StoreError } from './errors.js';
import { normalizeRanges } from './ranges.js';
import { adapterNames, createAdapter } from './registry.js';
import { resolveKeys, seedKeys, type ConfiguredKeys, type DbKeys, type KeyNotice, type UidKeyFit } from './secrets.js';
import type { AuthRecord, DelMessage, DeviceDef, Message, QueryOpt, Range, Subscription, Topic, User } from './types.js';

/** How {@link Store.open} is called besides the store config. */
export interface StoreOptions {
  /** The node's snowflake worker id (0..1023). @default 1 */
  workerId?: number;
  /** `auth_config.token.key` as configured; "" (the default) means the database's own. */
  tokenKey?: string;
}

/** The adapter's id codec: refuses to work until the uid key of the database is resolved. */
class KeyedIds implements UidCodec {
  gen: UidGenerator | null = null;

  get current(): UidGenerator {
    if (!this.gen) {
      throw new Error('an id was made, encoded or decoded before the uid key of the database was resolved: call Store.unlock() first');
    }
    return this.gen;
  }

  encode(stored: bigint): Uid {
    return this.current.encode(stored);
  }

  decode(uid: Uid): bigint {
    return this.current.decode(uid);
  }
}

/**
 * The store facade: what the server and `init-db` use. It owns the adapter and the id generator
 * and adds the rules that span adapter calls (a new user gets its `me` and `fnd` subscriptions,
 * a new topic its owner's subscription, a message marks itself read by its sender...).
 *
 * Ids need the database's uid key, which may be kept in the database itself: after
 * {@link Store.open}, nothing that makes, encodes or decodes an id works until {@link unlock} has
 * resolved the keys (see server/store/secrets.ts).
 */
export class Store {
  private resolved: DbKeys | null = null;

  private constructor(
    readonly adapter: Adapter,
    private readonly ids: KeyedIds,
    private readonly workerId: number,
    private readonly configured: ConfiguredKeys,
  ) {}

  /**
   * Makes the adapter named by `store_config.use_adapter` and connects. Does not check the schema
   * (call {@link checkReady} or the init methods) nor read the keys (call {@link unlock}).
   */
  static async open(cfg: TinodeConfig['store_config'], opts: StoreOptions = {}): Promise<Store> {
    const name = cfg.use_adapter;
    const ids = new KeyedIds();
    const adapter = await createAdapter(name, { config: cfg.adapters[name], maxResults: cfg.max_results, ids });
    if (!adapter) {
      throw new ConfigError('store_config.use_adapter', `unknown adapter "${name}"`, `one of ${adapterNames().join(', ')}`);
    }
    await adapter.open();
    return new Store(adapter, ids, opts.workerId ?? 1, { tokenKey: opts.tokenKey ?? '', uidKey: cfg.uid_key });
  }

  /**
   * Creates the database (dropping it first with `reset`) with keys of its own for those the
   * config leaves empty. Call {@link unlock} afterwards, as for an existing database.
   */
  async createDb(reset: boolean): Promise<void> {
    await this.adapter.createDb(reset);
    this.ids.gen = null;
    this.resolved = null;
    await seedKeys(this.adapter, this.configured);
  }

  /**
   * Resolves the token key and the uid key of the database (the configured ones, or the ones it
   * keeps, or for a database made before keys were kept, the rules of server/store/secrets.ts),
   * storing what was decided. Call it once the schema is current (after {@link checkReady}, an
   * upgrade or {@link createDb}). Returns what the person running the server should read. Throws a
   * ConfigError naming `store_config.uid_key` when the configured uid key does not fit the data.
   */
  async unlock(): Promise<KeyNotice[]> {
    this.ids.gen = null;
    const { keys, notices } = await resolveKeys({ adapter: this.adapter, checkUidKey: (key) => this.checkUidKey(key) }, this.configured);
    this.ids.gen = new UidGenerator(this.workerId, keys.uidKey);
    this.resolved = keys;
    return notices;
  }

  /** The keys in use; throws before {@link unlock}. */
  get keys(): DbKeys {
    if (!this.resolved) {
      throw new Error('the keys of the database are not resolved yet: call Store.unlock() first');
    }
    return this.resolved;
  }

  /** Whether a uid key makes the ids the database holds agree with the `usr…` names it stores. */
  private async checkUidKey(key: Buffer): Promise<UidKeyFit> {
    this.ids.gen = new UidGenerator(this.workerId, key);
    try {
      const probe = await this.adapter.uidKeyProbe();
      return probe === null ? 'unknown' : userId(probe.uid) === probe.meTopic ? 'fits' : 'differs';
    } finally {
      this.ids.gen = null;
    }
  }

  /** Where the data lives, for logs. */
  describe(): string {
    return this.adapter.describe();
  }

  close(): Promise<void> {
    return this.adapter.close();
  }

  /** A new unique object id. */
  newUid(): Uid {
    return this.ids.current.next();
  }

  /** Throws a StoreError unless the database exists with the expected schema version. */
  checkReady(): Promise<void> {
    return this.adapter.checkDbVersion();
  }

  /** Whether the database exists (at any schema version). */
  async isInitialized(): Promise<boolean> {
    try {
      await this.adapter.getDbVersion();
      return true;
    } catch (err) {
      if (isStoreError(err, 'db-not-initialized')) {
        return false;
      }
      throw err;
    }
  }

  // ---- users ----

  /**
   * Creates a user with a new id and its `me` and `fnd` subscriptions (`private` goes to `me`).
   * Removes the half-made user if the subscriptions fail.
   */
  async createUser(fields: Omit<User, 'id' | 'createdAt' | 'updatedAt'> & { createdAt?: Date }, priv: unknown = null): Promise<User> {
    const createdAt = fields.createdAt ?? new Date();
    const user: User = { ...fields, id: this.newUid(), createdAt, updatedAt: createdAt };
    await this.adapter.userCreate(user);
    try {
      await this.adapter.topicShare('', [
        this.subscription(user.id, userId(user.id), MODE_CME_FND, MODE_CME_FND, priv, createdAt),
        this.subscription(user.id, fndName(user.id), MODE_CME_FND, MODE_CME_FND, null, createdAt),
      ]);
    } catch (err) {
      await this.adapter.userDelete(user.id, true).catch(() => undefined);
      throw err;
    }
    return user;
  }

  /** A subscription record with the given modes, created now (or at `at`). */
  subscription(user: Uid, topic: string, want: number, given: number, priv: unknown, at = new Date()): Subscription {
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

  // ---- authentication records ----

  /** Adds the `scheme:unique` record of a user. */
  addAuthRecord(uid: Uid, level: AuthLevel, scheme: string, unique: string, secret: Buffer, expires: Date | null): Promise<void> {
    return this.adapter.authAddRecord(uid, scheme, `${scheme}:${unique}`, level, secret, expires);
  }

  /** The record of `scheme:unique`, or null. */
  getAuthUniqueRecord(scheme: string, unique: string): Promise<AuthRecord | null> {
    return this.adapter.authGetUniqueRecord(`${scheme}:${unique}`);
  }

  /** The user's record of a scheme with the scheme prefix removed from `unique`, or null. */
  async getAuthRecord(uid: Uid, scheme: string): Promise<AuthRecord | null> {
    const rec = await this.adapter.authGetRecord(uid, scheme);
    if (!rec) {
      return null;
    }
    const at = rec.unique.indexOf(':');
    if (at < 0) {
      throw new StoreError('internal', 'malformed authentication record');
    }
    return { ...rec, unique: rec.unique.slice(at + 1) };
  }

  /** Changes a record; `unique` without the scheme prefix ('' keeps it). */
  updateAuthRecord(uid: Uid, level: AuthLevel, scheme: string, unique: string, secret: Buffer | null, expires: Date | null): Promise<void> {
    return this.adapter.authUpdRecord(uid, scheme, unique ? `${scheme}:${unique}` : '', level, secret, expires);
  }

  // ---- topics ----

  /**
   * Creates a group topic (or `slf`) and, when there is an owner, the owner's full subscription.
   * The subscriber count starts at 0 and the owner's subscription makes it 1.
   */
  async createTopic(
    topic: Omit<Topic, 'createdAt' | 'updatedAt' | 'touchedAt' | 'subCnt'> & { createdAt?: Date },
    ownerWant = MODE_CFULL,
    ownerPrivate: unknown = null,
    ownerGiven = MODE_CFULL,
  ): Promise<Topic> {
    const createdAt = topic.createdAt ?? new Date();
    const full: Topic = { ...topic, createdAt, updatedAt: createdAt, touchedAt: createdAt, subCnt: 0 };
    await this.adapter.topicCreate(full);
    if (full.owner !== 0n) {
      await this.adapter.topicShare(full.name, [this.subscription(full.owner, full.name, ownerWant, ownerGiven, ownerPrivate, createdAt)]);
      full.subCnt = 1;
    }
    return full;
  }

  /** Creates a p2p topic from the two users' subscriptions. */
  createP2P(initiator: Subscription, invited: Subscription): Promise<void> {
    return this.adapter.topicCreateP2P(initiator, invited);
  }

  /** Creates subscriptions to one topic (`me`/`fnd` records are not counted as subscribers). */
  createSubscriptions(...subs: Subscription[]): Promise<void> {
    const first = subs[0];
    if (!first) {
      return Promise.resolve();
    }
    if (subs.some((s) => s.topic !== first.topic)) {
      throw new StoreError('malformed', 'subscriptions must be to the same topic');
    }
    const ephemeral = first.topic.startsWith('usr') || first.topic.startsWith('fnd');
    return this.adapter.topicShare(ephemeral ? '' : first.topic, subs);
  }

  // ---- messages ----

  /**
   * Saves messages of one topic in one transaction with the topic's seq; when `readBySender`,
   * each sender's read and recv marks move to their message. Read marks leave the subscription's
   * `updatedAt` alone: a contact list asked for changes since a time (`ims`) does not report them.
   */
  async saveMessages(topic: string, msgs: Message[], readBySender: boolean): Promise<void> {
    await this.adapter.messageSaveAll(topic, msgs);
    if (readBySender) {
      const last = new Map<Uid, number>();
      for (const m of msgs) {
        if (m.from !== 0n) {
          last.set(m.from, Math.max(last.get(m.from) ?? 0, m.seqId));
        }
      }
      for (const [from, seq] of last) {
        await this.adapter.subsUpdate(topic, from, { recvSeqId: seq, readSeqId: seq });
      }
    }
  }

  /**
   * Deletes messages: hard (`forUser` zero) or for one user; `delId` 0 deletes everything.
   * Records the delete id on the topic and on the subscription(s) concerned (their `updatedAt`
   * stays: a deletion is not a change of the subscription a contact list reports).
   */
  async deleteMessages(topic: string, delId: number, forUser: Uid, msgDelAgeMs: number, ranges: Range[]): Promise<void> {
    if (delId <= 0) {
      await this.adapter.messageDeleteList(topic, null);
      return;
    }
    const toDel: DelMessage = { topic, deletedFor: forUser, delId, ranges };
    if (forUser === 0n && msgDelAgeMs > 0) {
      toDel.newerThan = new Date(Date.now() - msgDelAgeMs);
    }
    await this.adapter.messageDeleteList(topic, toDel);
    await this.adapter.topicUpdate(topic, { delId });
    await this.adapter.subsUpdate(topic, forUser, { delId });
  }

  /** Deleted ranges visible to the user, merged, and the largest delete id among them. */
  async getDeletedRanges(topic: string, forUser: Uid, opts?: QueryOpt): Promise<{ ranges: Range[]; maxDelId: number }> {
    const recs = await this.adapter.messageGetDeleted(topic, forUser, opts);
    let maxDelId = 0;
    const all: Range[] = [];
    for (const r of recs) {
      maxDelId = Math.max(maxDelId, r.delId);
      all.push(...r.ranges);
    }
    return { ranges: normalizeRanges(all), maxDelId };
  }

  // ---- devices ----

  /** Replaces `oldDeviceId` (if different) with `dev` for the user. */
  async updateDevice(uid: Uid, oldDeviceId: string, dev: DeviceDef | null): Promise<void> {
    if (oldDeviceId && (!dev || dev.deviceId !== oldDeviceId)) {
      await this.adapter.deviceDelete(uid, oldDeviceId).catch((err: unknown) => {
        if (!isStoreError(err, 'not-found')) {
          throw err;
        }
      });
    }
    if (dev?.deviceId) {
      await this.adapter.deviceUpsert(uid, dev);
    }
  }
}
