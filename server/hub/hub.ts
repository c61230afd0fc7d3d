import type { Client } from '../request/client.js';
import type { Request } from '../request/request.js';
import type { TopicRouter } from '../request/router.js';
import type { TopicEnv, TopicHost } from '../topic/env.js';
import { createTopic } from '../topic/factory.js';
import type { Routed } from '../topic/routed.js';
import type { Topic } from '../topic/topic.js';
import type { RunningTask } from '../request/serial-queue.js';
import type { DelMsg, GetMsg, LeaveMsg, NoteMsg, PubMsg, SetMsg, SubMsg } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import { userId, type Uid } from '../../src/model/uid.js';
import { META_DESC, metaWhat } from '../../src/wire/meta-what.js';
import { ConvTopic } from '../topic/conversation.js';
import { SysTopic } from '../topic/sys.js';
import { presToUser, presUsersOfInterestOffline } from '../topic/presence.js';
import { deleteTopicOffline } from './offline-delete.js';
import { offlineGetDesc, offlineGetSub, offlineSetSub } from './offline.js';

/**
 * The registry of live topics. A topic loads on its first subscription and unloads after it has
 * had no sessions for `idleTopicMs`. Everything reaches a topic through the hub by name
 * ({@link TopicRouter}), with asynchronous, message-shaped calls, so that in a cluster the same
 * calls can go to the node that owns the topic; topics reach each other through it too
 * ({@link TopicHost}).
 */
export class Hub implements TopicRouter, TopicHost {
  private readonly topics = new Map<string, Topic>();
  private readonly loading = new Map<string, Promise<Topic>>();
  private readonly timer: NodeJS.Timeout;
  /** Slow operations already reported. */
  private readonly reported = new WeakSet<RunningTask>();
  /** What every topic gets, with this hub as its host. */
  readonly env: TopicEnv;

  constructor(
    env: Omit<TopicEnv, 'host'>,
    private readonly idleTopicMs = 4000,
    /** An operation holding a topic's inbox this long is reported (ms). */
    private readonly slowTaskMs = 10_000,
  ) {
    this.env = { ...env, host: this };
    // One sweep unloads idle topics and reports stuck ones, instead of timers per topic.
    this.timer = setInterval(() => this.sweep(), Math.max(250, Math.min(idleTopicMs, slowTaskMs / 2, 5000)));
    this.timer.unref();
  }

  /** The live topic of that name, if loaded. */
  get(name: string): Topic | undefined {
    return this.topics.get(name);
  }

  get size(): number {
    return this.topics.size;
  }

  /** The names of the live topics. */
  liveNames(): string[] {
    return [...this.topics.keys()];
  }

  /** Topics loaded since the start (statistics: `TotalTopics`). */
  loadedTotal = 0;

  /**
   * Subscribes the request's session: loads the topic if needed (a failure to load is the
   * request's reply, thrown), then lets the topic handle the subscription in its inbox.
   */
  async join(req: Request<SubMsg>): Promise<void> {
    let topic = await this.load(req);
    // A topic that began to stop (idle, moved) after it was found is loaded anew.
    for (let tries = 0; !(await topic.subscribe(req)); tries++) {
      if (tries === 3) throw new ProtocolError('locked');
      topic = await this.load(req);
    }
    if (topic.sessions.size === 0 && topic.idleSince === null && topic.cat !== 'sys') {
      // Loaded, but the subscription did not attach (refused, or a ban): let it unload.
      topic.idleSince = Date.now();
    }
  }

  private async load(req: Request<SubMsg>): Promise<Topic> {
    const name = req.rcptTo;
    const live = this.topics.get(name);
    if (live && !live.isStopping) {
      return live;
    }
    let pending = this.loading.get(name);
    if (!pending) {
      pending = (async () => {
        const topic = createTopic(this.env, name, req);
        if (!topic.reachableBy(req.asUser)) {
          // Names are resolved per user before this; a topic never loads for someone else.
          throw new ProtocolError('topicNotFound');
        }
        await topic.init(req);
        this.topics.set(name, topic);
        this.loadedTotal++;
        return topic;
      })();
      this.loading.set(name, pending);
      pending.finally(() => this.loading.delete(name)).catch(() => undefined);
    }
    return pending;
  }

