import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Knex } from 'knex';
import type { Adapter, AdapterOptions } from '../contract/adapter.js';
import { StoreError, type StoreErrorCode } from '../contract/errors.js';
import type { AuthRecord, Message, MessageBatch } from '../contract/types.js';
import type { DialectName } from '../sql/dialect.js';
import { SCHEMA_VERSION } from '../sql/schema.js';
import { describeSettings, resolveSettings, type ConnectionSettings } from '../sql/settings.js';
import { SqlAdapter } from '../sql/sql-adapter.js';
import type { FromWorker, ToWorker, WireError, WorkerInit } from './protocol.js';

/** The adapter's methods that are plain calls (everything but its properties and lifecycle). */
type Method = Exclude<keyof Adapter, 'name' | 'schemaVersion' | 'commitConcurrency' | 'describe' | 'open' | 'close' | 'upgradeDb' | 'authGetUniqueRecord' | 'authGetRecord'>;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  /** The caller's messages, whose ids the save assigns. */
  msgs?: Message[] | undefined;
  log?: ((line: string) => void) | undefined;
}

/**
 * Starts the worker: the compiled file next to this one, or when running from the TypeScript
 * sources (tests, benchmarks) the source itself, loaded through tsx's module hooks registered
 * in the worker first.
 */
function startWorker(init: WorkerInit): Worker {
  const js = new URL('./adapter-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) {
    return new Worker(js, { workerData: init });
  }
  const tsxApi = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx')), 'esm', 'api', 'index.mjs')).href;
  const ts = new URL('./adapter-worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(ts)}); })`;
  return new Worker(boot, { eval: true, workerData: init });
}

/**
 * An adapter whose database connection lives in a worker thread (`worker_threads`): every call
 * is a message to the worker and its answer a message back, so a commit waiting for the disk
 * (SQLite's fsync at `synchronous=full`) never holds the event loop that serves the sockets.
 * The main thread keeps the uid key; the worker gets it whenever it changes.
 */
export class WorkerAdapter implements Adapter {
  readonly schemaVersion = SCHEMA_VERSION;
  /** One writer, as SQLite has; the worker runs the calls in the order they come. */
  readonly commitConcurrency = 1;
  private readonly settings: ConnectionSettings;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private sentKey: Uint8Array | null = null;
  /** The worker while open; a failed or closed worker's error answers every later call. */
  private worker: Worker | null = null;
  private failure: Error | null = new StoreError('internal', 'the database adapter is not open');
  /** A connection of the main thread's own, opened for tests and tools that look into the database. */
  private inspector: SqlAdapter | null = null;
  /** {@link close} was called: a worker that ends is not started again. */
  private closing = false;
  /** A new worker is being started after the last one died; calls wait for it. */
  private restarting: Promise<void> | null = null;
  /** Ends the wait of a restart between two attempts. */
  private wakeRestart: (() => void) | null = null;

  constructor(
    readonly name: DialectName,
    private readonly options: AdapterOptions,
  ) {
    this.settings = resolveSettings(name, options.config);
  }

  describe(): string {
    return describeSettings(this.settings);
  }

  /** Starts the worker, waits for it to be ready, and has it connect. */
  async open(): Promise<void> {
    if (this.worker) {
      return;
    }
    this.closing = false;
    await this.start();
  }

  private async start(): Promise<void> {
    const worker = startWorker({ name: this.name, config: this.options.config, maxResults: this.options.maxResults });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      const onExit = (code: number) => reject(new Error(`the database worker thread exited while starting (code ${code})`));
      worker.once('error', onError);
      worker.once('exit', onExit);
      worker.once('message', (msg: FromWorker) => {
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (msg.op === 'ready') resolve();
        else reject(new Error(`the database worker thread said ${msg.op} before it was ready`));
      });
    });
    worker.on('message', (msg: FromWorker) => this.answer(msg));
    worker.on('error', (err) => this.fail(worker, err));
    worker.on('exit', (code) => this.fail(worker, new StoreError('internal', `the database worker thread exited (code ${code})`)));
    // Idle, the worker does not keep the process alive; a call in flight does.
    worker.unref();
    this.worker = worker;
    this.failure = null;
    this.sentKey = null;
    try {
      await this.call('open', []);
    } catch (err) {
      // A worker that cannot open the database is of no use: it ends, and so does this start.
      this.worker = null;
      this.failure = err instanceof Error ? err : new Error(String(err));
      await worker.terminate();
      throw err;
    }
  }

  /** Closes the connection (pending calls finish first) and ends the worker. */
  async close(): Promise<void> {
    this.closing = true;
    // A restart waiting to try again gives up now.
    this.wakeRestart?.();
    await this.restarting?.catch(() => undefined);
    const inspector = this.inspector;
    this.inspector = null;
    await inspector?.close();
    const worker = this.worker;
    if (!worker) {
      return;
    }
    await this.call('close', []);
    this.worker = null;
    this.failure = new StoreError('internal', 'the database adapter is closed');
    await worker.terminate();
  }

  private answer(msg: FromWorker): void {
    if (msg.op === 'ready') return;
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.op === 'log') {
      p.log?.(msg.line);
      return;
    }
    this.pending.delete(msg.id);
    if (this.pending.size === 0) this.worker?.unref();
    if (msg.op === 'error') {
      p.reject(rebuild(msg.error));
      return;
    }
    if (p.msgs && msg.msgIds) {
      p.msgs.forEach((m, i) => (m.id = msg.msgIds![i] ?? m.id));
    }
    p.resolve(msg.value);
  }

  private fail(worker: Worker, err: Error): void {
    if (worker !== this.worker) {
      return;
    }
    this.worker = null;
    this.failure = err;
    // The calls in flight fail (a commit among them was rolled back with the connection: its
    // callers hear of the failure, nothing acknowledged is lost); the next ones wait for a new
    // worker, which reopens the database.
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    if (!this.closing) {
      this.restarting = this.restart(err).finally(() => (this.restarting = null));
    }
  }

  /** Starts a new worker after `cause`, trying again (1 s, 2 s, … up to 10 s apart) until one opens or the adapter closes. */
  private async restart(cause: Error): Promise<void> {
    this.options.warn?.(`store: ${cause.message}; starting the database thread again`);
    for (let attempt = 1; !this.closing; attempt++) {
      try {
        await this.start();
        this.options.warn?.(`store: the database thread is running again (${this.describe()})`);
        return;
      } catch (err) {
        const retryMs = Math.min(1000 * attempt, 10_000);
        this.options.warn?.(`store: cannot start the database thread: ${err instanceof Error ? err.message : String(err)}; trying again in ${retryMs / 1000} s`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            this.wakeRestart = null;
            resolve();
          }, retryMs);
          this.wakeRestart = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  }

  /** Sends a call to the worker, with the uid key first when it changed. */
  private async call(method: string, args: unknown[], msgs?: Message[], log?: (line: string) => void): Promise<unknown> {
    if (!this.worker && this.restarting && method !== 'open') {
      await this.restarting;
    }
    const worker = this.worker;
    if (!worker) {
      return Promise.reject(this.failure ?? new StoreError('internal', 'the database adapter is not open'));
    }
    const key = this.options.ids.key;
    if (key !== this.sentKey) {
      this.sentKey = key;
      this.post({ op: 'key', key });
    }
    const id = this.nextId++;
    if (this.pending.size === 0) worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, msgs, log });
      this.post({ op: 'call', id, method, args });
    });
  }

  private post(msg: ToWorker): void {
    this.worker?.postMessage(msg);
  }

  private m<K extends Method>(method: K): Adapter[K] {
    return ((...args: unknown[]) => this.call(method, args)) as Adapter[K];
  }

  upgradeDb(log?: (msg: string) => void): Promise<void> {
    return this.call('upgradeDb', [], undefined, log) as Promise<void>;
  }

  messageSave = (msg: Message) => this.call('messageSave', [msg], [msg]) as Promise<void>;
  messageSaveAll: Adapter['messageSaveAll'] = (topic, msgs, marks) => this.call('messageSaveAll', [topic, msgs, marks], msgs) as Promise<void>;
  messageCommit = (batches: readonly MessageBatch[]) =>
    this.call(
      'messageCommit',
      [batches],
      batches.flatMap((b) => b.msgs),
    ) as Promise<void>;

  // Buffers cross as Uint8Arrays: the records' secrets are made Buffers again.
  authGetUniqueRecord: Adapter['authGetUniqueRecord'] = async (unique) => withBufferSecret((await this.call('authGetUniqueRecord', [unique])) as AuthRecord | null);
  authGetRecord: Adapter['authGetRecord'] = async (uid, scheme) => withBufferSecret((await this.call('authGetRecord', [uid, scheme])) as AuthRecord | null);

  getDbVersion = this.m('getDbVersion');
  checkDbVersion = this.m('checkDbVersion');
  createDb = this.m('createDb');
  hasUsers = this.m('hasUsers');
  uidKeyProbe = this.m('uidKeyProbe');
  userCreate = this.m('userCreate');
  userGet = this.m('userGet');
  userGetAll = this.m('userGetAll');
  userDelete = this.m('userDelete');
  userUpdate = this.m('userUpdate');
  userUpdateTags = this.m('userUpdateTags');
  userGetByCred = this.m('userGetByCred');
  userUnreadCount = this.m('userUnreadCount');
  userGetUnvalidated = this.m('userGetUnvalidated');
  credUpsert = this.m('credUpsert');
  credGetActive = this.m('credGetActive');
  credGetAll = this.m('credGetAll');
  credDel = this.m('credDel');
  credConfirm = this.m('credConfirm');
  credFail = this.m('credFail');
  authAddRecord = this.m('authAddRecord');
  authDelScheme = this.m('authDelScheme');
  authDelAllRecords = this.m('authDelAllRecords');
  authUpdRecord = this.m('authUpdRecord');
  topicCreate = this.m('topicCreate');
  topicCreateP2P = this.m('topicCreateP2P');
  topicGet = this.m('topicGet');
  topicsForUser = this.m('topicsForUser');
  usersForTopic = this.m('usersForTopic');
  ownTopics = this.m('ownTopics');
  channelsForUser = this.m('channelsForUser');
  topicShare = this.m('topicShare');
  topicDelete = this.m('topicDelete');
  topicUpdateOnMessage = this.m('topicUpdateOnMessage');
  topicUpdateSubCnt = this.m('topicUpdateSubCnt');
  topicUpdate = this.m('topicUpdate');
  topicOwnerChange = this.m('topicOwnerChange');
  subscriptionGet = this.m('subscriptionGet');
  subsForUser = this.m('subsForUser');
  subsForTopic = this.m('subsForTopic');
  subsUpdate = this.m('subsUpdate');
  subsDelete = this.m('subsDelete');
  find = this.m('find');
  findOne = this.m('findOne');
  messageGetAll = this.m('messageGetAll');
  messageDeleteList = this.m('messageDeleteList');
  messageGetDeleted = this.m('messageGetDeleted');
  deviceUpsert = this.m('deviceUpsert');
  deviceGetAll = this.m('deviceGetAll');
  deviceDelete = this.m('deviceDelete');
  fileStartUpload = this.m('fileStartUpload');
  fileFinishUpload = this.m('fileFinishUpload');
  fileGet = this.m('fileGet');
  fileDeleteUnused = this.m('fileDeleteUnused');
  fileLinkAttachments = this.m('fileLinkAttachments');
  fileAvatarOwners = this.m('fileAvatarOwners');
  pcacheGet = this.m('pcacheGet');
  pcacheUpsert = this.m('pcacheUpsert');
  pcacheDelete = this.m('pcacheDelete');
  pcacheExpire = this.m('pcacheExpire');

  /** The connection settings in use (for tests and tools). */
  connectionSettings(): ConnectionSettings {
    return this.settings;
  }

  /**
   * A knex instance on a connection of the main thread's own, for tests and tools that look into
   * the database (never for the server's work: that is the worker's).
   */
  async inspect(): Promise<Knex> {
    if (!this.inspector) {
      this.inspector = new SqlAdapter(this.name, this.options);
      await this.inspector.open();
    }
    return this.inspector.db;
  }
}

function withBufferSecret(rec: AuthRecord | null): AuthRecord | null {
  if (rec && !Buffer.isBuffer(rec.secret)) {
    const s = rec.secret as Uint8Array;
    rec.secret = Buffer.from(s.buffer, s.byteOffset, s.byteLength);
  }
  return rec;
}

/** An error from the worker as the caller would have seen it thrown in the same thread. */
function rebuild(w: WireError): Error {
  if (w.store) {
    const err = new StoreError((w.code ?? 'internal') as StoreErrorCode, w.message);
    if (w.stack) err.stack = w.stack;
    return err;
  }
  const err = Object.assign(new Error(w.message), w.code === undefined ? {} : { code: w.code });
  err.name = w.name;
  if (w.stack) err.stack = w.stack;
  return err;
}
