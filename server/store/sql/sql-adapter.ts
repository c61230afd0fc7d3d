import knexFactory, { type Knex } from 'knex';
import type { AuthLevel } from '../../../src/model/auth-level.js';
import type { Uid } from '../../../src/model/uid.js';
import type { Adapter, AdapterOptions } from '../contract/adapter.js';
import { StoreError } from '../contract/errors.js';
import type {
  AuthRecord,
  Credential,
  DelMessage,
  DelRecord,
  DeviceDef,
  FileDef,
  Message,
  MessageBatch,
  SeqMarks,
  QueryOpt,
  Subscription,
  SubscriptionUpdate,
  Topic,
  TopicUpdate,
  User,
  UserUpdate,
} from '../contract/types.js';
import * as auth from './auth.js';
import * as contacts from './contacts.js';
import type { Ctx } from './context.js';
import * as creds from './creds.js';
import * as devices from './devices.js';
import { dialects, type DialectName } from './dialect.js';
import * as files from './files.js';
import * as find from './find.js';
import * as life from './lifecycle.js';
import * as messages from './messages.js';
import * as pcache from './pcache.js';
import { SCHEMA_VERSION } from './schema.js';
import { describeSettings, knexConfig, resolveSettings, type ConnectionSettings } from './settings.js';
import * as subs from './subs.js';
import * as topics from './topics.js';
import * as users from './users.js';

/**
 * The knex-based adapter for SQLite, MySQL/MariaDB and PostgreSQL. Each operation lives in the
 * module of its table group; this class binds them to one connection pool.
 */
export class SqlAdapter implements Adapter {
  readonly schemaVersion = SCHEMA_VERSION;
  get commitConcurrency(): number {
    // SQLite has one writer; over a pool a few commits overlap (their topics never do).
    return this.name === 'sqlite' ? 1 : 4;
  }
  private readonly settings: ConnectionSettings;
  private knex: Knex | null = null;
  private ctxValue: Ctx | null = null;

  constructor(
    readonly name: DialectName,
    private readonly options: AdapterOptions,
  ) {
    this.settings = resolveSettings(name, options.config);
  }

  describe(): string {
    return describeSettings(this.settings);
  }

  /** The connection settings in use (for tests and tools). */
  connectionSettings(): ConnectionSettings {
    return this.settings;
  }

  private get ctx(): Ctx {
    if (!this.ctxValue) {
      throw new StoreError('internal', 'the database adapter is not open');
    }
    return this.ctxValue;
  }

  /** The knex instance, for tests and tools that inspect the database. */
  get db(): Knex {
    return this.ctx.db as Knex;
  }

  async open(): Promise<void> {
    if (this.knex) {
      return;
    }
    if (this.settings.dialect === 'sqlite' && this.settings.path) {
      life.prepareSqlitePath(this.settings.path);
    }
    this.knex = knexFactory(await knexConfig(this.settings));
    this.ctxValue = { db: this.knex, d: dialects[this.name], ids: this.options.ids, maxResults: this.options.maxResults };
  }

  async close(): Promise<void> {
    const k = this.knex;
    this.knex = null;
    this.ctxValue = null;
    if (k) {
      await k.destroy();
    }
  }

  getDbVersion(): Promise<number> {
    return life.getDbVersion(this.ctx);
  }

  async checkDbVersion(): Promise<void> {
    const v = await this.getDbVersion();
    if (v !== SCHEMA_VERSION) {
      throw new StoreError('db-version', `the database has schema version ${v}, expected ${SCHEMA_VERSION}`);
    }
  }

  async createDb(reset: boolean): Promise<void> {
    await life.createDb(this.ctx, this.settings, reset, async () => {
      this.knex = null;
      await this.open();
      return this.ctx;
    });
  }

  upgradeDb(log?: (msg: string) => void): Promise<void> {
    return life.upgradeDb(this.ctx, this.settings, log);
  }

