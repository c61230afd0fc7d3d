import type { AuthLevel } from '../../../src/model/auth-level.js';
import type { Uid } from '../../../src/model/uid.js';
import type {
  AuthRecord,
  AvatarOwners,
  Credential,
  DelMessage,
  DelRecord,
  DeviceDef,
  FileDef,
  Message,
  MessageBatch,
  QueryOpt,
  SeqMarks,
  Subscription,
  SubscriptionUpdate,
  Topic,
  TopicUpdate,
  User,
  UserUpdate,
} from './types.js';

/**
 * The contract every database adapter fulfils (the reference server's `adapter.Adapter`).
 * Methods are asynchronous and never partially apply a multi-row change: each runs in one
 * transaction. Errors are {@link StoreError}s where the caller can act on them (`duplicate`,
 * `not-found`, `db-not-initialized`, `db-version`); anything else is an internal failure.
 * Ids are client-visible {@link Uid}s; topic names are as stored (`usr…` for a user's `me`,
 * `fnd…`, `p2p…`, `grp…`, `chn…` for channel readers, `slf…`, `sys`).
 */
export interface Adapter {
  /** Registry name: `sqlite`, `mysql`, `postgres`. */
  readonly name: string;
  /** The schema version this adapter creates and requires. */
  readonly schemaVersion: number;
  /**
   * How many message commits ({@link messageCommit}, {@link messageSaveAll}) the store keeps in
   * flight at once: 1 where the database has one writer (SQLite), a few over a connection pool.
   */
  readonly commitConcurrency: number;
  /** Where the data lives, for logs (`SQLite ./data/tinode.db`). */
  describe(): string;

  // ---- lifecycle ----

  /** Connects. A missing database is not an error here: {@link getDbVersion} reports it. */
  open(): Promise<void>;
  /** Releases connections; pending queries finish first. Safe to call twice. */
  close(): Promise<void>;
  /** The schema version recorded in the database; throws `db-not-initialized` when there is none. */
  getDbVersion(): Promise<number>;
  /** Throws `db-not-initialized` or `db-version` unless the database matches {@link schemaVersion}. */
  checkDbVersion(): Promise<void>;
  /**
   * Creates the database and its tables, with the `sys` topic and the version record.
   * With `reset`, drops an existing database first; without it, fails if tables exist.
   */
  createDb(reset: boolean): Promise<void>;
  /**
   * Brings an older schema up to {@link schemaVersion}, keeping the data, then repairs what older
   * servers may have stored wrong (group member counts); `log` hears each step and each repair.
   * On a current schema only the repairs run.
   */
  upgradeDb(log?: (msg: string) => void): Promise<void>;
  /** Whether the database holds any user (init-db refuses to load data over them). */
  hasUsers(): Promise<boolean>;
  /**
   * A sample to check the uid key against the data: one user's id, made from its stored value with
   * the {@link UidCodec} in use, and the name of that user's `me` topic as stored with its
   * subscription; null when no user has a `me` subscription. A user's `me` subscription is stored
   * under its client-visible id (`usr…`, by this server and the reference alike), so the two agree
   * (`userId(uid) === meTopic`) exactly when the codec's key is the one the database's ids were
   * made with.
   */
  uidKeyProbe(): Promise<{ uid: Uid; meTopic: string } | null>;

  // ---- users ----

