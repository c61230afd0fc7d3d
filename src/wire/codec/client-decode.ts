import type {
  AccBody,
  ClientMessage,
  CredClient,
  DelBody,
  Extra,
  GetOpts,
  GetQuery,
  HiBody,
  LoginBody,
  NoteBody,
  PubBody,
  SetDesc,
  SetQuery,
} from '../client-messages.js';
import { CLIENT_FIELDS, namesOf, PART_FIELDS, type Wire } from './fields.js';
import { AUTH_LEVEL, CALL_EVENT, DEL_WHAT, INFO_NOTE } from './proto-enums.js';
import { clean, ranges, type Obj, type Readers } from './readers.js';

/**
 * The client message decoders of both wires: one body decoder per request, reading the field
 * names of its wire from the field description and narrowing values with the wire's readers.
 * Fields are read in a fixed order, so the first wrong one is the one an error names.
 */

function names(wire: Wire) {
  return {
    hi: namesOf(CLIENT_FIELDS.ClientHi, wire),
    acc: namesOf(CLIENT_FIELDS.ClientAcc, wire),
    login: namesOf(CLIENT_FIELDS.ClientLogin, wire),
    sub: namesOf(CLIENT_FIELDS.ClientSub, wire),
    leave: namesOf(CLIENT_FIELDS.ClientLeave, wire),
    pub: namesOf(CLIENT_FIELDS.ClientPub, wire),
    get: namesOf(CLIENT_FIELDS.ClientGet, wire),
    set: namesOf(CLIENT_FIELDS.ClientSet, wire),
    del: namesOf(CLIENT_FIELDS.ClientDel, wire),
    note: namesOf(CLIENT_FIELDS.ClientNote, wire),
    getOpts: namesOf(PART_FIELDS.GetOpts, wire),
    getQuery: namesOf(PART_FIELDS.GetQuery, wire),
    setQuery: namesOf(PART_FIELDS.SetQuery, wire),
    setDesc: namesOf(PART_FIELDS.SetDesc, wire),
    setSub: namesOf(PART_FIELDS.SetSub, wire),
    defacs: namesOf(PART_FIELDS.DefaultAcsMode, wire),
    cred: namesOf(PART_FIELDS.ClientCred, wire),
    extra: namesOf(PART_FIELDS.ClientExtra, wire),
  };
}

/** A wire: its readers and its field names. */
export interface Dialect {
  readonly r: Readers;
  readonly n: ReturnType<typeof names>;
}

/** A dialect from a wire's readers. */
export function dialect(r: Readers): Dialect {
  return { r, n: names(r.wire) };
}

function getOpts({ r, n: { getOpts: n } }: Dialect, v: unknown, path: string): GetOpts | undefined {
  const o = r.obj(v, path);
  if (!o) return undefined;
  return clean({
    user: r.str(o[n.user], path, n.user),
    topic: r.str(o[n.topic], path, n.topic),
    ims: r.time(o[n.ims], path, n.ims),
    since: r.int(o[n.since], path, n.since),
    before: r.int(o[n.before], path, n.before),
    limit: r.int(o[n.limit], path, n.limit),
    ranges: ranges(r, o[n.ranges], `${path}.${n.ranges}`),
  });
}

function getQuery(d: Dialect, o: Obj, path: string): GetQuery {
  const n = d.n.getQuery;
  return clean({
    what: d.r.str(o[n.what], path, n.what) ?? '',
    desc: getOpts(d, o[n.desc], `${path}.${n.desc}`),
    sub: getOpts(d, o[n.sub], `${path}.${n.sub}`),
    data: getOpts(d, o[n.data], `${path}.${n.data}`),
    // Only JSON has options for `del`.
    del: n.del ? getOpts(d, o[n.del], `${path}.${n.del}`) : undefined,
  });
}

