import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Transport } from './protocol.js';
import { BENCH_DIR, type TargetKind } from './targets.js';

/** Command-line options of `npm run bench`, with the full-run defaults and the `--quick` ones. */
export const SCENARIOS = ['sessions', 'group', 'p2p', 'history'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
/** The order scenarios run in: p2p last, since a server that falls behind there works off a backlog. */
/** `max_open_conns` of every server process in cluster mode. */
export const CLUSTER_POOL = 16;

export const RUN_ORDER: readonly ScenarioName[] = ['sessions', 'history', 'group', 'p2p'];

export interface Options {
  quick: boolean;
  scenarios: ScenarioName[];
  targets: TargetKind[];
  transports: Transport[];
  sessions: number;
  groupMembers: number;
  groupPublishers: number;
  groupWindow: number;
  groupRate: number;
  pairs: number;
  p2pRate: number;
  p2pWindow: number;
  readers: number;
  historyMessages: number;
  pageSize: number;
  duration: number;
  warmup: number;
  hold: number;
  drain: number;
  settle: number;
  size: number;
  workers: number;
  socketsPerWorker: number;
  concurrency: number;
  timeout: number;
  sqliteSync: 'full' | 'normal';
  /** SQLite's connection in a worker thread (the server's default) or on the main thread. */
  sqliteWorker: boolean;
  /** The server's database as a `--db` URL; null for the bench's SQLite file. */
  db: string | null;
  deflate: boolean;
  cpuProf: boolean;
  reuseTarget: boolean;
  server: 'src' | 'dist';
  out: string;
  workdir: string;
  fresh: boolean;
  /** `--cluster N`: N nodes as one cluster against one node of the same config; 0: off. */
  cluster: number;
  /** NATS of the cluster when there is no nats-server to start; null: the run's own. */
  nats: string | null;
  /** The cluster's `failover.heartbeat` (ms) and `failover.node_fail_after` (heartbeats). */
  heartbeat: number;
  nodeFailAfter: number;
}

const HELP = `npm run bench -- [options]

Load-tests the Tinode server (from the sources, in its own process) and, in the same run, a bare
websocket relay that sends the same frames to the same sockets (the baseline). Every figure is
printed with its ratio to the relay's.

Scenarios (--scenarios, comma-separated; all by default):
  sessions   connect, {hi}, {login scheme=token}, {sub me get=desc}: ramp to --sessions sessions
  group      --group-members sessions attached to one group, --group-publishers publishing
  p2p        --pairs p2p pairs, each side publishing to the other, --p2p-rate messages/s in all
  history    --readers sessions reading pages of --page-size messages ({get what=data})

Options (full run defaults; --quick values in brackets):
  --quick                  small figures for CI, under a minute in all
  --targets LIST           relay,tinode
  --transport LIST         ws, grpc or ws,grpc (default ws)
  --sessions N             18000 [500]
  --group-members M        1500 [200]
  --group-publishers P     10 [4]
  --group-rate R           paced phase: messages/s published in all, 10 [20]
  --group-window W         max phase: messages of a publisher in flight (not yet echoed); by
                           default about 10,000 deliveries in flight: 10000 / (P x M), at least 1
  --pairs K                1000 [100]
  --p2p-rate R             paced phase: messages/s in all, spread over the 2K sessions, 2000 [2000]
  --p2p-window W           max phase: messages of a session in flight, 1 [1]
  --readers R              50 [20]
  --history-messages H     1000 [300]
  --page-size L            24 (the SDK's page) [24]
  --duration S             15 [1.5] seconds of measured load per scenario
  --warmup S               2 [0.5] seconds of load before measuring
  --hold S                 5 [0.5] seconds the sessions of 'sessions' are held before counting drops
  --drain S                10 [1.5] seconds at most to wait for deliveries after publishing stops
  --settle S               60 [1.5] seconds at most to wait for the target to go idle (work off a
                           backlog) before a load phase or the next scenario
  --size B                 100 [100] bytes of message content
  --workers N              load processes, at least 2 and one per --sockets-per-worker sockets
  --sockets-per-worker N   5000
  --concurrency N          session opens in flight per load process, 50
  --timeout S              per-request timeout while opening sessions, 30
  --sqlite-sync MODE       full (the default of a real server) or normal
  --db URL                 the server's database instead of the bench's SQLite file, as tinode's
                           --db takes it: mysql://root@127.0.0.1:3306/tinode_bench,
                           postgres://postgres@127.0.0.1:5432/tinode_bench (made anew when built)
  --sqlite-worker on|off   SQLite's connection in a worker thread (on, the server's default) or on
                           the server's main thread (off: the figures before the worker)
  --deflate                offer permessage-deflate (off: clients of this bench do not compress)
  --server src|dist        the server from the sources through tsx (default; its RSS includes
                           about 50 MiB of the TypeScript loader) or the compiled bin/tinode
                           (run "npm run build" first)
  --cpu-prof               write a CPU profile of the server per run to results/prof/
  --reuse-target           one relay and one server process for every scenario (--quick default;
                           --no-reuse-target: fresh processes per scenario, the full-run default)
  --out FILE               results JSON (default test/bench/results/bench-results.json)
  --workdir DIR            where the bench database is kept (default $TMPDIR/tinode-bench)
  --fresh                  rebuild the bench database

Cluster mode:
  --cluster N              N tinode processes (at least 2) as one cluster on the --db database
                           (MariaDB/MySQL or PostgreSQL; not SQLite), the sessions of every
                           scenario dealt round robin over the nodes; the baseline is one tinode
                           process on the same database (targets cluster,tinode, ratio
                           cluster/single). The sessions scenario holds --sessions on the cluster
                           and the per-node share (--sessions / N) on the single node. Every
                           process's database pool is max_open_conns ${CLUSTER_POOL} (the database's
                           max_connections is shared by N + 1 processes and the test suite)
  --heartbeat MS           the cluster's failover.heartbeat, 500 (the server's default is 100)
  --node-fail-after N      heartbeats missed before a node counts as gone, 20 (server: 16): with
                           the server's 100 x 16 = 1.6 s, nodes that share two cores with the
                           load and the database stall longer than that under 50,000 sessions,
                           drop out of the cluster and stay out ("name taken", BENCHMARKS.md)
  --nats URL               the cluster's NATS; by default a nats-server of the run's own on a free
                           port (/usr/sbin/nats-server), else nats://127.0.0.1:4222
`;

function list<T extends string>(v: string, allowed: readonly T[], what: string): T[] {
  const items = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const i of items) {
    if (!allowed.includes(i as T)) {
      throw new Error(`${what}: "${i}" is not one of ${allowed.join(', ')}`);
    }
  }
  return items as T[];
}

