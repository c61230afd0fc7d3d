import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hub } from '../../server/hub/hub.js';
import type { Limits } from '../../server/limits/limits.js';
import type { Logger } from '../../server/log/log.js';
import { Schemes } from '../../server/auth/schemes.js';
import { Plugins } from '../../server/plugins/plugins.js';
import { Push } from '../../server/push/push.js';
import type { Client } from '../../server/request/client.js';
import { errorReply } from '../../server/request/error-reply.js';
import type { Request } from '../../server/request/request.js';
import { resolveTopic } from '../../server/request/topic-name.js';
import { bundledSamplePath, readDataFile } from '../../server/store/init/data-file.js';
import { loadData } from '../../server/store/init/loader.js';
import { Store } from '../../server/store/store.js';
import { loadConfig } from '../../src/config/load.js';
import { MODE_CP2P } from '../../src/model/access.js';
import { AuthLevel } from '../../src/model/auth-level.js';
import { parseUserId, userId, type Uid } from '../../src/model/uid.js';
import type { LeaveMsg, PubMsg, SubMsg } from '../../src/wire/client-messages.js';
import type { CtrlMsg, DataMsg, MetaMsg, PresMsg, ServerMessage } from '../../src/wire/server-messages.js';

/**
 * A hub and its topics on a real store, without sessions or sockets: what a unit test of a topic
 * needs. The store is SQLite in a temporary folder with the bundled sample data (alice, bob,
 * carol, dave, frank; groups *HIKE, *BOOKS, *LAUNCH, *NEWS). Every call the tests make on the
 * store goes through this file, so that a change of the store's interface touches one file.
 */

/**
 * A client as a topic sees it, which keeps what it is sent. `send` returns `accept` (true unless a
 * test makes the client one that cannot keep up).
 */
export class FakeClient implements Client {
  readonly authLvl = AuthLevel.AUTH;
  readonly background = false;
  readonly userAgent = 'topic-harness/1.0';
  readonly lang = 'en-US';
  readonly countryCode = 'US';
  readonly isEnded = false;
  readonly subs = new Set<string>();
  /** Everything sent to this client and not yet taken, oldest first. */
  received: ServerMessage[] = [];
  accept = true;

  constructor(
    readonly sid: string,
    readonly uid: Uid,
  ) {}

  send(msg: ServerMessage): boolean {
    this.received.push(msg);
    return this.accept;
  }

  sendSoon(msg: ServerMessage): boolean {
    return this.send(msg);
  }

  /** Returns what was received since the last call, and forgets it. */
  take(): ServerMessage[] {
    return this.received.splice(0);
  }
}

/** The ctrl, data, pres and meta messages of a list, each as its body. */
export const ctrlsOf = (msgs: readonly ServerMessage[]): CtrlMsg[] => msgs.flatMap((m) => ('ctrl' in m ? [m.ctrl] : []));
export const dataOf = (msgs: readonly ServerMessage[]): DataMsg[] => msgs.flatMap((m) => ('data' in m ? [m.data] : []));
export const presOf = (msgs: readonly ServerMessage[]): PresMsg[] => msgs.flatMap((m) => ('pres' in m ? [m.pres] : []));
export const metaOf = (msgs: readonly ServerMessage[]): MetaMsg[] => msgs.flatMap((m) => ('meta' in m ? [m.meta] : []));

/** A message as stored: who sent it, its seq and content. */
export interface StoredMessage {
  seq: number;
  from: string;
  content: unknown;
}

export interface TopicHarness {
  readonly hub: Hub;
  /** `usr…` ids of the sample users by login. */
  readonly users: ReadonlyMap<string, string>;
  /** `grp…` names of the sample groups by their name in the sample (`*HIKE`). */
  readonly groups: ReadonlyMap<string, string>;
  /** A fresh client of a sample user (by login), with a unique session id. */
  client(login: string): FakeClient;
  /** `{sub}` as a session would send it, with `get` asking for `what`; settles when handled. */
  sub(c: FakeClient, topic: string, id: string, what?: string): Promise<void>;
  /** `{pub}`; settles when the message is stored and broadcast, or refused. */
  pub(c: FakeClient, topic: string, id: string, content: unknown): Promise<void>;
  /** `{leave}` (with `unsub` to end the subscription). */
  leave(c: FakeClient, topic: string, id: string, unsub?: boolean): Promise<void>;
  /** What the topics logged as warnings and errors, oldest first (they say why a request failed). */
  readonly warnings: string[];
  /**
   * Makes the store hold every message it is asked to save until the returned function is
   * called: a database that stopped answering.
   */
  stallMessageSaves(): () => void;
  /** The messages of a topic as `asLogin` may read them in the store, oldest first. */
  stored(topic: string, asLogin: string): Promise<StoredMessage[]>;
  close(): Promise<void>;
}

