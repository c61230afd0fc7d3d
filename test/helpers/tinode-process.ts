import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import WebSocket from 'ws';
import { ROOT } from './cli.js';
import { DEMO_KEY } from './sdk.js';

/** `tinode serve` as a child process on free loopback ports, once it says where it listens. */
export function serveProcess(db: string, extra: string[] = []): Promise<{ child: ChildProcess; host: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'tinode'), 'serve', '--listen', '127.0.0.1:0', '--grpc-listen', '127.0.0.1:0', '--db', db, ...extra], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (log += d));
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 20_000;
    const check = () => {
      const m = /listening on http:\/\/(127\.0\.0\.1:\d+)/.exec(log);
      if (m) return resolve({ child, host: m[1]! });
      if (Date.now() > deadline || child.exitCode !== null) return reject(new Error(`server did not start:\n${log}`));
      setTimeout(check, 50);
    };
    check();
  });
}

export type Frame = Record<string, Record<string, unknown>>;

/**
 * A websocket client that keeps every frame and answers `reply(id)` as soon as the ctrl (or
 * meta) of that id arrives, without scanning its inbox.
 */
export class ProcessClient {
  readonly inbox: Frame[] = [];
  readonly closed: Promise<void>;
  /** True once the connection closed. */
  isClosed = false;
  readonly #byId = new Map<string, Frame>();
  readonly #waiters = new Map<string, (f: Frame) => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const f = JSON.parse(d.toString()) as Frame;
      this.inbox.push(f);
      const id = f.ctrl?.id;
      if (typeof id === 'string') {
        this.#byId.set(id, f);
        const w = this.#waiters.get(id);
        if (w) {
          this.#waiters.delete(id);
          w(f);
        }
      }
    });
    ws.on('error', () => undefined);
    this.closed = new Promise<void>((r) =>
      ws.on('close', () => {
        this.isClosed = true;
        r();
      }),
    );
  }

  static async open(host: string): Promise<ProcessClient> {
    const ws = new WebSocket(`ws://${host}/v0/channels?apikey=${DEMO_KEY}`);
    await new Promise((r, j) => {
      ws.once('open', r);
      ws.once('error', j);
    });
    return new ProcessClient(ws);
  }

  send(msg: unknown): void {
    this.ws.send(JSON.stringify(msg), () => undefined);
  }

  /** The ctrl of `id`: at once when it came, else when it comes; rejects after `ms` or on close. */
  ctrl(id: string, ms = 10_000): Promise<Frame> {
    const got = this.#byId.get(id);
    if (got) return Promise.resolve(got);
    if (this.isClosed) return Promise.reject(new Error(`closed before ${id}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(id);
        reject(new Error(`no reply to ${id}`));
      }, ms);
      this.#waiters.set(id, (f) => {
        clearTimeout(timer);
        resolve(f);
      });
      void this.closed.then(() => {
        clearTimeout(timer);
        reject(new Error(`closed before ${id}`));
      });
    });
  }

  /** Sends a request with its id and waits for its ctrl. */
  async ask(msg: Frame, ms?: number): Promise<Frame> {
    const id = String(Object.values(msg)[0]?.id);
    this.send(msg);
    return this.ctrl(id, ms);
  }
}