function num(v: string | undefined, fallback: number, what: string, min = 0): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) {
    throw new Error(`--${what} must be a number >= ${min}, not "${v}"`);
  }
  return n;
}

export function parseOptions(argv: string[]): Options | null {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean', short: 'h' },
      quick: { type: 'boolean' },
      scenarios: { type: 'string' },
      targets: { type: 'string' },
      transport: { type: 'string' },
      sessions: { type: 'string' },
      'group-members': { type: 'string' },
      'group-publishers': { type: 'string' },
      'group-window': { type: 'string' },
      'group-rate': { type: 'string' },
      pairs: { type: 'string' },
      'p2p-rate': { type: 'string' },
      'p2p-window': { type: 'string' },
      readers: { type: 'string' },
      'history-messages': { type: 'string' },
      'page-size': { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      hold: { type: 'string' },
      drain: { type: 'string' },
      settle: { type: 'string' },
      size: { type: 'string' },
      workers: { type: 'string' },
      'sockets-per-worker': { type: 'string' },
      concurrency: { type: 'string' },
      timeout: { type: 'string' },
      'sqlite-sync': { type: 'string' },
      'sqlite-worker': { type: 'string' },
      db: { type: 'string' },
      deflate: { type: 'boolean' },
      'cpu-prof': { type: 'boolean' },
      'reuse-target': { type: 'boolean' },
      server: { type: 'string' },
      'no-reuse-target': { type: 'boolean' },
      out: { type: 'string' },
      workdir: { type: 'string' },
      fresh: { type: 'boolean' },
      cluster: { type: 'string' },
      nats: { type: 'string' },
      heartbeat: { type: 'string' },
      'node-fail-after': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (v.help) {
    process.stdout.write(HELP);
    return null;
  }
  const q = v.quick === true;
  const sync = v['sqlite-sync'] ?? 'full';
  if (sync !== 'full' && sync !== 'normal') {
    throw new Error(`--sqlite-sync must be full or normal, not "${sync}"`);
  }
  const worker = v['sqlite-worker'] ?? 'on';
  if (worker !== 'on' && worker !== 'off') {
    throw new Error(`--sqlite-worker must be on or off, not "${worker}"`);
  }
  const cluster = num(v.cluster, 0, 'cluster', 0);
  if (cluster !== 0 && (cluster < 2 || !Number.isInteger(cluster))) {
    throw new Error(`--cluster must be a whole number of nodes, at least 2, not "${v.cluster}"`);
  }
  if (cluster > 0 && (!v.db || v.db.startsWith('sqlite:'))) {
    throw new Error(
      '--cluster needs a database every node reaches: --db mysql://root@127.0.0.1:3306/tinode_bench or postgres://postgres@127.0.0.1:5432/tinode_bench (SQLite is a file of one process: a cluster cannot share it)',
    );
  }
  if (cluster === 0 && v.nats) throw new Error('--nats is for --cluster');
  const kinds = cluster > 0 ? (['tinode', 'cluster'] as const) : (['relay', 'tinode'] as const);
  const o: Options = {
    quick: q,
    scenarios: v.scenarios ? list(v.scenarios, SCENARIOS, '--scenarios') : [...SCENARIOS],
    targets: v.targets ? list(v.targets, kinds, '--targets') : [...kinds],
    transports: v.transport ? list(v.transport, ['ws', 'grpc'] as const, '--transport') : ['ws'],
    sessions: num(v.sessions, q ? 500 : 18000, 'sessions', 1),
    groupMembers: num(v['group-members'], q ? 200 : 1500, 'group-members', 2),
    groupPublishers: num(v['group-publishers'], q ? 4 : 10, 'group-publishers', 1),
    groupWindow: 0,
    groupRate: num(v['group-rate'], q ? 20 : 10, 'group-rate', 0.1),
    pairs: num(v.pairs, q ? 100 : 1000, 'pairs', 1),
    p2pRate: num(v['p2p-rate'], 2000, 'p2p-rate', 1),
    p2pWindow: num(v['p2p-window'], 1, 'p2p-window', 1),
    readers: num(v.readers, q ? 20 : 50, 'readers', 1),
    historyMessages: num(v['history-messages'], q ? 300 : 1000, 'history-messages', 2),
    pageSize: num(v['page-size'], 24, 'page-size', 1),
    duration: num(v.duration, q ? 1.5 : 15, 'duration', 0.5),
    warmup: num(v.warmup, q ? 0.5 : 2, 'warmup'),
    hold: num(v.hold, q ? 0.5 : 5, 'hold'),
    drain: num(v.drain, q ? 1.5 : 10, 'drain'),
    settle: num(v.settle, q ? 1.5 : 60, 'settle'),
    size: num(v.size, 100, 'size', 30),
    workers: num(v.workers, 2, 'workers', 1),
    socketsPerWorker: num(v['sockets-per-worker'], 5000, 'sockets-per-worker', 1),
    concurrency: num(v.concurrency, 50, 'concurrency', 1),
    timeout: num(v.timeout, 30, 'timeout', 1),
    sqliteSync: sync,
    sqliteWorker: worker === 'on',
    db: v.db ?? null,
    deflate: v.deflate === true,
    cpuProf: v['cpu-prof'] === true,
    reuseTarget: v['no-reuse-target'] ? false : (v['reuse-target'] ?? q),
    server: list(v.server ?? 'src', ['src', 'dist'] as const, '--server')[0] ?? 'src',
    out: v.out ?? join(BENCH_DIR, 'results', 'bench-results.json'),
    workdir: v.workdir ?? join(tmpdir(), 'tinode-bench'),
    fresh: v.fresh === true,
    cluster,
    nats: v.nats ?? null,
    heartbeat: num(v.heartbeat, 500, 'heartbeat', 10),
    nodeFailAfter: num(v['node-fail-after'], 20, 'node-fail-after', 2),
  };
  o.groupWindow = num(v['group-window'], Math.max(1, Math.round(10_000 / (o.groupPublishers * o.groupMembers))), 'group-window', 1);
  if (o.groupPublishers > o.groupMembers) {
    throw new Error('--group-publishers cannot exceed --group-members');
  }
  return o;
}
