import * as grpc from '@grpc/grpc-js';
import { modeToString, parseMode } from '../../src/model/access.js';
import { AuthLevel } from '../../src/model/auth-level.js';
import { userId, type Uid } from '../../src/model/uid.js';
import type { ClientMessage } from '../../src/wire/client-messages.js';
import { DecodeError } from '../../src/wire/codec/json-decode.js';
import { decodeClientProto, decodeServerProto, encodeClientProto, encodeServerProto, TO_OBJECT_OPTIONS } from '../../src/wire/codec/proto-codec.js';
import { reply } from '../../src/wire/replies.js';
import type { DataMsg, ServerMessage, TopicDescMsg, TopicSubMsg } from '../../src/wire/server-messages.js';
import { pluginServiceDefinition } from '../../src/wire/codec/plugin-service.js';
import type { Logger } from '../log/log.js';
import type { User } from '../store/contract/types.js';
import { ACT_CREATE, ACT_DELETE, ACT_UPDATE, ALL_TOPIC_KINDS, CLIENT_PACKETS, PACKETS, parsePlugins, topicKindBit, type PluginConfig, type PluginFilter } from './config.js';

/**
 * The server's side of gRPC plugins (the reference's `Plugin` service): the firehose sees client
 * packets before the server handles them, `Find` can replace the built-in search, and events
 * tell plugins about accounts, topics, subscriptions and messages. A plugin that is slow costs at
 * most its timeout; events are sent without waiting, so they never hold anything up.
 */

export type Action = typeof ACT_CREATE | typeof ACT_UPDATE | typeof ACT_DELETE;

const CRUD: Record<Action, string> = { [ACT_CREATE]: 'CREATE', [ACT_UPDATE]: 'UPDATE', [ACT_DELETE]: 'DELETE' };
const LEVELS: Record<number, string> = { [AuthLevel.ANON]: 'ANON', [AuthLevel.AUTH]: 'AUTH', [AuthLevel.ROOT]: 'ROOT' };

/** What the firehose decided about a client packet. */
export type FireHoseOutcome = { kind: 'continue'; msg: ClientMessage } | { kind: 'drop' } | { kind: 'respond'; reply: ServerMessage };

/** What a session tells plugins about itself. */
export interface PluginSessionInfo {
  sid: string;
  uid: Uid;
  authLvl: AuthLevel;
  remoteAddr: string;
  userAgent: string;
  deviceId: string;
  lang: string;
}

/** A subscription as plugins hear about it. */
export interface SubscriptionInfo {
  topic: string;
  user: Uid;
  delId?: number;
  readId?: number;
  recvId?: number;
  modeWant?: number;
  modeGiven?: number;
  private?: unknown;
}

type Pb = Record<string, unknown>;

/** The least time an event waits for its plugin (events hold nothing up). */
const EVENT_WAIT_MS = 10_000;
type Unary = (req: Pb, meta: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Pb) => void) => void;

interface Client {
  conf: PluginConfig;
  grpc: grpc.Client;
  /** One unary call within the plugin's timeout; `waitForReady` waits for a connection rather than failing at once. */
  call(method: string, req: Pb, waitForReady?: boolean): Promise<Pb>;
}


function json(v: unknown): Buffer | undefined {
  return v === undefined || v === null ? undefined : Buffer.from(JSON.stringify(v));
}

/** A plugin call as the server's metrics see it. */
export type PluginCallObserver = (plugin: string, method: string, ok: boolean) => void;

export class Plugins {
  #observer: PluginCallObserver | null = null;

  private constructor(
    private readonly clients: Client[],
    private readonly log: Logger,
  ) {
    for (const c of clients) {
      const call = c.call;
      c.call = async (method, req, waitForReady) => {
        try {
          const res = await call(method, req, waitForReady);
          this.#observer?.(c.conf.name, method, true);
          return res;
        } catch (err) {
          this.#observer?.(c.conf.name, method, false);
          throw err;
        }
      };
    }
  }

  /** Tells `fn` of every call to a plugin and whether it succeeded (one observer). */
  observe(fn: PluginCallObserver): void {
    this.#observer = fn;
  }

