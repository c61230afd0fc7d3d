import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

/** Where Debian installs nats-server (the machine's own runs from there too). */
export const NATS_SERVER = process.env.NATS_SERVER ?? '/usr/sbin/nats-server';

export function natsServerAvailable(): boolean {
  return existsSync(NATS_SERVER);
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * A nats-server with JetStream of a test's own, on loopback and a free port, with its store in a
 * temporary folder: tests can stop it (a node cut off from NATS) and start it again on the same
 * port and store (the link comes back).
 */
export class TestNats {
  private proc: ChildProcess | null = null;
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<TestNats> {
    const n = new TestNats(await freePort(), mkdtempSync(join(tmpdir(), 'tinode-nats-')));
    await n.resume();
    return n;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Starts the server (again), waiting until it accepts connections. */
  async resume(): Promise<void> {
    const proc = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.dir], { stdio: 'ignore' });
    this.proc = proc;
    const until = Date.now() + 10_000;
    while (!(await accepting(this.port))) {
      if (Date.now() > until || proc.exitCode !== null) throw new Error(`nats-server did not start on port ${this.port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops the server at once (SIGKILL): every client loses its link. */
  async pause(): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  }

  async stop(): Promise<void> {
    await this.pause();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
