import type { AuthLevel } from '../../src/model/auth-level.js';
import { userId, type Uid } from '../../src/model/uid.js';
import type { DelMsg, GetMsg, LeaveMsg, NoteMsg, PubMsg, SetMsg, SubMsg } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import { reply } from '../../src/wire/replies.js';
import type { ServerMessage } from '../../src/wire/server-messages.js';
import type { Hub } from '../hub/hub.js';
import type { Logger } from '../log/log.js';
import { SERVER_REQUEST_ID, type Client } from '../request/client.js';
import type { Request } from '../request/request.js';
import type { TopicRouter } from '../request/router.js';
import { resolveTopic, type ResolvedTopic } from '../request/topic-name.js';
import type { Routed } from '../topic/routed.js';
import { NodeUnreachable, NodeBus } from './bus.js';
import type { ClusterSettings } from './config.js';
import { failure, TopicMaster } from './master.js';
import type { Membership } from './membership.js';
import type { BatchEntry, ClientSnapshot, NodeEvent, NodeReply, NodeRequest, RequestData, TopicOp } from './messages.js';
import { decodeNode, encodeNode } from './node-codec.js';
import type { Placement } from './placement.js';
import type { Ring } from './ring.js';

/** The sessions of this node, as the router reaches them. */
export interface LocalSessions {
  get(sid: string): Client | undefined;
  /** Ends a user's sessions with `last` (an account suspended or deleted on another node). */
  evictUser(uid: Uid, skipSid: string, last: ServerMessage): void;
}

/** A session's attachment to a topic, as its node keeps it to attach it again elsewhere. */
interface Attachment {
  /** The node serving the topic to the session. */
  node: string;
  original: string;
  asUser: Uid;
  authLvl: AuthLevel;
  target?: ResolvedTopic | undefined;
}

interface Origin {
  client: Client;
  topics: Map<string, Attachment>;
  /** The user agent last told to a `me` on another node. */
  ua: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * How requests reach topics in a cluster: each request goes to its topic's master, here (the hub)
 * or on another node (over NATS, answered when the topic has handled it), and what topics route
 * to each other goes the same way. The router keeps, for each session of this node, where each
 * topic it is attached to is served; when the ring changes (a node joined, left or died) it
 * attaches the session again at the topic's new master without the client noticing, and tells the
 * client `{pres what="term"}` only when that fails.
 *
 * A request whose master cannot be reached (it just died, or the topic is moving) is asked again
 * where the ring says, until the ring has had time to notice a dead node; then it fails with 502
 * (or 503 while this node is cut off from the cluster).
 */
export class ClusterRouter implements TopicRouter {
  readonly #s: ClusterSettings;
  readonly #hub: Hub;
  readonly #placement: Placement;
  readonly #membership: Membership;
  readonly #bus: NodeBus;
  readonly #sessions: LocalSessions;
  readonly #log: Logger;
  readonly master: TopicMaster;
  readonly #origins = new Map<string, Origin>();
  /** Attachments being renewed at a topic's new master, by sid and topic. */
  readonly #renewing = new Map<string, Promise<void>>();
  /** Requests waiting for an answer from each node, failed when the node goes. */
  readonly #inflight = new Map<string, Set<(err: Error) => void>>();
  /** How long a request keeps looking for its topic's master. */
  readonly #retryMs: number;

  constructor(s: ClusterSettings, hub: Hub, membership: Membership, placement: Placement, sessions: LocalSessions, log: Logger) {
    this.#s = s;
    this.#hub = hub;
    this.#membership = membership;
    this.#placement = placement;
    this.#sessions = sessions;
    this.#log = log;
    this.#retryMs = s.failAfterMs + 2000;
    this.#bus = new NodeBus(membership.connection, { prefix: s.nats.prefix, self: s.self, requestTimeoutMs: 15_000 });
    this.master = new TopicMaster(s.self, hub, placement, membership, this.#bus, log, s.failAfterMs);
    hub.routeVia((name, msg) => this.route(name, msg));
    this.#bus.listen(
      (data) => this.onRequest(data),
      (data) => this.onEvent(data),
    );
    placement.onChange((_now, before) => void this.rebalance(before));
    let before = membership.live;
    membership.onChange((live) => {
      for (const node of before) {
        if (!live.includes(node)) this.master.nodeGone(node);
      }
      before = live;
      for (const [node, waiting] of this.#inflight) {
        if (live.includes(node)) continue;
        for (const fail of [...waiting]) fail(new NodeUnreachable(`node ${node} is gone`));
      }
    });
  }

