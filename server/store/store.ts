import type { TinodeConfig } from '../../src/config/schema.js';
import { ConfigError } from '../../src/config/errors.js';
import { userId, type Uid } from '../../src/model/uid.js';
import { UidGenerator } from '../../src/model/uidgen.js';
import type { Adapter } from './contract/adapter.js';
import { grantAdapterAccess } from './adapter-access.js';
import { isStoreError } from './contract/errors.js';
import { Auth } from './facade/auth.js';
import { Creds } from './facade/creds.js';
import { Devices } from './facade/devices.js';
import { Files } from './facade/files.js';
import { GroupCommit, type CommitObserved } from './facade/group-commit.js';
import { Messages } from './facade/messages.js';
import { PCache } from './facade/pcache.js';
import { Search } from './facade/search.js';
import { newSubscription, Subs } from './facade/subs.js';
import { Topics } from './facade/topics.js';
import { Users } from './facade/users.js';
import { KeyedIds } from './contract/keyed-ids.js';
import { adapterNames, createAdapter } from './registry.js';
import { resolveKeys, seedKeys, type ConfiguredKeys, type DbKeys, type KeyNotice, type UidKeyFit } from './secrets.js';
import type { Subscription } from './contract/types.js';

/** How {@link Store.open} is called besides the store config. */
export interface StoreOptions {
  /** The node's snowflake worker id (0..1023). @default 1 */
  workerId?: number;
  /** `auth_config.token.key` as configured; "" (the default) means the database's own. */
  tokenKey?: string;
  /**
   * Whether the database connection may live in a worker thread where the adapter's config asks
   * for one (SQLite's `worker`, on by default): what a server wants, whose event loop serves
   * sockets; a one-shot command (`init-db`) has none to keep free. @default true
   */
  offThread?: boolean;
  /** Where the store reports what the operator should know (a restarted database thread). */
  warn?: (text: string) => void;
}

/**
 * The store facade: what the server and `init-db` use, in named groups over the adapter
 * ({@link users}, {@link auth}, {@link creds}, {@link topics}, {@link subs}, {@link messages},
 * {@link devices}, {@link files}, {@link pcache}, {@link search}). It owns the adapter, which
 * nothing outside server/store can reach, and the id generator; its groups keep the rules that
 * span adapter calls (a new user gets its `me` and `fnd` subscriptions, a new topic its owner's
 * subscription, a message marks itself read by its sender...).
 *
 * Ids need the database's uid key, which may be kept in the database itself: after
 * {@link Store.open}, nothing that makes, encodes or decodes an id works until {@link unlock} has
 * resolved the keys (see server/store/secrets.ts).
 */
export class Store {
  static {
    grantAdapterAccess((store) => store.#adapter);
  }

  readonly #adapter: Adapter;
  private resolved: DbKeys | null = null;

  /** Users, their tags and contact lists. */
  readonly users: Users;
  /** Authentication records by scheme. */
  readonly auth: Auth;
  /** Credentials (email, phone...) and their validation. */
  readonly creds: Creds;
  /** Topics. */
  readonly topics: Topics;
  /** Subscriptions. */
  readonly subs: Subs;
  /** Messages and their deletion log. */
  readonly messages: Messages;
  /** Push devices. */
  readonly devices: Devices;
  /** Uploaded files. */
  readonly files: Files;
  /** The persistent key-value cache. */
  readonly pcache: PCache;
  /** Search by tags. */
  readonly search: Search;

  readonly #commits: GroupCommit;

  /** Tells `fn` of every commit of messages and marks (for the server's metrics). */
  observeCommits(fn: (c: CommitObserved) => void): void {
    this.#commits.observe(fn);
  }

  private constructor(
    adapter: Adapter,
    private readonly ids: KeyedIds,
    private readonly workerId: number,
    private readonly configured: ConfiguredKeys,
  ) {
    this.#adapter = adapter;
    this.users = new Users(adapter, () => this.newUid());
    this.auth = new Auth(adapter);
    this.creds = new Creds(adapter);
    this.topics = new Topics(adapter);
    // Messages and the marks of notes share the commits of one event-loop turn.
    const commits = new GroupCommit(adapter);
    this.#commits = commits;
    this.subs = new Subs(adapter, commits);
    this.messages = new Messages(adapter, commits);
    this.devices = new Devices(adapter);
    this.files = new Files(adapter);
    this.pcache = new PCache(adapter);
    this.search = new Search(adapter);
  }

  /**
   * Makes the adapter named by `store_config.use_adapter` and connects. Does not check the schema
   * (call {@link checkReady} or the init methods) nor read the keys (call {@link unlock}).
   */
  static async open(cfg: TinodeConfig['store_config'], opts: StoreOptions = {}): Promise<Store> {
    const name = cfg.use_adapter;
    const ids = new KeyedIds();
    const adapter = await createAdapter(name, { config: cfg.adapters[name], maxResults: cfg.max_results, ids, offThread: opts.offThread ?? true, warn: opts.warn });
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
    await this.#adapter.createDb(reset);
    this.ids.gen = null;
    this.resolved = null;
    await seedKeys(this.#adapter, this.configured);
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
    const { keys, notices } = await resolveKeys({ adapter: this.#adapter, checkUidKey: (key) => this.checkUidKey(key) }, this.configured);
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
      const probe = await this.#adapter.uidKeyProbe();
      return probe === null ? 'unknown' : userId(probe.uid) === probe.meTopic ? 'fits' : 'differs';
    } finally {
      this.ids.gen = null;
    }
  }

  /** Where the data lives, for logs. */
  describe(): string {
    return this.#adapter.describe();
  }

  close(): Promise<void> {
    return this.#adapter.close();
  }

  /** A new unique object id. */
  newUid(): Uid {
    return this.ids.current.next();
  }

  /** The schema version this server creates and requires (the adapter's). */
  get schemaVersion(): number {
    return this.#adapter.schemaVersion;
  }

  /** Throws a StoreError unless the database exists with the expected {@link schemaVersion}. */
  checkReady(): Promise<void> {
    return this.#adapter.checkDbVersion();
  }

  /** The schema version recorded in the database; throws `db-not-initialized` when there is none. */
  dbVersion(): Promise<number> {
    return this.#adapter.getDbVersion();
  }

  /** Whether the database exists (at any schema version). */
  async isInitialized(): Promise<boolean> {
    try {
      await this.#adapter.getDbVersion();
      return true;
    } catch (err) {
      if (isStoreError(err, 'db-not-initialized')) {
        return false;
      }
      throw err;
    }
  }

  /**
   * Brings an older schema up to {@link schemaVersion}, keeping the data, then repairs what older
   * servers may have stored wrong; `log` hears each step. On a current schema only the repairs run.
   */
  upgradeDb(log?: (msg: string) => void): Promise<void> {
    return this.#adapter.upgradeDb(log);
  }

  /** Whether the database holds any user. */
  hasUsers(): Promise<boolean> {
    return this.#adapter.hasUsers();
  }

  /**
   * A subscription record with the given modes, created now (or at `at`); nothing is stored.
   * See {@link newSubscription}.
   */
  subscription(user: Uid, topic: string, want: number, given: number, priv: unknown, at = new Date()): Subscription {
    return newSubscription(user, topic, want, given, priv, at);
  }
}
