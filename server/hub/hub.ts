import { ACT_DELETE } from '../plugins/config.js';
import type { ServerContext } from '../context.js';
import type { Request } from '../request/request.js';
import type { Session } from '../session/session.js';
import { createTopic } from '../topic/factory.js';
import type { Routed } from '../topic/routed.js';
import type { Topic } from '../topic/topic.js';
import type { DelMsg, PubMsg, SubMsg } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import { reply } from '../../src/wire/replies.js';
import { userId, type Uid } from '../../src/model/uid.js';
import { ConvTopic } from '../topic/conversation.js';
import { SysTopic } from '../topic/sys.js';
import { presToUser } from '../topic/presence.js';
import { deleteTopicOffline } from './offline-delete.js';

/**
 * The registry of live topics. A topic loads on its first subscription and unloads after it has
 * had no sessions for `idleTopicMs`. Everything reaches a topic through the hub by name, with
 * asynchronous, message-shaped calls, so that in a cluster the same calls can go to the node that
 * owns the topic.
 */
export class Hub {
  private readonly topics = new Map<string, Topic>();
  private readonly loading = new Map<string, Promise<Topic>>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly ctx: () => ServerContext,
    private readonly idleTopicMs = 4000,
  ) {
    // One sweep unloads idle topics instead of a timer per topic.
    this.timer = setInterval(() => this.unloadIdle(), Math.max(250, Math.min(idleTopicMs, 5000)));
    this.timer.unref();
  }

  /** The live topic of that name, if loaded. */
  get(name: string): Topic | undefined {
    return this.topics.get(name);
  }

  get size(): number {
    return this.topics.size;
  }

  /**
   * Subscribes the request's session: loads the topic if needed (a failure to load is the
   * request's reply, thrown), then lets the topic handle the subscription in its inbox.
   */
  async join(req: Request<SubMsg>): Promise<void> {
    const topic = await this.load(req);
    await topic.subscribe(req);
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
        const topic = createTopic(this.ctx(), name, req);
        if (!topic.reachableBy(req.asUser)) {
          // Names are resolved per user before this; a topic never loads for someone else.
          throw new ProtocolError('topicNotFound');
        }
        await topic.init(req);
        this.topics.set(name, topic);
        return topic;
      })();
      this.loading.set(name, pending);
      pending.finally(() => this.loading.delete(name)).catch(() => undefined);
    }
    return pending;
  }

  /** Delivers a server message (presence, info) to a live topic; dropped when not loaded. */
  route(name: string, msg: Routed): void {
    this.topics.get(name)?.serverMessage(msg);
  }

  /** Loads the `sys` topic, which stays live while the server runs. */
  async loadSys(): Promise<void> {
    const sys = new SysTopic(this.ctx(), 'sys', 'sys');
    await sys.init(null);
    this.topics.set('sys', sys);
  }

  /**
   * `{pub}` from a session not attached to the topic: only `sys` takes it. Elsewhere the
   * reference answers "accepted" for unknown topics so that names cannot be probed.
   */
  async publishDetached(req: Request<PubMsg>): Promise<void> {
    const topic = this.topics.get(req.rcptTo);
    if (req.rcptTo === 'sys' && topic) {
      await topic.publish(req);
      return;
    }
    throw new ProtocolError('attachFirst');
  }

  /**
   * `{del what="topic"}`: a live topic decides in its inbox (owner deletes, others leave); a
   * topic that is not loaded is handled from the store.
   */
  async deleteTopicRequest(req: Request<DelMsg>): Promise<void> {
    const topic = this.topics.get(req.rcptTo);
    if (topic && !topic.isStopping) {
      await topic.meta(req);
      return;
    }
    await deleteTopicOffline(this.ctx(), req);
  }

  /**
   * Deletes a live conversation from the store and stops it; called from the topic's inbox.
   * `req` is null when the topic goes because its last p2p participant left.
   */
  async deleteTopic(t: ConvTopic, req: Request<DelMsg> | null): Promise<void> {
    const hard = req ? req.msg.body.hard === true || t.cat === 'p2p' : true;
    t.deleted = true;
    try {
      await this.ctx().store.adapter.topicDelete(t.name, t.isChannel(), hard);
    } catch (err) {
      t.deleted = false;
      throw err;
    }
    if (req) {
      req.sess.send(reply('ok', req.msg.id, req.original, new Date()));
    }
    this.ctx().plugins.topic(t.name, null, ACT_DELETE);
    this.remove(t);
    // Runs after the current inbox job: the topic tells its members and detaches everyone.
    void t.unload('deleted', req?.sess.sid);
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
            if (other !== undefined) presToUser(this.ctx(), other, userId(uid), 'gone', {});
          }
        }
        stopping.push(topic.unload('deleted'));
      }
    }
    await Promise.all(stopping);
  }

  /** Removes a topic from the registry (it unloaded itself or was deleted). */
  remove(topic: Topic): void {
    if (this.topics.get(topic.name) === topic) {
      this.topics.delete(topic.name);
    }
  }

  private unloadIdle(): void {
    const now = Date.now();
    for (const topic of this.topics.values()) {
      if (topic.idleSince !== null && now - topic.idleSince >= this.idleTopicMs) {
        this.topics.delete(topic.name);
        void topic.unload('idle');
      }
    }
  }

  /** Detaches a session from every topic (it is going away). */
  detachAll(sess: Session): void {
    for (const topic of sess.subs.values()) {
      topic.sessionGone(sess);
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
