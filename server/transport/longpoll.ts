import { encodeServerJson } from '../../src/wire/codec/json-encode.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log/log.js';
import { SEND_QUEUE_LIMIT, type Connection } from '../session/connection.js';
import { DEFAULT_MAX_JSON_DEPTH } from '../../src/wire/codec/json-depth.js';
import { apiKeyOf } from '../http/apikey.js';
import { handJson } from './hand-to-session.js';
import { remoteAddrOf } from '../http/remote-addr.js';
import type { SessionSink, TransportOptions } from './types.js';

/**
 * Long polling at `/v0/channels/lp`, as the reference and tinode-sdk use it: a request without
 * `sid` opens a session (HTTP 201 with `ctrl.params.sid`); a request with a body is one client
 * message (answered with an empty 200; replies travel through polls); an empty request is a poll,
 * answered with exactly one message, or an empty body after the poll timeout. Sessions that are
 * not polled for `idleMs` expire.
 */
interface LpSession {
  sid: string;
  sink: SessionSink;
  queue: string[];
  waiting: { res: ServerResponse; timer: NodeJS.Timeout } | null;
  lastSeen: number;
  remoteAddr: string;
  closed: boolean;
  /** A final message to deliver on the next poll, after which the session is gone. */
  last: string | null;
  /** The session's inbound queue is full: messages wait in {@link held} until it resumes. */
  paused: boolean;
  /**
   * Messages posted while the session was paused, their POSTs not yet answered: the long-poll
   * form of a socket that is not read. Past `maxHeld` of them, a message is answered 503.
   */
  held: { text: string; res: ServerResponse }[];
}