  /** Inserts a user and indexes its tags; `duplicate` when a tag is taken. */
  userCreate(user: User): Promise<void>;
  /** A user that is not deleted, or null. */
  userGet(uid: Uid): Promise<User | null>;
  /** The users among `uids` that exist and are not deleted, in no particular order. */
  userGetAll(uids: Uid[]): Promise<User[]>;
  /**
   * Deletes a user. Soft: marks the user, its subscriptions and the topics it owns (and its p2p
   * topics) deleted. Hard: removes the user, its auth records, credentials, devices, tags,
   * subscriptions, soft-deletion log, and the topics it owns with their messages; its messages
   * elsewhere stay, attributed to a user that no longer exists.
   */
  userDelete(uid: Uid, hard: boolean): Promise<void>;
  /** Updates the given fields. Changing `state` also changes owned and p2p topics (not deleted ones). */
  userUpdate(uid: Uid, update: UserUpdate): Promise<void>;
  /**
   * Changes indexed tags: with `reset`, replaces all tags; otherwise adds `add` (ignoring ones
   * the user has) and removes `remove`. Returns the tags after the change. `duplicate` when a
   * unique tag is taken by another user.
   */
  userUpdateTags(uid: Uid, add: string[], remove: string[], reset: string[] | null): Promise<string[]>;
  /** The user who owns a validated credential `method:value`, or zero. */
  userGetByCred(method: string, value: string): Promise<Uid>;
  /** Unread message counts (topic seq minus read seq) over subscriptions with R, per user. */
  userUnreadCount(uids: Uid[]): Promise<Map<Uid, number>>;
  /** Up to `limit` users never seen, with no validated credential, last updated before the time. */
  userGetUnvalidated(lastUpdatedBefore: Date, limit: number): Promise<Uid[]>;

  // ---- credentials ----

  /**
   * Adds or updates a credential. A validated one must be unique (`duplicate` otherwise) and
   * replaces the user's unvalidated record of the same value. An unvalidated one fails with
   * `duplicate` when anyone validated the value, soft-deletes the user's other unvalidated records
   * of the method, and revives its own record if it had one. Returns true when a row was inserted.
   */
  credUpsert(cred: Credential): Promise<boolean>;
  /** The user's current unvalidated credential of the method, or null. */
  credGetActive(uid: Uid, method: string): Promise<Credential | null>;
  /** The user's credentials (of one method when given), all or validated only. */
  credGetAll(uid: Uid, method: string, validatedOnly: boolean): Promise<Credential[]>;
  /**
   * Deletes credentials: all of the user's when `method` is '' (hard); otherwise the given one,
   * hard when validated or never tried, soft otherwise (so retries are not reset by re-adding).
   * `not-found` when nothing matched.
   */
  credDel(uid: Uid, method: string, value: string): Promise<void>;
  /** Marks the user's unvalidated credential of the method validated; `not-found` if none. */
  credConfirm(uid: Uid, method: string): Promise<void>;
  /** Counts one failed validation attempt. */
  credFail(uid: Uid, method: string): Promise<void>;

  // ---- authentication records ----

  /** The record with the unique value (`basic:alice`), or null. */
  authGetUniqueRecord(unique: string): Promise<AuthRecord | null>;
  /** The user's record of a scheme, or null. */
  authGetRecord(uid: Uid, scheme: string): Promise<AuthRecord | null>;
  /** Adds a record; `duplicate` when the unique value or the user's scheme is taken. */
  authAddRecord(uid: Uid, scheme: string, unique: string, level: AuthLevel, secret: Buffer, expires: Date | null): Promise<void>;
  /** Removes the user's record of a scheme. */
  authDelScheme(uid: Uid, scheme: string): Promise<void>;
  /** Removes all the user's records; returns how many. */
  authDelAllRecords(uid: Uid): Promise<number>;
  /**
   * Changes a record: the level always; unique, secret and expiry only when given (non-empty).
   * `not-found` when the user has no record of the scheme; `duplicate` when the unique is taken.
   */
  authUpdRecord(uid: Uid, scheme: string, unique: string, level: AuthLevel, secret: Buffer | null, expires: Date | null): Promise<void>;

  // ---- topics ----

