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
} from './client-messages.js';
import { DEFAULT_MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.js';

/**
 * Decodes one JSON client message as the reference server does: unknown fields are ignored,
 * `null` and missing fields take their zero value, a field of the wrong type makes the whole
 * packet malformed. When a packet holds several message kinds, the first of the reference's
 * order (pub, sub, leave, hi, login, get, set, del, acc, note) is taken.
 */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(path: string, expected: string): never {
  throw new DecodeError(`${path}: expected ${expected}`);
}

function obj(v: unknown, path: string): Obj | undefined {
  if (v === undefined || v === null) return undefined;
  return isObj(v) ? v : fail(path, 'an object');
}

function str(v: unknown, path: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : fail(path, 'a string');
}

function int(v: unknown, path: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'number' && Number.isSafeInteger(v) ? v : fail(path, 'an integer');
}

function bool(v: unknown, path: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'boolean' ? v : fail(path, 'true or false');
}

function strList(v: unknown, path: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) fail(path, 'an array of strings');
  return v.map((x, i) => (x === null ? '' : typeof x === 'string' ? x : fail(`${path}[${i}]`, 'a string')));
}

const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard padded base64, as Go decodes `[]byte`. */
function bytes(v: unknown, path: string): Buffer | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !STD_BASE64.test(v)) fail(path, 'base64-encoded bytes');
  return Buffer.from(v, 'base64');
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

function time(v: unknown, path: string): Date | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !RFC3339.test(v)) fail(path, 'an RFC 3339 time');
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? fail(path, 'an RFC 3339 time') : d;
}

function map(v: unknown, path: string): Record<string, unknown> | undefined {
  return obj(v, path);
}

/** Drops undefined fields so that bodies compare and print cleanly. */
function clean<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) {
    if (o[k] === undefined) delete o[k];
  }
  return o;
}

function ranges(v: unknown, path: string): { low?: number; hi?: number }[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) fail(path, 'an array of ranges');
  return v.map((r, i) => {
    const o = obj(r, `${path}[${i}]`) ?? {};
    return clean({ low: int(o.low, `${path}[${i}].low`), hi: int(o.hi, `${path}[${i}].hi`) });
  });
}

function getOpts(v: unknown, path: string): GetOpts | undefined {
  const o = obj(v, path);
  if (!o) return undefined;
  return clean({
    user: str(o.user, `${path}.user`),
    topic: str(o.topic, `${path}.topic`),
    ims: time(o.ims, `${path}.ims`),
    since: int(o.since, `${path}.since`),
    before: int(o.before, `${path}.before`),
    limit: int(o.limit, `${path}.limit`),
    ranges: ranges(o.ranges, `${path}.ranges`),
  });
}

function getQuery(o: Obj, path: string): GetQuery {
  return clean({
    what: str(o.what, `${path}.what`) ?? '',
    desc: getOpts(o.desc, `${path}.desc`),
    sub: getOpts(o.sub, `${path}.sub`),
    data: getOpts(o.data, `${path}.data`),
    del: getOpts(o.del, `${path}.del`),
  });
}

function setDesc(v: unknown, path: string): SetDesc | undefined {
  const o = obj(v, path);
  if (!o) return undefined;
  const defacs = obj(o.defacs, `${path}.defacs`);
  return clean({
    defacs: defacs ? clean({ auth: str(defacs.auth, `${path}.defacs.auth`), anon: str(defacs.anon, `${path}.defacs.anon`) }) : undefined,
    public: o.public ?? undefined,
    trusted: o.trusted ?? undefined,
    private: o.private ?? undefined,
  });
}

function cred(v: unknown, path: string): CredClient | undefined {
  const o = obj(v, path);
  if (!o) return undefined;
  return clean({
    meth: str(o.meth, `${path}.meth`),
    val: str(o.val, `${path}.val`),
    resp: str(o.resp, `${path}.resp`),
    params: map(o.params, `${path}.params`),
  });
}

function credList(v: unknown, path: string): CredClient[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) fail(path, 'an array of credentials');
  return v.map((c, i) => cred(c, `${path}[${i}]`) ?? {});
}

function setQuery(o: Obj, path: string): SetQuery {
  const sub = obj(o.sub, `${path}.sub`);
  // Go matches JSON keys to fields case-insensitively; `aux` has no tag in the reference.
  const aux = o.aux ?? o.Aux;
  return clean({
    desc: setDesc(o.desc, `${path}.desc`),
    sub: sub ? clean({ user: str(sub.user, `${path}.sub.user`), mode: str(sub.mode, `${path}.sub.mode`) }) : undefined,
    tags: strList(o.tags, `${path}.tags`),
    cred: cred(o.cred, `${path}.cred`),
    aux: map(aux, `${path}.aux`),
  });
}

