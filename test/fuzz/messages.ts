import type { J, JObj } from './json-tree.js';
import type { Rng, Weighted } from './rng.js';
import { b64chars, randomTopic } from './values.js';
import type { FuzzUser, World } from './world.js';

/**
 * Valid client messages in the JSON form of the protocol, built from what the fuzzer knows of the
 * server, so that the mutations start from packets that reach deep into the server: every kind
 * (hi, acc, login, sub, leave, pub, get, set, del, note) with its queries, on every kind of topic.
 *
 * The sample users must stay usable for the whole run, so a session either may log in as them
 * (the sessions of the sample users) or may delete the user it is logged in as (the others, whose
 * only accounts are those they make with `{acc new login}`), never both. No message changes a
 * sample user's password.
 */

export type MsgType = 'hi' | 'acc' | 'login' | 'sub' | 'leave' | 'pub' | 'get' | 'set' | 'del' | 'note';

export interface ValidMessage {
  type: MsgType;
  /** `{type: body}` */
  msg: JObj;
}

/** A fixed origin for times (`ims`), so that frames do not depend on the clock. */
const EPOCH = Date.UTC(2026, 0, 1);

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

export class MessageFactory {
  constructor(
    private readonly rng: Rng,
    private readonly world: World,
    /** The user this session is logged in as, or null. */
    private readonly me: FuzzUser | null,
    /** A session of a sample user: it may log in as one, and never deletes itself. */
    private readonly sampleSession: boolean,
  ) {}

  /** One valid message with id `id` (notes carry none). */
  next(id: string): ValidMessage {
    const type = this.rng.weighted<MsgType>([
      [20, 'pub'],
      [18, 'get'],
      [15, 'sub'],
      [10, 'set'],
      [10, 'note'],
      [6, 'leave'],
      [8, 'del'],
      [4, 'hi'],
      [4, 'login'],
      [5, 'acc'],
    ]);
    const body = this.body(type);
    if (type !== 'note') body.id = id;
    const msg: JObj = { [type]: body };
    if (this.rng.chance(0.05)) msg.extra = this.extra();
    return { type, msg };
  }

  private body(type: MsgType): JObj {
    switch (type) {
      case 'hi':
        return this.hi();
      case 'acc':
        return this.acc();
      case 'login':
        return this.login();
      case 'sub':
        return this.sub();
      case 'leave':
        return { topic: this.topic(), unsub: this.rng.chance(0.2) };
      case 'pub':
        return this.pub();
      case 'get':
        return { topic: this.topic(), ...this.getQuery() };
      case 'set':
        return { topic: this.topic(), ...this.setQuery() };
      case 'del':
        return this.del();
      case 'note':
        return this.note();
    }
  }

  /** A topic name: mostly ones that exist and this user may use, sometimes not. */
  topic(): string {
    const r = this.rng;
    const w = this.world;
    return r.weighted<() => string>([
      [10, () => 'me'],
      [6, () => 'fnd'],
      [1, () => 'sys'],
      [1, () => 'slf'],
      [20, () => r.pick(w.groups)],
      [4, () => r.pick(w.channels)],
      [10, () => r.pick(w.p2p)],
      [10, () => r.pick(w.uids)],
      [3, () => r.pick(['new', 'nch']) + b64chars(r, r.int(0, 8))],
      [2, () => randomTopic(r)],
    ])();
  }

  private user(): string {
    return this.rng.chance(0.9) ? this.rng.pick(this.world.uids) : randomTopic(this.rng);
  }

  private seq(): number {
    return this.rng.weighted<() => number>([
      [6, () => this.rng.int(1, 40)],
      [2, () => this.rng.int(0, 200)],
      [1, () => 0],
    ])();
  }

  private ranges(): J[] {
    const out: J[] = [];
    for (let i = this.rng.int(1, 4); i > 0; i--) {
      const low = this.seq();
      out.push(this.rng.chance(0.3) ? { low } : { low, hi: low + this.rng.int(1, 20) });
    }
    return out;
  }

  private mode(): string {
    return this.rng.pick(['JRWPASDO', 'JRWPS', 'JRWP', 'JR', 'N', 'O', '+W', '-D', '+A-S', 'JRWPAS', '']);
  }

  private ims(): string {
    return new Date(EPOCH - this.rng.int(0, 30) * 86_400_000).toISOString();
  }