  /**
   * Inserts a topic and indexes its tags. Its subscriber count is stored as given: subscriptions
   * added afterwards with {@link topicShare} count themselves.
   */
  topicCreate(topic: Topic): Promise<void>;
  /**
   * Creates a p2p topic with both subscriptions. The initiator's subscription is (re)set; the
   * invited user's is created, or revived with its private value kept.
   */
  topicCreateP2P(initiator: Subscription, invited: Subscription): Promise<void>;
  /**
   * A topic by name (including deleted ones), or null. A group topic's subscriber count is
   * recounted (live subscriptions under its `grp…` and `chn…` names) and stored when it differed.
   */
  topicGet(name: string): Promise<Topic | null>;
  /**
   * A user's subscriptions except `me` and `fnd`, each with the topic's (or, for p2p, the peer's)
   * public, trusted, seq, touched, state and last seen in `extra`. With `ifModifiedSince`, only
   * those changed after it; with `limit`, the least recently changed first.
   */
  topicsForUser(uid: Uid, keepDeleted: boolean, opts?: QueryOpt): Promise<Subscription[]>;
  /**
   * A topic's subscriptions (not channel readers) with each user's public, trusted and last seen.
   * For p2p topics, public, trusted and last seen are those of the other user.
   */
  usersForTopic(topic: string, keepDeleted: boolean, opts?: QueryOpt): Promise<Subscription[]>;
  /** Names of the topics the user owns (not deleted). */
  ownTopics(uid: Uid): Promise<string[]>;
  /** `chn…` names of channels the user reads with notifications (P) on. */
  channelsForUser(uid: Uid): Promise<string[]>;
  /**
   * Creates or revives subscriptions to one topic (`topic` empty for `me`/`fnd` records). The
   * group's subscriber count (`chn…` names count for their group) grows by the subscriptions that
   * were missing or deleted; re-creating a live one changes it but does not count it twice.
   */
  topicShare(topic: string, subs: Subscription[]): Promise<void>;
  /** Deletes a topic: hard removes it with subscriptions, messages and logs; soft marks it deleted. */
  topicDelete(topic: string, isChan: boolean, hard: boolean): Promise<void>;
  /** Records a new message: the topic's seq becomes `seqId` and touched becomes the message time. */
  topicUpdateOnMessage(topic: string, seqId: number, at: Date): Promise<void>;
  /** Recounts a group topic's subscribers: live subscriptions under its `grp…` and `chn…` names. */
  topicUpdateSubCnt(topic: string): Promise<void>;
  /** Updates the given fields (tags are re-indexed). Without `touchedAt`, `updatedAt` also sets it. */
  topicUpdate(topic: string, update: TopicUpdate): Promise<void>;
  /** Sets the topic's owner. */
  topicOwnerChange(topic: string, newOwner: Uid): Promise<void>;

  // ---- subscriptions ----

  /** One subscription, or null (deleted ones only with `keepDeleted`). */
  subscriptionGet(topic: string, user: Uid, keepDeleted: boolean): Promise<Subscription | null>;
  /**
   * All the user's live subscriptions, without private values except that of the user's own `usr`
   * subscription (so `me` loads with one read).
   */
  subsForUser(uid: Uid): Promise<Subscription[]>;
  /** A topic's subscriptions (one user's with `opts.user`), at most `max_results` unless `opts.all`. */
  subsForTopic(topic: string, keepDeleted: boolean, opts?: QueryOpt): Promise<Subscription[]>;
  /** Updates one subscription, or every subscription of the topic when `user` is zero. */
  subsUpdate(topic: string, user: Uid, update: SubscriptionUpdate): Promise<void>;
  /** Soft-deletes one live subscription and forgets the user's soft-deleted messages there; `not-found` if none. */
  subsDelete(topic: string, user: Uid): Promise<void>;

  // ---- search ----

  /**
   * Users and group topics whose tags match: each set in `req` must match at least one tag,
   * `opt` tags add to the rank. Results are subscriptions (topic = `usr…` or topic name, `chn…`
   * for channels) with public, trusted, default access and the matched tags in `extra`, sorted by
   * rank (tags with `prefix` count most), then subscriber count; `caller` is left out.
   */
  find(caller: string, prefix: string, req: string[][], opt: string[], activeOnly: boolean): Promise<Subscription[]>;
  /** The topic name or `usr…` id holding a tag, or ''. */
  findOne(tag: string): Promise<string>;

  // ---- messages ----