export class LongPollTransport {
  private readonly sessions = new Map<string, LpSession>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly opts: TransportOptions & {
      pollTimeoutMs: number;
      idleMs: number;
      /** POSTs left unanswered per session while it is paused, 503 past them (`limits.inbound_queue`). @default 32 */
      maxHeld?: number;
    },
    private readonly log: Logger,
  ) {
    this.timer = setInterval(() => this.expire(), Math.min(opts.idleMs, 5000));
    this.timer.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  private headers(res: ServerResponse): void {
    res.setHeader('Content-Type', 'text/plain');
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cache-Control', 'no-cache, no-store, must-revalidate');
    res.setHeader('Expires', '0');
  }

  private reply(res: ServerResponse, status: number, body: string): void {
    if (!res.headersSent) {
      res.statusCode = status;
    }
    res.end(body);
  }

  /** Handles one HTTP request to the long-poll endpoint. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): void {
    this.headers(res);
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Tinode-APIKey, X-Tinode-Auth');
      this.reply(res, 204, '');
      return;
    }
    if (req.method !== 'POST' && req.method !== 'GET') {
      this.reply(res, 405, this.opts.replies.methodNotAllowed());
      return;
    }
    const isForm = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    void this.readBody(req)
      .then((body) => {
        const form = isForm && body.ok ? new URLSearchParams(body.text) : undefined;
        if (!this.opts.checkApiKey(apiKeyOf(req, url, form))) {
          this.reply(res, 403, this.opts.replies.apiKeyRequired());
          return;
        }
        const sid = url.searchParams.get('sid') ?? form?.get('sid') ?? '';
        if (!sid) {
          this.open(req, res, url.searchParams.get('id') ?? '');
          return;
        }
        const sess = this.sessions.get(sid);
        if (!sess || sess.closed) {
          this.log.warn(`lp: invalid or expired session id ${sid}`);
          this.reply(res, 403, this.opts.replies.sessionNotFound());
          return;
        }
        sess.lastSeen = Date.now();
        sess.remoteAddr = remoteAddrOf(req, this.opts.useXForwardedFor);
        if (!body.ok) {
          this.reply(res, body.status, this.opts.replies.malformed(url.searchParams.get('id') ?? ''));
          return;
        }
        if (body.text.length > 0 && !isForm) {
          if (body.text === '1') {
            // The network probe: answered in the response itself.
            this.reply(res, 200, '0');
            return;
          }
          if (sess.paused || sess.held.length > 0) {
            // Taken when the session catches up, in order; the client waits for its 200 meanwhile.
            if (sess.held.length >= (this.opts.maxHeld ?? 32)) {
              this.reply(res, 503, this.opts.replies.serviceUnavailable(url.searchParams.get('id') ?? ''));
            } else {
              sess.held.push({ text: body.text, res });
            }
            return;
          }
          this.pass(sess, body.text);
          this.reply(res, 200, '');
          return;
        }
        this.poll(sess, req, res);
      })
      .catch((err: unknown) => {
        this.log.warn(`lp: ${String(err)}`);
        this.reply(res, 400, this.opts.replies.malformed(''));
      });
  }

  private readBody(req: IncomingMessage): Promise<{ ok: true; text: string } | { ok: false; status: number }> {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > this.opts.maxMessageSize) {
      req.resume();
      return Promise.resolve({ ok: false, status: 417 });
    }
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let over = false;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > this.opts.maxMessageSize) {
          over = true;
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => resolve(over ? { ok: false, status: 400 } : { ok: true, text: Buffer.concat(chunks).toString('utf8') }));
      req.on('error', reject);
    });
  }

  private open(req: IncomingMessage, res: ServerResponse, id: string): void {
    const remoteAddr = remoteAddrOf(req, this.opts.useXForwardedFor);
    const refused = this.opts.host.admit(remoteAddr, 'lp');
    if (refused !== null) {
      this.log.warn(`lp: refused a session: ${refused}`);
      this.reply(res, 503, this.opts.replies.serviceUnavailable(id));
      return;
    }
    const entry: LpSession = {
      sid: '',
      sink: { sid: '', handle() {}, malformed() {}, closed() {} },
      queue: [],
      waiting: null,
      lastSeen: Date.now(),
      remoteAddr,
      closed: false,
      last: null,
      paused: false,
      held: [],
    };
    const conn: Connection = {
      kind: 'lp',
      get remoteAddr() {
        return entry.remoteAddr;
      },
      send: (msg) => {
        if (entry.closed || entry.last !== null) {
          return true;
        }
        const text = encodeServerJson(msg);
        if (entry.waiting) {
          this.deliver(entry, text);
          return true;
        }
        if (entry.queue.length >= SEND_QUEUE_LIMIT) {
          return false;
        }
        entry.queue.push(text);
        return true;
      },
      close: (lastMsg) => {
        if (entry.closed || entry.last !== null) {
          return;
        }
        const last = lastMsg === undefined ? undefined : encodeServerJson(lastMsg);
        if (last !== undefined && entry.waiting) {
          this.deliver(entry, last);
          this.drop(entry, false, 'closed by the server');
        } else if (last !== undefined) {
          // Delivered by the next poll, if it comes before the session expires.
          entry.queue = [];
          entry.last = last;
        } else {
          this.drop(entry, false, 'closed by the server');
        }
      },
      abort: () => {
        if (!entry.closed) this.drop(entry, false, 'dropped by the server: the client does not keep up');
      },
      pause: () => {
        entry.paused = true;
      },
      resume: () => {
        entry.paused = false;
        this.release(entry);
      },
    };
    const session = this.opts.host.open(conn);
    entry.sid = session.sid;
    entry.sink = session;
    this.sessions.set(session.sid, entry);
    this.log.info(`lp: session started ${session.sid} ${remoteAddr} (${this.sessions.size} long-poll sessions)`);
    this.reply(res, 201, this.opts.replies.lpCreated(id, session.sid));
  }

  private poll(sess: LpSession, req: IncomingMessage, res: ServerResponse): void {
    if (sess.last !== null) {
      const last = sess.last;
      this.reply(res, 200, last);
      this.drop(sess, false, 'closed by the server');
      return;
    }
    const next = sess.queue.shift();
    if (next !== undefined) {
      this.reply(res, 200, next);
      return;
    }
    if (sess.waiting) {
      // A newer poll replaces the older one, which gets an empty answer.
      clearTimeout(sess.waiting.timer);
      this.reply(sess.waiting.res, 200, '');
    }
    const timer = setTimeout(() => {
      if (sess.waiting?.res === res) {
        sess.waiting = null;
        this.reply(res, 200, '');
      }
    }, this.opts.pollTimeoutMs);
    sess.waiting = { res, timer };
    req.on('close', () => {
      if (sess.waiting?.res === res) {
        clearTimeout(timer);
        sess.waiting = null;
      }
    });
  }

  /** Decodes one posted message for the session. */
  private pass(sess: LpSession, text: string): void {
    handJson(sess.sink, text, this.opts.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH);
  }

  /** Hands held messages to the session until it pauses again. */
  private release(sess: LpSession): void {
    while (!sess.paused && !sess.closed) {
      const next = sess.held.shift();
      if (!next) return;
      this.pass(sess, next.text);
      this.reply(next.res, 200, '');
    }
  }

  private deliver(sess: LpSession, text: string): void {
    const w = sess.waiting;
    if (!w) {
      return;
    }
    sess.waiting = null;
    clearTimeout(w.timer);
    sess.lastSeen = Date.now();
    this.reply(w.res, 200, text);
  }

  /** Ends a session; `notify` tells the session, which did not end it itself. */
  private drop(sess: LpSession, notify: boolean, why: string): void {
    if (sess.closed) {
      return;
    }
    sess.closed = true;
    this.sessions.delete(sess.sid);
    this.log.info(`lp: session ended ${sess.sid} ${sess.remoteAddr} (${this.sessions.size} long-poll sessions): ${why}`);
    if (sess.waiting) {
      clearTimeout(sess.waiting.timer);
      this.reply(sess.waiting.res, 200, '');
      sess.waiting = null;
    }
    // Messages still held were never taken: the session they were for is gone.
    for (const h of sess.held.splice(0)) {
      this.reply(h.res, 403, this.opts.replies.sessionNotFound());
    }
    if (notify) {
      sess.sink.closed();
    }
  }

  private expire(): void {
    const now = Date.now();
    for (const sess of this.sessions.values()) {
      if (!sess.waiting && now - sess.lastSeen > this.opts.idleMs) {
        this.drop(sess, true, `not polled for ${Math.round(this.opts.idleMs / 1000)} s`);
      }
    }
  }

  /** Ends every session (their final messages were sent by the sessions themselves). */
  close(): void {
    clearInterval(this.timer);
    for (const sess of [...this.sessions.values()]) {
      this.drop(sess, true, 'server shutdown');
    }
  }
}
