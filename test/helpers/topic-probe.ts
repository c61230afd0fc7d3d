import { addRoot } from '../../server/store/init/root.js';
import { parseUserId, uidToBytes } from '../../src/model/uid.js';
import { RawClient, type Json } from './raw.js';
import type { TestServer } from './server.js';

/**
 * Every kind of request a client makes on a topic by name, and a probe that sends a batch of them
 * down one session and sorts out what came back for each: the tools of the topic-name matrix.
 */

/** A request on a topic, as the matrix names it. */
export type Action =
  | 'sub'
  | 'get data'
  | 'get desc'
  | 'get sub'
  | 'pub'
  | 'set desc'
  | 'set sub'
  | 'del msg'
  | 'del topic'
  | 'leave'
  | 'leave unsub'
  | 'note read'
  | 'note kp';

type Frame = Record<string, Record<string, unknown>>;

/** The messages of each action; the hostile ones ask for as much as a client can. */
const REQUESTS: Record<Action, (topic: string, id: string) => Frame> = {
  sub: (topic, id) => ({ sub: { id, topic, get: { what: 'desc sub data' } } }),
  'get data': (topic, id) => ({ get: { id, topic, what: 'data' } }),
  'get desc': (topic, id) => ({ get: { id, topic, what: 'desc' } }),
  'get sub': (topic, id) => ({ get: { id, topic, what: 'sub' } }),
  pub: (topic, id) => ({ pub: { id, topic, content: 'probe' } }),
  'set desc': (topic, id) => ({ set: { id, topic, desc: { public: { fn: 'probed' }, private: { probed: true } } } }),
  'set sub': (topic, id) => ({ set: { id, topic, sub: { mode: 'JRWPS' } } }),
  'del msg': (topic, id) => ({ del: { id, topic, what: 'msg', delseq: [{ low: 1, hi: 1000 }], hard: true } }),
  'del topic': (topic, id) => ({ del: { id, topic, what: 'topic', hard: true } }),
  leave: (topic, id) => ({ leave: { id, topic } }),
  'leave unsub': (topic, id) => ({ leave: { id, topic, unsub: true } }),
  'note read': (topic) => ({ note: { topic, what: 'read', seq: 1 } }),
  'note kp': (topic) => ({ note: { topic, what: 'kp' } }),
};

/** Every action, in the order a probe sends them. */
export const ACTIONS = Object.keys(REQUESTS) as readonly Action[];

/** The actions that are notes: never answered with an id. */
export const isNote = (a: Action): boolean => a.startsWith('note');

/** What came back for one action. */
export interface Answer {
  /** The ctrl code of the reply (200 for a `{meta}` reply); 0 when nothing answered. */
  code: number;
  /** The ctrl text; 'meta' for a `{meta}` reply; '' when nothing answered. */
  text: string;
  /** Every message that arrived while the server handled the action, in order. */
  messages: Json[];
}

/** The short form of an answer that the tables hold: `404 topic not found`, `meta`, `none`. */
export function summary(a: Answer): string {
  if (a.code === 0) return 'none';
  return a.text === 'meta' ? 'meta' : `${a.code} ${a.text}`;
}

/** A name that no rule resolves: the 404 of `{sub}` to it tells a probe where the answers to an action end. */
const FENCE = 'fence';
let seq = 0;

/**
 * Sends the actions on `topic` down the session, each followed by a fence request, all at once,
 * then reads until the last fence. The session handles its requests in order, so what arrives
 * between two fences is the answer to the action between them (notes have no id: an answer
 * to a note is whatever arrived before its fence). The session must not be attached to other
 * topics, whose traffic would land among the answers.
 */
export async function probe(c: RawClient, topic: string, actions: readonly Action[] = ACTIONS): Promise<Map<Action, Answer>> {
  const batch = actions.map((action) => ({ action, id: `p${++seq}`, fence: `f${seq}` }));
  for (const b of batch) {
    c.send(REQUESTS[b.action](topic, b.id));
    c.send({ sub: { id: b.fence, topic: FENCE } });
  }
  const out = new Map<Action, Answer>();
  for (const b of batch) {
    const messages: Json[] = [];
    for (;;) {
      const m = await c.next();
      if (m.ctrl?.id === b.fence) break;
      messages.push(m);
    }
    const first = messages.find((m) => (m.ctrl && (m.ctrl.id === b.id || m.ctrl.id === undefined)) || m.meta?.id === b.id);
    out.set(b.action, {
      code: first?.ctrl ? Number(first.ctrl.code) : first ? 200 : 0,
      text: first?.ctrl ? String(first.ctrl.text) : first ? 'meta' : '',
      messages,
    });
  }
  return out;
}

