import { encodeServerJson } from '../../src/wire/codec/json-encode.js';
import { serializeServerMsg } from '../../src/wire/codec/proto-codec.js';
import type { ServerMessage } from '../../src/wire/server-messages.js';
import { readOnlyRoute, type ExtraRoute } from './routes.js';

/**
 * The server's runtime statistics under the reference's names, served as JSON at `expvar`
 * (`/debug/vars`) the way Go's expvar serves them, so Tinode's monitoring exporter
 * (monitoring/exporter in tinode/chat, for Prometheus and InfluxDB) reads this server unchanged:
 * sessions and topics live and in total, messages in and out per transport, file transfers,
 * `{ctrl}` codes by class, request latency and outgoing message sizes as histograms, memory.
 *
 * Counting costs a few additions per message; the figures are put together only when asked.
 */

/** The reference's bounds: request latency in milliseconds. */
const LATENCY_BOUNDS = [1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 20, 25, 30, 40, 50, 65, 80, 100, 130, 160, 200, 250, 300, 400, 500, 650, 800, 1000, 2000, 5000, 10000, 20000, 50000, 100000];
/** The reference's bounds: outgoing message sizes in bytes. */
const SIZE_BOUNDS = [
  1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864, 268435456, 1073741824, 4294967296,
];

/** A histogram as the reference publishes it: a sample goes to the first bound not below it, or past the last. */
export class Histogram {
  count = 0;
  sum = 0;
  readonly perBucket: number[];

  constructor(readonly bounds: readonly number[]) {
    this.perBucket = new Array<number>(bounds.length + 1).fill(0);
  }

  add(v: number): void {
    this.count++;
    this.sum += v;
    let lo = 0;
    let hi = this.bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.bounds[mid]! >= v) hi = mid;
      else lo = mid + 1;
    }
    this.perBucket[lo]!++;
  }

  toJSON(): object {
    return { count: this.count, sum: this.sum, count_per_bucket: this.perBucket, bounds: this.bounds };
  }
}

export type StatsTransport = 'ws' | 'lp' | 'grpc';

const TRANSPORT_NAME: Record<StatsTransport, string> = { ws: 'Websock', lp: 'Longpoll', grpc: 'Grpc' };

/** What the statistics read from the parts that keep them (live counts). */
export interface StatsSources {
  liveSessions(): number;
  liveTopics(): number;
  totalTopics(): number;
  /** In a cluster: its configured and live nodes. */
  cluster?: (() => { total: number; live: number }) | undefined;
}

export class Stats {
  readonly #started = performance.now();
  readonly #incoming: Record<StatsTransport, number> = { ws: 0, lp: 0, grpc: 0 };
  readonly #outgoing: Record<StatsTransport, number> = { ws: 0, lp: 0, grpc: 0 };
  readonly #ctrl = [0, 0, 0, 0];
  readonly #sizes = new WeakMap<ServerMessage, number>();
  readonly latency = new Histogram(LATENCY_BOUNDS);
  readonly outgoingSize = new Histogram(SIZE_BOUNDS);
  #totalSessions = 0;
  #fileUploads = 0;
  #fileDownloads = 0;
  #sources: StatsSources | null = null;

  /** @param version the protocol version the server reports in `{hi}` (`0.25`). */
  constructor(private readonly version: string) {}

  /** Where the live counts come from (set once the parts exist). */
  attach(sources: StatsSources): void {
    this.#sources = sources;
  }

  sessionOpened(): void {
    this.#totalSessions++;
  }

  /** A client message arrived (decoded or not). */
  received(t: StatsTransport): void {
    this.#incoming[t]++;
  }

  /** A server message was handed to a client's connection. */
  sent(t: StatsTransport, msg: ServerMessage): void {
    this.#outgoing[t]++;
    this.outgoingSize.add(this.sizeOf(t, msg));
    if ('ctrl' in msg && msg.ctrl.id) {
      const code = msg.ctrl.code;
      if (code >= 200 && code < 600) this.#ctrl[Math.floor(code / 100) - 2]!++;
      // From the request's arrival (the ctrl's timestamp) to its answer.
      this.latency.add(Math.max(0, Date.now() - msg.ctrl.ts.getTime()));
    }
  }

  fileUploaded(bytes = 0): void {
    this.#fileUploads++;
    this.fileBytesIn += bytes;
  }

