import { join } from 'node:path';
import protobuf from 'protobufjs';
import { ROOT } from '../helpers/cli.js';
import type { J, JObj } from './json-tree.js';
import type { ValidMessage } from './messages.js';

/**
 * The protobuf side of the fuzzer: the `pbx` schema loaded from proto/model.proto with protobufjs
 * (not through the server's codec, so that the fuzzer shares none of its assumptions), a mapping
 * of the fuzzer's valid JSON messages to `ClientMsg` objects, and a decoder of the replies.
 */

export type PbObj = { [key: string]: PbValue };
export type PbValue = string | number | boolean | Buffer | PbObj | PbValue[] | null;

export interface ProtoTypes {
  root: protobuf.Root;
  clientMsg: protobuf.Type;
  serverMsg: protobuf.Type;
}

let loaded: ProtoTypes | null = null;

export function protoTypes(): ProtoTypes {
  if (!loaded) {
    const root = new protobuf.Root();
    root.loadSync(join(ROOT, 'proto', 'model.proto'), { keepCase: true });
    root.resolveAll();
    loaded = { root, clientMsg: root.lookupType('pbx.ClientMsg'), serverMsg: root.lookupType('pbx.ServerMsg') };
  }
  return loaded;
}

const json = (v: J | undefined): Buffer => Buffer.from(JSON.stringify(v ?? null));
const obj = (v: J | undefined): JObj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JObj) : {});
const str = (v: J | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: J | undefined): number | undefined => (typeof v === 'number' ? v : undefined);

/** The number of an enum value by name, in any case; 0 when unknown. */
function enumValue(name: string, value: J | undefined): number {
  const e = protoTypes().root.lookupEnum(name);
  const key = String(value ?? '')
    .toUpperCase()
    .replace(/-/g, '_');
  return e.values[key] ?? 0;
}

/** Drops undefined and null fields: protobufjs writes what is present. */
function clean(o: { [key: string]: PbValue | undefined }): PbObj {
  const out: PbObj = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null) out[k] = v;
  return out;
}

function jsonMap(v: J | undefined): PbObj | undefined {
  if (v === undefined) return undefined;
  const out: PbObj = {};
  for (const [k, x] of Object.entries(obj(v))) out[k] = json(x);
  return out;
}

function bytesFromBase64(v: J | undefined): Buffer | undefined {
  return typeof v === 'string' ? Buffer.from(v, 'base64') : undefined;
}

function getOpts(v: J | undefined): PbObj | undefined {
  if (v === undefined) return undefined;
  const o = obj(v);
  const ims = str(o.ims);
  return clean({
    if_modified_since: ims ? Date.parse(ims) : undefined,
    user: str(o.user),
    topic: str(o.topic),
    since_id: num(o.since),
    before_id: num(o.before),
    limit: num(o.limit),
    ranges: Array.isArray(o.ranges) ? o.ranges.map((r) => clean({ low: num(obj(r).low), hi: num(obj(r).hi) })) : undefined,
  });
}

function getQuery(o: JObj): PbObj {
  return clean({ what: str(o.what), desc: getOpts(o.desc), sub: getOpts(o.sub), data: getOpts(o.data) });
}

function setDesc(v: J | undefined): PbObj | undefined {
  if (v === undefined) return undefined;
  const o = obj(v);
  const defacs = o.defacs === undefined ? undefined : clean({ auth: str(obj(o.defacs).auth), anon: str(obj(o.defacs).anon) });
  return clean({
    default_acs: defacs,
    public: o.public === undefined ? undefined : json(o.public),
    private: o.private === undefined ? undefined : json(o.private),
    trusted: o.trusted === undefined ? undefined : json(o.trusted),
  });
}

function cred(v: J | undefined): PbObj | undefined {
  if (v === undefined) return undefined;
  const o = obj(v);
  return clean({ method: str(o.meth), value: str(o.val), response: str(o.resp), params: jsonMap(o.params) });
}

function setQuery(o: JObj): PbObj {
  const sub = o.sub === undefined ? undefined : clean({ user_id: str(obj(o.sub).user), mode: str(obj(o.sub).mode) });
  return clean({ desc: setDesc(o.desc), sub, tags: Array.isArray(o.tags) ? o.tags.map(String) : undefined, cred: cred(o.cred), aux: jsonMap(o.aux) });
}

