import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';

/**
 * `tinode serve` as a child process, as a user runs it (`node bin/tinode serve`), in a temporary
 * folder where it creates its SQLite database with the sample data on first start, on free
 * loopback ports read from its log. A crash is the process exiting; its memory is read from
 * /proc; its log is kept by kind of line, with the first example of each.
 */

/** Linux clock ticks per second (`getconf CLK_TCK`), the unit of /proc/<pid>/stat times. */
const CLOCK_TICKS = 100;

export interface LogKind {
  count: number;
  /** The first record of this kind, with its stack lines. */
  example: string;
  /** When the first one was read (`performance.now()` of the test process, ms). */
  firstAt: number;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** When (`performance.now()`, ms). */
  at: number;
}

/**
 * The log's records (a line and the stack lines under it) of level WARN and ERROR, and the
 * deletions of users, by kind.
 */
class LogWatch {
  readonly kinds = new Map<string, LogKind>();
  /** Warnings of kinds past the first 500, counted only. */
  warningsNotKept = 0;
  /** The first lines of the log, where the ports and the sample ids are. */
  head = '';
  /** The last lines of the log, where a fatal error is. */
  tail = '';
  private partial = '';
  private record: string[] = [];

  feed(chunk: string): void {
    if (this.head.length < 8192) this.head += chunk;
    this.tail = (this.tail + chunk).slice(-16384);
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      if (/^\d{4}-\d\d-\d\dT/.test(line)) this.flush();
      this.record.push(line);
    }
  }

  flush(): void {
    const [first, ...rest] = this.record;
    this.record = [];
    // Warnings, errors, and the deletion of users (the fuzz must not delete the sample users).
    const m = first ? (/^\S+ (WARN|ERROR) +(.*)$/.exec(first) ?? /^\S+ (INFO) +(user usr\S+ deleted.*)$/.exec(first)) : null;
    if (!m) return;
    // One kind per message shape: ids, numbers and quoted text taken out (a deleted user keeps its id).
    const kind = m[1] === 'INFO' ? `INFO ${m[2] ?? ''}` : `${m[1]} ${(m[2] ?? '')
      .replace(/\b(usr|grp|p2p|chn|fnd)[\w-]{6,}/g, '$1…')
      .replace(/session [\w-]+/g, 'session …')
      .replace(/\d+/g, 'N')
      .replace(/"[^"]*"/g, '"…"')
      .slice(0, 160)}`;
    const known = this.kinds.get(kind);
    if (known) known.count++;
    // The warnings that quote malformed input come in endless shapes: past 500 kinds they are
    // counted only. Every other kind (errors and deletions, which the test asserts on, and the
    // server's reports of stuck topics and sessions) is always kept.
    else if (this.kinds.size < 500 || !/malformed message|non-root tried to act/.test(kind)) this.kinds.set(kind, { count: 1, example: [first, ...rest.slice(0, 12)].join('\n').slice(0, 3000), firstAt: performance.now() });
    else this.warningsNotKept++;
  }
}

export class FuzzServer {
  readonly log = new LogWatch();
  exit: Exit | null = null;
  readonly exited: Promise<Exit>;
  host = '';
  grpcAddr = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {
    child.stderr?.setEncoding('utf8').on('data', (d: string) => this.log.feed(d));
    child.stdout?.setEncoding('utf8').on('data', (d: string) => this.log.feed(d));
    this.exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        this.exit = { code, signal, at: performance.now() };
        this.log.flush();
        resolve(this.exit);
      }),
    );
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /**
   * Starts the server and waits for both listening lines.
   * @param nodeArgs options for node itself (`--cpu-prof` and its folder, to profile a run).
   */
  static async start(nodeArgs: string[] = []): Promise<FuzzServer> {
    const dir = mkdtempSync(join(tmpdir(), 'tinode-fuzz-'));
    // SQLite without an fsync per commit: the run is about the protocol, not about durability,
    // and with one the server spends most of the run waiting for the disk.
    const config = join(dir, 'tinode.conf');
    // Every fuzz session connects from 127.0.0.1 and mutated logins fail by the thousand: with the
    // default throttles, logins from the address would wait for most of the run and the fuzzer
    // would stop reaching past {login}. The other limits keep their defaults.
    const limits = { login_failures: 1_000_000, login_failures_per_address: 1_000_000 };
    writeFileSync(config, JSON.stringify({ store_config: { adapters: { sqlite: { path: './data/tinode.db', synchronous: 'normal' } } }, limits }));
    const args = ['serve', '--config', config, '--listen', '127.0.0.1:0', '--grpc-listen', '127.0.0.1:0', '--no-webapp'];
    const child = spawn(process.execPath, [...nodeArgs, join(ROOT, 'bin', 'tinode'), ...args], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const srv = new FuzzServer(child, dir);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const http = /listening on http:\/\/(127\.0\.0\.1:\d+)/.exec(srv.log.head);
      const grpc = /gRPC listening on (127\.0\.0\.1:\d+)/.exec(srv.log.head);
      if (http && grpc) {
        srv.host = http[1]!;
        srv.grpcAddr = grpc[1]!;
        return srv;
      }
      if (srv.exit || Date.now() > deadline) {
        await srv.stop();
        throw new Error(`tinode serve did not start:\n${srv.log.head}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Resident memory in MiB, or null when the process is gone. */
  rssMiB(): number | null {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : null;
    } catch {
      return null;
    }
  }

  /** CPU time the process has used (user + system), in seconds, or null when it is gone. */
  cpuSeconds(): number | null {
    try {
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    } catch {
      return null;
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; removes the folder. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.exit) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Samples a process's RSS at a fixed interval: the peak and the series. */
export class RssSampler {
  peak = 0;
  readonly series: number[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(read: () => number | null, intervalMs = 200) {
    this.timer = setInterval(() => {
      const v = read();
      if (v === null) return;
      this.peak = Math.max(this.peak, v);
      this.series.push(v);
    }, intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
