import { randomBytes } from 'node:crypto';
import { AuthLevel } from '../../src/model/auth-level.js';
import { userId, type Uid } from '../../src/model/uid.js';
import type { ClientMessage } from '../../src/wire/client-messages.js';
import { reply } from '../../src/wire/replies.js';
import type { ServerMessage } from '../../src/wire/server-messages.js';
import type { ServerContext } from './context.js';
import { SerialQueue, type RunningTask } from '../request/serial-queue.js';
import { TokenBucket } from '../limits/token-bucket.js';
import { SERVER_REQUEST_ID, type Client } from '../request/client.js';
import type { Request } from '../request/request.js';
import type { PromotableSession } from './background.js';
import type { Connection } from './connection.js';
import { dispatch } from './dispatch.js';
import type { RegisteredSession } from './registry.js';
import type { HoldsFrames } from './send-window.js';

/** Random bytes in a session id (16 characters of base64url). */
const SID_BYTES = 12;

/**
 * One client connection. Messages are processed strictly in arrival order, each to completion
 * (including the topic's part) before the next, so a client may send `{login}` right after
 * `{hi}` without waiting. The session knows its transport only as a {@link Connection}.
 */
/** A request as the session side handles it: its client is the session itself. */
export type SessionRequest<M extends ClientMessage = ClientMessage> = Request<M, Session>;

export class Session implements Client, RegisteredSession, PromotableSession, HoldsFrames {
  readonly sid: string;
  uid: Uid = 0n;
  authLvl: AuthLevel = AuthLevel.NONE;
  /** Protocol version from `{hi}`; 0 before the handshake. */
  ver = 0;
  userAgent = '';
  platf = '';
  lang = '';
  countryCode = '';
  deviceId = '';
  /**
   * A background session (`{hi bkg:true}`): attached topics do not count its user online and do
   * not announce it, until it comes to the foreground ({@link toForeground}) after
   * `timings.backgroundMs`, unless it ends first.
   */
  background = false;
  /** Attached topics by routable name. */
  readonly subs = new Set<string>();
  /** `{pub}` within `limits.publish_rate`. */
  readonly publishRate: TokenBucket;
  /** `{note}` within the same rate (notes over it are dropped: they are never answered). */
  readonly noteRate: TokenBucket;
  private readonly queue: SerialQueue;
  private ended = false;
  /** Reading from the connection is paused: the inbound queue is full. */
  private paused = false;
  /** Frames waiting for the send window to end ({@link sendSoon}), oldest first. */
  private held: ServerMessage[] | null = null;