  fileDownloaded(bytes = 0): void {
    this.#fileDownloads++;
    this.fileBytesOut += bytes;
  }

  get fileUploadsTotal(): number {
    return this.#fileUploads;
  }

  get fileDownloadsTotal(): number {
    return this.#fileDownloads;
  }

  /** Bytes of files uploaded and served. */
  fileBytesIn = 0;
  fileBytesOut = 0;

  /** Client messages received over a transport so far. */
  receivedTotal(t: StatsTransport): number {
    return this.#incoming[t];
  }

  /** Server messages sent over a transport so far. */
  sentTotal(t: StatsTransport): number {
    return this.#outgoing[t];
  }

  /** `{ctrl}` answers by class (2, 3, 4, 5 for 2xx … 5xx). */
  ctrlTotal(cls: 2 | 3 | 4 | 5): number {
    return this.#ctrl[cls - 2]!;
  }

  /** The encoded size, as the transport sends it (both encodings are cached per message). */
  private sizeOf(t: StatsTransport, msg: ServerMessage): number {
    if (t === 'grpc') {
      return serializeServerMsg(msg).length;
    }
    let n = this.#sizes.get(msg);
    if (n === undefined) {
      n = Buffer.byteLength(encodeServerJson(msg));
      this.#sizes.set(msg, n);
    }
    return n;
  }

  /** The variables, as Go's expvar would list them. */
  vars(): Record<string, unknown> {
    const mem = process.memoryUsage();
    const s = this.#sources;
    const out: Record<string, unknown> = {
      cmdline: process.argv,
      memstats: {
        // Go's names, nearest Node figures: the exporter reads Alloc.
        Alloc: mem.heapUsed,
        HeapAlloc: mem.heapUsed,
        HeapSys: mem.heapTotal,
        HeapInuse: mem.heapUsed,
        Sys: mem.rss,
        ExternalAlloc: mem.external,
        ArrayBuffers: mem.arrayBuffers,
      },
      Uptime: (performance.now() - this.#started) / 1000,
      // Node has no goroutines; the nearest figure is what keeps its event loop busy.
      NumGoroutines: process.getActiveResourcesInfo().length,
      Version: base10Version(this.version),
      LiveSessions: s?.liveSessions() ?? 0,
      TotalSessions: this.#totalSessions,
      LiveTopics: s?.liveTopics() ?? 0,
      TotalTopics: s?.totalTopics() ?? 0,
      FileDownloadsTotal: this.#fileDownloads,
      FileUploadsTotal: this.#fileUploads,
      CtrlCodesTotal2xx: this.#ctrl[0],
      CtrlCodesTotal3xx: this.#ctrl[1],
      CtrlCodesTotal4xx: this.#ctrl[2],
      CtrlCodesTotal5xx: this.#ctrl[3],
      // Zero on a standalone server, as the reference. A cluster on NATS elects no leader: 0.
      ClusterLeader: 0,
      TotalClusterNodes: s?.cluster?.().total ?? 0,
      LiveClusterNodes: s?.cluster?.().live ?? 0,
      RequestLatency: this.latency.toJSON(),
      OutgoingMessageSize: this.outgoingSize.toJSON(),
    };
    for (const t of ['ws', 'lp', 'grpc'] as const) {
      out[`IncomingMessages${TRANSPORT_NAME[t]}Total`] = this.#incoming[t];
      out[`OutgoingMessages${TRANSPORT_NAME[t]}Total`] = this.#outgoing[t];
    }
    return out;
  }

  /** The HTTP handler of the `expvar` path. */
  handler(): ExtraRoute {
    return readOnlyRoute(() => ({ type: 'application/json; charset=utf-8', body: JSON.stringify(this.vars(), null, 1) }));
  }
}

/** `0.25.3` → 2503, as the reference's base10Version (major·10000 + minor·100 + patch). */
export function base10Version(v: string): number {
  const part = (s: string | undefined) => {
    const m = /^\d+/.exec(s ?? '');
    const n = m ? Number(m[0]) : 0;
    return n > 0 && n <= 0x1fff ? n & 0xff : 0;
  };
  const [major, minor, patch] = v.replace(/^v/, '').split('.', 3);
  return part(major) * 10000 + part(minor) * 100 + part(patch);
}
