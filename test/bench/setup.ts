import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDbUrl } from '../../src/config/db-url.js';
import { loadConfig } from '../../src/config/load.js';
import type { TinodeConfig } from '../../src/config/schema.js';
import { MODE_CAUTH, MODE_CFULL, MODE_CP2P, MODE_CPUBLIC, MODE_NONE } from '../../src/model/access.js';
import { AuthLevel } from '../../src/model/auth-level.js';
import { p2pName, uidToString, type Uid } from '../../src/model/uid.js';
import { TokenScheme } from '../../server/auth/token-scheme.js';
import { hashPassword } from '../../src/model/password.js';
import { Store } from '../../server/store/store.js';
import { ObjState, type Message } from '../../server/store/contract/types.js';
import type { BenchUser } from './protocol.js';

/**
 * The bench database: many users made straight through the store (one bcrypt hash shared by all,
 * since hashing 18,000 passwords would take minutes), a group topic with its members, p2p topics
 * between pairs of users and a topic with a long history. The database is kept between runs in the
 * work folder and rebuilt when its shape changes; tokens are minted fresh each run with the
 * server's own token scheme and the database's token key, as a basic login would return them.
 */
export interface Shape {
  users: number;
  groupMembers: number;
  pairs: number;
  historyReaders: number;
  historyMessages: number;
}

export interface BenchData {
  dbPath: string;
  /** The server's config file. */
  configPath: string;
  users: BenchUser[];
  /** The group of scenario (b); its members are users 0..groupMembers-1. */
  group: string;
  /** The history topic of scenario (d); its readers are users 0..historyReaders-1. */
  history: string;
  historyMessages: number;
}

interface Saved {
  shape: Shape;
  /** The `--db` URL it was built on; absent for the bench's SQLite file. */
  db?: string;
  version: number;
  users: { login: string; id: string }[];
  group: string;
  history: string;
}

/** Bump when the layout of the bench database changes. */
const VERSION = 1;
export const BENCH_PASSWORD = 'bench123';

export interface ServerSettings {
  /** `synchronous` of SQLite ("full" is the default of a real server). */
  sqliteSync: 'full' | 'normal';
  /** SQLite's connection in a worker thread (the server's default). */
  sqliteWorker: boolean;
  /** Another database than the bench's SQLite file: a `--db` URL (`mysql://…`, `postgres://…`). */
  db: string | null;
  /** Largest group: the default 128 is far below the 1,500 members of scenario (b). */
  maxSubscribers: number;
  wsCompression: boolean;
  /** The database pool of each server process (`max_open_conns`); absent: the adapter's default. */
  maxOpenConns?: number | undefined;
}

function storeConfig(dbPath: string, s: ServerSettings): Record<string, unknown> {
  if (s.db) {
    const { adapter, config } = parseDbUrl(s.db, '--db');
    if (adapter !== 'sqlite') return { use_adapter: adapter, adapters: { [adapter]: s.maxOpenConns ? { ...config, max_open_conns: s.maxOpenConns } : config } };
  }
  return { use_adapter: 'sqlite', adapters: { sqlite: { path: dbPath, synchronous: s.sqliteSync, worker: s.sqliteWorker } } };
}

function serverConfig(dbPath: string, s: ServerSettings): Record<string, unknown> {
  return {
    listen: '127.0.0.1:0',
    grpc_listen: '127.0.0.1:0',
    max_subscriber_count: s.maxSubscribers,
    ws_compression_disabled: !s.wsCompression,
    store_config: storeConfig(dbPath, s),
    // Accounts made by the bench have no email: do not ask them to validate one.
    acc_validation: { email: { required: [] } },
    // Every load process connects from 127.0.0.1 and publishes as fast as it is let: the limits
    // on one address and one session's rate would measure themselves, not the server.
    limits: { max_sessions_per_address: 0, max_lp_sessions: 0, publish_rate: 0 },
  };
}

function historyText(i: number): string {
  return `history message ${i}: the quick brown fox jumps over the lazy dog, again and again and again`;
}

/** Builds (or reuses) the database and mints the tokens. `log` shows progress. */
export async function prepare(dir: string, shape: Shape, settings: ServerSettings, fresh: boolean, log: (s: string) => void): Promise<BenchData> {
  mkdirSync(dir, { recursive: true });
  const dbPath = join(dir, 'tinode.db');
  const configPath = join(dir, 'tinode.conf');
  writeFileSync(configPath, JSON.stringify(serverConfig(dbPath, settings), null, 2));
  const { config } = loadConfig(configPath, {});

  const db = settings.db && !settings.db.startsWith('sqlite:') ? settings.db : undefined;
  // One saved description per database: the SQLite file's, or the URL's.
  const savedPath = join(dir, db ? `bench-data-${db.replace(/[^a-z0-9]+/gi, '_')}.json` : 'bench-data.json');
  let saved: Saved | null = null;
  if (!fresh && existsSync(savedPath) && (db !== undefined || existsSync(dbPath))) {
    const s = JSON.parse(readFileSync(savedPath, 'utf8')) as Saved;
    if (s.version === VERSION && JSON.stringify(s.shape) === JSON.stringify(shape) && s.db === db) {
      // A server database is shared by every shape's work folder: a run of another shape may have
      // rebuilt it since, and then the users described here are gone.
      if (await usersStillThere(config, s)) {
        saved = s;
        log(`reusing the bench database ${db ?? dbPath} (${s.users.length} users)`);
      } else {
        log(`the bench database ${db ?? dbPath} was rebuilt for another shape since: building it again`);
      }
    }
  }
  if (!saved) {
    if (!db) {
      for (const f of ['tinode.db', 'tinode.db-wal', 'tinode.db-shm', 'bench-data.json']) {
        rmSync(join(dir, f), { force: true });
      }
    }
    saved = { ...(await build(config, shape, db !== undefined, log)), ...(db ? { db } : {}) };
    writeFileSync(savedPath, JSON.stringify(saved));
  }
  const tokens = new TokenScheme(config.auth_config.token, await tokenKeyOf(config));
  const users: BenchUser[] = [];
  for (const u of saved.users) {
    const uid = BigInt(u.id);
    const { secret } = await tokens.genSecret({ uid, authLevel: AuthLevel.AUTH, lifetimeMs: 0, features: 0, tags: [], state: ObjState.OK });
    users.push({ login: u.login, uid: 'usr' + uidToString(uid), token: secret.toString('base64') });
  }
  return { dbPath, configPath, users, group: saved.group, history: saved.history, historyMessages: shape.historyMessages };
}

