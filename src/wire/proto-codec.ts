import { join } from 'node:path';
import protobuf from 'protobufjs';
import type { IConversionOptions, Root, Type } from 'protobufjs';
import { packageRoot } from '../paths.js';
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
import { DecodeError } from './json-decode.js';
import { DEFAULT_MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.js';
import type {
  AccessModeMsg,
  CredServerMsg,
  CtrlMsg,
  DataMsg,
  DefaultAcsMsg,
  InfoMsg,
  LastSeenMsg,
  MetaMsg,
  PresMsg,
  RangeMsg,
  ServerMessage,
  TopicDescMsg,
  TopicSubMsg,
} from './server-messages.js';

/**
 * The protobuf codec: converts between the `pbx` messages of `proto/model.proto` (the gRPC wire
 * format of Tinode) and the typed wire model that the JSON codec also produces.
 *
 * ## Plain objects
 *
 * The codec works on plain objects as protobufjs builds them, with field names exactly as in the
 * .proto file (snake_case: the root is loaded with `keepCase: true`):
 *
 * - decoding takes `Type.toObject(Type.decode(bytes), TO_OBJECT_OPTIONS)`: int64 as numbers,
 *   enums as their names, bytes as Buffer, the oneof's name in `Message`. It is lenient about
 *   other conversion options: int64 may also be Long objects or decimal strings, enums numbers,
 *   bytes any Uint8Array or a base64 string, and `Message` may be missing.
 * - encoding returns an object for `Type.fromObject`: int64 as numbers, enums as names, bytes as
 *   Buffer. Fields holding proto3 zero values ('' / 0 / false / empty lists and maps) are left
 *   out, since the wire cannot tell them from absent ones anyway.
 *
 * `serializeServerMsg` / `deserializeClientMsg` (server side) and `serializeClientMsg` /
 * `deserializeServerMsg` (client side) do the whole trip to and from bytes, for a gRPC transport's
 * serialize/deserialize hooks.
 *
 * ## Mapping rules (as the reference server's converter applies them)
 *
 * - Free-form values travel as bytes of their JSON encoding: `public`, `private`, `trusted`,
 *   `content`, `payload`, and each value of the `head`, `aux`, ctrl `params` and credential
 *   `params` maps (map<string, bytes>). On encoding, null values are left out (a null map value
 *   drops its key); on decoding, empty bytes and the JSON `null` are absent, and bytes that are not
 *   JSON make the packet malformed ({@link DecodeError}; the reference only logs them).
 * - Timestamps are int64 milliseconds since the epoch; 0 (or less) is "not set".
 * - Zero values read as absent: a decoded body has no `''`, `0`, `false` or empty list fields,
 *   like a JSON packet that left them out. A `{set}` query's `desc` is absent when it sets
 *   nothing, `desc.defacs` when both modes are empty, `sub` when both user and mode are empty.
 * - Enumerations: `del.what` (ClientDel.What), `note.what` / `info.what` (InfoNote), `event`
 *   (CallEvent: "hang-up" is HANG_UP, "ice-candidate" ICE_CANDIDATE), `pres.what`
 *   (ServerPres.What), `acc.authlevel` and `extra.authlevel` (AuthLevel; decoded as the
 *   lower-case names "anon", "auth", "root", NONE as absent). A string with no enum value is
 *   encoded as the zero value, which decodes as `''` (`what`) or absent (`event`, levels).
 * - `extra` becomes ClientExtra: `attachments`, `obo` as `on_behalf_of`, `authlevel` as
 *   `auth_level`. A message without ClientExtra decodes with `extra: null`.
 * - `{note}` has no id on this wire: it decodes with `id: ''`, and its id is not encoded.
 * - `{ctrl}` carries no `ts`: {@link decodeServerProto} sets it to the time of decoding (or the
 *   `receivedAt` given). `{meta}` loses its `ts` (optional in the model).
 * - GetOpts carries all of `ims` (if_modified_since), `user`, `topic`, `since` (since_id),
 *   `before` (before_id), `limit` and `ranges` in every part of a query; the reference converter
 *   reads only some of them per part, this codec keeps them all.
 * - `{set}` `aux` travels as SetQuery.aux (the reference converter leaves it out); `{meta cred}`
 *   `done` travels as ServerCred.done (the reference converter leaves it out).
 *
 * Not expressible on this wire, so dropped by the encoders: `get.del` options (GetQuery has no
 * such part), access modes' `mode` (AccessMode has want and given only), `subcnt` of desc and sub,
 * `seen.ua` without `seen.when`, `meta.ts`, `ctrl.ts`, and `note`/`info` kinds with no InfoNote
 * value ("kpa", "kpv", "data").
 */

// ---------------------------------------------------------------------------------------------
// Loading the schema
// ---------------------------------------------------------------------------------------------

/** Options for `Type.toObject` that produce what the decoders expect. */
export const TO_OBJECT_OPTIONS: IConversionOptions = { longs: Number, enums: String, oneofs: true };

/** Where the schema is: proto/model.proto in the package folder, from src or dist alike. */
export function protoPath(): string {
  return join(packageRoot(), 'proto', 'model.proto');
}

let root: Root | undefined;

/** The `pbx` schema, loaded once, with field names as written in the .proto file. */
export function protoRoot(): Root {
  if (!root) {
    const r = new protobuf.Root();
    r.loadSync(protoPath(), { keepCase: true });
    r.resolveAll();
    root = r;
  }
  return root;
}

/**
 * The message types of the chat stream, for a gRPC transport's serialize/deserialize hooks.
 * `clientMsg` and `serverMsg` are the same types under shorter names.
 */
export function protoTypes(): { clientMsgType: Type; serverMsgType: Type; clientMsg: Type; serverMsg: Type } {
  const r = protoRoot();
  const clientMsgType = r.lookupType('pbx.ClientMsg');
  const serverMsgType = r.lookupType('pbx.ServerMsg');
  return { clientMsgType, serverMsgType, clientMsg: clientMsgType, serverMsg: serverMsgType };
}

// ---------------------------------------------------------------------------------------------
// Plain object shapes of the pbx messages used by the chat stream
// ---------------------------------------------------------------------------------------------

/** bytes: Buffer when encoding; when decoding any Uint8Array or a base64 string. */
export type PbBytes = Uint8Array | string;
/** int64: a number when encoding; when decoding also a decimal string or a Long. */
export type PbInt64 = number | string | { toNumber(): number };
/** An enum value: its name when encoding; when decoding its name or number. */
export type PbEnum = string | number;
export type PbBytesMap = Record<string, PbBytes>;

export interface PbSeqRange {
  low?: number;
  hi?: number;
}
export interface PbDefaultAcsMode {
  auth?: string;
  anon?: string;
}
export interface PbAccessMode {
  want?: string;
  given?: string;
}
export interface PbSetSub {
  user_id?: string;
  mode?: string;
}
export interface PbClientCred {
  method?: string;
  value?: string;
  response?: string;
  params?: PbBytesMap;
}
export interface PbSetDesc {
  default_acs?: PbDefaultAcsMode;
  public?: PbBytes;
  private?: PbBytes;
  trusted?: PbBytes;
}
export interface PbGetOpts {
  if_modified_since?: PbInt64;
  user?: string;
  topic?: string;
  since_id?: number;
  before_id?: number;
  limit?: number;
  ranges?: PbSeqRange[];
}
export interface PbGetQuery {
  what?: string;
  desc?: PbGetOpts;
  sub?: PbGetOpts;
  data?: PbGetOpts;
}
export interface PbSetQuery {
  desc?: PbSetDesc;
  sub?: PbSetSub;
  tags?: string[];
  cred?: PbClientCred;
  aux?: PbBytesMap;
}
export interface PbClientHi {
  id?: string;
  user_agent?: string;
  ver?: string;
  device_id?: string;
  lang?: string;
  platform?: string;
  background?: boolean;
}
export interface PbClientAcc {
  id?: string;
  user_id?: string;
  scheme?: string;
  secret?: PbBytes;
  login?: boolean;
  tags?: string[];
  desc?: PbSetDesc;
  cred?: PbClientCred[];
  token?: PbBytes;
  state?: string;
  auth_level?: PbEnum;
  tmp_scheme?: string;
  tmp_secret?: PbBytes;
}
export interface PbClientLogin {
  id?: string;
  scheme?: string;
  secret?: PbBytes;
  cred?: PbClientCred[];
}
export interface PbClientSub {
  id?: string;
  topic?: string;
  set_query?: PbSetQuery;
  get_query?: PbGetQuery;
}
export interface PbClientLeave {
  id?: string;
  topic?: string;
  unsub?: boolean;
}
export interface PbClientPub {
  id?: string;
  topic?: string;
  no_echo?: boolean;
  head?: PbBytesMap;
  content?: PbBytes;
}
export interface PbClientGet {
  id?: string;
  topic?: string;
  query?: PbGetQuery;
}
export interface PbClientSet {
  id?: string;
  topic?: string;
  query?: PbSetQuery;
}
export interface PbClientDel {
  id?: string;
  topic?: string;
  what?: PbEnum;
  del_seq?: PbSeqRange[];
  user_id?: string;
  cred?: PbClientCred;
  hard?: boolean;
}
export interface PbClientNote {
  topic?: string;
  what?: PbEnum;
  seq_id?: number;
  unread?: number;
  event?: PbEnum;
  payload?: PbBytes;
}
export interface PbClientExtra {
  attachments?: string[];
  on_behalf_of?: string;
  auth_level?: PbEnum;
}
/** pbx.ClientMsg: exactly one of the ten requests, and optional extra fields. */
export interface PbClientMsg {
  hi?: PbClientHi;
  acc?: PbClientAcc;
  login?: PbClientLogin;
  sub?: PbClientSub;
  leave?: PbClientLeave;
  pub?: PbClientPub;
  get?: PbClientGet;
  set?: PbClientSet;
  del?: PbClientDel;
  note?: PbClientNote;
  extra?: PbClientExtra;
  /** Which request is set (protobufjs `oneofs: true`). */
  Message?: string;
}

export interface PbServerCred {
  method?: string;
  value?: string;
  done?: boolean;
}
export interface PbTopicDesc {
  created_at?: PbInt64;
  updated_at?: PbInt64;
  touched_at?: PbInt64;
  defacs?: PbDefaultAcsMode;
  acs?: PbAccessMode;
  seq_id?: number;
  read_id?: number;
  recv_id?: number;
  del_id?: number;
  public?: PbBytes;
  private?: PbBytes;
  state?: string;
  state_at?: PbInt64;
  trusted?: PbBytes;
  last_seen_time?: PbInt64;
  last_seen_user_agent?: string;
  is_chan?: boolean;
  online?: boolean;
}
export interface PbTopicSub {
  updated_at?: PbInt64;
  deleted_at?: PbInt64;
  online?: boolean;
  acs?: PbAccessMode;
  read_id?: number;
  recv_id?: number;
  public?: PbBytes;
  private?: PbBytes;
  user_id?: string;
  topic?: string;
  touched_at?: PbInt64;
  seq_id?: number;
  del_id?: number;
  last_seen_time?: PbInt64;
  last_seen_user_agent?: string;
  trusted?: PbBytes;
}
export interface PbDelValues {
  del_id?: number;
  del_seq?: PbSeqRange[];
}
export interface PbServerCtrl {
  id?: string;
  topic?: string;
  code?: number;
  text?: string;
  params?: PbBytesMap;
}
export interface PbServerData {
  topic?: string;
  from_user_id?: string;
  deleted_at?: PbInt64;
  seq_id?: number;
  head?: PbBytesMap;
  content?: PbBytes;
  timestamp?: PbInt64;
}
export interface PbServerPres {
  topic?: string;
  src?: string;
  what?: PbEnum;
  user_agent?: string;
  seq_id?: number;
  del_id?: number;
  del_seq?: PbSeqRange[];
  target_user_id?: string;
  actor_user_id?: string;
  acs?: PbAccessMode;
}
export interface PbServerMeta {
  id?: string;
  topic?: string;
  desc?: PbTopicDesc;
  sub?: PbTopicSub[];
  del?: PbDelValues;
  tags?: string[];
  cred?: PbServerCred[];
  aux?: PbBytesMap;
}
export interface PbServerInfo {
  topic?: string;
  from_user_id?: string;
  what?: PbEnum;
  seq_id?: number;
  src?: string;
  event?: PbEnum;
  payload?: PbBytes;
}
/** pbx.ServerMsg: exactly one of the five server messages. */
export interface PbServerMsg {
  ctrl?: PbServerCtrl;
  data?: PbServerData;
  pres?: PbServerPres;
  meta?: PbServerMeta;
  info?: PbServerInfo;
  /** Deprecated in the protocol; never set by this codec, ignored when decoding. */
  topic?: string;
  /** Which message is set (protobufjs `oneofs: true`). */
  Message?: string;
}

// ---------------------------------------------------------------------------------------------
// Enumerations: the JSON word of each non-zero value. The proto name is the word in upper case
// with '-' as '_'.
// ---------------------------------------------------------------------------------------------

type EnumTable = Readonly<Record<number, string>>;

/** pbx.ClientDel.What */
export const DEL_WHAT: EnumTable = { 1: 'msg', 2: 'topic', 3: 'sub', 4: 'user', 5: 'cred' };
/** pbx.InfoNote */
export const INFO_NOTE: EnumTable = { 1: 'read', 2: 'recv', 3: 'kp', 4: 'call' };
/** pbx.CallEvent */
export const CALL_EVENT: EnumTable = { 1: 'accept', 2: 'answer', 3: 'hang-up', 4: 'ice-candidate', 5: 'invite', 6: 'offer', 7: 'ringing' };
/** pbx.ServerPres.What */
export const PRES_WHAT: EnumTable = {
  1: 'on',
  2: 'off',
  3: 'ua',
  4: 'upd',
  5: 'gone',
  6: 'acs',
  7: 'term',
  8: 'msg',
  9: 'read',
  10: 'recv',
  11: 'del',
  12: 'tags',
  13: 'aux',
};
/** pbx.AuthLevel */
export const AUTH_LEVEL: EnumTable = { 10: 'anon', 20: 'auth', 30: 'root' };

function protoName(word: string): string {
  return word.toUpperCase().replace(/-/g, '_');
}

/** The proto name of a JSON word (case-insensitive), or undefined when the enum has none. */
function enumEncode(table: EnumTable, word: string | undefined): string | undefined {
  if (!word) return undefined;
  const name = protoName(word);
  return Object.values(table).some((w) => protoName(w) === name) ? name : undefined;
}

/** The JSON word of an enum value given by name or number; '' for zero or unknown values. */
function enumDecode(table: EnumTable, v: unknown, path: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number' && Number.isInteger(v)) return table[v] ?? '';
  if (typeof v === 'string') {
    return Object.values(table).find((w) => protoName(w) === v) ?? '';
  }
  return fail(path, 'an enum name or number');
}

// ---------------------------------------------------------------------------------------------
// Reading plain objects
// ---------------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;

function fail(path: string, expected: string): never {
  throw new DecodeError(`${path}: expected ${expected}`);
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function obj(v: unknown, path: string): Obj | undefined {
  if (v === undefined || v === null) return undefined;
  return isObj(v) ? v : fail(path, 'a message');
}

/** A string; '' reads as absent. */
function str(v: unknown, path: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  return typeof v === 'string' ? v : fail(path, 'a string');
}

/** An int32; 0 reads as absent. */
function int(v: unknown, path: string): number | undefined {
  if (v === undefined || v === null || v === 0) return undefined;
  return typeof v === 'number' && Number.isSafeInteger(v) ? v : fail(path, 'an integer');
}

/** An int64 in any of protobufjs's forms; 0 reads as absent. */
function int64(v: unknown, path: string): number | undefined {
  let n: unknown = v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) {
    n = Number(v);
  } else if (isObj(v) && typeof v.toNumber === 'function') {
    n = (v.toNumber as () => unknown).call(v);
  }
  return int(n, path);
}

/** A boolean; false reads as absent. */
function bool(v: unknown, path: string): boolean | undefined {
  if (v === undefined || v === null || v === false) return undefined;
  return v === true ? v : fail(path, 'true or false');
}

function list(v: unknown, path: string): unknown[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) fail(path, 'a repeated field');
  return v.length > 0 ? v : undefined;
}