  async hasUsers(): Promise<boolean> {
    return (await this.ctx.db('users').select('id').first()) !== undefined;
  }

  uidKeyProbe = () => users.uidKeyProbe(this.ctx);

  userCreate = (user: User) => users.userCreate(this.ctx, user);
  userGet = (uid: Uid) => users.userGet(this.ctx, uid);
  userGetAll = (uids: Uid[]) => users.userGetAll(this.ctx, uids);
  userDelete = (uid: Uid, hard: boolean) => users.userDelete(this.ctx, uid, hard);
  userUpdate = (uid: Uid, update: UserUpdate) => users.userUpdate(this.ctx, uid, update);
  userUpdateTags = (uid: Uid, add: string[], remove: string[], reset: string[] | null) =>
    users.userUpdateTags(this.ctx, uid, add, remove, reset);
  userGetByCred = (method: string, value: string) => users.userGetByCred(this.ctx, method, value);
  userUnreadCount = (uids: Uid[]) => users.userUnreadCount(this.ctx, uids);
  userGetUnvalidated = (before: Date, limit: number) => users.userGetUnvalidated(this.ctx, before, limit);

  credUpsert = (cred: Credential) => creds.credUpsert(this.ctx, cred);
  credGetActive = (uid: Uid, method: string) => creds.credGetActive(this.ctx, uid, method);
  credGetAll = (uid: Uid, method: string, validatedOnly: boolean) => creds.credGetAll(this.ctx, uid, method, validatedOnly);
  credDel = (uid: Uid, method: string, value: string) => creds.credDel(this.ctx, uid, method, value);
  credConfirm = (uid: Uid, method: string) => creds.credConfirm(this.ctx, uid, method);
  credFail = (uid: Uid, method: string) => creds.credFail(this.ctx, uid, method);

  authGetUniqueRecord = (unique: string): Promise<AuthRecord | null> => auth.authGetUniqueRecord(this.ctx, unique);
  authGetRecord = (uid: Uid, scheme: string): Promise<AuthRecord | null> => auth.authGetRecord(this.ctx, uid, scheme);
  authAddRecord = (uid: Uid, scheme: string, unique: string, level: AuthLevel, secret: Buffer, expires: Date | null) =>
    auth.authAddRecord(this.ctx, uid, scheme, unique, level, secret, expires);
  authDelScheme = (uid: Uid, scheme: string) => auth.authDelScheme(this.ctx, uid, scheme);
  authDelAllRecords = (uid: Uid) => auth.authDelAllRecords(this.ctx, uid);
  authUpdRecord = (uid: Uid, scheme: string, unique: string, level: AuthLevel, secret: Buffer | null, expires: Date | null) =>
    auth.authUpdRecord(this.ctx, uid, scheme, unique, level, secret, expires);

  topicCreate = (topic: Topic) => topics.topicCreate(this.ctx, topic);
  topicCreateP2P = (initiator: Subscription, invited: Subscription) => topics.topicCreateP2P(this.ctx, initiator, invited);
  topicGet = (name: string) => topics.topicGet(this.ctx, name);
  topicsForUser = (uid: Uid, keepDeleted: boolean, opts?: QueryOpt) => contacts.topicsForUser(this.ctx, uid, keepDeleted, opts);
  usersForTopic = (topic: string, keepDeleted: boolean, opts?: QueryOpt) => contacts.usersForTopic(this.ctx, topic, keepDeleted, opts);
  ownTopics = (uid: Uid) => topics.ownTopics(this.ctx, uid);
  channelsForUser = (uid: Uid) => topics.channelsForUser(this.ctx, uid);
  topicShare = (topic: string, list: Subscription[]) => topics.topicShare(this.ctx, topic, list);
  topicDelete = (topic: string, isChan: boolean, hard: boolean) => topics.topicDelete(this.ctx, topic, isChan, hard);
  topicUpdateOnMessage = (topic: string, seqId: number, at: Date) => topics.topicUpdateOnMessage(this.ctx, topic, seqId, at);
  topicUpdateSubCnt = (topic: string) => topics.topicUpdateSubCnt(this.ctx, topic);
  topicUpdate = (topic: string, update: TopicUpdate) => topics.topicUpdate(this.ctx, topic, update);
  topicOwnerChange = (topic: string, owner: Uid) => topics.topicOwnerChange(this.ctx, topic, owner);