  private publicDesc(): J {
    return this.rng.pick<J>([{ fn: `Fuzz ${this.rng.int(0, 999)}` }, { fn: 'Fuzz', note: 'n', photo: { type: 'jpg', ref: '/v0/file/s/x.jpg' } }, 'plain', null]);
  }

  private content(): J {
    return this.rng.pick<J>([
      `fuzz ${this.rng.int(0, 99999)}`,
      { txt: 'bold and link', fmt: [{ at: 0, len: 4, tp: 'ST' }, { at: 9, len: 4, key: 0 }], ent: [{ tp: 'LN', data: { url: 'https://example.com' } }] },
      { txt: ' ', fmt: [{ at: -1, len: 0, key: 0 }], ent: [{ tp: 'EX', data: { mime: 'text/plain', ref: '/v0/file/s/abc.txt', size: 10 } }] },
      '',
      [1, 2, 3],
    ]);
  }

  private head(): JObj {
    const head: JObj = {};
    for (const k of this.rng.subset(['mime', 'reply', 'forwarded', 'replace', 'webrtc', 'auto', 'sender'])) {
      head[k] = this.rng.pick<J>(['text/x-drafty', `:${this.seq()}`, `${this.rng.pick(this.world.groups)}:${this.seq()}`, 'started', true, 'x']);
    }
    return head;
  }

  private getQuery(): JObj {
    const r = this.rng;
    const what = r.subset(['desc', 'sub', 'data', 'del', 'tags', 'cred', 'aux']);
    const q: JObj = { what: what.length > 0 ? what.join(' ') : 'desc' };
    if (what.includes('desc') && r.chance(0.3)) q.desc = { ims: this.ims() };
    if (what.includes('sub') && r.chance(0.5)) {
      q.sub = r.pick<JObj>([{ limit: r.int(1, 50) }, { ims: this.ims() }, { user: this.user() }, { topic: this.topic() }]);
    }
    if (what.includes('data') && r.chance(0.7)) {
      q.data = r.pick<JObj>([{ limit: r.int(1, 30) }, { since: this.seq(), before: this.seq() }, { ranges: this.ranges() }, { before: this.seq(), limit: 24 }]);
    }
    if (what.includes('del') && r.chance(0.5)) q.del = { since: this.seq(), limit: r.int(1, 50) };
    return q;
  }

  private setQuery(): JObj {
    const r = this.rng;
    const q: JObj = {};
    if (r.chance(0.5)) {
      const desc: JObj = {};
      if (r.chance(0.3)) desc.defacs = { auth: this.mode(), anon: this.mode() };
      if (r.chance(0.6)) desc.public = this.publicDesc();
      if (r.chance(0.4)) desc.private = { comment: `c${r.int(0, 99)}` };
      if (r.chance(0.1)) desc.trusted = { verified: r.chance(0.5) };
      q.desc = desc;
    }
    if (r.chance(0.3)) q.sub = r.chance(0.5) ? { mode: this.mode() } : { user: this.user(), mode: this.mode() };
    if (r.chance(0.2)) q.tags = r.subset(['fuzz', 'hiking', 'alias:fz' + r.int(0, 99), 'email:x@example.com', 'tel:+17025550001', 'Ab']);
    if (r.chance(0.1)) q.cred = { meth: r.pick(['email', 'tel', 'x']), val: r.pick(['fz@example.com', '+17025559999', '']), resp: r.pick(['123456', '']) };
    if (r.chance(0.1)) q.aux = { pins: [this.seq()], x: 'y' };
    if (Object.keys(q).length === 0) q.desc = { private: { comment: 'touch' } };
    return q;
  }

  private hi(): JObj {
    const r = this.rng;
    return { ver: r.pick(['0.25.3', '0.25', '0.24', '0.1', '1.0', '']), ua: 'TinodeWeb/0.25 (fuzz)', dev: b64chars(r, 12), lang: r.pick(['en', 'en-US', 'ru', '']), platf: r.pick(['web', 'ios', 'android', '']), bkg: r.chance(0.2) };
  }