  constructor(
    readonly ctx: ServerContext,
    private readonly conn: Connection,
  ) {
    // Random, not an id from the generator: a long-poll session id is all a poll needs to read it.
    this.sid = randomBytes(SID_BYTES).toString('base64url');
    this.queue = new SerialQueue(
      (err) => ctx.log.error(`session ${this.sid}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
      (remaining) => this.afterMessage(remaining),
    );
    const { publishRate, publishBurst } = ctx.limits;
    this.publishRate = new TokenBucket(publishRate, publishBurst);
    this.noteRate = new TokenBucket(publishRate, publishBurst);
  }

  get remoteAddr(): string {
    return this.conn.remoteAddr;
  }

  get transport(): Connection['kind'] {
    return this.conn.kind;
  }

  /** Whether the session has ended (closed by either side). */
  get isEnded(): boolean {
    return this.ended;
  }

  /**
   * A message the transport could not decode: answered 400 "malformed" (without an id: none
   * could be read) in its turn.
   */
  malformed(reason: string): void {
    if (this.ended) {
      return;
    }
    this.ctx.stats.received(this.conn.kind);
    this.ctx.log.warn(`session ${this.sid}: malformed message: ${reason}`);
    // Queued like any message, so the reply keeps its place in the order of replies.
    void this.queue.push(() => {
      this.send(reply('malformed', '', '', new Date()));
    });
  }

  /**
   * A decoded message (from the transport): queued for processing in order. When `limits.inbound_queue`
   * messages wait, the transport stops reading from the client until half of them are done; a
   * client that still gets more through (a transport reads ahead) is answered 503 for those.
   */
  handle(msg: ClientMessage): void {
    if (this.ended) {
      return;
    }
    this.ctx.stats.received(this.conn.kind);
    if (this.ctx.shuttingDown) {
      this.send(reply('locked', msg.id, msg.topic, new Date()));
      return;
    }
    const bound = this.ctx.limits.inboundQueue;
    if (this.queue.size >= 2 * bound) {
      if (msg.type !== 'note') this.send(reply('serviceUnavailable', msg.id, msg.topic, new Date()));
      return;
    }
    void this.queue.push(() => dispatch(this, msg), () => `{${msg.type}${msg.id ? ` id=${msg.id}` : ''}${msg.topic ? ` topic=${msg.topic}` : ''}}`);
    if (!this.paused && this.queue.size >= bound) {
      this.paused = true;
      this.conn.pause();
    }
  }

  private afterMessage(remaining: number): void {
    if (this.paused && !this.ended && remaining <= this.ctx.limits.inboundQueue / 2) {
      this.paused = false;
      this.conn.resume();
    }
  }

  /**
   * Sends a message to the client. A client that does not keep up is dropped: returns false then.
   * Messages are immutable once sent (their encoding is cached for broadcasts).
   */
  send(msg: ServerMessage): boolean {
    if (this.held !== null && !this.flushHeld()) {
      return false;
    }
    return this.write(msg);
  }

  /**
   * Holds `msg` until the server's send window ends, so that it shares one write with others
   * (presence of a big group's members coming and going). Anything sent before then writes it
   * first. Past `maxHeld` frames, the held ones are written at once.
   */
  sendSoon(msg: ServerMessage): boolean {
    const window = this.ctx.sendWindow;
    if (this.ended || window.ms === 0) {
      return this.send(msg);
    }
    if (this.held === null) {
      this.held = [];
      window.add(this);
    }
    this.held.push(msg);
    return this.held.length < window.maxHeld || this.flushHeld();
  }

  /** Writes the frames held for the send window. False if the session was dropped meanwhile. */
  flushHeld(): boolean {
    const held = this.held;
    this.held = null;
    for (const msg of held ?? []) {
      if (!this.write(msg)) return false;
    }
    return true;
  }

  private write(msg: ServerMessage): boolean {
    if (this.ended || ('ctrl' in msg && msg.ctrl.id === SERVER_REQUEST_ID)) {
      return true;
    }
    let accepted: boolean;
    try {
      accepted = this.conn.send(msg);
    } catch (err) {
      // A message that cannot be encoded is lost for this client alone; the caller goes on.
      this.ctx.log.error(`session ${this.sid}: cannot send a message: ${err instanceof Error ? err.message : String(err)}`);
      return true;
    }
    if (!accepted) {
      this.ctx.log.warn(`session ${this.sid}: send queue full, dropping the session`);
      this.conn.abort();
      this.cleanUp();
      return false;
    }
    this.ctx.stats.sent(this.conn.kind, msg);
    if ('ctrl' in msg && msg.ctrl.code >= 500 && msg.ctrl.id !== undefined) {
      this.logServerError(msg.ctrl);
    }
    return true;
  }

  /** 5xx answers logged so far (the first ten, then every hundredth: a flood cannot flood the log). */
  private serverErrors = 0;

  /** Logs a request answered 5xx, with its session, user and topic. */
  private logServerError(ctrl: { id?: string | undefined; topic?: string | undefined; code: number; text?: string | undefined }): void {
    const n = ++this.serverErrors;
    if (n > 10 && n % 100 !== 0) return;
    this.ctx.log.warn(`session ${this.sid}: answered ${ctrl.code} ${ctrl.text ?? ''}`, {
      sid: this.sid,
      user: this.uid === 0n ? undefined : userId(this.uid),
      topic: ctrl.topic,
      id: ctrl.id,
      code: ctrl.code,
      ...(n > 10 ? { answered5xx: n } : {}),
    });
  }

  /** Ends the session from the server side, sending `last` first when given. */
  stop(last?: ServerMessage): void {
    if (this.ended) {
      return;
    }
    this.conn.close(last);
    this.cleanUp();
  }

  /** The transport says the connection is gone. */
  closed(): void {
    this.cleanUp();
  }

  /**
   * The session stays: it becomes a foreground one, and every topic it is attached to counts its
   * user online and announces it as for a session that was never in the background. Nothing
   * happens to a session that has ended or is in the foreground already.
   */
  toForeground(): void {
    if (this.ended || !this.background) {
      return;
    }
    this.background = false;
    this.ctx.hub.toForeground(this);
  }

  /** The message being handled now, and how many wait behind it. */
  busy(): { running: RunningTask | null; queued: number } {
    const running = this.queue.running;
    return { running, queued: this.queue.size - (running ? 1 : 0) };
  }

  /** Settles when every message received so far has been processed. */
  idle(): Promise<void> {
    return this.queue.drain();
  }

  private cleanUp(): void {
    if (this.ended) {
      return;
    }
    this.ended = true;
    this.held = null;
    // What the client queued and the server has not started is dropped with the session.
    this.queue.clear();
    if (this.paused) {
      // Read again, to the end: a closing handshake needs the client's answer, and what else
      // comes is ignored now.
      this.paused = false;
      this.conn.resume();
    }
    this.ctx.guards.sessions.closed(this);
    this.ctx.backgroundSessions.forget(this);
    this.ctx.sessions.delete(this);
    this.ctx.hub.detachAll(this);
  }
}
