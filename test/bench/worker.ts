/**
 * A load-generator process: holds a share of the sessions of a scenario and runs what the
 * orchestrator (run.ts) asks over IPC: open sessions, publish (open or closed loop), read history
 * pages, report figures. Started by run.ts with `fork`; one per ~5,000 sockets.
 */
import { openConn, type ClientFrame, type Conn, type FrameSink } from './client.js';
import { Histogram } from './histogram.js';
import { now, type FromWorker, type LoadReport, type PublisherSpec, type ReaderSpec, type SessionSpec, type Target, type ToWorker } from './protocol.js';

function reply(m: FromWorker): void {
  process.send?.(m);
}

interface Pending {
  resolve: () => void;
  reject: (e: Error) => void;
  needMeta: boolean;
  ctrl: boolean;
  meta: boolean;
  timer: NodeJS.Timeout;
}

/** Figures of the current load phase, shared by every session of this worker. */
class Stats {
  published = 0;
  measuredPub = 0;
  acked = 0;
  nacked = 0;
  delivered = 0;
  echoed = 0;
  firstPub = Infinity;
  lastPub = 0;
  hist = new Histogram();
  pages = 0;
  pageMessages = 0;
  pageErrors = 0;
  measureFrom = Infinity;
  errors = new Set<string>();

  error(e: string): void {
    if (this.errors.size < 8) this.errors.add(e);
  }
}

let stats = new Stats();
let closedSessions = 0;

class Session implements FrameSink {
  conn: Conn | null = null;
  private seq = 0;
  private readonly pending = new Map<string, Pending>();
  closed = false;
  /** Publisher state. */
  pub: PublisherSpec | null = null;
  outstanding = 0;
  lastEcho = 0;
  /** Start of this publisher's phase: echoes of an earlier phase do not open its window. */
  pubSince = 0;
  private content = '';
  /** Reader state. */
  reader: ReaderSpec | null = null;
  readStarted = 0;
  readPending = false;

  /** In a p2p topic the publisher's own copy is an echo, not a delivery. */
  private readonly p2p: boolean;

  constructor(readonly spec: SessionSpec) {
    this.p2p = spec.topics.some((t) => t.startsWith('usr'));
  }

  private id(prefix: string): string {
    return prefix + (++this.seq).toString(36);
  }

  request(frame: (id: string) => ClientFrame, timeoutMs: number, needMeta = false): Promise<void> {
    const id = this.id('r');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`timeout waiting for ${Object.keys(frame(id))[0]}`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, needMeta, ctrl: false, meta: false, timer });
      this.conn!.send(frame(id));
    });
  }

  async open(target: Target, timeoutMs: number): Promise<void> {
    this.conn = await openConn(target, this, timeoutMs);
    const u = this.spec.user;
    await this.request((id) => ({ hi: { id, ver: '0.25.3', ua: 'tinode-bench/1.0' } }), timeoutMs);
    await this.request((id) => ({ login: { id, scheme: 'token', secret: u.token } }), timeoutMs);
    if (this.spec.subMe) {
      await this.request((id) => ({ sub: { id, topic: 'me', get: { what: 'desc' } } }), timeoutMs, true);
    }
    for (const topic of this.spec.topics) {
      await this.request((id) => ({ sub: { id, topic } }), timeoutMs);
    }
  }

  onCtrl(id: string, code: number): void {
    const c = id.charCodeAt(0);
    if (c === 112 /* p: publication */) {
      if (code >= 200 && code < 300) stats.acked++;
      else {
        stats.nacked++;
        stats.error(`publish answered ${code}`);
      }
      return;
    }
    if (c === 103 /* g: history page */) {
      this.readPending = false;
      if (code >= 200 && code < 300) {
        if (this.readStarted >= stats.measureFrom) {
          stats.pages++;
          stats.hist.record(now() - this.readStarted);
        }
      } else {
        stats.pageErrors++;
        stats.error(`get data answered ${code}`);
      }
      if (this.reader) this.read();
      return;
    }
    const p = this.pending.get(id);
    if (!p) return;
    if (code >= 300) {
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.reject(new Error(`answered ${code}`));
      return;
    }
    p.ctrl = true;
    this.settle(id, p);
  }

  onMeta(id: string): void {
    const p = this.pending.get(id);
    if (p) {
      p.meta = true;
      this.settle(id, p);
    }
  }

  private settle(id: string, p: Pending): void {
    if (p.ctrl && (p.meta || !p.needMeta)) {
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.resolve();
    }
  }

  onData(sentAt: number, sender: number): void {
    if (sender === this.spec.idx) {
      if (sentAt >= stats.measureFrom) stats.echoed++;
      if (this.pub && this.pub.rate === 0 && sentAt >= this.pubSince) {
        this.outstanding--;
        this.lastEcho = now();
        this.fill();
      }
      // In a group every member's copy counts as a delivery, the publisher's own included.
      if (this.p2p) return;
    }
    if (sentAt >= stats.measureFrom) {
      stats.delivered++;
      stats.hist.record(now() - sentAt);
    }
  }

  onPlainData(): void {
    if (this.readPending) stats.pageMessages++;
  }

  onOther(): void {}

  onClose(reason: string): void {
    if (!this.closed) {
      this.closed = true;
      closedSessions++;
      stats.error(reason);
    }
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new Error(reason));
    }
  }

  startPublishing(p: PublisherSpec, size: number): void {
    this.pub = p;
    this.outstanding = 0;
    this.lastEcho = now();
    this.pubSince = this.lastEcho;
    const pad = Math.max(0, size - 30);
    this.content = 'x'.repeat(pad);
    if (p.rate === 0) this.fill();
  }

  /** Sends one publication stamped with the time. */
  publish(): void {
    if (!this.pub || this.closed) return;
    const t = now();
    stats.published++;
    if (t >= stats.measureFrom) {
      stats.measuredPub++;
      if (t < stats.firstPub) stats.firstPub = t;
      stats.lastPub = t;
    }
    this.conn!.send({ pub: { id: this.id('p'), topic: this.pub.topic, content: `@@${t}|${this.spec.idx}@@${this.content}` } });
  }

  /** Closed loop: keeps `window` publications in flight. */
  fill(): void {
    if (!this.pub) return;
    while (this.outstanding < this.pub.window) {
      this.outstanding++;
      this.publish();
    }
  }

  startReading(r: ReaderSpec): void {
    this.reader = r;
    this.read();
  }

  read(): void {
    const r = this.reader;
    if (!r || this.closed) return;
    const before = 2 + Math.floor(Math.random() * r.top);
    this.readPending = true;
    this.readStarted = now();
    this.conn!.send({ get: { id: this.id('g'), topic: r.topic, what: 'data', data: { before, limit: r.limit } } });
  }

  close(): void {
    this.closed = true;
    this.pub = null;
    this.reader = null;
    this.conn?.close();
  }
}

