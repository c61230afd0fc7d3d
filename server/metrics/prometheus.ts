import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { readOnlyRoute, type ExtraRoute } from './routes.js';
import type { Stats, StatsTransport } from './stats.js';

/**
 * Prometheus metrics at `metrics_path` (`/metrics`), with prom-client: Node's own (event loop
 * lag, heap and resident memory, GC, CPU, open handles) and the server's, named `tinode_…`:
 * sessions by transport, live topics, messages in and out by transport, `{ctrl}` answers by
 * class, commits of messages (topics' batches and messages per transaction, seconds, failures),
 * file transfers and their bytes, plugin calls and failures by plugin and method.
 *
 * One registry per server (not prom-client's global one), so servers in one process (tests)
 * keep their figures apart. Counts kept elsewhere are read when Prometheus scrapes.
 */
export interface MetricsSources {
  /** Live sessions by transport. */
  sessionsByTransport(): Record<StatsTransport, number>;
  liveTopics(): number;
}

const TRANSPORTS: StatsTransport[] = ['ws', 'lp', 'grpc'];

export class Metrics {
  readonly registry = new Registry();
  readonly #commitBatches: Histogram;
  readonly #commitMessages: Histogram;
  readonly #commitSeconds: Histogram;
  readonly #commitFailures: Counter;
  readonly #pluginCalls: Counter;
  readonly #pluginFailures: Counter;

  constructor(stats: Stats, src: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'tinode_sessions',
      help: 'Live sessions by transport',
      labelNames: ['transport'],
      registers,
      collect() {
        const by = src.sessionsByTransport();
        for (const t of TRANSPORTS) this.set({ transport: t }, by[t]);
      },
    });
    new Gauge({
      name: 'tinode_topics_live',
      help: 'Topics loaded in memory',
      registers,
      collect() {
        this.set(src.liveTopics());
      },
    });
    // Totals kept by Stats, exported as counters: each scrape adds what grew since the last.
    const mirrored = (name: string, help: string, labelNames: string[], read: () => [Record<string, string>, number][]) => {
      const seen = new Map<string, number>();
      new Counter({
        name,
        help,
        labelNames,
        registers,
        collect() {
          for (const [labels, value] of read()) {
            const key = JSON.stringify(labels);
            const before = seen.get(key);
            seen.set(key, value);
            // The first scrape shows every label set, at zero if nothing happened yet.
            if (before === undefined || value > before) this.inc(labels, value - (before ?? 0));
          }
        },
      });
    };
    mirrored('tinode_messages_received_total', 'Client messages received, by transport', ['transport'], () => TRANSPORTS.map((t) => [{ transport: t }, stats.receivedTotal(t)]));
    mirrored('tinode_messages_sent_total', 'Server messages sent, by transport', ['transport'], () => TRANSPORTS.map((t) => [{ transport: t }, stats.sentTotal(t)]));
    mirrored('tinode_ctrl_replies_total', 'Answers ({ctrl} with an id) by class of code', ['class'], () =>
      ([2, 3, 4, 5] as const).map((c) => [{ class: `${c}xx` }, stats.ctrlTotal(c)]),
    );
    mirrored('tinode_file_transfers_total', 'Files uploaded and served', ['direction'], () => [
      [{ direction: 'upload' }, stats.fileUploadsTotal],
      [{ direction: 'download' }, stats.fileDownloadsTotal],
    ]);
    mirrored('tinode_file_bytes_total', 'Bytes of files uploaded and served', ['direction'], () => [
      [{ direction: 'upload' }, stats.fileBytesIn],
      [{ direction: 'download' }, stats.fileBytesOut],
    ]);
    this.#commitBatches = new Histogram({
      name: 'tinode_store_commit_batches',
      help: "Topics' batches of messages and marks in one transaction",
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    });
    this.#commitMessages = new Histogram({
      name: 'tinode_store_commit_messages',
      help: 'Messages stored in one transaction',
      buckets: [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registers,
    });
    this.#commitSeconds = new Histogram({
      name: 'tinode_store_commit_seconds',
      help: 'Time from handing a commit to the database to its end',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
      registers,
    });
    this.#commitFailures = new Counter({ name: 'tinode_store_commit_failures_total', help: 'Commits the database refused (their batches then went one by one)', registers });
    this.#pluginCalls = new Counter({ name: 'tinode_plugin_calls_total', help: 'Calls to plugins', labelNames: ['plugin', 'method'], registers });
    this.#pluginFailures = new Counter({ name: 'tinode_plugin_failures_total', help: 'Calls to plugins that failed or timed out', labelNames: ['plugin', 'method'], registers });
  }

  /** A commit of messages and marks ended. */
  commit(c: { batches: number; messages: number; seconds: number; ok: boolean }): void {
    this.#commitBatches.observe(c.batches);
    this.#commitMessages.observe(c.messages);
    this.#commitSeconds.observe(c.seconds);
    if (!c.ok) this.#commitFailures.inc();
  }

  /** A call to a plugin ended. */
  pluginCall(plugin: string, method: string, ok: boolean): void {
    this.#pluginCalls.inc({ plugin, method });
    if (!ok) this.#pluginFailures.inc({ plugin, method });
  }

  /** The HTTP handler of `metrics_path`. */
  handler(): ExtraRoute {
    return readOnlyRoute(async () => ({ type: this.registry.contentType, body: await this.registry.metrics() }));
  }

  /** Stops Node's own collectors (the event loop lag monitor). */
  close(): void {
    this.registry.clear();
  }
}