  subscriptionGet = (topic: string, user: Uid, keepDeleted: boolean) => subs.subscriptionGet(this.ctx, topic, user, keepDeleted);
  subsForUser = (uid: Uid) => subs.subsForUser(this.ctx, uid);
  subsForTopic = (topic: string, keepDeleted: boolean, opts?: QueryOpt) => subs.subsForTopic(this.ctx, topic, keepDeleted, opts);
  subsUpdate = (topic: string, user: Uid, update: SubscriptionUpdate) => subs.subsUpdate(this.ctx, topic, user, update);
  subsDelete = (topic: string, user: Uid) => subs.subsDelete(this.ctx, topic, user);

  find = (caller: string, prefix: string, req: string[][], opt: string[], activeOnly: boolean) =>
    find.find(this.ctx, caller, prefix, req, opt, activeOnly);
  findOne = (tag: string) => find.findOne(this.ctx, tag);

  messageSave = (msg: Message) => messages.messageSave(this.ctx, msg);
  messageSaveAll = (topic: string, msgs: Message[], marks?: ReadonlyMap<Uid, SeqMarks>) => messages.messageSaveAll(this.ctx, topic, msgs, marks);
  messageCommit = (batches: readonly MessageBatch[]) => messages.messageCommit(this.ctx, batches);
  messageGetAll = (topic: string, forUser: Uid, opts?: QueryOpt) => messages.messageGetAll(this.ctx, topic, forUser, opts);
  messageDeleteList = (topic: string, toDel: DelMessage | null) => messages.messageDeleteList(this.ctx, topic, toDel);
  messageGetDeleted = (topic: string, forUser: Uid, opts?: QueryOpt): Promise<DelRecord[]> =>
    messages.messageGetDeleted(this.ctx, topic, forUser, opts);

  deviceUpsert = (uid: Uid, dev: DeviceDef) => devices.deviceUpsert(this.ctx, uid, dev);
  deviceGetAll = (uids: Uid[]) => devices.deviceGetAll(this.ctx, uids);
  deviceDelete = (uid: Uid, deviceId: string) => devices.deviceDelete(this.ctx, uid, deviceId);

  fileStartUpload = (fd: FileDef) => files.fileStartUpload(this.ctx, fd);
  fileFinishUpload = (fd: FileDef, success: boolean, size: number) => files.fileFinishUpload(this.ctx, fd, success, size);
  fileGet = (fid: Uid) => files.fileGet(this.ctx, fid);
  fileDeleteUnused = (olderThan: Date | null, limit: number) => files.fileDeleteUnused(this.ctx, olderThan, limit);
  fileLinkAttachments = (topic: string, userId: Uid, msgId: number, fids: Uid[]) =>
    files.fileLinkAttachments(this.ctx, topic, userId, msgId, fids);
  fileAvatarOwners = (fid: Uid) => files.fileAvatarOwners(this.ctx, fid);

  pcacheGet = (key: string) => pcache.pcacheGet(this.ctx, key);
  pcacheUpsert = (key: string, value: string, failOnDuplicate: boolean) => pcache.pcacheUpsert(this.ctx, key, value, failOnDuplicate);
  pcacheDelete = (key: string) => pcache.pcacheDelete(this.ctx, key);
  pcacheExpire = (prefix: string, olderThan: Date) => pcache.pcacheExpire(this.ctx, prefix, olderThan);
}