function strList(v: unknown, path: string): string[] | undefined {
  return list(v, path)?.map((x, i) => (typeof x === 'string' ? x : fail(`${path}[${i}]`, 'a string')));
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Bytes; empty reads as absent. */
function bytes(v: unknown, path: string): Buffer | undefined {
  if (v === undefined || v === null) return undefined;
  let b: Buffer;
  if (v instanceof Uint8Array) {
    b = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  } else if (typeof v === 'string' && BASE64.test(v)) {
    b = Buffer.from(v, 'base64');
  } else if (Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < 256)) {
    b = Buffer.from(v as number[]);
  } else {
    return fail(path, 'bytes');
  }
  return b.length > 0 ? b : undefined;
}

/**
 * Deepest nesting accepted in a JSON value held in bytes, for the decode in progress: decoding is
 * synchronous, so {@link deserializeClientMsg} sets it for exactly one call.
 */
let jsonDepthLimit = DEFAULT_MAX_JSON_DEPTH;

/** A JSON value held in bytes; empty bytes and JSON null read as absent. */
function json(v: unknown, path: string): unknown {
  const b = bytes(v, path);
  if (!b) return undefined;
  const text = b.toString('utf8');
  if (nestsDeeperThan(text, jsonDepthLimit)) {
    throw new DecodeError(`${path}: nested deeper than ${jsonDepthLimit} levels`);
  }
  try {
    return JSON.parse(text) ?? undefined;
  } catch {
    throw new DecodeError(`${path}: expected JSON-encoded bytes`);
  }
}

