import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startTarget, type RunningTarget, type StartOptions } from './targets.js';

/**
 * `--cluster N`: N Tinode processes as one cluster on the bench database and one NATS. The NATS is
 * a nats-server of the run's own (on a free port, its JetStream store in a temporary folder) when
 * /usr/sbin/nats-server is there, else the one at `--nats`. Every start of the cluster uses a
 * fresh subject prefix, so that the records of a cluster stopped before (killed, say) are not in
 * the way of the next one.
 */
export const NATS_SERVER = process.env.NATS_SERVER ?? '/usr/sbin/nats-server';

export interface BenchNats {
  url: string;
  /** Whether the run started it (and stops it). */
  own: boolean;
  stop(): Promise<void>;
}

/** The run's own nats-server, or the one at `url` when there is no nats-server to start. */
export async function startNats(url: string | null): Promise<BenchNats> {
  if (url || !existsSync(NATS_SERVER)) {
    const u = url ?? 'nats://127.0.0.1:4222';
    return { url: u, own: false, stop: () => Promise.resolve() };
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tinode-bench-nats-'));
  const proc: ChildProcess = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async () => {
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const until = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > until || proc.exitCode !== null) {
      await stop();
      throw new Error(`${NATS_SERVER} did not start on port ${port}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `nats://127.0.0.1:${port}`, own: true, stop };
}

let starts = 0;

/** `failover.heartbeat` (ms) and `failover.node_fail_after` (heartbeats) of the cluster. */
export interface Failover {
  heartbeat: number;
  nodeFailAfter: number;
}

/** Writes the config of an N-node cluster next to the bench's config; returns its path. */
function clusterConfig(configPath: string, names: string[], natsUrl: string, failover: Failover): string {
  const base = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  const conf = {
    ...base,
    cluster_config: {
      nodes: names.map((name) => ({ name })),
      failover: { enabled: true, heartbeat: failover.heartbeat, node_fail_after: failover.nodeFailAfter },
      nats_url: natsUrl,
      nats_prefix: `bench_${process.pid}_${++starts}`,
    },
  };
  const path = configPath.replace(/\.conf$/, '') + `-cluster${names.length}.conf`;
  writeFileSync(path, JSON.stringify(conf, null, 2));
  return path;
}

/**
 * Starts the N nodes at once (each says READY once it sees all N) and returns them as one target:
 * `pid`/`ws` are the first node's, `nodes` all of them.
 */
export async function startCluster(n: number, natsUrl: string, failover: Failover, opts: StartOptions): Promise<RunningTarget> {
  const names = Array.from({ length: n }, (_, i) => `node${i + 1}`);
  const configPath = clusterConfig(opts.configPath, names, natsUrl, failover);
  const started = await Promise.allSettled(
    names.map((node) => startTarget('tinode', { ...opts, configPath, node, cpuProf: opts.cpuProf ? { dir: opts.cpuProf.dir, name: opts.cpuProf.name.replace(/\.cpuprofile$/, `-${node}.cpuprofile`) } : undefined })),
  );
  const up = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.flatMap((r, i) => (r.status === 'rejected' ? [`${names[i]}: ${(r.reason as Error).message}`] : []));
  if (failed.length > 0) {
    await Promise.all(up.map((t) => t.stop()));
    throw new Error(`the cluster did not start: ${failed.join('; ')}`);
  }
  const first = up[0]!;
  return {
    kind: 'cluster',
    pid: first.pid,
    ws: first.ws,
    grpc: first.grpc,
    nodes: up.map((t) => ({ pid: t.pid, ws: t.ws, grpc: t.grpc })),
    get log() {
      return up.flatMap((t, i) => t.log.map((l) => `${names[i]}: ${l}`));
    },
    stop: async () => {
      await Promise.all(up.map((t) => t.stop()));
    },
  };
}

/** What a node reports at /debug/vars (its expvar): live sessions and the JS heap in use (bytes); -1 when it does not answer. */
export async function nodeVars(ws: string): Promise<{ live: number; heap: number }> {
  try {
    const res = await fetch(`http://${ws}/debug/vars`, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { LiveSessions?: unknown; memstats?: { HeapAlloc?: unknown } };
    return {
      live: typeof body.LiveSessions === 'number' ? body.LiveSessions : -1,
      heap: typeof body.memstats?.HeapAlloc === 'number' ? body.memstats.HeapAlloc : -1,
    };
  } catch {
    return { live: -1, heap: -1 };
  }
}

/** A node's readiness at its `/readyz`: `ready`, or what it says is wrong (`cluster: writes failing`). */
export async function readiness(ws: string): Promise<string> {
  try {
    const res = await fetch(`http://${ws}/readyz`, { signal: AbortSignal.timeout(10_000) });
    if (res.ok) return 'ready';
    const body = (await res.json()) as Record<string, unknown>;
    return `not ready (${Object.entries(body).filter(([k, v]) => k !== 'status' && v !== 'ok').map(([k, v]) => `${k}: ${String(v)}`).join(', ') || res.status})`;
  } catch (err) {
    return `no answer (${(err as Error).message})`;
  }
}
