import type { ClientMessage, GetQuery } from '../src/wire/client-messages.js';
import type { CtrlMsg, DataMsg, PresMsg, ServerMessage, TopicSubMsg } from '../src/wire/server-messages.js';
import type { Credentials } from './credentials.js';
import { clip, type BotLog } from './log.js';
import type { QuotePicker } from './quotes.js';

/**
 * What the bot does in a session, as the reference chatbot: log in, subscribe to `me`, follow
 * its one-to-one conversations, and answer each message from someone else with a random quote
 * after marking it read. On top of that:
 *
 * - it starts a conversation with every new user the server reports (plugin `Account` events);
 * - a conversation is followed while the other party is online or has written (as the
 *   reference: `{pres on|msg}` on `me` subscribes, `{pres off}` leaves), and on subscribing the
 *   bot fetches the latest message it has not read, so a message sent while it was away (or
 *   reconnecting) still gets its answer, once;
 * - it answers in one-to-one conversations only (a quote after every message of a group would
 *   drown it), and never answers a message marked `head.auto` (another bot's answer), so two
 *   bots cannot talk to each other forever.
 */

/** The part of a session the bot needs: a way to send, and to hang up. */
export interface Link {
  send(msg: ClientMessage): boolean;
  close(): void;
}

export type SessionOutcome =
  /** Logged in and subscribed to `me`; `params` are the login's (token, expires, user...). */
  | { kind: 'ok'; user: string; params: Record<string, unknown> }
  /** The server refused the credentials (`code` 4xx). */
  | { kind: 'refused'; code: number; text: string }
  /** Try again later: no answer, the stream closed, or the server is unavailable. */
  | { kind: 'retry'; reason: string }
  /** Cannot go on, whatever the retries. */
  | { kind: 'fatal'; reason: string };

export interface BotOptions {
  quotes: QuotePicker;
  log: BotLog;
  userAgent: string;
  /** Pause between marking a message read and answering it (the reference's guard against floods). */
  replyDelayMs?: number;
  /** How long to wait for the server to answer a request. */
  requestTimeoutMs?: number;
}

type TopicState = 'joining' | 'joined' | 'leaving';

/** One-to-one conversations as the bot sees them: named after the other user. */
const isP2P = (topic: string | undefined): topic is string => typeof topic === 'string' && /^usr[A-Za-z0-9_-]+$/.test(topic);

export class QuoteBot {
  private link: Link | null = null;
  private loggedIn = false;
  private uid = '';
  private lastId = 100;
  private readonly pending = new Map<string, (ctrl: CtrlMsg | null) => void>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Conversations the bot is attached to (or on its way in or out). */
  private readonly topics = new Map<string, TopicState>();
  /** Conversations the bot wants to be attached to. */
  private readonly wanted = new Set<string>();
  /** New users to start a conversation with (kept across reconnections until done). */
  private readonly newUsers = new Set<string>();
  /** Last message id read by the bot, and last known message id, per conversation. */
  private readonly readSeq = new Map<string, number>();
  private readonly lastSeq = new Map<string, number>();

  constructor(private readonly opts: BotOptions) {}

  /** The bot's user id once logged in. */
  get userId(): string {
    return this.uid;
  }