/** Sets a key as an own property, even `__proto__`. */
function setKey(o: Obj, key: string, v: unknown): void {
  Object.defineProperty(o, key, { value: v, enumerable: true, writable: true, configurable: true });
}

/** A map<string, bytes> of JSON values; null values are left out, an empty map is absent. */
function jsonMap(v: unknown, path: string): Record<string, unknown> | undefined {
  const o = obj(v, path);
  if (!o) return undefined;
  const out: Obj = {};
  for (const [k, raw] of Object.entries(o)) {
    const val = json(raw, `${path}.${k}`);
    if (val !== undefined) setKey(out, k, val);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function time(v: unknown, path: string): Date | undefined {
  const ms = int64(v, path);
  if (ms === undefined || ms <= 0) return undefined;
  const d = new Date(ms);
  // Milliseconds past the year 275760 make no date: refused like any field of the wrong shape.
  return Number.isNaN(d.getTime()) ? fail(path, 'a time in milliseconds since the epoch') : d;
}

/** Drops undefined fields so that bodies compare and print cleanly. */
function clean<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) {
    if (o[k] === undefined) delete o[k];
  }
  return o;
}

function ranges(v: unknown, path: string): RangeMsg[] | undefined {
  return list(v, path)?.map((r, i) => {
    const o = obj(r, `${path}[${i}]`) ?? {};
    return clean({ low: int(o.low, `${path}[${i}].low`), hi: int(o.hi, `${path}[${i}].hi`) });
  });
}