function extra(v: unknown): Extra | null {
  const o = obj(v, 'extra');
  if (!o) return null;
  return clean({
    attachments: strList(o.attachments, 'extra.attachments'),
    obo: str(o.obo, 'extra.obo'),
    authlevel: str(o.authlevel, 'extra.authlevel'),
  });
}

const ORDER = ['pub', 'sub', 'leave', 'hi', 'login', 'get', 'set', 'del', 'acc', 'note'] as const;

function decodeBody(type: (typeof ORDER)[number], o: Obj, ext: Extra | null): ClientMessage {
  const id = str(o.id, `${type}.id`) ?? '';
  const topic = str(o.topic, `${type}.topic`) ?? '';
  const env = { id, topic, extra: ext };
  const p = type;
  switch (type) {
    case 'hi': {
      const body: HiBody = clean({
        ua: str(o.ua, `${p}.ua`),
        ver: str(o.ver, `${p}.ver`),
        dev: str(o.dev, `${p}.dev`),
        lang: str(o.lang, `${p}.lang`),
        platf: str(o.platf, `${p}.platf`),
        bkg: bool(o.bkg, `${p}.bkg`),
      });
      return { type, ...env, topic: '', body };
    }
    case 'acc': {
      const body: AccBody = clean({
        user: str(o.user, `${p}.user`),
        tmpscheme: str(o.tmpscheme, `${p}.tmpscheme`),
        tmpsecret: bytes(o.tmpsecret, `${p}.tmpsecret`),
        status: str(o.status, `${p}.status`),
        authlevel: str(o.authlevel, `${p}.authlevel`),
        scheme: str(o.scheme, `${p}.scheme`),
        secret: bytes(o.secret, `${p}.secret`),
        login: bool(o.login, `${p}.login`),
        tags: strList(o.tags, `${p}.tags`),
        desc: setDesc(o.desc, `${p}.desc`),
        cred: credList(o.cred, `${p}.cred`),
      });
      return { type, ...env, topic: '', body };
    }
    case 'login': {
      const body: LoginBody = clean({
        scheme: str(o.scheme, `${p}.scheme`),
        secret: bytes(o.secret, `${p}.secret`),
        cred: credList(o.cred, `${p}.cred`),
      });
      return { type, ...env, topic: '', body };
    }
    case 'sub': {
      const set = obj(o.set, `${p}.set`);
      const get = obj(o.get, `${p}.get`);
      return { type, ...env, body: clean({ set: set ? setQuery(set, `${p}.set`) : undefined, get: get ? getQuery(get, `${p}.get`) : undefined }) };
    }
    case 'leave':
      return { type, ...env, body: clean({ unsub: bool(o.unsub, `${p}.unsub`) }) };
    case 'pub': {
      const body: PubBody = clean({
        noecho: bool(o.noecho, `${p}.noecho`),
        head: map(o.head, `${p}.head`),
        content: o.content ?? null,
      });
      return { type, ...env, body };
    }
    case 'get':
      return { type, ...env, body: getQuery(o, p) };
    case 'set':
      return { type, ...env, body: setQuery(o, p) };
    case 'del': {
      const body: DelBody = clean({
        what: str(o.what, `${p}.what`) ?? '',
        delseq: ranges(o.delseq, `${p}.delseq`),
        user: str(o.user, `${p}.user`),
        cred: cred(o.cred, `${p}.cred`),
        hard: bool(o.hard, `${p}.hard`),
      });
      return { type, ...env, body };
    }
    case 'note': {
      const body: NoteBody = clean({
        what: str(o.what, `${p}.what`) ?? '',
        seq: int(o.seq, `${p}.seq`),
        unread: int(o.unread, `${p}.unread`),
        event: str(o.event, `${p}.event`),
        payload: o.payload ?? undefined,
      });
      // A note carries no id: the server never answers it.
      return { type, ...env, id: '', body };
    }
  }
}

/**
 * Decodes a client packet. Throws {@link DecodeError} when it is not JSON, nests deeper than
 * `maxDepth` (objects and arrays, the envelope included), is not an object, has a field of the
 * wrong type, or holds no known message.
 */
export function decodeClientJson(text: string, maxDepth = DEFAULT_MAX_JSON_DEPTH): ClientMessage {
  if (nestsDeeperThan(text, maxDepth)) {
    throw new DecodeError(`nested deeper than ${maxDepth} levels`);
  }
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    throw new DecodeError('not valid JSON');
  }
  if (!isObj(root)) {
    throw new DecodeError('not a JSON object');
  }
  // Go decodes every field before dispatching: a wrong type anywhere is malformed.
  const ext = extra(root.extra);
  let found: ClientMessage | null = null;
  for (const type of ORDER) {
    const body = obj(root[type], type);
    if (body) {
      const msg = decodeBody(type, body, ext);
      found ??= msg;
    }
  }
  if (!found) {
    throw new DecodeError('no known message in the packet');
  }
  return found;
}
