import type { RangeMsg } from '../server-messages.js';

/**
 * The readers both codecs decode with: each narrows an `unknown` taken from a parsed message to
 * a typed value, or throws {@link DecodeError} naming the field's path and what was expected.
 * `null` and missing fields read as absent. The two wires differ in what they may hold (JSON text
 * versus protobufjs plain objects) and in their zero values, so each has its own {@link Readers};
 * the message decoders on top of them are shared (see client-decode.ts).
 */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

export type Obj = Record<string, unknown>;

/**
 * Throws the decode error of a field of the wrong shape. The field is `path`, or `key` within
 * `path`: readers take the two apart so that a field read without error costs no string.
 */
export function fail(path: string, expected: string, key?: string): never {
  throw new DecodeError(`${at(path, key)}: expected ${expected}`);
}

/** The path of `key` within `path` (`path` itself without a key). */
export function at(path: string, key?: string): string {
  return key === undefined ? path : `${path}.${key}`;
}

/** Drops undefined fields so that bodies compare and print cleanly. */
export function clean<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) {
    if (o[k] === undefined) delete o[k];
  }
  return o;
}

/** Sets a key as an own property, even `__proto__`. */
export function setKey(o: Obj, key: string, v: unknown): void {
  Object.defineProperty(o, key, { value: v, enumerable: true, writable: true, configurable: true });
}

/** Readers of one wire; each names a wrong field `path` or `path.key` (see {@link fail}). */
export interface Readers {
  readonly wire: 'json' | 'proto';
  /** A nested message. */
  obj(v: unknown, path: string, key?: string): Obj | undefined;
  str(v: unknown, path: string, key?: string): string | undefined;
  int(v: unknown, path: string, key?: string): number | undefined;
  bool(v: unknown, path: string, key?: string): boolean | undefined;
  bytes(v: unknown, path: string, key?: string): Buffer | undefined;
  time(v: unknown, path: string, key?: string): Date | undefined;
  strList(v: unknown, path: string, key?: string): string[] | undefined;
  /** A list of `of` (named in JSON's error text); proto reads an empty list as absent. */
  list(v: unknown, path: string, of: string): unknown[] | undefined;
  /** A free-form value (JSON itself, or JSON held in bytes). */
  value(v: unknown, path: string, key?: string): unknown;
  /** A map of free-form values. */
  map(v: unknown, path: string, key?: string): Record<string, unknown> | undefined;
  /** A word from a fixed set (a string in JSON, an enum in proto, read with `table`). */
  word(table: Readonly<Record<number, string>>, v: unknown, path: string, key?: string): string | undefined;
  /** A part that sets nothing: kept in JSON, absent in proto (which cannot tell it from none). */
  orAbsent<T extends object>(o: T): T | undefined;
}

/** A list of ranges; a range that is null reads as empty. */
export function ranges(r: Readers, v: unknown, path: string): RangeMsg[] | undefined {
  return r.list(v, path, 'ranges')?.map((x, i) => {
    const o = r.obj(x, `${path}[${i}]`) ?? {};
    return clean({ low: r.int(o.low, `${path}[${i}].low`), hi: r.int(o.hi, `${path}[${i}].hi`) });
  });
}

function isJsonObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

function jsonObj(v: unknown, path: string, key?: string): Obj | undefined {
  if (v === undefined || v === null) return undefined;
  return isJsonObj(v) ? v : fail(path, 'an object', key);
}

function jsonStr(v: unknown, path: string, key?: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : fail(path, 'a string', key);
}

/** The readers of JSON packets, as Go's encoding/json decodes them. */
export const JSON_READERS: Readers = {
  wire: 'json',
  obj: jsonObj,
  str: jsonStr,
  int(v, path, key) {
    if (v === undefined || v === null) return undefined;
    return typeof v === 'number' && Number.isSafeInteger(v) ? v : fail(path, 'an integer', key);
  },
  bool(v, path, key) {
    if (v === undefined || v === null) return undefined;
    return typeof v === 'boolean' ? v : fail(path, 'true or false', key);
  },
  /** Standard padded base64, as Go decodes `[]byte`. */
  bytes(v, path, key) {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || !STD_BASE64.test(v)) fail(path, 'base64-encoded bytes', key);
    return Buffer.from(v, 'base64');
  },
  time(v, path, key) {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || !RFC3339.test(v)) fail(path, 'an RFC 3339 time', key);
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? fail(path, 'an RFC 3339 time', key) : d;
  },
  strList(v, path, key) {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) fail(path, 'an array of strings', key);
    return v.map((x, i) => (x === null ? '' : typeof x === 'string' ? x : fail(`${at(path, key)}[${i}]`, 'a string')));
  },
  list(v, path, of) {
    if (v === undefined || v === null) return undefined;
    return Array.isArray(v) ? v : fail(path, `an array of ${of}`);
  },
  value: (v) => v ?? undefined,
  map: jsonObj,
  word: (_table, v, path, key) => jsonStr(v, path, key),
  orAbsent: (o) => o,
};
