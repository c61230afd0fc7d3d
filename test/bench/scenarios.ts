import { Histogram } from './histogram.js';
import type { Options, ScenarioName } from './options.js';
import { now, type LoadReport, type OpenResult, type PublisherSpec, type ReaderSpec, type SessionSpec, type Target, type Transport } from './protocol.js';
import type { BenchData } from './setup.js';
import { nodeVars, readiness } from './cluster.js';
import { cpuSeconds, memory, openFiles, waitIdle, type RunningTarget, type TargetKind } from './targets.js';
import { WorkerPool } from './workers.js';

/**
 * The four scenarios, modelled on the reference's load tests (loadtest/ in tinode/chat: Gatling's
 * MeLoadtest, SingleTopicLoadtest and Loadtest, and tsung.xml), each run the same way against the
 * Tinode server and against the bare relay.
 */
export interface Figure {
  key: string;
  label: string;
  unit: string;
  value: number;
  /** Which way is better, for the ratio's reading. */
  better: 'higher' | 'lower' | 'none';
}

export interface ScenarioResult {
  scenario: ScenarioName;
  target: TargetKind;
  transport: Transport;
  params: Record<string, number | string>;
  figures: Figure[];
  errors: string[];
}

export interface Ctx {
  opts: Options;
  data: BenchData;
  target: RunningTarget;
  transport: Transport;
  /** The load processes, shared by every scenario; reset after each. */
  pool: WorkerPool;
  log: (s: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MiB = 1024 * 1024;

/** Where sessions connect: the target's nodes, session idx to node idx % N. */
function targetsOf(ctx: Ctx): Target[] {
  return ctx.target.nodes.map((n) => ({ ws: n.ws, grpc: n.grpc, transport: ctx.transport, deflate: ctx.opts.deflate }));
}

function pidsOf(t: RunningTarget): number[] {
  return t.nodes.map((n) => n.pid);
}

/** Load processes needed: at least --workers, and one per --sockets-per-worker sockets. */
export function workerCount(opts: Options, sockets: number): number {
  return Math.max(opts.workers, Math.ceil(sockets / opts.socketsPerWorker));
}

/** Deals sessions to workers round robin, so that every worker gets a share of every role. */
function deal<T extends { idx: number }>(items: T[], n: number): T[][] {
  const parts: T[][] = Array.from({ length: n }, () => []);
  for (const it of items) parts[it.idx % n]!.push(it);
  return parts;
}

/** CPU use of the target (all its nodes) and of the load workers over a phase, as % of one core. */
class CpuMeter {
  private t0 = now();
  private s0: number;
  private w0: number;
  constructor(
    private readonly pid: number[],
    private readonly pool: WorkerPool,
  ) {
    this.s0 = cpuSeconds(pid);
    this.w0 = pool.cpu();
  }

  read(): { server: number; workers: number } {
    const wall = (now() - this.t0) / 1000;
    return { server: ((cpuSeconds(this.pid) - this.s0) / wall) * 100, workers: ((this.pool.cpu() - this.w0) / wall) * 100 };
  }
}

async function openSessions(ctx: Ctx, pool: WorkerPool, specs: SessionSpec[]): Promise<{ results: OpenResult[]; ok: number; failed: number; seconds: number; hist: Histogram; errors: string[] }> {
  const parts = deal(specs, pool.size);
  const t0 = now();
  const targets = targetsOf(ctx);
  const results = await pool.open((i) => ({ type: 'open', targets, sessions: parts[i]!, concurrency: ctx.opts.concurrency, timeoutMs: ctx.opts.timeout * 1000 }));
  const ok = results.reduce((a, r) => a + r.ok, 0);
  const failed = results.reduce((a, r) => a + r.failed, 0);
  const end = Math.max(...results.map((r) => r.doneAt), t0 + 1);
  const hist = new Histogram();
  results.forEach((r) => hist.merge(r.hist));
  const errors = [...new Set(results.flatMap((r) => r.errors))];
  return { results, ok, failed, seconds: (end - t0) / 1000, hist, errors };
}

/**
 * (a) MeLoadtest: sessions ramp up as fast as they are served; memory per session. In cluster
 * mode the single node (the baseline) holds the per-node share of --sessions, the cluster all.
 */
export async function sessionsScenario(ctx: Ctx): Promise<ScenarioResult> {
  const all = Math.min(ctx.opts.sessions, ctx.data.users.length);
  const n = ctx.opts.cluster > 0 && ctx.target.kind === 'tinode' ? Math.ceil(all / ctx.opts.cluster) : all;
  const pool = ctx.pool;
  const pids = pidsOf(ctx.target);
  {
    await sleep(500);
    const mem0 = memory(pids);
    const cpu = new CpuMeter(pids, pool);
    const specs: SessionSpec[] = ctx.data.users.slice(0, n).map((user, idx) => ({ idx, user, subMe: true, topics: [] }));
    ctx.log(`  ${n} sessions over ${pool.size} load processes...`);
    const r = await openSessions(ctx, pool, specs);
    const load = cpu.read();
    ctx.log(`  ${r.ok} attached in ${r.seconds.toFixed(1)} s, ${r.failed} failed; holding ${ctx.opts.hold} s`);
    await sleep(ctx.opts.hold * 1000);
    const mem1 = memory(pids);
    const reports = await pool.report();
    const dropped = reports.reduce((a, x) => a + x.closed, 0);
    // Cluster mode: what each node holds (without --cluster the table stays as it was).
    const perNode = ctx.opts.cluster > 0 ? await nodeFigures(ctx.target) : { line: '', figures: [] };
    if (perNode.line) ctx.log(`  per node: ${perNode.line}`);
    return {
      scenario: 'sessions',
      target: ctx.target.kind,
      transport: ctx.transport,
      params: { sessions: n, ...(ctx.opts.cluster > 0 ? { nodes: ctx.target.nodes.length } : {}), workers: pool.size, concurrency: ctx.opts.concurrency, ...(perNode.line ? { perNode: perNode.line } : {}) },
      errors: [...r.errors, ...reports.flatMap((x) => x.errors)].slice(0, 10),
      figures: [
        { key: 'attached', label: 'sessions attached', unit: '', value: r.ok, better: 'higher' },
        { key: 'failed', label: 'sessions failed', unit: '', value: r.failed + dropped, better: 'lower' },
        { key: 'rate', label: 'sessions per second', unit: '/s', value: r.ok / r.seconds, better: 'higher' },
        { key: 'open_p50', label: 'session setup p50', unit: 'ms', value: r.hist.percentile(0.5), better: 'lower' },
        { key: 'open_p99', label: 'session setup p99', unit: 'ms', value: r.hist.percentile(0.99), better: 'lower' },
        { key: 'rss', label: 'server RSS with all sessions', unit: 'MiB', value: mem1.rss / MiB, better: 'lower' },
        { key: 'peak', label: 'server peak RSS', unit: 'MiB', value: mem1.hwm / MiB, better: 'lower' },
        { key: 'rss0', label: 'server RSS before', unit: 'MiB', value: mem0.rss / MiB, better: 'lower' },
        { key: 'per_session', label: 'memory per session', unit: 'KiB', value: (mem1.rss - mem0.rss) / 1024 / Math.max(1, r.ok), better: 'lower' },
        { key: 'server_cpu', label: 'server CPU during ramp', unit: '%', value: load.server, better: 'none' },
        { key: 'client_cpu', label: 'load generators CPU during ramp', unit: '%', value: load.workers, better: 'none' },
        ...perNode.figures,
      ],
    };
  }
}

/** Per node: the sessions it says it holds (its expvar LiveSessions), its RSS and open files. */
async function nodeFigures(t: RunningTarget): Promise<{ line: string; figures: Figure[] }> {
  const nodes = await Promise.all(t.nodes.map(async (n) => ({ ...(await nodeVars(n.ws)), ready: await readiness(n.ws), rss: memory(n.pid).rss / MiB, fds: openFiles(n.pid) })));
  const line = nodes.map((x, i) => `#${i + 1} ${x.live} sessions, ${x.fds} fds, ${x.rss.toFixed(0)} MiB (heap ${(x.heap / MiB).toFixed(0)} MiB), ${x.ready}`).join('; ');
  const lives = nodes.map((x) => x.live);
  return {
    line,
    figures: [
      { key: 'node_live_min', label: 'sessions held, fewest on a node', unit: '', value: Math.min(...lives), better: 'none' },
      { key: 'node_live_max', label: 'sessions held, most on a node', unit: '', value: Math.max(...lives), better: 'none' },
      { key: 'node_live_sum', label: 'sessions held, all nodes', unit: '', value: lives.reduce((a, x) => a + x, 0), better: 'higher' },
      { key: 'node_fds_max', label: 'open files, most on a node', unit: '', value: Math.max(...nodes.map((x) => x.fds)), better: 'none' },
      { key: 'node_rss_max', label: 'RSS, most on a node', unit: 'MiB', value: Math.max(...nodes.map((x) => x.rss)), better: 'none' },
    ],
  };
}

interface LoadFigures {
  measuredPub: number;
  delivered: number;
  seconds: number;
  hist: Histogram;
  acked: number;
  nacked: number;
  closed: number;
  errors: string[];
  cpu: { server: number; workers: number };
}

/** Runs publishers for warmup + duration, stops them, waits for deliveries to drain. */
async function runLoad(ctx: Ctx, pool: WorkerPool, pubs: PublisherSpec[]): Promise<LoadFigures> {
  // A phase starts on an idle target, not behind the backlog of the one before.
  const waited = await waitIdle(pidsOf(ctx.target), ctx.opts.settle);
  if (waited > 1) ctx.log(`  (waited ${waited.toFixed(1)} s for the ${ctx.target.kind} to work off its backlog)`);
  const parts = deal(pubs, pool.size);
  const measureFrom = now() + ctx.opts.warmup * 1000;
  await pool.all((i) => ({ type: 'load', publishers: parts[i]!, measureFrom, size: ctx.opts.size }));
  await sleep(ctx.opts.warmup * 1000);
  const cpu = new CpuMeter(pidsOf(ctx.target), pool);
  await sleep(ctx.opts.duration * 1000);
  await pool.all({ type: 'stop-load' });
  const load = cpu.read();
  // Drain: until deliveries stop growing (at most --drain seconds; what is left counts as missing).
  let reports: LoadReport[] = await pool.report();
  const sum = (rs: LoadReport[]) => rs.reduce((a, x) => a + x.delivered + x.echoed, 0);
  for (let i = 0, last = -1; i < ctx.opts.drain * 4 && sum(reports) !== last; i++) {
    last = sum(reports);
    await sleep(250);
    reports = await pool.report();
  }
  const hist = new Histogram();
  reports.forEach((x) => hist.merge(x.hist));
  const first = Math.min(...reports.map((x) => x.firstPub || Infinity));
  const lastPub = Math.max(...reports.map((x) => x.lastPub));
  return {
    measuredPub: reports.reduce((a, x) => a + x.measuredPub, 0),
    delivered: reports.reduce((a, x) => a + x.delivered, 0),
    seconds: Number.isFinite(first) ? Math.max(0.001, (lastPub - measureFrom) / 1000) : ctx.opts.duration,
    hist,
    acked: reports.reduce((a, x) => a + x.acked, 0),
    nacked: reports.reduce((a, x) => a + x.nacked, 0),
    closed: reports.reduce((a, x) => a + x.closed, 0),
    errors: [...new Set(reports.flatMap((x) => x.errors))],
    cpu: load,
  };
}

/** Figures of one load phase; `prefix` tells the phases apart ("paced", "max"). */
function loadFigures(prefix: string, title: string, l: LoadFigures, receivers: number): Figure[] {
  const expected = l.measuredPub * receivers;
  return [
    { key: `${prefix}_delivered_rate`, label: `${title}: delivered per second`, unit: '/s', value: l.delivered / l.seconds, better: 'higher' },
    { key: `${prefix}_publish_rate`, label: `${title}: published per second`, unit: '/s', value: l.measuredPub / l.seconds, better: 'higher' },
    { key: `${prefix}_p50`, label: `${title}: latency p50`, unit: 'ms', value: l.hist.percentile(0.5), better: 'lower' },
    { key: `${prefix}_p99`, label: `${title}: latency p99`, unit: 'ms', value: l.hist.percentile(0.99), better: 'lower' },
    { key: `${prefix}_max`, label: `${title}: latency max`, unit: 'ms', value: l.hist.max, better: 'lower' },
    { key: `${prefix}_lost`, label: `${title}: deliveries missing`, unit: '', value: Math.max(0, expected - l.delivered), better: 'lower' },
    { key: `${prefix}_nacked`, label: `${title}: publications refused`, unit: '', value: l.nacked, better: 'lower' },
    { key: `${prefix}_server_cpu`, label: `${title}: server CPU`, unit: '%', value: l.cpu.server, better: 'none' },
    { key: `${prefix}_client_cpu`, label: `${title}: load generators CPU`, unit: '%', value: l.cpu.workers, better: 'none' },
  ];
}

function attachFigures(r: { ok: number; failed: number; seconds: number }): Figure[] {
  return [
    { key: 'attached', label: 'sessions attached', unit: '', value: r.ok, better: 'higher' },
    { key: 'attach_failed', label: 'sessions failed', unit: '', value: r.failed, better: 'lower' },
    { key: 'attach_rate', label: 'sessions attached per second', unit: '/s', value: r.ok / r.seconds, better: 'higher' },
  ];
}

function describe(l: LoadFigures): string {
  return `${Math.round(l.delivered / l.seconds).toLocaleString('en-US')} delivered/s, p50 ${l.hist.percentile(0.5).toFixed(1)} ms, p99 ${l.hist.percentile(0.99).toFixed(1)} ms`;
}

/**
 * (b) SingleTopicLoadtest: M sessions attached to one group, P of them publishing. Two phases:
 * "paced", publishers at a fixed total rate the same for both targets (latency under a given
 * load), then "max", each publisher keeping a window of messages in flight (closed loop on its
 * own echo: the most the target delivers).
 */
export async function groupScenario(ctx: Ctx): Promise<ScenarioResult> {
  const { opts, data, pool } = ctx;
  const m = Math.min(opts.groupMembers, data.users.length);
  const specs: SessionSpec[] = data.users.slice(0, m).map((user, idx) => ({ idx, user, subMe: false, topics: [data.group] }));
  ctx.log(`  ${m} sessions attaching the group...`);
  const r = await openSessions(ctx, pool, specs);
  const p = Math.min(opts.groupPublishers, r.ok);
  // Publishers spread evenly over the members (and so over the load processes).
  const step = Math.max(1, Math.floor(m / p));
  const pubs = (rate: number): PublisherSpec[] => Array.from({ length: p }, (_, i) => ({ idx: i * step, topic: data.group, rate: rate / p, window: opts.groupWindow }));
  ctx.log(`  ${r.ok} attached in ${r.seconds.toFixed(1)} s; paced: ${p} publishers, ${opts.groupRate} messages/s in all, for ${opts.duration} s...`);
  const paced = await runLoad(ctx, pool, pubs(opts.groupRate));
  ctx.log(`  paced: ${describe(paced)}; max: closed loop, window ${opts.groupWindow} per publisher, for ${opts.duration} s...`);
  const max = await runLoad(ctx, pool, pubs(0));
  ctx.log(`  max: ${describe(max)}`);
  return {
    scenario: 'group',
    target: ctx.target.kind,
    transport: ctx.transport,
    params: { members: m, ...(ctx.opts.cluster > 0 ? { nodes: ctx.target.nodes.length } : {}), publishers: p, pacedRate: opts.groupRate, window: opts.groupWindow, duration: opts.duration, size: opts.size },
    errors: [...r.errors, ...paced.errors, ...max.errors].slice(0, 10),
    figures: [
      ...attachFigures(r),
      ...loadFigures('paced', `paced ${opts.groupRate} msg/s`, paced, r.ok),
      ...loadFigures('max', 'max', max, r.ok),
      { key: 'dropped', label: 'sessions dropped', unit: '', value: max.closed, better: 'lower' },
    ],
  };
}

/**
 * (c) K p2p pairs, each side publishing to the other: "paced" at an even share of --p2p-rate
 * (the 2,000 messages/s), then "max" with --p2p-window messages in flight per session.
 */
export async function p2pScenario(ctx: Ctx): Promise<ScenarioResult> {
  const { opts, data, pool } = ctx;
  const k = Math.min(opts.pairs, Math.floor(data.users.length / 2));
  const specs: SessionSpec[] = data.users.slice(0, 2 * k).map((user, idx) => ({ idx, user, subMe: false, topics: [data.users[idx ^ 1]!.uid] }));
  ctx.log(`  ${2 * k} sessions attaching ${k} p2p topics...`);
  const r = await openSessions(ctx, pool, specs);
  const pubs = (rate: number): PublisherSpec[] => specs.map((s) => ({ idx: s.idx, topic: s.topics[0]!, rate: rate / (2 * k), window: opts.p2pWindow }));
  ctx.log(`  ${r.ok} attached in ${r.seconds.toFixed(1)} s; paced: ${opts.p2pRate} messages/s in all for ${opts.duration} s...`);
  const paced = await runLoad(ctx, pool, pubs(opts.p2pRate));
  ctx.log(`  paced: ${describe(paced)}; max: closed loop, window ${opts.p2pWindow} per session, for ${opts.duration} s...`);
  const max = await runLoad(ctx, pool, pubs(0));
  ctx.log(`  max: ${describe(max)}`);
  return {
    scenario: 'p2p',
    target: ctx.target.kind,
    transport: ctx.transport,
    params: { pairs: k, pacedRate: opts.p2pRate, window: opts.p2pWindow, duration: opts.duration, size: opts.size },
    errors: [...r.errors, ...paced.errors, ...max.errors].slice(0, 10),
    figures: [
      ...attachFigures(r),
      ...loadFigures('paced', `paced ${opts.p2pRate} msg/s`, paced, 1),
      ...loadFigures('max', 'max', max, 1),
      { key: 'dropped', label: 'sessions dropped', unit: '', value: max.closed, better: 'lower' },
    ],
  };
}

/** (d) R sessions attached to a topic with a long history, each reading pages back to back. */
export async function historyScenario(ctx: Ctx): Promise<ScenarioResult> {
  const { opts, data, pool } = ctx;
  const n = Math.min(opts.readers, data.users.length);
  const specs: SessionSpec[] = data.users.slice(0, n).map((user, idx) => ({ idx, user, subMe: false, topics: [data.history] }));
  const r = await openSessions(ctx, pool, specs);
  const readers: ReaderSpec[] = specs.map((s) => ({ idx: s.idx, topic: data.history, top: data.historyMessages, limit: opts.pageSize }));
  const parts = deal(readers, pool.size);
  ctx.log(`  ${r.ok} readers reading pages of ${opts.pageSize} for ${opts.duration} s...`);
  const measureFrom = now() + opts.warmup * 1000;
  await pool.all((i) => ({ type: 'read', readers: parts[i]!, measureFrom }));
  await sleep(opts.warmup * 1000);
  const cpu = new CpuMeter(pidsOf(ctx.target), pool);
  await sleep(opts.duration * 1000);
  const seconds = (now() - measureFrom) / 1000;
  await pool.all({ type: 'stop-read' });
  const load = cpu.read();
  await sleep(200);
  const reports = await pool.report();
  const hist = new Histogram();
  reports.forEach((x) => hist.merge(x.hist));
  const pages = reports.reduce((a, x) => a + x.pages, 0);
  const msgs = reports.reduce((a, x) => a + x.pageMessages, 0);
  ctx.log(`  ${Math.round(pages / seconds)} pages/s, p50 ${hist.percentile(0.5).toFixed(1)} ms, p99 ${hist.percentile(0.99).toFixed(1)} ms`);
  return {
    scenario: 'history',
    target: ctx.target.kind,
    transport: ctx.transport,
    params: { readers: n, pageSize: opts.pageSize, historyMessages: data.historyMessages, duration: opts.duration },
    errors: [...r.errors, ...reports.flatMap((x) => x.errors)].slice(0, 10),
    figures: [
      ...attachFigures(r),
      { key: 'pages_rate', label: 'pages per second', unit: '/s', value: pages / seconds, better: 'higher' },
      { key: 'messages_rate', label: 'messages read per second', unit: '/s', value: msgs / seconds, better: 'higher' },
      { key: 'p50', label: 'page latency p50', unit: 'ms', value: hist.percentile(0.5), better: 'lower' },
      { key: 'p99', label: 'page latency p99', unit: 'ms', value: hist.percentile(0.99), better: 'lower' },
      { key: 'page_errors', label: 'pages refused', unit: '', value: reports.reduce((a, x) => a + x.pageErrors, 0), better: 'lower' },
      { key: 'server_cpu', label: 'server CPU under load', unit: '%', value: load.server, better: 'none' },
      { key: 'client_cpu', label: 'load generators CPU under load', unit: '%', value: load.workers, better: 'none' },
    ],
  };
}

export const SCENARIO_FNS: Record<ScenarioName, (ctx: Ctx) => Promise<ScenarioResult>> = {
  sessions: sessionsScenario,
  group: groupScenario,
  p2p: p2pScenario,
  history: historyScenario,
};