function setDesc({ r, n }: Dialect, v: unknown, path: string): SetDesc | undefined {
  const o = r.obj(v, path);
  if (!o) return undefined;
  const { setDesc: s, defacs: a } = n;
  const dp = `${path}.${s.defacs}`;
  const da = r.obj(o[s.defacs], dp);
  return r.orAbsent(
    clean({
      defacs: da ? r.orAbsent(clean({ auth: r.str(da[a.auth], dp, a.auth), anon: r.str(da[a.anon], dp, a.anon) })) : undefined,
      public: r.value(o[s.public], path, s.public),
      trusted: r.value(o[s.trusted], path, s.trusted),
      private: r.value(o[s.private], path, s.private),
    }),
  );
}

function cred({ r, n: { cred: n } }: Dialect, v: unknown, path: string): CredClient | undefined {
  const o = r.obj(v, path);
  if (!o) return undefined;
  return clean({
    meth: r.str(o[n.meth], path, n.meth),
    val: r.str(o[n.val], path, n.val),
    resp: r.str(o[n.resp], path, n.resp),
    params: r.map(o[n.params], path, n.params),
  });
}

function credList(d: Dialect, v: unknown, path: string): CredClient[] | undefined {
  return d.r.list(v, path, 'credentials')?.map((c, i) => cred(d, c, `${path}[${i}]`) ?? {});
}

/** A set query; in proto, undefined when it sets nothing. */
function setQuery(d: Dialect, v: unknown, path: string): SetQuery | undefined {
  const { r, n } = d;
  const o = r.obj(v, path);
  if (!o) return undefined;
  const q = n.setQuery;
  const sp = `${path}.${q.sub}`;
  const so = r.obj(o[q.sub], sp);
  const sub = so ? r.orAbsent(clean({ user: r.str(so[n.setSub.user], sp, n.setSub.user), mode: r.str(so[n.setSub.mode], sp, n.setSub.mode) })) : undefined;
  // Go matches JSON keys to fields case-insensitively; `aux` has no tag in the reference.
  const aux = r.wire === 'json' ? (o[q.aux] ?? o.Aux) : o[q.aux];
  return r.orAbsent(
    clean({
      desc: setDesc(d, o[q.desc], `${path}.${q.desc}`),
      sub,
      tags: r.strList(o[q.tags], path, q.tags),
      cred: cred(d, o[q.cred], `${path}.${q.cred}`),
      aux: r.map(aux, `${path}.${q.aux}`),
    }),
  );
}

/** The `extra` of a packet; null when it has none. */
export function decodeExtra({ r, n: { extra: n } }: Dialect, v: unknown): Extra | null {
  const o = r.obj(v, 'extra');
  if (!o) return null;
  return clean({
    attachments: r.strList(o[n.attachments], 'extra', n.attachments),
    obo: r.str(o[n.obo], 'extra', n.obo),
    authlevel: r.word(AUTH_LEVEL, o[n.authlevel], 'extra', n.authlevel),
  });
}

/** The ten client requests. */
export type ClientKind = ClientMessage['type'];

function decodeAcc(d: Dialect, o: Obj, p: string): AccBody {
  const { r } = d;
  const n = d.n.acc;
  const body: AccBody = clean({
    user: r.str(o[n.user], p, n.user),
    tmpscheme: r.str(o[n.tmpscheme], p, n.tmpscheme),
    tmpsecret: r.bytes(o[n.tmpsecret], p, n.tmpsecret),
    status: r.str(o[n.status], p, n.status),
    authlevel: r.word(AUTH_LEVEL, o[n.authlevel], p, n.authlevel),
    scheme: r.str(o[n.scheme], p, n.scheme),
    secret: r.bytes(o[n.secret], p, n.secret),
    login: r.bool(o[n.login], p, n.login),
    tags: r.strList(o[n.tags], p, n.tags),
    desc: setDesc(d, o[n.desc], `${p}.${n.desc}`),
    cred: credList(d, o[n.cred], `${p}.${n.cred}`),
  });
  // In the proto schema, unused by the protocol: read only to refuse a wrong type.
  if (n.token) r.bytes(o[n.token], p, n.token);
  return body;
}

