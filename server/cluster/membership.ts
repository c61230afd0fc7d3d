import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV, type KvWatchEntry } from '@nats-io/kv';
import { natsAuth, type ClusterSettings } from './config.js';

/**
 * Who is in the cluster, kept in a JetStream key-value bucket on NATS (`<prefix>_cluster`): each
 * node writes its record under `node.<name>` every heartbeat and watches everyone's. A node is
 * live while its record was written within `failAfterMs`; a node that stops gracefully deletes its
 * record, so the others see it leave at once. Writes are conditional on the revision the node
 * wrote last, so two processes started with the same name cannot both hold it: the second is
 * refused at start, and a node whose record another process took over stops counting itself in.
 *
 * While its link to NATS is down (or its writes fail) a node is not `ready`: it must refuse
 * cluster work instead of acting alone, and it rejoins when the link is back.
 */

/** A node's record in the bucket. */
export interface MemberRecord {
  readonly name: string;
  readonly workerId: number;
  /** Random per process: tells a restarted node from the one before it. */
  readonly instance: string;
  readonly host: string;
  readonly pid: number;
  readonly startedAt: string;
  /** What the node serves, for `cluster status`. */
  readonly load: MemberLoad;
}

export interface MemberLoad {
  readonly sessions: number;
  readonly topics: number;
}

export interface MemberView extends MemberRecord {
  readonly live: boolean;
  /** Milliseconds since its record was last written, as seen here. */
  readonly silentMs: number;
}

/** Why a node cannot serve the cluster right now. */
export type NotReady = 'disconnected' | 'writes failing' | 'name taken' | 'stopped';

export class ClusterStartError extends Error {
  override readonly name = 'ClusterStartError';
}

interface Seen {
  record: MemberRecord;
  /** performance.now() when the record was written, as far as this node can tell. */
  at: number;
}

export interface MembershipOptions {
  /** The node's load, read at each heartbeat. */
  load?: () => MemberLoad;
  log?: { info(s: string): void; warn(s: string): void };
}

export class Membership {
  readonly #s: ClusterSettings;
  readonly #nc: NatsConnection;
  readonly #kv: KV;
  readonly #opts: MembershipOptions;
  readonly #key: string;
  readonly #record: Omit<MemberRecord, 'load'>;
  readonly #seen = new Map<string, Seen>();
  readonly #listeners = new Set<(live: readonly string[]) => void>();
  readonly #readyListeners = new Set<(ready: boolean, why: NotReady | null) => void>();
  #revision = 0;
  #notReady: NotReady | null = null;
  #live: readonly string[] = [];
  #timer: NodeJS.Timeout | null = null;
  #writing = false;
  /** The heartbeat write in flight (settled when none is). */
  #writes: Promise<unknown> = Promise.resolve();
  #lastWrite = 0;

