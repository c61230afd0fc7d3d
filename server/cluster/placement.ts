import type { ClusterSettings } from './config.js';
import type { Membership } from './membership.js';
import { Ring } from './ring.js';

/**
 * Which node is the master of a topic, by its routable name (`usr…` for a user's `me`, `fnd…`,
 * `slf…`, `sys`, the canonical `p2p…` name, `grp…` for groups and channels: see
 * server/request/topic-name.ts). With failover the ring holds the live nodes and is recomputed
 * whenever they change, so the topics of a node that is gone move to the others; without it the
 * ring holds every configured node, live or not, and a topic whose master is down is unreachable
 * until it is back (the reference's behaviour, `{ctrl 502 "cluster unreachable"}`).
 *
 * While this node is not ready (cut off from NATS) nothing is placed anywhere: it must not act as
 * a master on its own.
 */
export class Placement {
  readonly #s: ClusterSettings;
  readonly #m: Membership;
  #ring: Ring;
  readonly #listeners = new Set<(now: Ring, before: Ring) => void>();

  constructor(settings: ClusterSettings, membership: Membership) {
    this.#s = settings;
    this.#m = membership;
    this.#ring = this.build();
    membership.onChange(() => this.update());
    membership.onReady(() => this.update());
  }

  /** The ring in use now. */
  get ring(): Ring {
    return this.#ring;
  }

  /** The master of a topic: a node's name, or '' when none can serve it now. */
  masterOf(routable: string): string {
    if (!this.#m.ready) {
      return '';
    }
    const node = this.#ring.get(routable);
    // Without failover the ring keeps nodes that are down: their topics have no master for now.
    return this.#m.live.includes(node) ? node : '';
  }

  isLocal(routable: string): boolean {
    return this.masterOf(routable) === this.#s.self;
  }

  /**
   * A new topic's name drawn until this node is its master (as the reference does), so a topic is
   * created where it is asked for. Undefined while this node is not on the ring.
   */
  newLocalName(draw: () => string): string | undefined {
    if (!this.#m.ready || !this.#ring.nodes.includes(this.#s.self)) {
      return undefined;
    }
    // Each draw lands here with a chance of about 1/nodes: 64 misses in a row is a broken ring.
    for (let i = 0; i < 64 * this.#ring.nodes.length; i++) {
      const name = draw();
      if (this.#ring.get(name) === this.#s.self) return name;
    }
    return undefined;
  }

  /** Calls `fn` with the new ring and the one before whenever the ring changes. */
  onChange(fn: (now: Ring, before: Ring) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  private build(): Ring {
    return new Ring(this.#s.failover ? this.#m.live : this.#s.nodes);
  }

  private update(): void {
    const next = this.build();
    const before = this.#ring;
    if (next.nodes.length === before.nodes.length && next.nodes.every((n, i) => n === before.nodes[i])) {
      return;
    }
    this.#ring = next;
    for (const fn of this.#listeners) fn(next, before);
  }
}