function credList(v: J | undefined): PbValue[] | undefined {
  return Array.isArray(v) ? v.map((c) => cred(c) ?? {}) : undefined;
}

/** The body of a valid message as a `ClientMsg` field. */
function body(type: ValidMessage['type'], b: JObj): PbObj {
  const env = { id: str(b.id), topic: str(b.topic) };
  switch (type) {
    case 'hi':
      return clean({ id: env.id, user_agent: str(b.ua), ver: str(b.ver), device_id: str(b.dev), lang: str(b.lang), platform: str(b.platf), background: b.bkg === true });
    case 'acc':
      return clean({
        id: env.id,
        user_id: str(b.user),
        scheme: str(b.scheme),
        secret: bytesFromBase64(b.secret),
        login: b.login === true,
        tags: Array.isArray(b.tags) ? b.tags.map(String) : undefined,
        desc: setDesc(b.desc),
        cred: credList(b.cred),
        state: str(b.status),
        auth_level: b.authlevel === undefined ? undefined : enumValue('pbx.AuthLevel', b.authlevel),
      });
    case 'login':
      return clean({ id: env.id, scheme: str(b.scheme), secret: bytesFromBase64(b.secret), cred: credList(b.cred) });
    case 'sub':
      return clean({ ...env, set_query: b.set === undefined ? undefined : setQuery(obj(b.set)), get_query: b.get === undefined ? undefined : getQuery(obj(b.get)) });
    case 'leave':
      return clean({ ...env, unsub: b.unsub === true });
    case 'pub':
      return clean({ ...env, no_echo: b.noecho === true, head: jsonMap(b.head), content: json(b.content) });
    case 'get':
      return clean({ ...env, query: getQuery(b) });
    case 'set':
      return clean({ ...env, query: setQuery(b) });
    case 'del':
      return clean({
        ...env,
        what: enumValue('pbx.ClientDel.What', b.what),
        del_seq: Array.isArray(b.delseq) ? b.delseq.map((r) => clean({ low: num(obj(r).low), hi: num(obj(r).hi) })) : undefined,
        user_id: str(b.user),
        cred: cred(b.cred),
        hard: b.hard === true,
      });
    case 'note':
      return clean({
        topic: env.topic,
        what: enumValue('pbx.InfoNote', b.what),
        seq_id: num(b.seq),
        unread: num(b.unread),
        event: b.event === undefined ? undefined : enumValue('pbx.CallEvent', b.event),
        payload: b.payload === undefined ? undefined : json(b.payload),
      });
  }
}

/** A valid JSON message as a `ClientMsg` object (enum values as numbers, JSON fields as bytes). */
export function toProto(valid: ValidMessage): PbObj {
  const out: PbObj = { [valid.type]: body(valid.type, obj(valid.msg[valid.type])) };
  const extra = valid.msg.extra;
  if (extra !== undefined) {
    const e = obj(extra);
    out.extra = clean({
      attachments: Array.isArray(e.attachments) ? e.attachments.map(String) : undefined,
      on_behalf_of: str(e.obo),
      auth_level: e.authlevel === undefined ? undefined : enumValue('pbx.AuthLevel', e.authlevel),
    });
  }
  return out;
}

/** Encodes a `ClientMsg` object without coercion (the mutator decides the types). */
export function encodeClient(msg: PbObj): Buffer {
  const { clientMsg } = protoTypes();
  return Buffer.from(clientMsg.encode(msg as unknown as protobuf.Message).finish());
}

/** What the driver needs of a server message: its kind and, for ctrl and meta, id and code. */
export interface Reply {
  kind: string;
  id: string;
  code: number;
  text: string;
}

/** Decodes a `ServerMsg`; throws when the bytes are not one. */
export function decodeServer(data: Uint8Array): Reply {
  const { serverMsg } = protoTypes();
  const m = serverMsg.toObject(serverMsg.decode(data), { longs: Number, enums: String, oneofs: true }) as { Message?: string; [k: string]: unknown };
  const kind = m.Message ?? '';
  const body = (m[kind] ?? {}) as { id?: string; code?: number; text?: string };
  return { kind, id: body.id ?? '', code: body.code ?? 0, text: body.text ?? '' };
}