  private constructor(s: ClusterSettings, nc: NatsConnection, kv: KV, opts: MembershipOptions) {
    this.#s = s;
    this.#nc = nc;
    this.#kv = kv;
    this.#opts = opts;
    this.#key = `node.${s.self}`;
    this.#record = {
      name: s.self,
      workerId: s.workerId,
      instance: randomBytes(8).toString('hex'),
      host: hostname(),
      pid: process.pid,
      startedAt: new Date().toISOString(),
    };
  }

  /** Connects to NATS, claims this node's name and starts the heartbeats. */
  static async start(s: ClusterSettings, opts: MembershipOptions = {}): Promise<Membership> {
    let nc: NatsConnection;
    try {
      nc = await connect({
        ...natsAuth(s.nats),
        name: `tinode ${s.self}`,
        maxReconnectAttempts: -1,
        reconnectTimeWait: Math.min(1000, s.heartbeatMs * 2),
        // A link that goes quiet is noticed within the time a node may stay silent.
        pingInterval: Math.max(500, Math.floor(s.failAfterMs / 2)),
        maxPingOut: 2,
        timeout: Math.max(2000, s.failAfterMs),
      });
    } catch (err) {
      throw new ClusterStartError(`cannot reach NATS at ${s.nats.servers.join(', ')} (cluster_config.nats_url): ${err instanceof Error ? err.message : String(err)}`);
    }
    try {
      const kv = await new Kvm(nc).create(`${s.nats.prefix}_cluster`, { history: 1, ttl: 3_600_000 });
      const m = new Membership(s, nc, kv, opts);
      await m.claim();
      await m.watch();
      m.tick();
      m.#timer = setInterval(() => m.tick(), s.heartbeatMs);
      m.watchStatus();
      return m;
    } catch (err) {
      await nc.close().catch(() => undefined);
      if (err instanceof ClusterStartError) throw err;
      throw new ClusterStartError(
        `cannot use NATS JetStream at ${s.nats.servers.join(', ')}: ${err instanceof Error ? err.message : String(err)} (start nats-server with -js)`,
      );
    }
  }

  /** The link to NATS, shared with the node bus (closed by {@link stop}). */
  get connection(): NatsConnection {
    return this.#nc;
  }

  /** This node's name and worker id. */
  get self(): string {
    return this.#s.self;
  }

  /** Whether this node may serve the cluster now (linked to NATS, its name its own). */
  get ready(): boolean {
    return this.#notReady === null;
  }

  get notReady(): NotReady | null {
    return this.#notReady;
  }

  /** Live nodes, sorted (this one among them while it is ready). */
  get live(): readonly string[] {
    return this.#live;
  }

  /** Every node with a record, live or not. */
  members(): MemberView[] {
    const now = performance.now();
    return [...this.#seen.values()]
      .map((v) => ({ ...v.record, live: this.#live.includes(v.record.name), silentMs: Math.max(0, Math.round(now - v.at)) }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Calls `fn` with the live nodes whenever they change. */
  onChange(fn: (live: readonly string[]) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Calls `fn` when this node stops or starts being ready. */
  onReady(fn: (ready: boolean, why: NotReady | null) => void): () => void {
    this.#readyListeners.add(fn);
    return () => this.#readyListeners.delete(fn);
  }

  /** Leaves the cluster: deletes this node's record (the others see it go at once) and disconnects. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    const wasReady = this.#notReady !== 'name taken';
    this.setNotReady('stopped');
    if (wasReady) {
      // A heartbeat may be in flight: delete the record as it stands, if it is still ours.
      await this.#writes.catch(() => undefined);
      const now = await this.#kv.get(this.#key).catch(() => null);
      if (now && now.operation === 'PUT' && now.length > 0 && now.json<MemberRecord>().instance === this.#record.instance) {
        await this.#kv.delete(this.#key, { previousSeq: now.revision }).catch(() => undefined);
      }
    }
    await this.#nc.close().catch(() => undefined);
  }

  /** Takes this node's name: refused while another live process holds it. */
  private async claim(): Promise<void> {
    const prev = await this.#kv.get(this.#key);
    const value = this.value();
    if (prev && prev.operation === 'PUT' && prev.length > 0) {
      const rec = prev.json<MemberRecord>();
      const age = Date.now() - prev.created.getTime();
      if (age < this.#s.failAfterMs) {
        throw new ClusterStartError(
          `a node named "${this.#s.self}" is already running (${rec.host}, pid ${rec.pid}, since ${rec.startedAt}): give this one another name (--cluster-self) or stop that one`,
        );
      }
      this.#revision = await this.#kv.update(this.#key, value, prev.revision).catch(() => this.refusedClaim());
    } else if (prev) {
      this.#revision = await this.#kv.update(this.#key, value, prev.revision).catch(() => this.refusedClaim());
    } else {
      this.#revision = await this.#kv.create(this.#key, value).catch(() => this.refusedClaim());
    }
    this.#lastWrite = performance.now();
  }

  private refusedClaim(): never {
    throw new ClusterStartError(`another process took the name "${this.#s.self}" while this one started: give this one another name (--cluster-self)`);
  }

  private value(): string {
    const load = this.#opts.load?.() ?? { sessions: 0, topics: 0 };
    return JSON.stringify({ ...this.#record, load } satisfies MemberRecord);
  }

  /** Follows every node's record; the first values are the records as they stand. */
  private async watch(): Promise<void> {
    const it = await this.#kv.watch({ key: 'node.>' });
    void (async () => {
      for await (const e of it) this.onEntry(e);
    })().catch((err: unknown) => this.#opts.log?.warn(`cluster: watching the members stopped: ${String(err)}`));
  }

  private onEntry(e: KvWatchEntry): void {
    const name = e.key.slice('node.'.length);
    if (e.operation !== 'PUT' || e.length === 0) {
      this.#seen.delete(name);
    } else {
      const record = e.json<MemberRecord>();
      // A record from the history is as old as the server says; a new one was written just now.
      const at = e.isUpdate ? performance.now() : performance.now() - Math.max(0, Date.now() - e.created.getTime());
      this.#seen.set(name, { record, at });
      if (name === this.#s.self && record.instance !== this.#record.instance) {
        this.#opts.log?.warn(`cluster: another process (${record.host}, pid ${record.pid}) now runs as "${name}"`);
        this.setNotReady('name taken');
      }
    }
    this.recompute();
  }

  /** One heartbeat: write the record, then see who is still live. */
  private tick(): void {
    if (this.#notReady === 'name taken' || this.#notReady === 'stopped') {
      return;
    }
    if (!this.#writing && !this.#nc.isClosed()) {
      this.#writing = true;
      this.#writes = this.#kv
        .update(this.#key, this.value(), this.#revision, Math.max(1000, this.#s.failAfterMs))
        .then(
          (rev) => {
            this.#revision = rev;
            this.#lastWrite = performance.now();
            if (this.#notReady === 'writes failing' || this.#notReady === 'disconnected') {
              this.setNotReady(null);
            }
          },
          (err: unknown) => this.writeFailed(err),
        )
        .finally(() => (this.#writing = false));
    }
    if (this.#notReady === null && performance.now() - this.#lastWrite > this.leaseMs) {
      this.setNotReady('writes failing');
    }
    this.recompute();
  }

  private async writeFailed(err: unknown): Promise<void> {
    const text = err instanceof Error ? err.message : String(err);
    if (/wrong last sequence/i.test(text)) {
      // A heartbeat that timed out here may have been written after all (a busy node): the record
      // is still ours if it holds this process's instance, and the next write takes its revision.
      const now = await this.#kv.get(this.#key).catch(() => null);
      if (now && now.operation === 'PUT' && now.length > 0 && now.json<MemberRecord>().instance === this.#record.instance) {
        this.#revision = now.revision;
        return;
      }
      // Someone else wrote our record: the watch tells who; until then this node is out.
      this.setNotReady('name taken');
      return;
    }
    if (this.#notReady === null && performance.now() - this.#lastWrite > this.leaseMs) {
      this.setNotReady('writes failing');
    }
  }

  /**
   * How long after its last heartbeat written a node still acts as a member: half the time the
   * others wait before they count it gone (they time its silence from when they heard it, which
   * is later), so a node cut off stops serving its topics before another node takes them.
   */
  private get leaseMs(): number {
    return this.#s.failAfterMs / 2;
  }

  private watchStatus(): void {
    void (async () => {
      for await (const s of this.#nc.status()) {
        if (s.type === 'disconnect') {
          this.#opts.log?.warn(`cluster: lost the link to NATS (${s.server}): refusing cluster work until it is back`);
          if (this.#notReady === null) this.setNotReady('disconnected');
        } else if (s.type === 'reconnect') {
          this.#opts.log?.info(`cluster: linked to NATS again (${s.server})`);
          this.tick();
        }
      }
    })().catch(() => undefined);
  }

  private setNotReady(why: NotReady | null): void {
    if (this.#notReady === why) return;
    this.#notReady = why;
    for (const fn of this.#readyListeners) fn(why === null, why);
    this.recompute();
  }

  /** The live set: records written within `failAfterMs`, this node only while ready. */
  private recompute(): void {
    const now = performance.now();
    const live: string[] = [];
    for (const [name, v] of this.#seen) {
      if (name === this.#s.self) {
        if (this.#notReady === null) live.push(name);
      } else if (now - v.at < this.#s.failAfterMs) {
        live.push(name);
      }
    }
    live.sort();
    if (live.length === this.#live.length && live.every((n, i) => n === this.#live[i])) {
      return;
    }
    const before = this.#live;
    this.#live = live;
    const joined = live.filter((n) => !before.includes(n));
    const left = before.filter((n) => !live.includes(n));
    if (joined.length > 0 || left.length > 0) {
      this.#opts.log?.info(
        `cluster: ${[joined.length > 0 ? `joined: ${joined.join(', ')}` : '', left.length > 0 ? `left: ${left.join(', ')}` : ''].filter(Boolean).join('; ')} (live: ${live.join(', ') || 'none'})`,
      );
    }
    for (const fn of this.#listeners) fn(live);
  }
}