  /** Runs the start of a session on a fresh stream: `{hi}`, `{login}`, `{sub me}`. */
  async start(link: Link, creds: Credentials): Promise<SessionOutcome> {
    this.link = link;
    const { log } = this.opts;
    const hi = await this.request({ type: 'hi', id: this.newId(), topic: '', body: { ua: this.opts.userAgent, ver: '0.25', lang: 'EN' }, extra: null });
    if (!hi) return { kind: 'retry', reason: 'no answer to {hi}' };
    if (hi.code >= 300) return { kind: 'retry', reason: `{hi} refused: ${hi.code} ${hi.text ?? ''}` };
    const ver = hi.params?.ver;
    const build = hi.params?.build;
    log.info(`server: ${typeof build === 'string' ? build : '?'} (protocol ${typeof ver === 'string' ? ver : '?'})`);

    const login = await this.request({ type: 'login', id: this.newId(), topic: '', body: { scheme: creds.scheme, secret: creds.secret }, extra: null });
    if (!login) return { kind: 'retry', reason: 'no answer to {login}' };
    if (login.code === 300) {
      const cred = Array.isArray(login.params?.cred) ? ` (${login.params.cred.join(', ')})` : '';
      return { kind: 'fatal', reason: `the bot's account must validate its credentials${cred} before it can log in` };
    }
    if (login.code >= 500) return { kind: 'retry', reason: `{login} failed: ${login.code} ${login.text ?? ''}` };
    if (login.code >= 400) return { kind: 'refused', code: login.code, text: login.text ?? '' };
    const params = login.params ?? {};
    if (typeof params.user === 'string') this.uid = params.user;

    const me = await this.request({ type: 'sub', id: this.newId(), topic: 'me', body: { get: { what: 'sub' } }, extra: null });
    if (!me) return { kind: 'retry', reason: 'no answer to {sub me}' };
    if (me.code >= 500) return { kind: 'retry', reason: `cannot subscribe to me: ${me.code} ${me.text ?? ''}` };
    if (me.code >= 300) return { kind: 'fatal', reason: `cannot subscribe to me: ${me.code} ${me.text ?? ''}` };
    this.loggedIn = true;
    // The contact list may have come before the {ctrl}.
    for (const topic of this.wanted) this.reconcile(topic);
    for (const user of this.newUsers) this.want(user);
    return { kind: 'ok', user: this.uid, params };
  }

  /** The stream is gone: everything tied to it is forgotten (new users still wait their turn). */
  disconnected(): void {
    this.link = null;
    this.loggedIn = false;
    for (const resolve of this.pending.values()) resolve(null);
    this.pending.clear();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.topics.clear();
    this.wanted.clear();
  }

  /** A new account (from the plugin service): start a conversation with it. */
  newUser(user: string): void {
    if (!isP2P(user) || user === this.uid) return;
    this.newUsers.add(user);
    this.want(user);
  }

  onMessage(msg: ServerMessage): void {
    this.opts.log.debug(`in: ${clip(msg)}`);
    if ('ctrl' in msg) this.onCtrl(msg.ctrl);
    else if ('meta' in msg) {
      if (msg.meta.topic === 'me' && msg.meta.sub) this.onContacts(msg.meta.sub);
    } else if ('data' in msg) this.onData(msg.data);
    else if ('pres' in msg) this.onPres(msg.pres);
  }

  private onCtrl(ctrl: CtrlMsg): void {
    if (ctrl.id) {
      const resolve = this.pending.get(ctrl.id);
      if (resolve) {
        this.pending.delete(ctrl.id);
        resolve(ctrl);
      }
      return;
    }
    // Detached from a topic by the server (205 evicted, 410 gone...).
    if (ctrl.topic && this.topics.has(ctrl.topic) && ctrl.code >= 205) {
      this.topics.delete(ctrl.topic);
      this.reconcile(ctrl.topic);
    }
  }

  /** The contact list of `me`: follow the conversations whose peer is online or has unread messages. */
  private onContacts(subs: TopicSubMsg[]): void {
    for (const s of subs) {
      const topic = s.topic;
      if (!isP2P(topic) || s.deleted) continue;
      if (s.read !== undefined) this.readSeq.set(topic, s.read);
      if (s.seq !== undefined) this.lastSeq.set(topic, s.seq);
      if (s.online || (s.seq ?? 0) > (s.read ?? 0)) this.want(topic);
    }
  }

  private onPres(pres: PresMsg): void {
    if (pres.topic !== 'me' || !isP2P(pres.src)) return;
    const src = pres.src;
    switch (pres.what) {
      case 'on':
        this.want(src);
        break;
      case 'msg':
        if (pres.seq !== undefined) this.lastSeq.set(src, Math.max(pres.seq, this.lastSeq.get(src) ?? 0));
        this.want(src);
        break;
      case 'off':
        this.wanted.delete(src);
        this.newUsers.delete(src);
        this.reconcile(src);
        break;
      case 'acs':
        // Someone started a conversation with the bot.
        if (!this.lastSeq.has(src) && !this.topics.has(src)) this.want(src);
        break;
      case 'gone':
        this.wanted.delete(src);
        this.readSeq.delete(src);
        this.lastSeq.delete(src);
        this.reconcile(src);
        break;
    }
  }

