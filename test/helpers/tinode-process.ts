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

export const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A client logged in as a sample user (password NAME123). */
export async function login(host: string, name: string): Promise<ProcessClient> {
  const c = await ProcessClient.open(host);
  const hi = (await c.ask({ hi: { id: 'h', ver: '0.25.3' } })).ctrl;
  if (hi?.code !== 201) throw new Error(`hi: ${JSON.stringify(hi)}`);
  const ok = (await c.ask({ login: { id: 'l', scheme: 'basic', secret: b64(`${name}:${name}123`) } })).ctrl;
  if (ok?.code !== 200) throw new Error(`login ${name}: ${JSON.stringify(ok)}`);
  return c;
}

/** Every message of a topic as `reader` sees it, seq → content, paging back from the newest. */
export async function history(reader: ProcessClient, topic: string, tag: string): Promise<Map<number, string>> {
  const stored = new Map<number, string>();
  let before = 0;
  for (let page = 0; page < 1000; page++) {
    const id = `${tag}-${page}`;
    const from = reader.inbox.length;
    const done = (await reader.ask({ get: { id, topic, what: 'data', data: before ? { before } : {} } })).ctrl!;
    const batch = reader.inbox.slice(from).filter((m) => m.data?.topic === topic);
    for (const m of batch) {
      const seq = Number(m.data!.seq);
      if (stored.has(seq)) throw new Error(`${topic}: seq ${seq} twice`);
      stored.set(seq, String(m.data!.content));
    }
    if (done.code === 204 || batch.length === 0) break;
    before = Math.min(...batch.map((m) => Number(m.data!.seq)));
    if (before <= 1) break;
  }
  return stored;
}