/**
 * What an attached session reads from a topic: `[from, content]` of each message, oldest first.
 * Data the session had in its inbox (its own publications echoed) counts once. (Data of a p2p
 * topic comes named by the peer's id, whatever name the session used.)
 */
export async function history(c: RawClient, topic: string): Promise<[unknown, unknown][]> {
  const id = `h${++seq}`;
  c.send({ get: { id, topic, what: 'data' } });
  const bySeq = new Map<number, [unknown, unknown]>();
  for (;;) {
    const m = await c.next();
    if (m.data) bySeq.set(Number(m.data.seq), [m.data.from, m.data.content]);
    if (m.ctrl?.id === id) return [...bySeq.entries()].sort(([a], [b]) => a - b).map(([, v]) => v);
  }
}

/** Server settings that let a three-letter login such as `eve` sign up. */
export const SHORT_LOGINS = { auth_config: { basic: { min_login_length: 3 } } };

/** Sessions of named users on one test server: sample users, new ones, a root. */
export class Users {
  /** `usr…` id of each login. */
  readonly ids: Record<string, string> = {};
  /** Authentication level of each login's latest session (`auth`, `root`). */
  readonly levels: Record<string, string> = {};
  private readonly open: RawClient[] = [];

  constructor(private readonly srv: TestServer) {}

  /** A new session logged in as `login` (password `<login>123`). */
  async session(login: string): Promise<RawClient> {
    const c = await RawClient.open(this.srv.host);
    this.open.push(c);
    await c.hello();
    const r = await c.login(login);
    const params = r.ctrl?.params as { user: string; authlvl: string };
    this.ids[login] = params.user;
    this.levels[login] = params.authlvl;
    return c;
  }

  /**
   * Signs up a user with a `basic` login `<login>:<login>123` and the email `<login>@example.com`,
   * confirmed at the first login with the validator's debug response (the default `123456`).
   */
  async signUp(login: string): Promise<void> {
    const c = await RawClient.open(this.srv.host);
    this.open.push(c);
    await c.hello();
    const secret = Buffer.from(`${login}:${login}123`).toString('base64');
    const cred = [{ meth: 'email', val: `${login}@example.com` }];
    const made = await c.reply({ acc: { id: 'a', user: 'new', scheme: 'basic', secret, login: true, desc: { public: { fn: login } }, cred } });
    const r = made.ctrl?.code === 300 ? await c.reply({ login: { id: 'l', scheme: 'basic', secret, cred: [{ meth: 'email', resp: '123456' }] } }) : made;
    if (r.ctrl?.code !== 200) throw new Error(`cannot sign up ${login}: ${JSON.stringify(r)}`);
    this.ids[login] = String((r.ctrl.params as { user: string }).user);
    c.close();
  }

  /** Creates a root user with the login `<login>:<login>123`. */
  async addRoot(login: string): Promise<void> {
    const made = await addRoot(this.srv.server.ctx.store, `${login}:${login}123`);
    this.ids[login] = made.id;
  }

  /** The id of a login without its `usr` prefix. */
  raw(login: string): string {
    return this.id(login).slice(3);
  }

  id(login: string): string {
    const id = this.ids[login];
    if (!id) throw new Error(`${login} has not logged in`);
    return id;
  }

  closeAll(): void {
    for (const c of this.open) c.close();
  }
}

/** `p2p` + the two users' ids in the given order (the canonical name has the smaller first). */
export function p2pOf(a: string, b: string): string {
  return 'p2p' + Buffer.concat([uidToBytes(parseUserId(a)), uidToBytes(parseUserId(b))]).toString('base64url');
}

/** `p2p` name of a pair in canonical order. */
export function canonicalP2P(a: string, b: string): string {
  return parseUserId(a) < parseUserId(b) ? p2pOf(a, b) : p2pOf(b, a);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The same name spelled another way that decodes to the same bytes: base64url's last character
 * of an id carries bits past the end of the value, which the canonical spelling keeps zero.
 */
export function otherSpelling(name: string): string {
  const last = name.at(-1) ?? 'A';
  return name.slice(0, -1) + B64[B64.indexOf(last) | 1];
}