  private onData(data: DataMsg): void {
    const topic = data.topic;
    if (!isP2P(topic) || !data.from || data.from === this.uid) return;
    if (data.head?.auto === true || data.content === undefined || data.content === null) return;
    const link = this.link;
    if (!link) return;
    this.lastSeq.set(topic, Math.max(data.seq, this.lastSeq.get(topic) ?? 0));
    if (data.seq <= (this.readSeq.get(topic) ?? 0)) return;
    this.readSeq.set(topic, data.seq);
    this.send({ type: 'note', id: '', topic, body: { what: 'read', seq: data.seq }, extra: null });
    const quote = this.opts.quotes.next();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.link !== link) return;
      void this.request({ type: 'pub', id: this.newId(), topic, body: { noecho: true, head: { auto: true }, content: quote }, extra: null }).then((ctrl) => {
        if (!ctrl) return;
        if (ctrl.code >= 300) {
          this.opts.log.warn(`cannot answer in ${topic}: ${ctrl.code} ${ctrl.text ?? ''}`);
          return;
        }
        this.opts.log.info(`answered message ${data.seq} from ${data.from} with a quote`);
        if (typeof ctrl.params?.seq === 'number') this.lastSeq.set(topic, ctrl.params.seq);
      });
    }, this.opts.replyDelayMs ?? 100);
    this.timers.add(timer);
  }

  private want(topic: string): void {
    this.wanted.add(topic);
    this.reconcile(topic);
  }

  /** Subscribes to or leaves a conversation so that the state matches the wish. */
  private reconcile(topic: string): void {
    if (!this.loggedIn) return;
    const state = this.topics.get(topic);
    const wanted = this.wanted.has(topic);
    if (wanted && state === undefined) void this.join(topic);
    else if (!wanted && state === 'joined') void this.leave(topic);
  }

  private async join(topic: string): Promise<void> {
    this.topics.set(topic, 'joining');
    const read = this.readSeq.get(topic) ?? 0;
    const last = this.lastSeq.get(topic);
    // The latest unread message, to answer it if it came while the bot was away.
    const get: GetQuery | undefined = last === undefined || last > read ? { what: 'data', data: { since: read + 1, limit: 1 } } : undefined;
    const isNew = this.newUsers.has(topic);
    const ctrl = await this.request({ type: 'sub', id: this.newId(), topic, body: get ? { get } : {}, extra: null });
    if (!ctrl) {
      if (this.loggedIn) this.topics.delete(topic);
      return;
    }
    this.newUsers.delete(topic);
    if (ctrl.code < 300) {
      this.topics.set(topic, 'joined');
      if (isNew) this.opts.log.info(`started a conversation with the new user ${topic}`);
      else this.opts.log.debug(`following ${topic}`);
    } else {
      this.topics.delete(topic);
      this.wanted.delete(topic);
      this.opts.log.warn(`cannot subscribe to ${topic}: ${ctrl.code} ${ctrl.text ?? ''}`);
    }
    this.reconcile(topic);
  }

  private async leave(topic: string): Promise<void> {
    this.topics.set(topic, 'leaving');
    const ctrl = await this.request({ type: 'leave', id: this.newId(), topic, body: {}, extra: null });
    if (!ctrl) return;
    this.topics.delete(topic);
    this.opts.log.debug(`left ${topic}`);
    this.reconcile(topic);
  }

  private newId(): string {
    return String(++this.lastId);
  }

  private send(msg: ClientMessage): boolean {
    this.opts.log.debug(`out: ${clip(msg.type === 'login' ? { ...msg, body: { scheme: msg.body.scheme } } : msg)}`);
    return this.link?.send(msg) ?? false;
  }

  /** Sends a request and waits for its `{ctrl}`; null when the stream closed or no answer came in time. */
  private request(msg: ClientMessage): Promise<CtrlMsg | null> {
    return new Promise((resolve) => {
      if (!this.send(msg)) {
        resolve(null);
        return;
      }
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (this.pending.delete(msg.id)) {
          this.opts.log.warn(`no answer to {${msg.type}${msg.topic ? ' ' + msg.topic : ''}} in ${(this.opts.requestTimeoutMs ?? 15_000) / 1000} s`);
          resolve(null);
        }
      }, this.opts.requestTimeoutMs ?? 15_000);
      this.timers.add(timer);
      this.pending.set(msg.id, (ctrl) => {
        clearTimeout(timer);
        this.timers.delete(timer);
        resolve(ctrl);
      });
    });
  }
}