const sessions = new Map<number, Session>();
let ticker: NodeJS.Timeout | null = null;

async function openAll(targets: Target[], specs: SessionSpec[], concurrency: number, timeoutMs: number): Promise<void> {
  const hist = new Histogram();
  const errors = new Set<string>();
  let ok = 0;
  let failed = 0;
  let doneAt = 0;
  let next = 0;
  const one = async () => {
    while (next < specs.length) {
      const spec = specs[next++]!;
      const s = new Session(spec);
      const t0 = now();
      try {
        await s.open(targets[spec.idx % targets.length]!, timeoutMs);
        sessions.set(spec.idx, s);
        ok++;
        doneAt = now();
        hist.record(doneAt - t0);
      } catch (e) {
        failed++;
        s.close();
        if (errors.size < 8) errors.add((e as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, specs.length) }, one));
  reply({ type: 'opened', ok, failed, errors: [...errors], doneAt, hist: hist.toArray() });
}

function startLoad(publishers: PublisherSpec[], measureFrom: number, size: number): void {
  stats = new Stats();
  stats.measureFrom = measureFrom;
  const open: Session[] = [];
  for (const p of publishers) {
    const s = sessions.get(p.idx);
    if (!s) continue;
    s.startPublishing(p, size);
    if (p.rate > 0) open.push(s);
  }
  // Open loop: one ticker spreads the total rate over the publishers, round robin.
  const total = open.reduce((a, s) => a + s.pub!.rate, 0);
  const closedLoop = publishers.filter((p) => p.rate === 0).map((p) => sessions.get(p.idx)).filter((s): s is Session => !!s);
  const t0 = now();
  let sent = 0;
  let rr = 0;
  ticker = setInterval(() => {
    const t = now();
    if (total > 0) {
      const due = Math.floor(((t - t0) * total) / 1000) - sent;
      for (let i = 0; i < due; i++) {
        open[rr++ % open.length]!.publish();
      }
      sent += Math.max(0, due);
    }
    // A closed loop whose echo got lost (a dropped message) starts over after 10 s.
    for (const s of closedLoop) {
      if (s.outstanding > 0 && t - s.lastEcho > 10_000) {
        stats.error('a publication was not echoed within 10 s');
        s.outstanding = 0;
        s.lastEcho = t;
        s.fill();
      }
    }
  }, 1);
}

function stopLoad(): void {
  if (ticker) clearInterval(ticker);
  ticker = null;
  for (const s of sessions.values()) {
    s.pub = null;
    s.reader = null;
  }
}

function startRead(readers: ReaderSpec[], measureFrom: number): void {
  stats = new Stats();
  stats.measureFrom = measureFrom;
  for (const r of readers) {
    sessions.get(r.idx)?.startReading(r);
  }
}

function report(): LoadReport {
  return {
    type: 'report',
    published: stats.published,
    measuredPub: stats.measuredPub,
    acked: stats.acked,
    nacked: stats.nacked,
    delivered: stats.delivered,
    echoed: stats.echoed,
    firstPub: Number.isFinite(stats.firstPub) ? stats.firstPub : 0,
    lastPub: stats.lastPub,
    hist: stats.hist.toArray(),
    pages: stats.pages,
    pageMessages: stats.pageMessages,
    pageErrors: stats.pageErrors,
    closed: closedSessions,
    errors: [...stats.errors],
  };
}

process.on('message', (m: ToWorker) => {
  try {
    switch (m.type) {
      case 'open':
        void openAll(m.targets, m.sessions, m.concurrency, m.timeoutMs).catch((e: unknown) => reply({ type: 'error', message: String(e) }));
        break;
      case 'load':
        startLoad(m.publishers, m.measureFrom, m.size);
        reply({ type: 'ok' });
        break;
      case 'stop-load':
      case 'stop-read':
        stopLoad();
        reply({ type: 'ok' });
        break;
      case 'read':
        startRead(m.readers, m.measureFrom);
        reply({ type: 'ok' });
        break;
      case 'report':
        reply(report());
        break;
      case 'reset':
        stopLoad();
        for (const s of sessions.values()) s.close();
        sessions.clear();
        stats = new Stats();
        closedSessions = 0;
        reply({ type: 'ok' });
        break;
      case 'close':
        stopLoad();
        for (const s of sessions.values()) s.close();
        sessions.clear();
        reply({ type: 'ok' });
        setTimeout(() => process.exit(0), 50);
        break;
    }
  } catch (e) {
    reply({ type: 'error', message: String(e) });
  }
});
process.on('disconnect', () => process.exit(0));
reply({ type: 'ready' });