const LIMITS: Limits = {
  maxMessageSize: 262_144,
  maxSubscriberCount: 128,
  maxTagCount: 16,
  maxFileUploadSize: 0,
  msgDeleteAge: 0,
  permanentAccounts: false,
  defaultCountryCode: 'US',
  inboundQueue: 32,
  publishRate: 0,
  publishBurst: 0,
  presenceBatchMs: 0,
  presenceBatchSessions: 64,
  presenceBatchFrames: 64,
};

export interface HarnessOptions {
  /** The hub reports an operation holding a topic this long (ms); 10 s by default. */
  slowTaskMs?: number;
}

/** Opens a fresh store with the sample data and a hub over it. */
export async function openTopicHarness(opts: HarnessOptions = {}): Promise<TopicHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'tinode-topic-'));
  const { config } = loadConfig(undefined, { db: `sqlite:${join(dir, 'tinode.db')}` });
  const store = await Store.open(config.store_config);
  try {
    await store.createDb(false);
    await store.unlock();
    const sample = bundledSamplePath();
    const summary = await loadData(store, readDataFile(sample), sample, { p2pDelete: false });
    const users = new Map(summary.users.map((u) => [u.login, u.id]));
    const groups = new Map(summary.groupTopics.map((g) => [g.name, g.id]));
    const warnings: string[] = [];
    const log: Logger = { debug() {}, info() {}, warn: (m) => void warnings.push(m), error: (m) => void warnings.push(m) };
    const hub = new Hub(
      {
        store,
        log,
        plugins: Plugins.create([], log),
        push: Push.create([], store, log),
        auth: await Schemes.create(config.auth_config, store),
        validators: new Map(),
        requiredCreds: new Map(),
        limits: LIMITS,
        tags: { immutable: new Set(), masked: new Set(), alias: '' },
        p2pMode: MODE_CP2P,
        calls: null,
      },
      // Topics stay loaded through a test: unloading is not what these tests are about.
      3_600_000,
      opts.slowTaskMs,
    );
    return harness(hub, store, { users, groups, warnings }, dir);
  } catch (err) {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

function harness(hub: Hub, store: Store, known: Pick<TopicHarness, 'users' | 'groups' | 'warnings'>, dir: string): TopicHarness {
  const { users } = known;
  let sessions = 0;
  const uidOf = (login: string): Uid => {
    const id = users.get(login);
    if (!id) throw new Error(`no sample user ${login}`);
    return parseUserId(id);
  };
  return {
    hub,
    ...known,
    client: (login) => new FakeClient(`fake-${++sessions}`, uidOf(login)),
    sub: (c, topic, id, what = 'desc sub data') =>
      handle(c, { type: 'sub', id, topic, body: { get: { what } }, extra: null }, true, (req) => hub.join(req)),
    pub: (c, topic, id, content) => handle(c, { type: 'pub', id, topic, body: { content }, extra: null }, false, (req) => hub.publish(req)),
    leave: (c, topic, id, unsub = false) => handle(c, { type: 'leave', id, topic, body: { unsub }, extra: null }, false, (req) => hub.leave(req)),
    stallMessageSaves() {
      const { messages } = store;
      const saveAll = messages.saveAll.bind(messages);
      let release = () => {};
      const gate = new Promise<void>((resolve) => (release = resolve));
      messages.saveAll = async (...args) => {
        await gate;
        return saveAll(...args);
      };
      return release;
    },
    async stored(topic, asLogin) {
      const list = await store.messages.getAll(topic, uidOf(asLogin));
      return list.map((m) => ({ seq: m.seqId, from: userId(m.from), content: m.content })).sort((a, b) => a.seq - b.seq);
    },
    async close() {
      await hub.shutdown();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Builds the request a session would hand to the hub (topic name resolved for the client's user)
 * and runs it; a refusal thrown on the way becomes the client's reply, as the session does it.
 */
async function handle<M extends SubMsg | PubMsg | LeaveMsg>(c: FakeClient, msg: M, isSub: boolean, run: (req: Request<M>) => Promise<void>): Promise<void> {
  const ts = new Date();
  try {
    const target = resolveTopic(msg.topic, c.uid, isSub);
    await run({ msg, sess: c, asUser: c.uid, authLvl: c.authLvl, ts, original: msg.topic, rcptTo: target.name, target });
  } catch (err) {
    c.send(errorReply(err, msg.id, msg.topic, ts));
  }
}
