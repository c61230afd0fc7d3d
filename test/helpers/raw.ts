import { expect } from 'vitest';
import WebSocket from 'ws';
import { DEMO_KEY } from './sdk.js';

export type Json = Record<string, Record<string, unknown>>;

/** A JSON-over-websocket client speaking the protocol by hand. */
export class RawClient {
  private readonly inbox: Json[] = [];
  private waiters: ((m: Json) => void)[] = [];
  closeCode: number | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const text = d.toString();
      const msg = text === '0' ? { probe: { text } } : (JSON.parse(text) as Json);
      if (process.env.TINODE_TEST_RAW) console.log('<<', text);
      const w = this.waiters.shift();
      if (w) w(msg);
      else this.inbox.push(msg);
    });
    ws.on('close', (code) => (this.closeCode = code));
  }

  /** A client over a websocket opened elsewhere (with options of its own). */
  static wrap(ws: WebSocket): RawClient {
    return new RawClient(ws);
  }

  /** Connects; `compress: false` turns off permessage-deflate (each frame then costs its size). */
  static open(host: string, opts: { compress?: boolean } = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${host}/v0/channels?apikey=${DEMO_KEY}`, { perMessageDeflate: opts.compress ?? true });
      ws.once('open', () => resolve(new RawClient(ws)));
      ws.once('error', reject);
    });
  }

  send(msg: unknown): void {
    if (process.env.TINODE_TEST_RAW) console.log('>>', typeof msg === 'string' ? msg : JSON.stringify(msg));
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  next(ms = 2000): Promise<Json> {
    const m = this.inbox.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      const waiter = (msg: Json) => {
        clearTimeout(t);
        resolve(msg);
      };
      const t = setTimeout(() => {
        // A waiter that gave up must not swallow the next message.
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error('no message'));
      }, ms);
      this.waiters.push(waiter);
    });
  }

  /** Sends and returns the first answer. */
  async ask(msg: unknown): Promise<Json> {
    this.send(msg);
    return this.next();
  }

  async hello(): Promise<void> {
    const r = await this.ask({ hi: { id: 'h', ver: '0.25.3', ua: 'raw-test' } });
    expect(r.ctrl?.code).toBe(201);
  }

  async login(user: string, password = `${user}123`): Promise<Json> {
    const r = await this.ask({ login: { id: 'l', scheme: 'basic', secret: Buffer.from(`${user}:${password}`).toString('base64') } });
    expect(r.ctrl?.code).toBe(200);
    return r;
  }

  /** Sends and returns the first ctrl or meta answering `id`, skipping presence and data. */
  async reply(msg: Record<string, Record<string, unknown>>): Promise<Json> {
    const id = Object.values(msg)[0]?.id;
    this.send(msg);
    for (;;) {
      const m = await this.next();
      if ((m.ctrl && m.ctrl.id === id) || (m.meta && m.meta.id === id)) {
        return m;
      }
    }
  }

  close(): void {
    this.ws.close();
  }
}

/** Reads messages until one matches; fails after the timeout. */
export async function waitFor(c: RawClient, match: (m: Json) => boolean, what = 'message', ms = 3000): Promise<Json> {
  const end = Date.now() + ms;
  for (;;) {
    const left = end - Date.now();
    if (left <= 0) throw new Error(`timed out waiting for ${what}`);
    const m = await c.next(left).catch(() => null);
    if (m && match(m)) return m;
  }
}

/** Messages that arrive within a short while (to check that something does not come). */
export async function drain(c: RawClient, ms = 300): Promise<Json[]> {
  const out: Json[] = [];
  const end = Date.now() + ms;
  for (;;) {
    const left = end - Date.now();
    if (left <= 0) return out;
    const m = await c.next(left).catch(() => null);
    if (!m) return out;
    out.push(m);
  }
}
