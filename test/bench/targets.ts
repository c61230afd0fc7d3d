import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The processes under test: the Tinode server (server-main.ts, from the sources) or the bare relay
 * (relay.ts), each in its own process so that its memory and CPU time can be read from /proc.
 */
export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

/** `cluster`: --cluster N nodes of Tinode (cluster.ts); `tinode` is then its one-node baseline. */
export type TargetKind = 'tinode' | 'relay' | 'cluster';

export interface TargetNode {
  pid: number;
  ws: string;
  grpc: string | null;
}

export interface RunningTarget {
  kind: TargetKind;
  /** The first (or only) node's. */
  pid: number;
  ws: string;
  grpc: string | null;
  /** Every process of the target: one, or a cluster's nodes (sessions are dealt round robin). */
  nodes: TargetNode[];
  stop(): Promise<void>;
  /** Lines the process wrote to stderr (its log), the last 50. */
  log: string[];
}

export interface StartOptions {
  configPath: string;
  grpc: boolean;
  deflate: boolean;
  /** Which server: the sources (through tsx) or the compiled package (`bin/tinode`). */
  server: 'src' | 'dist';
  /** Write a CPU profile (server only) to this folder as `name` (on stop). */
  cpuProf?: { dir: string; name: string } | undefined;
  /** Run as this node of the config's cluster (`--cluster-self`); from the sources it says READY once it sees every node, the compiled one once it listens. */
  node?: string | undefined;
}

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts connections on the port. */
async function portOpen(port: number, until: number): Promise<boolean> {
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

export async function startTarget(kind: TargetKind, opts: StartOptions): Promise<RunningTarget> {
  // As bin/tinode starts node (and the same for the relay: one runtime for both).
  const nodeArgs: string[] = ['--max-semi-space-size=64'];
  let args: string[];
  let profTmp: string | null = null;
  let ports: { ws: number; grpc: number } | null = null;
  if (kind === 'tinode') {
    if (opts.cpuProf) {
      // Every thread writes its profile (tsx's loader runs in one): keep the main thread's.
      mkdirSync(opts.cpuProf.dir, { recursive: true });
      profTmp = mkdtempSync(join(opts.cpuProf.dir, '.tmp-'));
      nodeArgs.push('--cpu-prof', '--cpu-prof-dir', profTmp);
    }
    if (opts.server === 'dist') {
      // The compiled `tinode serve` of the package: it prints no READY line, so the ports are
      // chosen here and polled.
      ports = { ws: await freePort(), grpc: await freePort() };
      args = [join(BENCH_DIR, '..', '..', 'bin', 'tinode'), 'serve', '--config', opts.configPath, '--listen', `127.0.0.1:${ports.ws}`, '--grpc-listen', `127.0.0.1:${ports.grpc}`, '--log-level', 'warn'];
      if (opts.node) args.push('--cluster-self', opts.node);
    } else {
      nodeArgs.push('--import', 'tsx');
      args = [join(BENCH_DIR, 'server-main.ts'), opts.configPath, ...(opts.node ? [opts.node] : [])];
    }
  } else {
    nodeArgs.push('--import', 'tsx');
    args = [join(BENCH_DIR, 'relay.ts'), ...(opts.grpc ? ['--grpc'] : []), ...(opts.deflate ? ['--deflate'] : [])];
  }
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  child.stderr!.on('data', (d: Buffer) => {
    // BENCH_TARGET_STDERR=1 passes the target's log through (with BENCH_SERVER_LOG=debug, say).
    if (process.env.BENCH_TARGET_STDERR) process.stderr.write(d);
    for (const line of d.toString().split('\n')) {
      if (line.trim()) {
        log.push(line);
        if (log.length > 50) log.shift();
      }
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const handle = (ws: string, grpc: string | null): RunningTarget => ({
    kind,
    pid: child.pid!,
    ws,
    grpc,
    nodes: [{ pid: child.pid!, ws, grpc }],
    log,
    stop: async () => {
      // A server behind on its work finishes it before exiting; the bench does not need that
      // (SQLite keeps what was committed), except for writing a CPU profile.
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), opts.cpuProf ? 60_000 : 3_000);
      await exited;
      clearTimeout(t);
      if (profTmp && opts.cpuProf) keepMainProfile(profTmp, join(opts.cpuProf.dir, opts.cpuProf.name));
    },
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${kind} did not start within 60 s: ${log.join('\n')}`));
    }, 60_000);
    const early = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${kind} exited with ${code} before it was ready:\n${log.join('\n')}`));
    };
    child.once('exit', early);
    const ready = (ws: string, grpc: string | null) => {
      clearTimeout(timer);
      child.off('exit', early);
      resolve(handle(ws, grpc));
    };
    if (ports) {
      const p = ports;
      void portOpen(p.ws, Date.now() + 60_000).then((ok) => ok && ready(`127.0.0.1:${p.ws}`, `127.0.0.1:${p.grpc}`));
      return;
    }
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\S+) (\S+)/.exec(out);
      if (m) ready(m[1]!, m[2] === '-' ? null : m[2]!);
    });
  });
}

/** Keeps the main thread's profile as `dest` and removes the folder of profiles. */
function keepMainProfile(tmp: string, dest: string): void {
  mkdirSync(dirname(dest), { recursive: true });
  // Profiles are named CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile; the main thread is 0.
  const files = readdirSync(tmp).filter((f) => f.endsWith('.cpuprofile'));
  const main = files.find((f) => f.split('.')[4] === '0') ?? files[0];
  if (main) renameSync(join(tmp, main), dest);
  rmSync(tmp, { recursive: true, force: true });
}

/** Resident and peak resident memory of processes (summed), in bytes. */
export function memory(pids: number | number[]): { rss: number; hwm: number } {
  const all = (Array.isArray(pids) ? pids : [pids]).map(memoryOf);
  return { rss: all.reduce((a, m) => a + m.rss, 0), hwm: all.reduce((a, m) => a + m.hwm, 0) };
}

/** Open file descriptors of a process (sockets included). */
export function openFiles(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** CPU time (user + system) processes have used, in seconds. */
export function cpuSeconds(pids: number | number[]): number {
  return Array.isArray(pids) ? pids.reduce((a, p) => a + cpuOf(p), 0) : cpuOf(pids);
}

function cpuOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * Waits (at most `seconds`) until a process (each of them, on average) uses under 10% of a core, that is until it has worked
 * off a backlog. Returns the seconds waited.
 */
export async function waitIdle(pids: number | number[], seconds: number): Promise<number> {
  const t0 = performance.now();
  const n = Array.isArray(pids) ? pids.length : 1;
  while (performance.now() < t0 + seconds * 1000) {
    const c0 = cpuSeconds(pids);
    await new Promise((r) => setTimeout(r, 300));
    if (cpuSeconds(pids) - c0 < 0.03 * n) break;
  }
  return (performance.now() - t0) / 1000;
}
