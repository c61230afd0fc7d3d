import type { Hub } from '../hub/hub.js';
import type { Logger } from '../log/log.js';
import type { Request } from '../request/request.js';
import { errorKind } from '../request/error-reply.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import type { DelMsg, GetMsg, LeaveMsg, NoteMsg, PubMsg, SetMsg, SubMsg } from '../../src/wire/client-messages.js';
import { NodeUnreachable, type NodeBus } from './bus.js';
import type { Membership } from './membership.js';
import type { ClientSnapshot, NodeReply, TopicOp } from './messages.js';
import { encodeNode } from './node-codec.js';
import type { Placement } from './placement.js';
import { NodeOutbox } from './outbox.js';
import { RemoteClient } from './remote-client.js';
import { Ring } from './ring.js';

/**
 * The master's side of a cluster node: it serves the topics the ring gives it, to its own sessions
 * and to sessions of other nodes (as {@link RemoteClient}s), and hands a topic over when the ring
 * gives it to another node. A topic has one master at a time: a node serves a topic only while its
 * ring says so, and before it loads a topic that moved to it, it asks the node that served it
 * before to let it go (that node stops it and refuses it from then on), so a node whose view of
 * the ring is a moment behind cannot keep serving it beside the new one.
 */
export class TopicMaster {
  readonly #self: string;
  readonly #hub: Hub;
  readonly #placement: Placement;
  readonly #membership: Membership;
  readonly #bus: NodeBus;
  readonly #log: Logger;
  /** Sessions of other nodes using topics here, by node and sid. */
  readonly #remotes = new Map<string, { client: RemoteClient; inflight: number }>();
  /** The ring before the last change: who served a topic before it came here. */
  #previous: Ring;
  /** Topics this node was asked to let go (until its ring changes). */
  readonly #released = new Set<string>();
  /** Topics whose previous master has let them go (since the ring changed). */
  readonly #claimed = new Set<string>();
  /** Topics being moved off this node: their detaches are moves. */
  readonly #moving = new Set<string>();
  /** What goes to each other node's sessions, gathered. */
  readonly #outboxes = new Map<string, NodeOutbox>();
  /** When the ring last changed (or the node started). */
  #changedAt = performance.now();
  /**
   * How long after a ring change a node that served a topic before may still hold it: until then
   * a topic that moved here is claimed before it loads.
   */
  readonly #settleMs: number;
  /** Set when the node is leaving: it serves nothing more. */
  #leaving = false;

  constructor(self: string, hub: Hub, placement: Placement, membership: Membership, bus: NodeBus, log: Logger, failAfterMs: number) {
    this.#self = self;
    // Every node notices a change within a failure period of it; twice that, and a margin.
    this.#settleMs = 2 * failAfterMs + 5000;
    this.#hub = hub;
    this.#placement = placement;
    this.#membership = membership;
    this.#bus = bus;
    this.#log = log;
    // At start the topics that come here were served by the nodes already running.
    this.#previous = new Ring(placement.ring.nodes.filter((n) => n !== self));
  }

  /** Sessions of other nodes attached here (for the node's load). */
  get remoteSessions(): number {
    return this.#remotes.size;
  }

