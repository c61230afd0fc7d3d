import type { ServerContext } from '../context.js';
import type { Request } from '../session/request.js';
import type { Session } from '../session/session.js';
import { createTopic } from '../topic/factory.js';
import type { Routed } from '../topic/routed.js';
import type { Topic } from '../topic/topic.js';
import type { SubMsg } from '../../src/wire/client-messages.js';

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