/** Whether the first and the last user of a saved description are in the database. */
async function usersStillThere(config: TinodeConfig, saved: Saved): Promise<boolean> {
  const store = await Store.open(config.store_config, { tokenKey: config.auth_config.token.key, offThread: false });
  try {
    await store.unlock();
    const ends = [saved.users[0], saved.users[saved.users.length - 1]];
    for (const u of ends) {
      if (!u || !(await store.users.get(BigInt(u.id)))) return false;
    }
    return true;
  } catch {
    return false;
  } finally {
    await store.close();
  }
}

/** The token key the server will sign with: the database's own (resolved as the server does). */
async function tokenKeyOf(config: TinodeConfig): Promise<Buffer> {
  const store = await Store.open(config.store_config, { tokenKey: config.auth_config.token.key });
  try {
    await store.unlock();
    return store.keys.tokenKey;
  } finally {
    await store.close();
  }
}

async function build(config: TinodeConfig, shape: Shape, reset: boolean, log: (s: string) => void): Promise<Saved> {
  const started = Date.now();
  // Building needs no durability: "normal" is several times faster on a slow disk.
  const storeConfig = (config.store_config.use_adapter === 'sqlite'
    ? { ...config.store_config, adapters: { sqlite: { ...(config.store_config.adapters.sqlite as object), synchronous: 'normal' } } }
    : config.store_config) as TinodeConfig['store_config'];
  const store = await Store.open(storeConfig, { tokenKey: config.auth_config.token.key, offThread: false });
  try {
    // A server database (MySQL, PostgreSQL) is made anew: its old tables go.
    await store.createDb(reset);
    await store.unlock();
    const hash = await hashPassword(BENCH_PASSWORD);
    const ids: Uid[] = [];
    const users: Saved['users'] = [];
    const n = shape.users;
    for (let i = 0; i < n; i++) {
      const login = `bench${i}`;
      const user = await store.users.create({
        state: ObjState.OK,
        stateAt: null,
        access: { auth: MODE_CAUTH, anon: MODE_NONE },
        lastSeen: null,
        userAgent: '',
        public: { fn: `Bench User ${i}` },
        trusted: null,
        tags: [`basic:${login}`],
      });
      await store.auth.addRecord(user.id, AuthLevel.AUTH, 'basic', login, hash, null);
      ids.push(user.id);
      users.push({ login, id: user.id.toString() });
      if ((i + 1) % 5000 === 0) {
        log(`  ${i + 1}/${n} users`);
      }
    }
    const group = await makeGroup(store, ids[0]!, 'bench group', ids.slice(1, shape.groupMembers));
    for (let k = 0; k < shape.pairs; k++) {
      const a = ids[2 * k]!;
      const b = ids[2 * k + 1]!;
      const topic = p2pName(a, b);
      await store.topics.createP2P(store.subscription(a, topic, MODE_CP2P, MODE_CP2P, null), store.subscription(b, topic, MODE_CP2P, MODE_CP2P, null));
    }
    const history = await makeGroup(store, ids[0]!, 'bench history', ids.slice(1, shape.historyReaders));
    const at = Date.now() - shape.historyMessages * 1000;
    for (let seq = 1; seq <= shape.historyMessages; seq += 100) {
      const batch: Message[] = [];
      for (let s = seq; s < Math.min(seq + 100, shape.historyMessages + 1); s++) {
        const when = new Date(at + s * 1000);
        batch.push({ id: 0, createdAt: when, updatedAt: when, deletedAt: null, delId: 0, seqId: s, topic: history, from: ids[s % Math.max(1, shape.historyReaders)]!, head: null, content: historyText(s) });
      }
      await store.messages.saveAll(history, batch, false);
    }
    log(`bench database built in ${((Date.now() - started) / 1000).toFixed(1)} s: ${n} users, a group of ${shape.groupMembers}, ${shape.pairs} p2p pairs, ${shape.historyMessages} messages of history`);
    return { shape, version: VERSION, users, group, history };
  } finally {
    await store.close();
  }
}

async function makeGroup(store: Store, owner: Uid, title: string, members: Uid[]): Promise<string> {
  const name = 'grp' + uidToString(store.newUid());
  await store.topics.create({
    name,
    state: ObjState.OK,
    stateAt: null,
    useBt: false,
    owner,
    access: { auth: MODE_CPUBLIC, anon: MODE_NONE },
    seqId: 0,
    delId: 0,
    public: { fn: title },
    trusted: null,
    tags: [],
    aux: null,
  }, MODE_CFULL);
  for (let i = 0; i < members.length; i += 500) {
    await store.subs.create(...members.slice(i, i + 500).map((u) => store.subscription(u, name, MODE_CPUBLIC, MODE_CPUBLIC, null)));
  }
  return name;
}