// ---------------------------------------------------------------------------------------------
// Writing plain objects
// ---------------------------------------------------------------------------------------------

/** Adds a field unless it holds a proto3 zero value. */
function put(o: Obj, key: string, v: unknown): void {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return;
  if (Array.isArray(v) && v.length === 0) return;
  o[key] = v;
}

function ms(d: Date | undefined): number | undefined {
  if (!d) return undefined;
  const t = d.getTime();
  return Number.isNaN(t) || t <= 0 ? undefined : t;
}

/** The JSON encoding of a value as bytes; undefined for null/undefined. */
function toJsonBytes(v: unknown): Buffer | undefined {
  if (v === undefined || v === null) return undefined;
  const text = JSON.stringify(v) as string | undefined;
  return text === undefined ? undefined : Buffer.from(text, 'utf8');
}

/** A map<string, bytes> of JSON values; null values are left out. */
function toJsonMap(m: Record<string, unknown> | undefined): Record<string, Buffer> | undefined {
  if (!m) return undefined;
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(m)) {
    const b = toJsonBytes(v);
    if (b) setKey(out, k, b);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function toRanges(rs: RangeMsg[] | undefined): PbSeqRange[] | undefined {
  return rs?.map((r) => {
    const o: Obj = {};
    put(o, 'low', r.low);
    put(o, 'hi', r.hi);
    return o as PbSeqRange;
  });
}

// ---------------------------------------------------------------------------------------------
// Client messages: pbx.ClientMsg -> ClientMessage
// ---------------------------------------------------------------------------------------------

function getOpts(v: unknown, path: string): GetOpts | undefined {
  const o = obj(v, path);
  if (!o) return undefined;
  return clean({
    user: str(o.user, `${path}.user`),
    topic: str(o.topic, `${path}.topic`),
    ims: time(o.if_modified_since, `${path}.if_modified_since`),
    since: int(o.since_id, `${path}.since_id`),
    before: int(o.before_id, `${path}.before_id`),
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
  });
}

function defacs(v: unknown, path: string): DefaultAcsMsg | undefined {
  const o = obj(v, path);
  if (!o) return undefined;
  const d = clean({ auth: str(o.auth, `${path}.auth`), anon: str(o.anon, `${path}.anon`) });
  return d.auth !== undefined || d.anon !== undefined ? d : undefined;
}

function setDesc(v: unknown, path: string): SetDesc | undefined {
  const o = obj(v, path);
  if (!o) return undefined;
  const d = clean({
    defacs: defacs(o.default_acs, `${path}.default_acs`),
    public: json(o.public, `${path}.public`),
    trusted: json(o.trusted, `${path}.trusted`),
    private: json(o.private, `${path}.private`),
  });
  return Object.keys(d).length > 0 ? d : undefined;
}

function cred(v: unknown, path: string): CredClient | undefined {
  const o = obj(v, path);
  if (!o) return undefined;
  return clean({
    meth: str(o.method, `${path}.method`),
    val: str(o.value, `${path}.value`),
    resp: str(o.response, `${path}.response`),
    params: jsonMap(o.params, `${path}.params`),
  });
}

function credList(v: unknown, path: string): CredClient[] | undefined {
  return list(v, path)?.map((c, i) => cred(c, `${path}[${i}]`) ?? {});
}

/** A SetQuery, or undefined when it sets nothing. */
function setQuery(v: unknown, path: string): SetQuery | undefined {
  const o = obj(v, path);
  if (!o) return undefined;
  const sub = obj(o.sub, `${path}.sub`);
  const s = sub ? clean({ user: str(sub.user_id, `${path}.sub.user_id`), mode: str(sub.mode, `${path}.sub.mode`) }) : undefined;
  const q = clean({
    desc: setDesc(o.desc, `${path}.desc`),
    sub: s && (s.user !== undefined || s.mode !== undefined) ? s : undefined,
    tags: strList(o.tags, `${path}.tags`),
    cred: cred(o.cred, `${path}.cred`),
    aux: jsonMap(o.aux, `${path}.aux`),
  });
  return Object.keys(q).length > 0 ? q : undefined;
}

function authLevel(v: unknown, path: string): string | undefined {
  return enumDecode(AUTH_LEVEL, v, path) || undefined;
}

function extra(v: unknown): Extra | null {
  const o = obj(v, 'extra');
  if (!o) return null;
  return clean({
    attachments: strList(o.attachments, 'extra.attachments'),
    obo: str(o.on_behalf_of, 'extra.on_behalf_of'),
    authlevel: authLevel(o.auth_level, 'extra.auth_level'),
  });
}

const CLIENT_KINDS = ['hi', 'acc', 'login', 'sub', 'leave', 'pub', 'get', 'set', 'del', 'note'] as const;
type ClientKind = (typeof CLIENT_KINDS)[number];

function decodeClientBody(type: ClientKind, o: Obj, ext: Extra | null): ClientMessage {
  const p = type;
  const id = str(o.id, `${p}.id`) ?? '';
  const topic = str(o.topic, `${p}.topic`) ?? '';
  const env = { id, topic, extra: ext };
  switch (type) {
    case 'hi': {
      const body: HiBody = clean({
        ua: str(o.user_agent, `${p}.user_agent`),
        ver: str(o.ver, `${p}.ver`),
        dev: str(o.device_id, `${p}.device_id`),
        lang: str(o.lang, `${p}.lang`),
        platf: str(o.platform, `${p}.platform`),
        bkg: bool(o.background, `${p}.background`),
      });
      return { type, ...env, topic: '', body };
    }
    case 'acc': {
      const body: AccBody = clean({
        user: str(o.user_id, `${p}.user_id`),
        tmpscheme: str(o.tmp_scheme, `${p}.tmp_scheme`),
        tmpsecret: bytes(o.tmp_secret, `${p}.tmp_secret`),
        status: str(o.state, `${p}.state`),
        authlevel: authLevel(o.auth_level, `${p}.auth_level`),
        scheme: str(o.scheme, `${p}.scheme`),
        secret: bytes(o.secret, `${p}.secret`),
        login: bool(o.login, `${p}.login`),
        tags: strList(o.tags, `${p}.tags`),
        desc: setDesc(o.desc, `${p}.desc`),
        cred: credList(o.cred, `${p}.cred`),
      });
      bytes(o.token, `${p}.token`); // in the schema, unused by the protocol
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
      const get = obj(o.get_query, `${p}.get_query`);
      const body = clean({ set: setQuery(o.set_query, `${p}.set_query`), get: get ? getQuery(get, `${p}.get_query`) : undefined });
      return { type, ...env, body };
    }
    case 'leave':
      return { type, ...env, body: clean({ unsub: bool(o.unsub, `${p}.unsub`) }) };
    case 'pub': {
      const body: PubBody = clean({
        noecho: bool(o.no_echo, `${p}.no_echo`),
        head: jsonMap(o.head, `${p}.head`),
        content: json(o.content, `${p}.content`) ?? null,
      });
      return { type, ...env, body };
    }
    case 'get':
      return { type, ...env, body: getQuery(obj(o.query, `${p}.query`) ?? {}, `${p}.query`) };
    case 'set':
      return { type, ...env, body: setQuery(o.query, `${p}.query`) ?? {} };
    case 'del': {
      const body: DelBody = clean({
        what: enumDecode(DEL_WHAT, o.what, `${p}.what`),
        delseq: ranges(o.del_seq, `${p}.del_seq`),
        user: str(o.user_id, `${p}.user_id`),
        cred: cred(o.cred, `${p}.cred`),
        hard: bool(o.hard, `${p}.hard`),
      });
      return { type, ...env, body };
    }
    case 'note': {
      const body: NoteBody = clean({
        what: enumDecode(INFO_NOTE, o.what, `${p}.what`),
        seq: int(o.seq_id, `${p}.seq_id`),
        unread: int(o.unread, `${p}.unread`),
        event: enumDecode(CALL_EVENT, o.event, `${p}.event`) || undefined,
        payload: json(o.payload, `${p}.payload`),
      });
      return { type, ...env, id: '', body };
    }
  }
}

/**
 * A client message from a plain pbx.ClientMsg object (see the module comment for its form).
 * Throws {@link DecodeError} when no request is set, a field has the wrong type, or a JSON field
 * does not hold JSON.
 */
export function decodeClientProto(msg: PbClientMsg): ClientMessage {
  const m: unknown = msg;
  if (!isObj(m)) throw new DecodeError('not a ClientMsg object');
  const ext = extra(m.extra);
  const named = typeof m.Message === 'string' && (CLIENT_KINDS as readonly string[]).includes(m.Message) ? (m.Message as ClientKind) : undefined;
  const type = named && isObj(m[named]) ? named : CLIENT_KINDS.find((k) => m[k] !== undefined && m[k] !== null);
  if (!type) throw new DecodeError('no request in the ClientMsg');
  const body = obj(m[type], type) ?? {};
  return decodeClientBody(type, body, ext);
}

// ---------------------------------------------------------------------------------------------
// Client messages: ClientMessage -> pbx.ClientMsg
// ---------------------------------------------------------------------------------------------

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

function toDefacs(d: DefaultAcsMsg | undefined): PbDefaultAcsMode | undefined {
  if (!d) return undefined;
  const o: Obj = {};
  put(o, 'auth', d.auth);
  put(o, 'anon', d.anon);
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

// ---------------------------------------------------------------------------------------------
// Server messages: ServerMessage -> pbx.ServerMsg
// ---------------------------------------------------------------------------------------------

function toAcs(a: AccessModeMsg | undefined): PbAccessMode | undefined {
  if (!a) return undefined;
  const o: Obj = {};
  put(o, 'want', a.want);
  put(o, 'given', a.given);
  return o;
}

function putSeen(o: Obj, s: LastSeenMsg | undefined): void {
  const when = ms(s?.when);
  if (when !== undefined) {
    o.last_seen_time = when;
    put(o, 'last_seen_user_agent', s?.ua);
  }
}

function toTopicDesc(d: TopicDescMsg): PbTopicDesc {
  const o: Obj = {};
  put(o, 'created_at', ms(d.created));
  put(o, 'updated_at', ms(d.updated));
  put(o, 'touched_at', ms(d.touched));
  put(o, 'defacs', toDefacs(d.defacs));
  put(o, 'acs', toAcs(d.acs));
  put(o, 'seq_id', d.seq);
  put(o, 'read_id', d.read);
  put(o, 'recv_id', d.recv);
  put(o, 'del_id', d.clear);
  put(o, 'public', toJsonBytes(d.public));
  put(o, 'private', toJsonBytes(d.private));
  put(o, 'state', d.state);
  put(o, 'trusted', toJsonBytes(d.trusted));
  putSeen(o, d.seen);
  put(o, 'is_chan', d.chan);
  put(o, 'online', d.online);
  return o;
}

function toTopicSub(s: TopicSubMsg): PbTopicSub {
  const o: Obj = {};
  put(o, 'updated_at', ms(s.updated));
  put(o, 'deleted_at', ms(s.deleted));
  put(o, 'online', s.online);
  o.acs = toAcs(s.acs) ?? {};
  put(o, 'read_id', s.read);
  put(o, 'recv_id', s.recv);
  put(o, 'public', toJsonBytes(s.public));
  put(o, 'private', toJsonBytes(s.private));
  put(o, 'user_id', s.user);
  put(o, 'topic', s.topic);
  put(o, 'touched_at', ms(s.touched));
  put(o, 'seq_id', s.seq);
  put(o, 'del_id', s.clear);
  putSeen(o, s.seen);
  put(o, 'trusted', toJsonBytes(s.trusted));
  return o;
}

function toServerCred(c: CredServerMsg): PbServerCred {
  const o: Obj = {};
  put(o, 'method', c.meth);
  put(o, 'value', c.val);
  put(o, 'done', c.done);
  return o;
}

function toCtrl(c: CtrlMsg): PbServerCtrl {
  const o: Obj = {};
  put(o, 'id', c.id);
  put(o, 'topic', c.topic);
  put(o, 'code', c.code);
  put(o, 'text', c.text);
  put(o, 'params', toJsonMap(c.params));
  return o;
}

function toData(d: DataMsg): PbServerData {
  const o: Obj = {};
  put(o, 'topic', d.topic);
  put(o, 'from_user_id', d.from);
  put(o, 'deleted_at', ms(d.deleted));
  put(o, 'seq_id', d.seq);
  put(o, 'head', toJsonMap(d.head));
  put(o, 'content', toJsonBytes(d.content));
  put(o, 'timestamp', ms(d.ts));
  return o;
}

function toPres(p: PresMsg): PbServerPres {
  const o: Obj = {};
  put(o, 'topic', p.topic);
  put(o, 'src', p.src);
  put(o, 'what', enumEncode(PRES_WHAT, p.what));
  put(o, 'user_agent', p.ua);
  put(o, 'seq_id', p.seq);
  put(o, 'del_id', p.clear);
  put(o, 'del_seq', toRanges(p.delseq));
  put(o, 'target_user_id', p.tgt);
  put(o, 'actor_user_id', p.act);
  put(o, 'acs', toAcs(p.dacs));
  return o;
}

function toMeta(m: MetaMsg): PbServerMeta {
  const o: Obj = {};
  put(o, 'id', m.id);
  put(o, 'topic', m.topic);
  if (m.desc) o.desc = toTopicDesc(m.desc);
  put(o, 'sub', m.sub?.map(toTopicSub));
  if (m.del) {
    const d: Obj = {};
    put(d, 'del_id', m.del.clear);
    put(d, 'del_seq', toRanges(m.del.delseq));
    o.del = d;
  }
  put(o, 'tags', m.tags);
  put(o, 'cred', m.cred?.map(toServerCred));
  put(o, 'aux', toJsonMap(m.aux));
  return o;
}

function toInfo(i: InfoMsg): PbServerInfo {
  const o: Obj = {};
  put(o, 'topic', i.topic);
  put(o, 'from_user_id', i.from);
  put(o, 'what', enumEncode(INFO_NOTE, i.what));
  put(o, 'seq_id', i.seq);
  put(o, 'src', i.src);
  put(o, 'event', enumEncode(CALL_EVENT, i.event));
  put(o, 'payload', toJsonBytes(i.payload));
  return o;
}

/** A plain pbx.ServerMsg object for `Type.fromObject` (see the module comment). */
export function encodeServerProto(msg: ServerMessage): PbServerMsg {
  if ('ctrl' in msg) return { ctrl: toCtrl(msg.ctrl) };
  if ('meta' in msg) return { meta: toMeta(msg.meta) };
  if ('data' in msg) return { data: toData(msg.data) };
  if ('pres' in msg) return { pres: toPres(msg.pres) };
  return { info: toInfo(msg.info) };
}

// ---------------------------------------------------------------------------------------------
// Server messages: pbx.ServerMsg -> ServerMessage
// ---------------------------------------------------------------------------------------------

function acs(v: unknown, path: string): AccessModeMsg | undefined {
  const o = obj(v, path);
  if (!o) return undefined;
  return clean({ want: str(o.want, `${path}.want`), given: str(o.given, `${path}.given`) });
}

function seen(o: Obj, path: string): LastSeenMsg | undefined {
  const when = time(o.last_seen_time, `${path}.last_seen_time`);
  const ua = str(o.last_seen_user_agent, `${path}.last_seen_user_agent`);
  return when ? clean({ when, ua }) : undefined;
}

function topicDesc(v: unknown, path: string): TopicDescMsg | undefined {
  const o = obj(v, path);
  if (!o) return undefined;
  int64(o.state_at, `${path}.state_at`); // in the schema, not part of the JSON model
  return clean({
    created: time(o.created_at, `${path}.created_at`),
    updated: time(o.updated_at, `${path}.updated_at`),
    touched: time(o.touched_at, `${path}.touched_at`),
    state: str(o.state, `${path}.state`),
    online: bool(o.online, `${path}.online`),
    chan: bool(o.is_chan, `${path}.is_chan`),
    seen: seen(o, path),
    defacs: defacs(o.defacs, `${path}.defacs`),
    acs: acs(o.acs, `${path}.acs`),
    seq: int(o.seq_id, `${path}.seq_id`),
    read: int(o.read_id, `${path}.read_id`),
    recv: int(o.recv_id, `${path}.recv_id`),
    clear: int(o.del_id, `${path}.del_id`),
    public: json(o.public, `${path}.public`),
    trusted: json(o.trusted, `${path}.trusted`),
    private: json(o.private, `${path}.private`),
  });
}

function topicSub(v: unknown, path: string): TopicSubMsg {
  const o = obj(v, path) ?? {};
  return clean({
    updated: time(o.updated_at, `${path}.updated_at`),
    deleted: time(o.deleted_at, `${path}.deleted_at`),
    online: bool(o.online, `${path}.online`),
    acs: acs(o.acs, `${path}.acs`) ?? {},
    read: int(o.read_id, `${path}.read_id`),
    recv: int(o.recv_id, `${path}.recv_id`),
    public: json(o.public, `${path}.public`),
    trusted: json(o.trusted, `${path}.trusted`),
    private: json(o.private, `${path}.private`),
    user: str(o.user_id, `${path}.user_id`),
    topic: str(o.topic, `${path}.topic`),
    touched: time(o.touched_at, `${path}.touched_at`),
    seq: int(o.seq_id, `${path}.seq_id`),
    clear: int(o.del_id, `${path}.del_id`),
    seen: seen(o, path),
  });
}

function decodeServerBody(type: ServerKind, o: Obj, receivedAt: Date): ServerMessage {
  const p = type;
  switch (type) {
    case 'ctrl':
      return {
        ctrl: clean({
          id: str(o.id, `${p}.id`),
          topic: str(o.topic, `${p}.topic`),
          params: jsonMap(o.params, `${p}.params`),
          code: int(o.code, `${p}.code`) ?? 0,
          text: str(o.text, `${p}.text`),
          ts: receivedAt,
        }),
      };
    case 'data':
      return {
        data: clean({
          topic: str(o.topic, `${p}.topic`) ?? '',
          from: str(o.from_user_id, `${p}.from_user_id`),
          ts: new Date(int64(o.timestamp, `${p}.timestamp`) ?? 0),
          deleted: time(o.deleted_at, `${p}.deleted_at`),
          seq: int(o.seq_id, `${p}.seq_id`) ?? 0,
          head: jsonMap(o.head, `${p}.head`),
          content: json(o.content, `${p}.content`) ?? null,
        }),
      };
    case 'pres':
      return {
        pres: clean({
          topic: str(o.topic, `${p}.topic`) ?? '',
          src: str(o.src, `${p}.src`),
          what: enumDecode(PRES_WHAT, o.what, `${p}.what`),
          ua: str(o.user_agent, `${p}.user_agent`),
          seq: int(o.seq_id, `${p}.seq_id`),
          clear: int(o.del_id, `${p}.del_id`),
          delseq: ranges(o.del_seq, `${p}.del_seq`),
          tgt: str(o.target_user_id, `${p}.target_user_id`),
          act: str(o.actor_user_id, `${p}.actor_user_id`),
          dacs: acs(o.acs, `${p}.acs`),
        }),
      };
    case 'meta': {
      const del = obj(o.del, `${p}.del`);
      return {
        meta: clean({
          id: str(o.id, `${p}.id`),
          topic: str(o.topic, `${p}.topic`) ?? '',
          desc: topicDesc(o.desc, `${p}.desc`),
          sub: list(o.sub, `${p}.sub`)?.map((s, i) => topicSub(s, `${p}.sub[${i}]`)),
          del: del ? clean({ clear: int(del.del_id, `${p}.del.del_id`), delseq: ranges(del.del_seq, `${p}.del.del_seq`) }) : undefined,
          tags: strList(o.tags, `${p}.tags`),
          cred: list(o.cred, `${p}.cred`)?.map((c, i) => {
            const co = obj(c, `${p}.cred[${i}]`) ?? {};
            return clean({
              meth: str(co.method, `${p}.cred[${i}].method`),
              val: str(co.value, `${p}.cred[${i}].value`),
              done: bool(co.done, `${p}.cred[${i}].done`),
            });
          }),
          aux: jsonMap(o.aux, `${p}.aux`),
        }),
      };
    }
    case 'info':
      return {
        info: clean({
          topic: str(o.topic, `${p}.topic`) ?? '',
          src: str(o.src, `${p}.src`),
          from: str(o.from_user_id, `${p}.from_user_id`),
          what: enumDecode(INFO_NOTE, o.what, `${p}.what`),
          seq: int(o.seq_id, `${p}.seq_id`),
          event: enumDecode(CALL_EVENT, o.event, `${p}.event`) || undefined,
          payload: json(o.payload, `${p}.payload`),
        }),
      };
  }
}

const SERVER_KINDS = ['ctrl', 'data', 'pres', 'meta', 'info'] as const;
type ServerKind = (typeof SERVER_KINDS)[number];

/**
 * A server message from a plain pbx.ServerMsg object. ServerCtrl has no timestamp: `ctrl.ts` is
 * `receivedAt`, the time of decoding unless given. Throws {@link DecodeError} like
 * {@link decodeClientProto}.
 */
export function decodeServerProto(msg: PbServerMsg, receivedAt: Date = new Date()): ServerMessage {
  const m: unknown = msg;
  if (!isObj(m)) throw new DecodeError('not a ServerMsg object');
  const named = typeof m.Message === 'string' && (SERVER_KINDS as readonly string[]).includes(m.Message) ? (m.Message as ServerKind) : undefined;
  const type = named && isObj(m[named]) ? named : SERVER_KINDS.find((k) => m[k] !== undefined && m[k] !== null);
  if (!type) throw new DecodeError('no message in the ServerMsg');
  return decodeServerBody(type, obj(m[type], type) ?? {}, receivedAt);
}

// ---------------------------------------------------------------------------------------------
// Whole trips to and from bytes
// ---------------------------------------------------------------------------------------------

function toBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function parse(type: Type, data: Uint8Array): Obj {
  let decoded;
  try {
    decoded = type.decode(data);
  } catch (e) {
    throw new DecodeError(`not a valid ${type.name}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return type.toObject(decoded, TO_OBJECT_OPTIONS);
}

const serverCache = new WeakMap<ServerMessage, Buffer>();

/** The bytes of a server message, cached per message object (a broadcast is encoded once). */
export function serializeServerMsg(msg: ServerMessage): Buffer {
  let buf = serverCache.get(msg);
  if (!buf) {
    const { serverMsgType } = protoTypes();
    buf = toBuffer(serverMsgType.encode(serverMsgType.fromObject(encodeServerProto(msg))).finish());
    serverCache.set(msg, buf);
  }
  return buf;
}

/**
 * A client message from its bytes; {@link DecodeError} when they are not a valid ClientMsg or a
 * JSON value in it nests deeper than `maxDepth`.
 */
export function deserializeClientMsg(data: Uint8Array, maxDepth = DEFAULT_MAX_JSON_DEPTH): ClientMessage {
  jsonDepthLimit = maxDepth;
  try {
    return decodeClientProto(parse(protoTypes().clientMsgType, data));
  } finally {
    jsonDepthLimit = DEFAULT_MAX_JSON_DEPTH;
  }
}

/** The bytes of a client message (for clients and tests). */
export function serializeClientMsg(msg: ClientMessage): Buffer {
  const { clientMsgType } = protoTypes();
  return toBuffer(clientMsgType.encode(clientMsgType.fromObject(encodeClientProto(msg))).finish());
}

/** A server message from its bytes (for clients and tests); see {@link decodeServerProto}. */
export function deserializeServerMsg(data: Uint8Array, receivedAt?: Date): ServerMessage {
  return decodeServerProto(parse(protoTypes().serverMsgType, data), receivedAt);
}