  /** Live nodes (for `{hi}`'s `clusterSize`). */
  get size(): number {
    return Math.max(1, this.#membership.live.length);
  }

  // ---- TopicRouter: the session side's calls ----

  async join(req: Request<SubMsg>): Promise<void> {
    await this.pending(req.sess, req.rcptTo);
    const node = await this.forward('join', req);
    // (A session that ended meanwhile keeps no record: its detach has run.)
    if (req.sess.subs.has(req.rcptTo) && !req.sess.isEnded) {
      const target = req.target?.kind === 'new' ? resolveTopic(req.rcptTo, req.asUser, true) : req.target;
      const original = req.target?.kind === 'new' ? req.rcptTo : req.original;
      this.origin(req.sess).topics.set(req.rcptTo, { node, original, asUser: req.asUser, authLvl: req.authLvl, target });
    }
  }

  async leave(req: Request<LeaveMsg>): Promise<void> {
    await this.pending(req.sess, req.rcptTo);
    await this.forward('leave', req);
    if (!req.sess.subs.has(req.rcptTo)) this.forgetAttachment(req.sess, req.rcptTo);
  }

  async publish(req: Request<PubMsg>): Promise<void> {
    await this.pending(req.sess, req.rcptTo);
    await this.forward('publish', req);
  }

  async meta(req: Request<GetMsg | SetMsg | DelMsg>): Promise<void> {
    await this.pending(req.sess, req.rcptTo);
    await this.forward('meta', req);
    if (!req.sess.subs.has(req.rcptTo)) this.forgetAttachment(req.sess, req.rcptTo);
  }

  async metaDetached(req: Request<GetMsg | SetMsg>): Promise<void> {
    await this.forward('metaDetached', req);
  }

  async deleteTopic(req: Request<DelMsg>): Promise<void> {
    await this.pending(req.sess, req.rcptTo);
    await this.forward('deleteTopic', req);
    if (!req.sess.subs.has(req.rcptTo)) this.forgetAttachment(req.sess, req.rcptTo);
  }

  async note(req: Request<NoteMsg>): Promise<void> {
    await this.pending(req.sess, req.rcptTo);
    await this.forward('note', req);
  }

  userAgentSeen(client: Client, uid: Uid): void {
    const me = userId(uid);
    if (!client.subs.has(me)) return;
    const at = this.#origins.get(client.sid);
    const node = at?.topics.get(me)?.node ?? this.#s.self;
    if (node === this.#s.self) {
      this.#hub.userAgentSeen(client, uid);
    } else if (at && at.ua !== client.userAgent) {
      at.ua = client.userAgent;
      this.send(node, { t: 'ua', f: this.#s.self, s: client.sid, uid, ua: client.userAgent });
    }
  }

  toForeground(client: Client): void {
    this.#hub.toForeground(client);
    for (const node of this.remoteNodes(client)) this.send(node, { t: 'fg', f: this.#s.self, s: client.sid });
  }

  detachAll(client: Client): void {
    this.#hub.detachAll(client);
    for (const node of this.remoteNodes(client)) this.send(node, { t: 'gone', f: this.#s.self, s: client.sid });
    this.#origins.delete(client.sid);
  }

  async stopTopicsForUser(uid: Uid): Promise<void> {
    await this.#hub.stopTopicsForUser(uid);
    const others = this.#membership.live.filter((n) => n !== this.#s.self);
    await Promise.all(
      others.map((node) =>
        this.#bus.request(node, encodeNode({ op: 'stopUser', from: this.#s.self, uid } satisfies NodeRequest)).catch((err: unknown) => {
          this.#log.warn(`cluster: ${node} did not stop the topics of ${userId(uid)}: ${err instanceof Error ? err.message : String(err)}`);
        }),
      ),
    );
  }

  announceGone(uid: Uid, topics: readonly string[]): void {
    this.#hub.announceGone(uid, topics);
  }

  /** Presence and info for a topic, to its master. */
  route(name: string, msg: Routed): void {
    const node = this.#placement.masterOf(name);
    if (node === this.#s.self) {
      this.#hub.routeHere(name, msg);
    } else if (node !== '') {
      this.send(node, { t: 'r', n: name, r: msg });
    }
  }

  /** The node leaves (graceful stop): its topics stop and their sessions attach elsewhere. */
  async leaveCluster(): Promise<void> {
    await this.master.leave();
  }

  async close(): Promise<void> {
    await this.#bus.close();
  }

  // ---- forwarding ----

  /** Waits for the session's attachment to the topic to be renewed, if it is being renewed. */
  private async pending(client: Client, name: string): Promise<void> {
    const p = this.#renewing.get(`${client.sid}\u0000${name}`);
    if (p) await p;
  }

  /** Runs a request at its topic's master; returns the node that ran it. */
  private async forward(kind: TopicOp, req: Request): Promise<string> {
    const name = req.rcptTo;
    const start = performance.now();
    for (let attempt = 0; ; attempt++) {
      const node = this.#placement.masterOf(name);
      if (node === this.#s.self) {
        if (await this.master.serve(kind, req)) return node;
      } else if (node !== '') {
        let res: NodeReply;
        try {
          const text = encodeNode({ op: 'topic', kind, from: this.#s.self, client: snapshot(req.sess), req: requestData(req) } satisfies NodeRequest);
          res = decodeNode<NodeReply>(await this.whileLive(node, this.#bus.request(node, text)));
        } catch (err) {
          if (!(err instanceof NodeUnreachable)) throw err;
          if (!/no responders/i.test(err.message)) {
            // It may have run: asking again could run it twice.
            this.#log.warn(`cluster: ${kind} for ${name} at ${node}: ${err.message}`);
            throw new ProtocolError('clusterUnreachable');
          }
          res = { moved: true };
        }
        if ('ok' in res) return node;
        if ('err' in res) throw new ProtocolError(res.err.kind, res.err.params, res.err.topic);
      }
      if (performance.now() - start > this.#retryMs) {
        throw new ProtocolError(this.#membership.ready ? 'clusterUnreachable' : 'serviceUnavailable');
      }
      await sleep(Math.min(25 * 2 ** attempt, 400));
    }
  }

  /**
   * A request to a node, failed as soon as that node counts as gone (it died with the request in
   * hand: whether it ran is unknown, so the request is not asked again).
   */
  private whileLive<T>(node: string, p: Promise<T>): Promise<T> {
    let gone!: (err: Error) => void;
    const entry = (err: Error) => gone(err);
    let set = this.#inflight.get(node);
    if (!set) this.#inflight.set(node, (set = new Set()));
    set.add(entry);
    const watch = new Promise<never>((_, reject) => (gone = reject));
    return Promise.race([p, watch]).finally(() => {
      set.delete(entry);
      if (set.size === 0 && this.#inflight.get(node) === set) this.#inflight.delete(node);
    });
  }

  private origin(client: Client): Origin {
    let o = this.#origins.get(client.sid);
    if (!o) {
      o = { client, topics: new Map(), ua: client.userAgent };
      this.#origins.set(client.sid, o);
    }
    return o;
  }

  private forgetAttachment(client: Client, name: string): void {
    const o = this.#origins.get(client.sid);
    o?.topics.delete(name);
  }

  private remoteNodes(client: Client): Set<string> {
    const nodes = new Set<string>();
    for (const a of this.#origins.get(client.sid)?.topics.values() ?? []) {
      if (a.node !== this.#s.self) nodes.add(a.node);
    }
    return nodes;
  }

  private send(node: string, ev: NodeEvent): void {
    this.#bus.publish(node, encodeNode(ev));
  }

  // ---- what other nodes send ----

  private async onRequest(data: Uint8Array): Promise<string> {
    let r: NodeRequest;
    try {
      r = decodeNode<NodeRequest>(data);
    } catch {
      return encodeNode({ err: { kind: 'malformed' } } satisfies NodeReply);
    }
    try {
      switch (r.op) {
        case 'topic': {
          const res = await this.master.serveRemote(r.kind, r.from, r.client, r.req);
          if ('err' in res && res.err.kind === 'unknown') this.#log.warn(`cluster: ${r.kind} for ${r.req.rcptTo} from ${r.from} failed`);
          return encodeNode(res);
        }
        case 'release':
          await this.master.release(r.name);
          return encodeNode({ ok: true } satisfies NodeReply);
        case 'stopUser':
          this.#sessions.evictUser(r.uid, '', reply('evicted', '', '', new Date()));
          await this.#hub.stopTopicsForUser(r.uid);
          return encodeNode({ ok: true } satisfies NodeReply);
      }
    } catch (err) {
      this.#log.warn(`cluster: a request from another node failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return encodeNode(failure(err));
    }
  }

  private onEvent(data: Uint8Array): void {
    let ev: NodeEvent;
    try {
      ev = decodeNode<NodeEvent>(data);
    } catch {
      return;
    }
    switch (ev.t) {
      case 'r':
        this.#hub.routeHere(ev.n, ev.r);
        return;
      case 'gone':
        this.master.remoteGone(ev.f, ev.s);
        return;
      case 'fg': {
        const rc = this.master.remoteClient(ev.f, ev.s);
        if (rc) {
          rc.background = false;
          this.#hub.toForeground(rc);
        }
        return;
      }
      case 'ua': {
        const rc = this.master.remoteClient(ev.f, ev.s);
        if (rc) {
          rc.userAgent = ev.ua;
          this.#hub.userAgentSeen(rc, ev.uid);
        }
        return;
      }
      case 'b':
        for (const e of ev.e) this.onEntry(ev.f, e);
        return;
    }
  }

  /** A message or an attachment from a master for sessions of this node. */
  private onEntry(from: string, e: BatchEntry): void {
    if (e.t === 'm') {
      for (const sid of e.s) {
        const client = this.liveSession(from, sid);
        if (!client) continue;
        if (e.soon) client.sendSoon(e.m);
        else client.send(e.m);
      }
      return;
    }
    const client = this.liveSession(from, e.s);
    if (!client) return;
    const a = this.#origins.get(client.sid)?.topics.get(e.n);
    if (e.t === 'a') {
      client.subs.add(e.n);
      if (a) a.node = from;
      return;
    }
    if (a && a.node !== from) return; // From where it was served before: it is served elsewhere now.
    if (e.moved) {
      if (a) this.renew(client, e.n, a);
      return;
    }
    client.subs.delete(e.n);
    this.forgetAttachment(client, e.n);
  }

  /** A session of this node by sid; when it is gone, the master that wrote to it is told. */
  private liveSession(from: string, sid: string): Client | undefined {
    const client = this.#sessions.get(sid);
    if (!client || client.isEnded) {
      this.send(from, { t: 'gone', f: this.#s.self, s: sid });
      return undefined;
    }
    return client;
  }

  // ---- ring changes ----

  /**
   * The ring changed: topics this node no longer serves stop (their sessions here and elsewhere
   * attach again at the new master), and sessions of this node attached where a topic is no
   * longer served follow it.
   */
  private async rebalance(before: Ring): Promise<void> {
    const local: { client: Client; name: string; a: Attachment }[] = [];
    for (const o of this.#origins.values()) {
      for (const [name, a] of o.topics) {
        if (a.node === this.#s.self && !this.#placement.isLocal(name)) local.push({ client: o.client, name, a });
      }
    }
    try {
      await this.master.ringChanged(before);
    } catch (err) {
      this.#log.warn(`cluster: stopping moved topics: ${err instanceof Error ? err.message : String(err)}`);
    }
    for (const { client, name, a } of local) this.renew(client, name, a);
    for (const o of [...this.#origins.values()]) {
      for (const [name, a] of [...o.topics]) {
        if (a.node !== this.#s.self && a.node !== this.#placement.masterOf(name)) this.renew(o.client, name, a);
      }
    }
  }

  /**
   * Attaches a session again at a topic's master (the topic moved): the client stays attached as
   * far as it can tell; its requests to the topic wait until this is done. When it fails the
   * client is told `{pres what="term"}`, the reference's word to subscribe again.
   */
  private renew(client: Client, name: string, a: Attachment): void {
    const key = `${client.sid}\u0000${name}`;
    if (this.#renewing.has(key) || client.isEnded) return;
    client.subs.add(name);
    const msg: SubMsg = { type: 'sub', id: SERVER_REQUEST_ID, topic: a.original, body: {}, extra: null };
    const req: Request<SubMsg> = { msg, sess: client, asUser: a.asUser, authLvl: a.authLvl, ts: new Date(), original: a.original, rcptTo: name, ...(a.target ? { target: a.target } : {}) };
    const p = (async () => {
      try {
        a.node = await this.forward('join', req);
      } catch (err) {
        client.subs.delete(name);
        this.forgetAttachment(client, name);
        if (!client.isEnded) {
          this.#log.info(`cluster: session ${client.sid} lost ${name}: ${err instanceof Error ? err.message : String(err)}`);
          client.send({ pres: { topic: a.original, what: 'term' } });
        }
      }
    })().finally(() => this.#renewing.delete(key));
    this.#renewing.set(key, p);
  }
}

/** What the master needs to know of a session. */
function snapshot(c: Client): ClientSnapshot {
  return { sid: c.sid, uid: c.uid, authLvl: c.authLvl, background: c.background, userAgent: c.userAgent, lang: c.lang, countryCode: c.countryCode };
}

function requestData(r: Request): RequestData {
  return { msg: r.msg, asUser: r.asUser, authLvl: r.authLvl, ts: r.ts, original: r.original, rcptTo: r.rcptTo, ...(r.target ? { target: r.target } : {}) };
}