  /** Connects (lazily, as gRPC does) to every enabled plugin of the `plugins` section. */
  static create(section: readonly unknown[], log: Logger): Plugins {
    const confs = parsePlugins(section);
    if (confs.length === 0) {
      return new Plugins([], log);
    }
    const Ctor = grpc.makeGenericClientConstructor(pluginServiceDefinition(TO_OBJECT_OPTIONS), 'Plugin');
    const clients = confs.map((conf): Client => {
      const g = new Ctor(conf.target, grpc.credentials.createInsecure());
      // Connect now, so that the first call does not spend its deadline on connecting.
      g.getChannel().getConnectivityState(true);
      return {
        conf,
        grpc: g,
        call: (methodName, req, waitForReady = false) =>
          new Promise((resolve, reject) => {
            const fn = (g as unknown as Record<string, Unary>)[methodName]!.bind(g);
            // Events wait at least EVENT_WAIT_MS for a connection: nobody waits for them, and a
            // plugin started after the server must not lose them to a tight timeout.
            const ms = waitForReady ? Math.max(conf.timeoutMs, EVENT_WAIT_MS) : conf.timeoutMs;
            const opts: grpc.CallOptions = ms > 0 ? { deadline: new Date(Date.now() + ms) } : {};
            const meta = new grpc.Metadata();
            if (waitForReady) meta.setOptions({ waitForReady: true });
            fn(req, meta, opts, (err, res) => (err ? reject(err) : resolve(res ?? {})));
          }),
      };
    });
    log.info(`plugins: ${confs.map((c) => `${c.name} (${c.serviceAddr})`).join(', ')}`);
    return new Plugins(clients, log);
  }

  get active(): boolean {
    return this.clients.length > 0;
  }

  close(): void {
    for (const c of this.clients) c.grpc.close();
  }

  /**
   * Shows a client packet to each plugin whose firehose filter wants it, in order: a plugin may
   * let it pass, drop it, answer it, or replace it. A failing plugin with a `failure_code` stops
   * the packet with that code; without one, the failure is ignored.
   */
  async fireHose(sess: PluginSessionInfo, msg: ClientMessage): Promise<FireHoseOutcome> {
    let req: Pb | null = null;
    for (const c of this.clients) {
      if (!wants(c.conf.fireHose, msg)) continue;
      req ??= {
        msg: encodeClientProto(msg),
        sess: {
          session_id: sess.sid,
          user_id: sess.uid ? userId(sess.uid) : '',
          auth_level: LEVELS[sess.authLvl] ?? 'NONE',
          remote_addr: sess.remoteAddr,
          user_agent: sess.userAgent,
          device_id: sess.deviceId,
          language: sess.lang,
        },
      };
      let res: Pb;
      try {
        res = await c.call('FireHose', req);
      } catch (err) {
        if (c.conf.failureCode) {
          this.log.warn(`plugin ${c.conf.name}: firehose failed (${(err as Error).message}); answering ${c.conf.failureCode}`);
          const now = new Date();
          return { kind: 'respond', reply: { ctrl: { id: msg.id || undefined, topic: msg.topic || undefined, code: c.conf.failureCode, text: c.conf.failureText, ts: now } } };
        }
        this.log.warn(`plugin ${c.conf.name}: firehose failed, ignored: ${(err as Error).message}`);
        continue;
      }
      switch (res.status ?? 'CONTINUE') {
        case 'DROP':
          return { kind: 'drop' };
        case 'REPLACE':
          try {
            return { kind: 'continue', msg: decodeClientProto((res.clmsg ?? {}) as Pb) };
          } catch (err) {
            if (!(err instanceof DecodeError)) throw err;
            this.log.warn(`plugin ${c.conf.name}: replacement packet is malformed: ${err.message}`);
            return { kind: 'respond', reply: reply('malformed', msg.id, msg.topic, new Date()) };
          }
        case 'RESPOND':
          return { kind: 'respond', reply: decodeServerProto((res.srvmsg ?? {}) as Pb) };
        default:
          break;
      }
    }
    return { kind: 'continue', msg };
  }

