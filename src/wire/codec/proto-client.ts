import type { ClientMessage, CredClient, GetOpts, GetQuery, SetDesc, SetQuery } from '../client-messages.js';
import { decodeClientBody, decodeExtra, dialect, type ClientKind } from './client-decode.js';
import { AUTH_LEVEL, CALL_EVENT, DEL_WHAT, enumEncode, INFO_NOTE } from './proto-enums.js';
import { isObj, obj, PROTO_READERS } from './proto-readers.js';
import type { PbClientCred, PbClientMsg, PbGetOpts, PbGetQuery, PbSetDesc, PbSetQuery } from './proto-types.js';
import { ms, put, toDefacs, toJsonBytes, toJsonMap, toRanges } from './proto-writers.js';
import { DecodeError, type Obj } from './readers.js';

/** Client messages on the proto wire: pbx.ClientMsg plain objects to and from the model. */

const PROTO_WIRE = dialect(PROTO_READERS);

const CLIENT_KINDS: readonly ClientKind[] = ['hi', 'acc', 'login', 'sub', 'leave', 'pub', 'get', 'set', 'del', 'note'];

/**
 * A client message from a plain pbx.ClientMsg object (see the module comment for its form).
 * Throws {@link DecodeError} when no request is set, a field has the wrong type, or a JSON field
 * does not hold JSON.
 */
export function decodeClientProto(msg: PbClientMsg): ClientMessage {
  const m: unknown = msg;
  if (!isObj(m)) throw new DecodeError('not a ClientMsg object');
  const ext = decodeExtra(PROTO_WIRE, m.extra);
  const named = typeof m.Message === 'string' && (CLIENT_KINDS as readonly string[]).includes(m.Message) ? (m.Message as ClientKind) : undefined;
  const type = named && isObj(m[named]) ? named : CLIENT_KINDS.find((k) => m[k] !== undefined && m[k] !== null);
  if (!type) throw new DecodeError('no request in the ClientMsg');
  const body = obj(m[type], type) ?? {};
  return decodeClientBody(PROTO_WIRE, type, body, ext);
}


function toGetOpts(g: GetOpts | undefined): PbGetOpts | undefined {
  if (!g) return undefined;
  const o: Obj = {};
  put(o, 'if_modified_since', ms(g.ims));
  put(o, 'user', g.user);
  put(o, 'topic', g.topic);
  put(o, 'since_id', g.since);
  put(o, 'before_id', g.before);
  put(o, 'limit', g.limit);
  put(o, 'ranges', toRanges(g.ranges));
  return o;
}

function toGetQuery(q: GetQuery): PbGetQuery {
  const o: Obj = {};
  put(o, 'what', q.what);
  put(o, 'desc', toGetOpts(q.desc));
  put(o, 'sub', toGetOpts(q.sub));
  put(o, 'data', toGetOpts(q.data));
  // q.del: GetQuery has no part for it.
  return o;
}

function toSetDesc(d: SetDesc | undefined): PbSetDesc | undefined {
  if (!d) return undefined;
  const o: Obj = {};
  put(o, 'default_acs', toDefacs(d.defacs));
  put(o, 'public', toJsonBytes(d.public));
  put(o, 'private', toJsonBytes(d.private));
  put(o, 'trusted', toJsonBytes(d.trusted));
  return o;
}

function toCred(c: CredClient | undefined): PbClientCred | undefined {
  if (!c) return undefined;
  const o: Obj = {};
  put(o, 'method', c.meth);
  put(o, 'value', c.val);
  put(o, 'response', c.resp);
  put(o, 'params', toJsonMap(c.params));
  return o;
}

function toSetQuery(q: SetQuery): PbSetQuery {
  const o: Obj = {};
  put(o, 'desc', toSetDesc(q.desc));
  if (q.sub) {
    const s: Obj = {};
    put(s, 'user_id', q.sub.user);
    put(s, 'mode', q.sub.mode);
    o.sub = s;
  }
  put(o, 'tags', q.tags);
  put(o, 'cred', toCred(q.cred));
  put(o, 'aux', toJsonMap(q.aux));
  return o;
}

/** A plain pbx.ClientMsg object for `Type.fromObject` (see the module comment). */
export function encodeClientProto(msg: ClientMessage): PbClientMsg {
  const o: Obj = {};
  put(o, 'id', msg.id);
  switch (msg.type) {
    case 'hi': {
      const b = msg.body;
      put(o, 'user_agent', b.ua);
      put(o, 'ver', b.ver);
      put(o, 'device_id', b.dev);
      put(o, 'lang', b.lang);
      put(o, 'platform', b.platf);
      put(o, 'background', b.bkg);
      break;
    }
    case 'acc': {
      const b = msg.body;
      put(o, 'user_id', b.user);
      put(o, 'scheme', b.scheme);
      put(o, 'secret', b.secret?.length ? b.secret : undefined);
      put(o, 'login', b.login);
      put(o, 'tags', b.tags);
      put(o, 'desc', toSetDesc(b.desc));
      put(o, 'cred', b.cred?.map((c) => toCred(c)));
      put(o, 'state', b.status);
      put(o, 'auth_level', enumEncode(AUTH_LEVEL, b.authlevel));
      put(o, 'tmp_scheme', b.tmpscheme);
      put(o, 'tmp_secret', b.tmpsecret?.length ? b.tmpsecret : undefined);
      break;
    }
    case 'login': {
      const b = msg.body;
      put(o, 'scheme', b.scheme);
      put(o, 'secret', b.secret?.length ? b.secret : undefined);
      put(o, 'cred', b.cred?.map((c) => toCred(c)));
      break;
    }
    case 'sub':
      put(o, 'topic', msg.topic);
      if (msg.body.set) o.set_query = toSetQuery(msg.body.set);
      if (msg.body.get) o.get_query = toGetQuery(msg.body.get);
      break;
    case 'leave':
      put(o, 'topic', msg.topic);
      put(o, 'unsub', msg.body.unsub);
      break;
    case 'pub':
      put(o, 'topic', msg.topic);
      put(o, 'no_echo', msg.body.noecho);
      put(o, 'head', toJsonMap(msg.body.head));
      put(o, 'content', toJsonBytes(msg.body.content));
      break;
    case 'get':
      put(o, 'topic', msg.topic);
      o.query = toGetQuery(msg.body);
      break;
    case 'set':
      put(o, 'topic', msg.topic);
      o.query = toSetQuery(msg.body);
      break;
    case 'del': {
      const b = msg.body;
      put(o, 'topic', msg.topic);
      put(o, 'what', enumEncode(DEL_WHAT, b.what));
      put(o, 'del_seq', toRanges(b.delseq));
      put(o, 'user_id', b.user);
      put(o, 'cred', toCred(b.cred));
      put(o, 'hard', b.hard);
      break;
    }
    case 'note': {
      const b = msg.body;
      delete o.id; // ClientNote has no id
      put(o, 'topic', msg.topic);
      put(o, 'what', enumEncode(INFO_NOTE, b.what));
      put(o, 'seq_id', b.seq);
      put(o, 'unread', b.unread);
      put(o, 'event', enumEncode(CALL_EVENT, b.event));
      put(o, 'payload', toJsonBytes(b.payload));
      break;
    }
  }
  const out: PbClientMsg = { [msg.type]: o };
  if (msg.extra) {
    const e: Obj = {};
    put(e, 'attachments', msg.extra.attachments);
    put(e, 'on_behalf_of', msg.extra.obo);
    put(e, 'auth_level', enumEncode(AUTH_LEVEL, msg.extra.authlevel));
    out.extra = e;
  }
  return out;
}
