/**
 * `npm run bench`: the load test of the Tinode server against a bare relay baseline.
 *
 * For every scenario and transport it starts the relay, runs the scenario, stops it; then starts
 * a fresh Tinode server on the bench database, runs the same scenario, stops it. The load comes
 * from several worker processes. Results go to the terminal as a table (each Tinode figure with
 * its ratio to the relay's) and to a JSON file. `--help` lists the options.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { startCluster, startNats, type BenchNats } from './cluster.js';
import { CLUSTER_POOL, parseOptions, RUN_ORDER, type Options, type ScenarioName } from './options.js';
import { now, type Transport } from './protocol.js';
import { renderTable, targetChecks, type Check } from './report.js';
import { SCENARIO_FNS, workerCount, type ScenarioResult } from './scenarios.js';
import { prepare, type Shape } from './setup.js';
import { startTarget, waitIdle, type TargetKind } from './targets.js';
import { WorkerPool } from './workers.js';

const T0 = now();
function log(s: string): void {
  process.stderr.write(`[${((now() - T0) / 1000).toFixed(1).padStart(5)} s] ${s}\n`);
}

function shapeOf(o: Options): Shape {
  const has = (s: string) => o.scenarios.includes(s as Options['scenarios'][number]);
  const users = Math.max(has('sessions') ? o.sessions : 0, has('group') ? o.groupMembers : 0, has('p2p') ? 2 * o.pairs : 0, has('history') ? o.readers : 0, 2);
  return { users, groupMembers: Math.min(users, o.groupMembers), pairs: Math.min(Math.floor(users / 2), o.pairs), historyReaders: Math.min(users, o.readers), historyMessages: o.historyMessages };
}

async function main(): Promise<number> {
  let opts: Options | null;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (e) {
    log(`bench: ${(e as Error).message} (see --help)`);
    return 2;
  }
  if (!opts) return 0;
  const started = T0;
  const loadBefore = loadavg();
  const shape = shapeOf(opts);
  const dir = join(opts.workdir, `u${shape.users}-g${shape.groupMembers}-p${shape.pairs}-r${shape.historyReaders}-h${shape.historyMessages}`);
  if (opts.db) log(`database: ${opts.db}`);
  log(`bench: ${opts.quick ? 'quick run' : 'full run'}: ${opts.scenarios.join(', ')} over ${opts.transports.join(', ')}, targets ${opts.targets.join(', ')}`);
  const data = await prepare(dir, shape, { sqliteSync: opts.sqliteSync, sqliteWorker: opts.sqliteWorker, db: opts.db, maxSubscribers: Math.max(128, opts.groupMembers + 10), wsCompression: opts.deflate, maxOpenConns: opts.cluster > 0 ? CLUSTER_POOL : undefined }, opts.fresh, log);
  const results: ScenarioResult[] = [];
  const failures: string[] = [];
  const has = (s: string) => opts.scenarios.includes(s as Options['scenarios'][number]);
  const sockets = Math.max(has('sessions') ? opts.sessions : 0, has('group') ? opts.groupMembers : 0, has('p2p') ? 2 * opts.pairs : 0, has('history') ? opts.readers : 0);
  const pool = await WorkerPool.start(workerCount(opts, sockets));
  log(`${pool.size} load processes`);
  const profDir = join(dirname(opts.out), 'prof');
  let nats: BenchNats | null = null;
  if (opts.cluster > 0 && opts.targets.includes('cluster')) {
    nats = await startNats(opts.nats);
    log(`cluster of ${opts.cluster} nodes on ${nats.url}${nats.own ? ' (a nats-server of this run)' : ''}, heartbeat ${opts.heartbeat} ms, a node gone after ${opts.nodeFailAfter} missed`);
  }
  // Runs in order: each a target process and the scenarios it serves. By default every scenario
  // gets fresh processes, relay then Tinode; with --reuse-target (the --quick default) one
  // process per target serves every scenario, which saves the start-ups.
  const order = RUN_ORDER.filter((s) => opts.scenarios.includes(s));
  const runs: { transport: Transport; kind: TargetKind; scenarios: ScenarioName[] }[] = [];
  for (const transport of opts.transports) {
    if (opts.reuseTarget) {
      for (const kind of opts.targets) runs.push({ transport, kind, scenarios: order });
    } else {
      for (const scenario of order) for (const kind of opts.targets) runs.push({ transport, kind, scenarios: [scenario] });
    }
  }
  for (const run of runs) {
    const { transport, kind } = run;
    let target;
    try {
      const name = run.scenarios.length === 1 ? run.scenarios[0] : 'all';
      const start = {
        configPath: data.configPath,
        server: opts.server,
        grpc: transport === 'grpc',
        deflate: opts.deflate,
        cpuProf: opts.cpuProf && kind !== 'relay' ? { dir: profDir, name: `${kind}-${name}-${transport}.cpuprofile` } : undefined,
      };
      target = kind === 'cluster' ? await startCluster(opts.cluster, nats!.url, opts, start) : await startTarget(kind, start);
      const where = target.nodes.map((n) => `pid ${n.pid}, ws ${n.ws}${n.grpc ? `, gRPC ${n.grpc}` : ''}`).join('; ');
      log(`${kind === 'cluster' ? `cluster of ${target.nodes.length}` : kind} started (${where})`);
    } catch (e) {
      failures.push(`${run.scenarios.join(',')}/${kind}/${transport}: ${(e as Error).message}`);
      log(`${kind} could not start: ${(e as Error).message}`);
      continue;
    }
    try {
      for (const scenario of run.scenarios) {
        log(`${scenario} (${transport}) on ${kind}:`);
        try {
          const r = await SCENARIO_FNS[scenario]({ opts, data, target, transport, pool, log });
          results.push(r);
          // A cluster's membership changes during the scenario (a node counted gone under load, back again).
          const changes = kind === 'cluster' ? target.log.filter((l) => /cluster: (joined|left|not ready|ready again)/.test(l)) : [];
          if (changes.length > 0) log(`  membership changes (${changes.length}):\n    ${changes.slice(-12).join('\n    ')}`);
          if (r.errors.length > 0) {
            log(`  errors: ${r.errors.join('; ')}`);
            if (target.log.length > 0) log(`  ${kind} log (last lines):\n    ${target.log.slice(-12).join('\n    ')}`);
          }
        } catch (e) {
          failures.push(`${scenario}/${kind}/${transport}: ${(e as Error).stack ?? String(e)}`);
          log(`  failed: ${(e as Error).stack ?? String(e)}`);
          if (target.log.length > 0) log(`  ${kind} log:\n    ${target.log.slice(-10).join('\n    ')}`);
        } finally {
          await pool.reset().catch((e: unknown) => log(`  could not reset the load processes: ${String(e)}`));
        }
        if (run.scenarios.length > 1) await waitIdle(target.nodes.map((n) => n.pid), opts.settle);
      }
    } finally {
      await target.stop();
    }
  }
  await pool.close();
  await nats?.stop();
  const checks: Check[] = targetChecks(results, opts);
  process.stdout.write('\n' + renderTable(results, checks, opts) + '\n');
  const out = {
    date: new Date().toISOString(),
    seconds: Math.round((now() - started) / 100) / 10,
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? '',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: process.platform,
      // The machine may be shared: its load before and after the run says how quiet it was.
      loadBefore,
      loadAfter: loadavg(),
    },
    options: opts,
    results,
    checks,
    failures,
  };
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, JSON.stringify(out, (_k, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v), 2) + '\n');
  log(`results: ${opts.out} (${out.seconds} s in all)${opts.cpuProf ? `; CPU profiles in ${profDir}` : ''}`);
  if (failures.length > 0) {
    log(`${failures.length} scenario run(s) failed`);
    return 1;
  }
  return 0;
}

process.exitCode = await main();