  /** Inserts a message and sets its `id` to the row id. */
  messageSave(msg: Message): Promise<void>;
  /**
   * Inserts messages of one topic and advances the topic's seq and touched time, in one
   * transaction (group commit). Sets each message's `id`. `marks` move those subscriptions' recv
   * (and read) marks in the same transaction, leaving their `updatedAt` alone; with no messages,
   * only the marks are stored.
   */
  messageSaveAll(topic: string, msgs: Message[], marks?: ReadonlyMap<Uid, SeqMarks>): Promise<void>;
  /**
   * What {@link messageSaveAll} does for each batch (of any topics, each topic at most once), all
   * in one transaction: every batch is stored, or none is.
   */
  messageCommit(batches: readonly MessageBatch[]): Promise<void>;
  /** Messages visible to `forUser` (not hard-deleted, not soft-deleted for them), newest first. */
  messageGetAll(topic: string, forUser: Uid, opts?: QueryOpt): Promise<Message[]>;
  /**
   * Deletes messages. `null` deletes every message of the topic. A soft delete logs the ranges
   * for the user; a hard delete clears the content of the messages still present (and their file
   * links) and logs the ranges actually deleted.
   */
  messageDeleteList(topic: string, toDel: DelMessage | null): Promise<void>;
  /** Delete operations with ids in [since, before) visible to `forUser` (hard ones and their own). */
  messageGetDeleted(topic: string, forUser: Uid, opts?: QueryOpt): Promise<DelRecord[]>;

  // ---- devices ----

  /** Saves a push device for the user; a device id belongs to one user only. */
  deviceUpsert(uid: Uid, dev: DeviceDef): Promise<void>;
  /** Devices per user, and the total count. */
  deviceGetAll(uids: Uid[]): Promise<{ devices: Map<Uid, DeviceDef[]>; count: number }>;
  /** Deletes one device of the user, or all with ''; `not-found` when none. */
  deviceDelete(uid: Uid, deviceId: string): Promise<void>;

  // ---- files ----

  /** Records the start of an upload. */
  fileStartUpload(fd: FileDef): Promise<void>;
  /** Completes an upload (size, etag, location) or drops its record on failure. */
  fileFinishUpload(fd: FileDef, success: boolean, size: number): Promise<FileDef>;
  /** A file record, or null. */
  fileGet(fid: Uid): Promise<FileDef | null>;
  /** Deletes up to `limit` records nobody links to (updated before `olderThan`); returns their locations. */
  fileDeleteUnused(olderThan: Date | null, limit: number): Promise<string[]>;
  /**
   * Links files to a message (by row id), or else to a topic or user (avatar: one file, replacing
   * the previous link). `malformed` when nothing to link to.
   */
  fileLinkAttachments(topic: string, userId: Uid, msgId: number, fids: Uid[]): Promise<void>;
  /**
   * Who a file is linked to as an avatar: the users and the topics whose avatar link names it
   * (links to messages are not counted). Both empty when the file is no avatar, or is unknown.
   * The link alone does not make a file the current avatar: the caller compares it with the
   * owner's `public.photo.ref`.
   */
  fileAvatarOwners(fid: Uid): Promise<AvatarOwners>;

  // ---- persistent cache (kvmeta) ----

  /** A value, or throws `not-found`. */
  pcacheGet(key: string): Promise<string>;
  /** Sets a value; with `failOnDuplicate`, `duplicate` when the key exists. */
  pcacheUpsert(key: string, value: string, failOnDuplicate: boolean): Promise<void>;
  pcacheDelete(key: string): Promise<void>;
  /** Deletes entries with the key prefix created before the time. */
  pcacheExpire(keyPrefix: string, olderThan: Date): Promise<void>;
}

/** Translates client-visible ids to the values a SQL database stores, and back. */
export interface UidCodec {
  encode(stored: bigint): Uid;
  decode(uid: Uid): bigint;
  /**
   * The uid key in use, null while none is: an adapter that encodes ids elsewhere (in a worker
   * thread) gives that place the same key. The same object while the key does not change.
   */
  readonly key: Uint8Array | null;
}

/** What an adapter factory receives. */
export interface AdapterOptions {
  /** The adapter's own config section (`store_config.adapters.<name>`). */
  config: unknown;
  /** `store_config.max_results`. */
  maxResults: number;
  ids: UidCodec;
  /** The connection may live in a worker thread, where the adapter's config asks for one. @default false */
  offThread?: boolean;
  /** Where the adapter reports what the operator should know (a restarted worker thread). */
  warn?: (text: string) => void;
}
