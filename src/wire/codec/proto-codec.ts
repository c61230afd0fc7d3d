import type { Type } from 'protobufjs';
import type { ClientMessage } from '../client-messages.js';
import { decodeClientProto, encodeClientProto } from './proto-client.js';
import { withJsonDepth } from './proto-readers.js';
import { protoTypes, TO_OBJECT_OPTIONS } from './proto-schema.js';
import { decodeServerProto } from './proto-server-decode.js';
import { encodeServerProto } from './proto-server-encode.js';
import { DecodeError, type Obj } from './readers.js';
import { DEFAULT_MAX_JSON_DEPTH } from './json-depth.js';
import type { ServerMessage } from '../server-messages.js';

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
export { AUTH_LEVEL, CALL_EVENT, DEL_WHAT, INFO_NOTE, PRES_WHAT } from './proto-enums.js';
export { protoPath, protoRoot, protoTypes, TO_OBJECT_OPTIONS } from './proto-schema.js';
export type * from './proto-types.js';
export { decodeClientProto, decodeServerProto, encodeClientProto, encodeServerProto };


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

/**
 * How many server messages {@link serializeServerMsg} has actually encoded (cache misses) since
 * the process started. Only ever grows; tests read it to check that a broadcast is encoded once.
 */
export const serverProtoEncodings = { count: 0 };

/** The bytes of a server message, cached per message object (a broadcast is encoded once). */
export function serializeServerMsg(msg: ServerMessage): Buffer {
  let buf = serverCache.get(msg);
  if (!buf) {
    serverProtoEncodings.count++;
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
  return withJsonDepth(maxDepth, () => decodeClientProto(parse(protoTypes().clientMsgType, data)));
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
