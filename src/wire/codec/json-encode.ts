import type {
  AccessModeMsg,
  CredServerMsg,
  CtrlMsg,
  DataMsg,
  InfoMsg,
  LastSeenMsg,
  MetaMsg,
  PresMsg,
  RangeMsg,
  ServerMessage,
  TopicDescMsg,
  TopicSubMsg,
} from '../server-messages.js';
import { isZero } from './writers.js';

/**
 * Encodes server messages to the reference's JSON: keys in the reference's order, zero values
 * left out where it leaves them out (`omitempty`), timestamps in RFC 3339 UTC with milliseconds.
 * The encoding of a message object is cached, so a broadcast is encoded once however many
 * sessions receive it.
 */

type Json = Record<string, unknown>;

/** Adds `key` unless the value is Go's zero value for an omitempty field. */
function put(o: Json, key: string, v: unknown): void {
  if (!isZero(v)) {
    o[key] = v instanceof Date ? v.toISOString() : v;
  }
}

/** Adds an opaque value (Go `any` with omitempty): left out only when null. */
function putAny(o: Json, key: string, v: unknown): void {
  if (v !== undefined && v !== null) {
    o[key] = v;
  }
}

function acs(a: AccessModeMsg | undefined): Json | undefined {
  if (!a) return undefined;
  const o: Json = {};
  put(o, 'want', a.want);
  put(o, 'given', a.given);
  put(o, 'mode', a.mode);
  return o;
}

function seen(s: LastSeenMsg | undefined): Json | undefined {
  if (!s) return undefined;
  const o: Json = {};
  put(o, 'when', s.when);
  put(o, 'ua', s.ua);
  return o;
}

function ranges(list: RangeMsg[] | undefined): Json[] | undefined {
  return list?.map((r) => {
    const o: Json = {};
    put(o, 'low', r.low);
    put(o, 'hi', r.hi);
    return o;
  });
}

function desc(d: TopicDescMsg): Json {
  const o: Json = {};
  put(o, 'created', d.created);
  put(o, 'updated', d.updated);
  put(o, 'touched', d.touched);
  put(o, 'state', d.state);
  put(o, 'online', d.online);
  put(o, 'chan', d.chan);
  if (d.seen) o.seen = seen(d.seen);
  if (d.defacs) {
    const da: Json = {};
    put(da, 'auth', d.defacs.auth);
    put(da, 'anon', d.defacs.anon);
    o.defacs = da;
  }
  if (d.acs) o.acs = acs(d.acs);
  put(o, 'seq', d.seq);
  put(o, 'read', d.read);
  put(o, 'recv', d.recv);
  put(o, 'clear', d.clear);
  put(o, 'subcnt', d.subcnt);
  putAny(o, 'public', d.public);
  putAny(o, 'trusted', d.trusted);
  putAny(o, 'private', d.private);
  return o;
}

function sub(s: TopicSubMsg): Json {
  const o: Json = {};
  put(o, 'updated', s.updated);
  put(o, 'deleted', s.deleted);
  put(o, 'online', s.online);
  // A struct in the reference: present even when empty.
  o.acs = acs(s.acs) ?? {};
  put(o, 'read', s.read);
  put(o, 'recv', s.recv);
  putAny(o, 'public', s.public);
  putAny(o, 'trusted', s.trusted);
  putAny(o, 'private', s.private);
  put(o, 'user', s.user);
  put(o, 'topic', s.topic);
  put(o, 'touched', s.touched);
  put(o, 'seq', s.seq);
  put(o, 'clear', s.clear);
  put(o, 'subcnt', s.subcnt);
  if (s.seen) o.seen = seen(s.seen);
  return o;
}

function cred(c: CredServerMsg): Json {
  const o: Json = {};
  put(o, 'meth', c.meth);
  put(o, 'val', c.val);
  put(o, 'done', c.done);
  return o;
}

function ctrl(c: CtrlMsg): Json {
  const o: Json = {};
  put(o, 'id', c.id);
  put(o, 'topic', c.topic);
  if (c.params !== undefined && c.params !== null && Object.keys(c.params).length > 0) {
    o.params = c.params;
  }
  o.code = c.code;
  put(o, 'text', c.text);
  o.ts = c.ts.toISOString();
  return o;
}

function data(d: DataMsg): Json {
  const o: Json = { topic: d.topic };
  put(o, 'from', d.from);
  o.ts = d.ts.toISOString();
  put(o, 'deleted', d.deleted);
  o.seq = d.seq;
  if (d.head && Object.keys(d.head).length > 0) o.head = d.head;
  o.content = d.content ?? null;
  return o;
}

function pres(p: PresMsg): Json {
  const o: Json = { topic: p.topic };
  put(o, 'src', p.src);
  o.what = p.what;
  put(o, 'ua', p.ua);
  put(o, 'seq', p.seq);
  put(o, 'clear', p.clear);
  put(o, 'delseq', ranges(p.delseq));
  put(o, 'tgt', p.tgt);
  put(o, 'act', p.act);
  if (p.dacs) o.dacs = acs(p.dacs);
  return o;
}

function meta(m: MetaMsg): Json {
  const o: Json = {};
  put(o, 'id', m.id);
  o.topic = m.topic;
  put(o, 'ts', m.ts);
  if (m.desc) o.desc = desc(m.desc);
  if (m.sub && m.sub.length > 0) o.sub = m.sub.map(sub);
  if (m.del) {
    const d: Json = {};
    put(d, 'clear', m.del.clear);
    put(d, 'delseq', ranges(m.del.delseq));
    o.del = d;
  }
  put(o, 'tags', m.tags);
  if (m.cred && m.cred.length > 0) o.cred = m.cred.map(cred);
  if (m.aux && Object.keys(m.aux).length > 0) o.aux = m.aux;
  return o;
}

function info(i: InfoMsg): Json {
  const o: Json = { topic: i.topic };
  put(o, 'src', i.src);
  put(o, 'from', i.from);
  o.what = i.what;
  put(o, 'seq', i.seq);
  put(o, 'event', i.event);
  putAny(o, 'payload', i.payload);
  return o;
}

/** The JSON object of a server message (before stringifying). */
export function serverMessageToJson(msg: ServerMessage): Json {
  if ('ctrl' in msg) return { ctrl: ctrl(msg.ctrl) };
  if ('meta' in msg) return { meta: meta(msg.meta) };
  if ('data' in msg) return { data: data(msg.data) };
  if ('pres' in msg) return { pres: pres(msg.pres) };
  return { info: info(msg.info) };
}

const cache = new WeakMap<ServerMessage, string>();

/**
 * How many server messages {@link encodeServerJson} has actually encoded (cache misses) since the
 * process started. Only ever grows; tests read it to check that a broadcast is encoded once.
 */
export const serverJsonEncodings = { count: 0 };

/** The JSON text of a server message, cached per message object. */
export function encodeServerJson(msg: ServerMessage): string {
  let text = cache.get(msg);
  if (text === undefined) {
    serverJsonEncodings.count++;
    text = JSON.stringify(serverMessageToJson(msg));
    cache.set(msg, text);
  }
  return text;
}