  /**
   * Runs a topic request here if this node is the topic's master; false when it is not (the asker
   * looks again where the ring says).
   */
  async serve(kind: TopicOp, req: Request): Promise<boolean> {
    const name = req.rcptTo;
    if (this.#leaving || this.#released.has(name) || !this.#placement.isLocal(name)) {
      return false;
    }
    if (!this.#hub.isLive(name)) {
      await this.claim(name);
      if (this.#released.has(name) || !this.#placement.isLocal(name)) return false;
    }
    switch (kind) {
      case 'join':
        await this.#hub.join(req as Request<SubMsg>);
        break;
      case 'leave':
        await this.#hub.leave(req as Request<LeaveMsg>);
        break;
      case 'publish':
        await this.#hub.publish(req as Request<PubMsg>);
        break;
      case 'meta':
        await this.#hub.meta(req as Request<GetMsg | SetMsg | DelMsg>);
        break;
      case 'metaDetached':
        await this.#hub.metaDetached(req as Request<GetMsg | SetMsg>);
        break;
      case 'deleteTopic':
        await this.#hub.deleteTopic(req as Request<DelMsg>);
        break;
      case 'note':
        await this.#hub.note(req as Request<NoteMsg>);
        break;
    }
    return true;
  }

  /** A topic request from another node, run for its session; the reply for that node. */
  async serveRemote(kind: TopicOp, from: string, snap: ClientSnapshot, req: Omit<Request, 'sess'>): Promise<NodeReply> {
    const entry = this.remote(from, snap);
    entry.inflight++;
    try {
      return (await this.serve(kind, { ...req, sess: entry.client })) ? { ok: true } : { moved: true };
    } catch (err) {
      return failure(err);
    } finally {
      entry.inflight--;
      this.forgetIfIdle(from, entry.client);
      // What the request made for its session goes before its answer.
      this.#outboxes.get(from)?.flush();
    }
  }

  private outbox(node: string): NodeOutbox {
    let out = this.#outboxes.get(node);
    if (!out) {
      out = new NodeOutbox(this.#self, (text) => this.#bus.publish(node, text));
      this.#outboxes.set(node, out);
    }
    return out;
  }

  private remote(node: string, snap: ClientSnapshot): { client: RemoteClient; inflight: number } {
    const key = `${node}\u0000${snap.sid}`;
    let entry = this.#remotes.get(key);
    if (!entry) {
      const client = new RemoteClient(node, snap, this.outbox(node), (name) => this.#moving.has(name));
      entry = { client, inflight: 0 };
      this.#remotes.set(key, entry);
    } else {
      entry.client.update(snap);
    }
    return entry;
  }

  private forgetIfIdle(node: string, client: RemoteClient): void {
    const key = `${node}\u0000${client.sid}`;
    const entry = this.#remotes.get(key);
    if (entry && entry.client === client && entry.inflight === 0 && client.subs.size === 0) {
      this.#remotes.delete(key);
    }
  }

  /** A session of another node, if it uses topics here. */
  remoteClient(node: string, sid: string): RemoteClient | undefined {
    return this.#remotes.get(`${node}\u0000${sid}`)?.client;
  }

  /** The session of another node is gone: its topics here detach it. */
  remoteGone(node: string, sid: string): void {
    const entry = this.#remotes.get(`${node}\u0000${sid}`);
    if (!entry) return;
    this.#remotes.delete(`${node}\u0000${sid}`);
    entry.client.isEnded = true;
    this.#hub.detachAll(entry.client);
  }

  /** Every session of a node that left: their topics here detach them. */
  nodeGone(node: string): void {
    for (const entry of [...this.#remotes.values()]) {
      if (entry.client.node === node) this.remoteGone(node, entry.client.sid);
    }
    this.#outboxes.delete(node);
  }

  /**
   * Before a topic that moved here loads: the node that served it before stops it (if that node
   * is still live). A node that does not answer in time leaves the topic unserved for now (503).
   */
  private async claim(name: string): Promise<void> {
    if (performance.now() - this.#changedAt > this.#settleMs) {
      // Long enough since the ring changed that every live node has let its moved topics go.
      this.#claimed.clear();
      return;
    }
    if (this.#claimed.has(name)) return;
    const before = this.#previous.nodes.length > 0 ? this.#previous.get(name) : '';
    if (before !== '' && before !== this.#self && this.#membership.live.includes(before)) {
      try {
        await this.#bus.request(before, encodeNode({ op: 'release', from: this.#self, name }), 5000);
      } catch (err) {
        if (!(err instanceof NodeUnreachable) || !/no responders/i.test(err.message)) {
          this.#log.warn(`cluster: ${before} did not let ${name} go: ${err instanceof Error ? err.message : String(err)}`);
          throw new ProtocolError('serviceUnavailable');
        }
      }
    }
    this.#claimed.add(name);
  }

  /** Another node serves this topic now: stop it here and refuse it until the ring changes. */
  async release(name: string): Promise<void> {
    this.#released.add(name);
    // Mostly the topic is not live here (the asker cannot know): nothing to walk then.
    if (this.#hub.get(name)) await this.unload((n) => n === name, [name]);
  }

  /** The ring changed: topics that are not this node's any more stop here. */
  async ringChanged(before: Ring): Promise<string[]> {
    this.#previous = before;
    this.#changedAt = performance.now();
    this.#released.clear();
    this.#claimed.clear();
    return this.unload((name) => !this.#placement.isLocal(name));
  }

  /** The node is leaving the cluster: every topic stops, its sessions attach elsewhere. */
  async leave(): Promise<void> {
    this.#leaving = true;
    await this.unload(() => true);
  }

  /** Unloads the live topics `moved` picks (`only`: they can only be these, no need to walk all). */
  private async unload(moved: (name: string) => boolean, only?: readonly string[]): Promise<string[]> {
    const names: string[] = [];
    // The sessions of other nodes attached to what stops: the ones that may be left with nothing.
    const affected = new Set<RemoteClient>();
    const unloaded = this.#hub.unloadMoved((name) => {
      if (!moved(name)) return false;
      this.#moving.add(name);
      names.push(name);
      for (const c of this.#hub.get(name)?.sessions.keys() ?? []) if (c instanceof RemoteClient) affected.add(c);
      return true;
    }, only);
    try {
      return await unloaded;
    } finally {
      for (const n of names) this.#moving.delete(n);
      for (const c of affected) this.forgetIfIdle(c.node, c);
    }
  }
}

/** A request's failure as the reply for the node that asked. */
export function failure(err: unknown): NodeReply {
  if (err instanceof ProtocolError) {
    return { err: { kind: err.kind, ...(err.params ? { params: err.params } : {}), ...(err.topic !== undefined ? { topic: err.topic } : {}) } };
  }
  return { err: { kind: errorKind(err) } };
}