function decodeHi(d: Dialect, o: Obj, p: string): HiBody {
  const { r } = d;
  const h = d.n.hi;
  return clean({
    ua: r.str(o[h.ua], p, h.ua),
    ver: r.str(o[h.ver], p, h.ver),
    dev: r.str(o[h.dev], p, h.dev),
    lang: r.str(o[h.lang], p, h.lang),
    platf: r.str(o[h.platf], p, h.platf),
    bkg: r.bool(o[h.bkg], p, h.bkg),
  });
}

function decodeLogin(d: Dialect, o: Obj, p: string): LoginBody {
  const { r } = d;
  const l = d.n.login;
  return clean({
    scheme: r.str(o[l.scheme], p, l.scheme),
    secret: r.bytes(o[l.secret], p, l.secret),
    cred: credList(d, o[l.cred], `${p}.${l.cred}`),
  });
}

function decodeDel(d: Dialect, o: Obj, p: string): DelBody {
  const { r } = d;
  const x = d.n.del;
  return clean({
    what: r.word(DEL_WHAT, o[x.what], p, x.what) ?? '',
    delseq: ranges(r, o[x.delseq], `${p}.${x.delseq}`),
    user: r.str(o[x.user], p, x.user),
    cred: cred(d, o[x.cred], `${p}.${x.cred}`),
    hard: r.bool(o[x.hard], p, x.hard),
  });
}

function decodeNote(d: Dialect, o: Obj, p: string): NoteBody {
  const { r } = d;
  const x = d.n.note;
  return clean({
    what: r.word(INFO_NOTE, o[x.what], p, x.what) ?? '',
    seq: r.int(o[x.seq], p, x.seq),
    unread: r.int(o[x.unread], p, x.unread),
    event: r.word(CALL_EVENT, o[x.event], p, x.event),
    payload: r.value(o[x.payload], p, x.payload),
  });
}

/** The body of one request of a packet, with the packet's `extra`. */
export function decodeClientBody(d: Dialect, type: ClientKind, o: Obj, ext: Extra | null): ClientMessage {
  const { r, n } = d;
  const p = type;
  const id = r.str(o.id, p, 'id') ?? '';
  const topic = r.str(o.topic, p, 'topic') ?? '';
  const env = { id, topic, extra: ext };
  switch (type) {
    case 'hi':
      return { type, ...env, topic: '', body: decodeHi(d, o, p) };
    case 'acc':
      return { type, ...env, topic: '', body: decodeAcc(d, o, p) };
    case 'login':
      return { type, ...env, topic: '', body: decodeLogin(d, o, p) };
    case 'sub': {
      const s = n.sub;
      const set = r.obj(o[s.set], p, s.set);
      const get = r.obj(o[s.get], p, s.get);
      const body = clean({ set: setQuery(d, set, `${p}.${s.set}`), get: get ? getQuery(d, get, `${p}.${s.get}`) : undefined });
      return { type, ...env, body };
    }
    case 'leave':
      return { type, ...env, body: clean({ unsub: r.bool(o[n.leave.unsub], p, n.leave.unsub) }) };
    case 'pub': {
      const b = n.pub;
      const body: PubBody = clean({
        noecho: r.bool(o[b.noecho], p, b.noecho),
        head: r.map(o[b.head], p, b.head),
        content: r.value(o[b.content], p, b.content) ?? null,
      });
      return { type, ...env, body };
    }
    case 'get': {
      // JSON holds the query's fields in the message itself, proto in `query`.
      const q = n.get.query;
      return { type, ...env, body: q ? getQuery(d, r.obj(o[q], p, q) ?? {}, `${p}.${q}`) : getQuery(d, o, p) };
    }
    case 'set': {
      const q = n.set.query;
      return { type, ...env, body: (q ? setQuery(d, o[q], `${p}.${q}`) : setQuery(d, o, p)) ?? {} };
    }
    case 'del':
      return { type, ...env, body: decodeDel(d, o, p) };
    case 'note':
      // A note carries no id: the server never answers it.
      return { type, ...env, id: '', body: decodeNote(d, o, p) };
  }
}
