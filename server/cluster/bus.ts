import { RequestError, TimeoutError, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';

/**
 * The subjects nodes talk on, over the NATS connection of the membership: each node answers
 * requests on `<prefix>.node.<name>.req` (a topic request forwarded to its master, a topic
 * released to a new master) and takes one-way events on `<prefix>.node.<name>.evt` (messages for
 * its sessions, attachments, presence for its topics). One subject for all events to a node keeps
 * them in the order they were published: a topic's attach, its reply and its broadcasts reach the
 * session in the order the topic made them.
 */

/** A request that found nobody: the node is gone, or its subscription is not up (yet). */
export class NodeUnreachable extends Error {
  override readonly name = 'NodeUnreachable';
}

export interface BusOptions {
  prefix: string;
  self: string;
  /** Requests wait this long for an answer (ms). */
  requestTimeoutMs: number;
}

export class NodeBus {
  readonly #nc: NatsConnection;
  readonly #o: BusOptions;
  readonly #subs: Subscription[] = [];

  constructor(nc: NatsConnection, o: BusOptions) {
    this.#nc = nc;
    this.#o = o;
  }

  private subject(node: string, kind: 'req' | 'evt'): string {
    return `${this.#o.prefix}.node.${node}.${kind}`;
  }

  /**
   * Starts answering requests with `onRequest` (its text is the reply; a throw is logged by the
   * caller's handler, never left unanswered) and taking events with `onEvent`, in arrival order.
   */
  listen(onRequest: (data: Uint8Array) => Promise<string>, onEvent: (data: Uint8Array) => void): void {
    this.#subs.push(
      this.#nc.subscribe(this.subject(this.#o.self, 'req'), {
        callback: (err, msg) => {
          if (err) return;
          void this.answer(msg, onRequest);
        },
      }),
      this.#nc.subscribe(this.subject(this.#o.self, 'evt'), {
        callback: (err, msg) => {
          if (!err) onEvent(msg.data);
        },
      }),
    );
  }

  private async answer(msg: Msg, onRequest: (data: Uint8Array) => Promise<string>): Promise<void> {
    const text = await onRequest(msg.data);
    try {
      msg.respond(text);
    } catch {
      // The link is down: the asker times out and tries again.
    }
  }

  /** Sends a request to a node; throws {@link NodeUnreachable} when nobody answers. */
  async request(node: string, text: string, timeoutMs = this.#o.requestTimeoutMs): Promise<Uint8Array> {
    try {
      const m = await this.#nc.request(this.subject(node, 'req'), text, { timeout: timeoutMs });
      return m.data;
    } catch (err) {
      if ((err instanceof RequestError && err.isNoResponders()) || err instanceof TimeoutError || (err instanceof Error && /timeout|no responders/i.test(err.message))) {
        throw new NodeUnreachable(`node ${node} did not answer: ${err.message}`);
      }
      throw new NodeUnreachable(`node ${node} could not be asked: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Sends an event to a node; false when the link is down (the event is lost). */
  publish(node: string, text: string): boolean {
    try {
      this.#nc.publish(this.subject(node, 'evt'), text);
      return true;
    } catch {
      return false;
    }
  }

  /** Stops listening (the connection itself belongs to the membership). */
  async close(): Promise<void> {
    for (const s of this.#subs.splice(0)) {
      await s.drain().catch(() => undefined);
    }
  }
}