  /** Where presence and info for topics go; another node's topics too, in a cluster. */
  #route: (name: string, msg: Routed) => void = (name, msg) => this.routeHere(name, msg);

  /** Delivers a server message (presence, info) to a topic by name; dropped when it is not live. */
  route(name: string, msg: Routed): void {
    this.#route(name, msg);
  }

  /** Delivers a server message to a topic live in this process; dropped when not loaded. */
  routeHere(name: string, msg: Routed): void {
    this.topics.get(name)?.serverMessage(msg);
  }

  /** Sends what topics route to each other through `fn` (a cluster router) from now on. */
  routeVia(fn: (name: string, msg: Routed) => void): void {
    this.#route = fn;
  }

  #sysLoading: Promise<Topic> | null = null;

  /**
   * Loads the `sys` topic, which stays live while the server runs (on one node of a cluster, where
   * it loads on first use).
   */
  async loadSys(): Promise<Topic> {
    const live = this.topics.get('sys');
    if (live && !live.isStopping) return live;
    this.#sysLoading ??= (async () => {
      try {
        const sys = new SysTopic(this.env, 'sys', 'sys');
        await sys.init(null);
        this.topics.set('sys', sys);
        this.loadedTotal++;
        return sys;
      } finally {
        this.#sysLoading = null;
      }
    })();
    return this.#sysLoading;
  }

  /**
   * Unloads the live topics `moved` says another node serves now (their sessions are detached
   * without a word: they attach there); `only` narrows the walk to these names. Settles when
   * they have stopped.
   */
  async unloadMoved(moved: (name: string) => boolean, only?: readonly string[]): Promise<string[]> {
    const names: string[] = [];
    const stopping: Promise<void>[] = [];
    const candidates = only ? only.flatMap((n) => this.topics.get(n) ?? []) : [...this.topics.values()];
    for (const topic of candidates) {
      if (moved(topic.name)) {
        this.topics.delete(topic.name);
        names.push(topic.name);
        stopping.push(topic.unload('moved'));
      }
    }
    await Promise.all(stopping);
    return names;
  }

  /** Whether a topic is live here. */
  isLive(name: string): boolean {
    const t = this.topics.get(name);
    return t !== undefined && !t.isStopping;
  }

  /** The live topic the client is attached to under the request's name; 409 when it is not. */
  private attached(req: Request): Topic {
    const topic = req.sess.subs.has(req.rcptTo) ? this.topics.get(req.rcptTo) : undefined;
    if (!topic) {
      throw new ProtocolError('attachFirst');
    }
    return topic;
  }

  leave(req: Request<LeaveMsg>): Promise<void> {
    return this.attached(req).leave(req);
  }

  /**
   * `{pub}`: to the attached topic, or to `sys`, which takes messages from sessions not attached
   * to it. Elsewhere a detached session is told to attach first.
   */
  async publish(req: Request<PubMsg>): Promise<void> {
    if (req.rcptTo === 'sys' && !req.sess.subs.has('sys')) {
      const sys = await this.loadSys();
      await sys.publish(req);
      return;
    }
    await this.attached(req).publish(req);
  }

  meta(req: Request<GetMsg | SetMsg | DelMsg>): Promise<void> {
    return this.attached(req).meta(req);
  }

  /** From the store: a topic's description or the user's own subscription (get), or changes to it (set). */
  async metaDetached(req: Request<GetMsg | SetMsg>): Promise<void> {
    if (req.msg.type === 'set') {
      await offlineSetSub(this.env, req as Request<SetMsg>);
    } else if (metaWhat(req.msg.body.what) & META_DESC) {
      await offlineGetDesc(this.env, req as Request<GetMsg>);
    } else {
      await offlineGetSub(this.env, req as Request<GetMsg>);
    }
  }

  /**
   * `{note}`: to the attached topic; from a client not attached (a receipt, a callee's device
   * answering a call: the session side lets only these through), to the topic if it is live.
   */
  async note(req: Request<NoteMsg>): Promise<void> {
    if (req.sess.subs.has(req.rcptTo)) {
      await this.attached(req).note(req);
      return;
    }
    const topic = this.topics.get(req.rcptTo);
    if (topic && !topic.isStopping) await topic.note(req);
  }

  userAgentSeen(client: Client, uid: Uid): void {
    const me = userId(uid);
    if (client.subs.has(me)) {
      this.topics.get(me)?.userAgentSeen(client);
    }
  }

  toForeground(client: Client): void {
    for (const name of client.subs) {
      this.topics.get(name)?.sessionToForeground(client);
    }
  }

  /**
   * `{del what="topic"}`: a live topic decides in its inbox (owner deletes, others leave); a
   * topic that is not loaded is handled from the store.
   */
  async deleteTopic(req: Request<DelMsg>): Promise<void> {
    const topic = this.topics.get(req.rcptTo);
    if (topic && !topic.isStopping) {
      await topic.meta(req);
      return;
    }
    await deleteTopicOffline(this.env, req);
  }

  /**
   * Stops the live topics of a user being deleted: p2p topics with the user, groups the user
   * owns, and the user's own me, fnd and slf.
   */
  async stopTopicsForUser(uid: Uid): Promise<void> {
    const stopping: Promise<void>[] = [];
    for (const topic of [...this.topics.values()]) {
      const member = topic.perUser.has(uid);
      const own = topic.name === userId(uid) || topic.name === 'fnd' + userId(uid).slice(3) || topic.name === 'slf' + userId(uid).slice(3);
      if ((topic.cat !== 'grp' && topic.cat !== 'sys' && member) || topic.owner === uid || own) {
        this.topics.delete(topic.name);
        if (topic instanceof ConvTopic) {
          topic.deleted = true;
          if (topic.cat === 'p2p') {
            const other = topic.otherUser(uid);
            if (other !== undefined) presToUser(this.env, other, userId(uid), 'gone', {});
          }
        }
        stopping.push(topic.unload('deleted'));
      }
    }
    await Promise.all(stopping);
  }

  announceGone(uid: Uid, topics: readonly string[]): void {
    presUsersOfInterestOffline(this.env, uid, topics, 'gone');
  }

  /** Removes a topic from the registry (it unloaded itself or was deleted). */
  remove(topic: Topic): void {
    if (this.topics.get(topic.name) === topic) {
      this.topics.delete(topic.name);
    }
  }

  private sweep(): void {
    const now = Date.now();
    const tick = performance.now();
    for (const topic of this.topics.values()) {
      const { running, queued } = topic.busy();
      // Not while a request is in its inbox: a subscription under way would attach to a topic
      // that is going away.
      if (topic.idleSince !== null && now - topic.idleSince >= this.idleTopicMs && !running && queued === 0) {
        this.topics.delete(topic.name);
        void topic.unload('idle');
      }
      if (running && tick - running.since >= this.slowTaskMs && !this.reported.has(running)) {
        // Once per operation: a topic stuck on one keeps every later request of it waiting.
        this.reported.add(running);
        const label = typeof running.label === 'string' ? running.label : running.label();
        this.env.log.warn(`topic ${topic.name}: ${label} has held the topic for ${((tick - running.since) / 1000).toFixed(1)} s; ${queued} operations wait behind it`);
      }
    }
  }

  /** Detaches a client from every topic (it is going away). */
  detachAll(client: Client): void {
    for (const name of client.subs) {
      this.topics.get(name)?.sessionGone(client);
    }
  }

  /** Stops every topic (server shutdown), waiting for their queued work to finish. */
  async shutdown(): Promise<void> {
    clearInterval(this.timer);
    const all = [...this.topics.values()];
    this.topics.clear();
    await Promise.all(all.map((t) => t.unload('shutdown')));
  }
}
