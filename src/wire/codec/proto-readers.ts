import { DEFAULT_MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.js';
import { AUTH_LEVEL, enumDecode } from './proto-enums.js';
import { at, DecodeError, fail, setKey, type Obj, type Readers } from './readers.js';

/**
 * The readers of protobufjs plain objects (see proto-codec.ts for their forms). Zero values
 * ('' / 0 / false / empty lists and bytes) read as absent: the wire cannot tell them from unset
 * fields. Free-form values are JSON held in bytes.
 */

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

export function obj(v: unknown, path: string, key?: string): Obj | undefined {
  if (v === undefined || v === null) return undefined;
  return isObj(v) ? v : fail(path, 'a message', key);
}

/** Whether `v` is a plain message object. */
export { isObj };

/** A string; '' reads as absent. */
export function str(v: unknown, path: string, key?: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  return typeof v === 'string' ? v : fail(path, 'a string', key);
}

/** An int32; 0 reads as absent. */
export function int(v: unknown, path: string, key?: string): number | undefined {
  if (v === undefined || v === null || v === 0) return undefined;
  return typeof v === 'number' && Number.isSafeInteger(v) ? v : fail(path, 'an integer', key);
}

/** An int64 in any of protobufjs's forms; 0 reads as absent. */
export function int64(v: unknown, path: string, key?: string): number | undefined {
  let n: unknown = v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) {
    n = Number(v);
  } else if (isObj(v) && typeof v.toNumber === 'function') {
    n = (v.toNumber as () => unknown).call(v);
  }
  return int(n, path, key);
}

/** A boolean; false reads as absent. */
export function bool(v: unknown, path: string, key?: string): boolean | undefined {
  if (v === undefined || v === null || v === false) return undefined;
  return v === true ? v : fail(path, 'true or false', key);
}

export function list(v: unknown, path: string, key?: string): unknown[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) fail(path, 'a repeated field', key);
  return v.length > 0 ? v : undefined;
}

export function strList(v: unknown, path: string, key?: string): string[] | undefined {
  return list(v, path, key)?.map((x, i) => (typeof x === 'string' ? x : fail(`${at(path, key)}[${i}]`, 'a string')));
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Bytes; empty reads as absent. */
export function bytes(v: unknown, path: string, key?: string): Buffer | undefined {
  if (v === undefined || v === null) return undefined;
  let b: Buffer;
  if (v instanceof Uint8Array) {
    b = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  } else if (typeof v === 'string' && BASE64.test(v)) {
    b = Buffer.from(v, 'base64');
  } else if (Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < 256)) {
    b = Buffer.from(v as number[]);
  } else {
    return fail(path, 'bytes', key);
  }
  return b.length > 0 ? b : undefined;
}

/**
 * Deepest nesting accepted in a JSON value held in bytes, for the decode in progress: decoding is
 * synchronous, so {@link withJsonDepth} sets it for exactly one call.
 */
let jsonDepthLimit = DEFAULT_MAX_JSON_DEPTH;

/** Runs a decode with JSON values held in bytes limited to `maxDepth` levels of nesting. */
export function withJsonDepth<T>(maxDepth: number, decode: () => T): T {
  jsonDepthLimit = maxDepth;
  try {
    return decode();
  } finally {
    jsonDepthLimit = DEFAULT_MAX_JSON_DEPTH;
  }
}

/** A JSON value held in bytes; empty bytes and JSON null read as absent. */
export function json(v: unknown, path: string, key?: string): unknown {
  const b = bytes(v, path, key);
  if (!b) return undefined;
  const text = b.toString('utf8');
  if (nestsDeeperThan(text, jsonDepthLimit)) {
    throw new DecodeError(`${at(path, key)}: nested deeper than ${jsonDepthLimit} levels`);
  }
  try {
    return JSON.parse(text) ?? undefined;
  } catch {
    throw new DecodeError(`${at(path, key)}: expected JSON-encoded bytes`);
  }
}

/** A map<string, bytes> of JSON values; null values are left out, an empty map is absent. */
export function jsonMap(v: unknown, path: string, key?: string): Record<string, unknown> | undefined {
  const o = obj(v, path, key);
  if (!o) return undefined;
  const out: Obj = {};
  for (const [k, raw] of Object.entries(o)) {
    const val = json(raw, at(path, key), k);
    if (val !== undefined) setKey(out, k, val);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Milliseconds since the epoch; 0 (or less) is "not set". */
export function time(v: unknown, path: string, key?: string): Date | undefined {
  const ms = int64(v, path, key);
  if (ms === undefined || ms <= 0) return undefined;
  const d = new Date(ms);
  // Milliseconds past the year 275760 make no date: refused like any field of the wrong shape.
  return Number.isNaN(d.getTime()) ? fail(path, 'a time in milliseconds since the epoch', key) : d;
}

/** An auth level as its lower-case name; NONE reads as absent. */
export function authLevel(v: unknown, path: string): string | undefined {
  return enumDecode(AUTH_LEVEL, v, path) || undefined;
}

/** The readers of the proto wire, for the shared message decoders. */
export const PROTO_READERS: Readers = {
  wire: 'proto',
  obj,
  str,
  int,
  bool,
  bytes,
  time,
  strList,
  list: (v, path) => list(v, path),
  value: json,
  map: jsonMap,
  word: (table, v, path, key) => enumDecode(table, v, at(path, key)) || undefined,
  orAbsent: (o) => (Object.keys(o).length > 0 ? o : undefined),
};