  /**
   * Asks the plugins that serve `Find` about a search: the query may pass unchanged, be dropped
   * (''), be rewritten, or be answered with results.
   */
  async find(uid: Uid, query: string): Promise<{ query: string; results: TopicSubMsg[] | null }> {
    for (const c of this.clients) {
      if (!c.conf.find) continue;
      const res = await c.call('Find', { user_id: userId(uid), query });
      switch (res.status ?? 'CONTINUE') {
        case 'CONTINUE':
          continue;
        case 'DROP':
          return { query: '', results: null };
        case 'REPLACE':
          return { query: String(res.query ?? ''), results: null };
        default: {
          const meta = decodeServerProto({ meta: { topic: 'fnd', sub: (res.result ?? []) as Pb[] } });
          const results = 'meta' in meta ? (meta.meta.sub ?? []) : [];
          for (const r of results) {
            // As the reference: a mode defined by the plugin shows as want & given.
            const want = r.acs.want ? parseMode(r.acs.want) : null;
            const given = r.acs.given ? parseMode(r.acs.given) : null;
            if (want !== null && given !== null) r.acs = { ...r.acs, mode: modeToString(want & given) };
          }
          return { query: '', results };
        }
      }
    }
    return { query, results: null };
  }

  account(user: User, action: Action): void {
    this.event('account', 'Account', action, () => ({
      action: CRUD[action],
      user_id: userId(user.id),
      default_acs: { auth: modeToString(user.access.auth), anon: modeToString(user.access.anon) },
      public: json(user.public),
      tags: user.tags,
    }));
  }

  topic(name: string, desc: TopicDescMsg | null, action: Action): void {
    this.event('topic', 'Topic', action, () => {
      const ev: Pb = { action: CRUD[action], name };
      if (desc) {
        const meta = encodeServerProto({ meta: { topic: name, desc } }) as { meta?: { desc?: Pb } };
        if (meta.meta?.desc) ev.desc = meta.meta.desc;
      }
      return ev;
    });
  }

  subscription(sub: SubscriptionInfo, action: Action): void {
    this.event('subscription', 'Subscription', action, () => ({
      action: CRUD[action],
      topic: sub.topic,
      user_id: userId(sub.user),
      del_id: sub.delId ?? 0,
      read_id: sub.readId ?? 0,
      recv_id: sub.recvId ?? 0,
      mode: { want: sub.modeWant !== undefined ? modeToString(sub.modeWant) : '', given: sub.modeGiven !== undefined ? modeToString(sub.modeGiven) : '' },
      private: json(sub.private),
    }));
  }

  /** A message was accepted for delivery. */
  message(data: DataMsg): void {
    this.event('message', 'Message', ACT_CREATE, () => {
      const enc = encodeServerProto({ data }) as { data?: Pb };
      return { action: 'CREATE', msg: enc.data ?? {} };
    });
  }

  private event(filter: 'account' | 'topic' | 'subscription' | 'message', method: string, action: Action, build: () => Pb): void {
    let ev: Pb | null = null;
    for (const c of this.clients) {
      const f = c.conf[filter];
      if (!f || (f.actions & action) === 0) continue;
      ev ??= build();
      // Events wait for the connection (within the timeout): nobody waits for them.
      c.call(method, ev, true).catch((err: unknown) => this.log.warn(`plugin ${c.conf.name}: ${method} event failed: ${(err as Error).message}`));
    }
  }
}

/** Whether a firehose filter wants this client packet. */
function wants(filter: PluginFilter | null, msg: ClientMessage): boolean {
  if (!filter || filter.packets === 0) return false;
  if (filter.packets === CLIENT_PACKETS && filter.topics === ALL_TOPIC_KINDS) return true;
  const bit = 1 << PACKETS.indexOf(msg.type);
  if ((filter.packets & bit) === 0) return false;
  if (!msg.topic || filter.topics === ALL_TOPIC_KINDS) return true;
  return (filter.topics & topicKindBit(msg.topic)) !== 0;
}