  private login(): JObj {
    const r = this.rng;
    const u = r.pick(this.world.users);
    // Other sessions log in as nobody: a wrong password, a token with a byte changed.
    const password = this.sampleSession && r.chance(0.6) ? u.password : 'wrong-password';
    const token = this.sampleSession ? u.token : `${u.token.slice(0, 10)}${u.token[10] === 'A' ? 'B' : 'A'}${u.token.slice(11)}`;
    return r.weighted<() => JObj>([
      [4, () => ({ scheme: 'token', secret: token })],
      [2, () => ({ scheme: 'basic', secret: b64(`${u.login}:${password}`) })],
      [1, () => ({ scheme: 'basic', secret: b64(`${u.login}:${password}`), cred: [{ meth: 'email', resp: '123456' }] })],
      [1, () => ({ scheme: r.pick(['anon', 'code', 'rest', 'none', '']), secret: b64(r.pick(['', 'x', 'email:alice@example.com'])) })],
    ])();
  }

  private acc(): JObj {
    const r = this.rng;
    const name = `fz${b64chars(r, 8).replace(/[-_]/g, 'x')}`;
    return r.weighted<() => JObj>([
      // A new account (one bcrypt hash each: rare).
      [1, () => ({ user: 'new', scheme: 'basic', secret: b64(`${name}:secret123`), login: r.chance(0.5), tags: ['fuzz'], desc: { public: { fn: name }, private: { comment: 'x' } }, cred: [{ meth: 'email', val: `${name}@example.com` }] })],
      [2, () => ({ user: this.me?.uid ?? 'me', tags: r.subset(['fuzz', 'alias:fz1', 'x', 'email:y@example.com']), cred: [{ meth: 'tel', val: '+17025551234' }] })],
      [1, () => ({ user: this.user(), status: r.pick(['ok', 'suspended', 'deleted', 'x']), authlevel: r.pick(['auth', 'root', 'anon']) })],
      [1, () => ({ user: 'new', scheme: 'token', secret: b64('x'), login: true })],
    ])();
  }

  private sub(): JObj {
    const r = this.rng;
    const body: JObj = { topic: this.topic() };
    if (r.chance(0.6)) body.get = this.getQuery();
    if (r.chance(0.3)) body.set = this.setQuery();
    return body;
  }

  private pub(): JObj {
    const body: JObj = { topic: this.topic(), noecho: this.rng.chance(0.3), content: this.content() };
    if (this.rng.chance(0.4)) body.head = this.head();
    return body;
  }

  private del(): JObj {
    const r = this.rng;
    return r.weighted<() => JObj>([
      [8, () => ({ topic: this.topic(), what: 'msg', delseq: this.ranges(), hard: r.chance(0.3) })],
      [3, () => ({ topic: this.topic(), what: 'sub', user: this.user(), hard: r.chance(0.5) })],
      [1, () => ({ topic: this.topic(), what: 'topic', hard: r.chance(0.5) })],
      [2, () => ({ topic: 'me', what: 'cred', cred: { meth: r.pick(['email', 'tel']), val: r.pick(['fz@example.com', '+17025551234']) } })],
      // Deleting oneself: only where "oneself" is not a sample user (an account this session
      // may have made with {acc new login}, or nobody).
      [this.sampleSession ? 0 : 1, () => ({ what: 'user', hard: r.chance(0.5) })],
    ])();
  }

  private note(): JObj {
    const r = this.rng;
    const body: JObj = { topic: this.topic(), what: r.pick(['kp', 'kpa', 'kpv', 'read', 'recv', 'call', 'x']) };
    if (body.what === 'read' || body.what === 'recv' || body.what === 'call') body.seq = this.seq();
    if (r.chance(0.2)) body.unread = r.int(0, 10);
    if (body.what === 'call') {
      body.event = r.pick(['invite', 'ringing', 'accept', 'answer', 'offer', 'ice-candidate', 'hang-up']);
      if (r.chance(0.5)) body.payload = { type: 'offer', sdp: 'v=0' };
    }
    return body;
  }

  private extra(): JObj {
    const r = this.rng;
    const choices: Weighted<JObj>[] = [
      [3, { obo: this.user() }],
      [2, { authlevel: r.pick(['root', 'auth', 'anon', 'ROOT', '']) }],
      [2, { obo: this.user(), authlevel: 'auth' }],
      [2, { attachments: ['/v0/file/s/abcdef.jpg', 'https://example.com/x'] }],
    ];
    return r.weighted(choices);
  }
}
