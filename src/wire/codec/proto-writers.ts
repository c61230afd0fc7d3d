import type { DefaultAcsMsg, RangeMsg } from '../server-messages.js';
import { setKey, type Obj } from './readers.js';
import { isZero } from './writers.js';
import type { PbDefaultAcsMode, PbSeqRange } from './proto-types.js';

/** Writing protobufjs plain objects: proto3 zero values are left out, free-form values become JSON bytes. */


/** Adds a field unless it holds a proto3 zero value. */
export function put(o: Obj, key: string, v: unknown): void {
  if (!isZero(v)) o[key] = v;
}

export function ms(d: Date | undefined): number | undefined {
  if (!d) return undefined;
  const t = d.getTime();
  return Number.isNaN(t) || t <= 0 ? undefined : t;
}

/** The JSON encoding of a value as bytes; undefined for null/undefined. */
export function toJsonBytes(v: unknown): Buffer | undefined {
  if (v === undefined || v === null) return undefined;
  const text = JSON.stringify(v) as string | undefined;
  return text === undefined ? undefined : Buffer.from(text, 'utf8');
}

/** A map<string, bytes> of JSON values; null values are left out. */
export function toJsonMap(m: Record<string, unknown> | undefined): Record<string, Buffer> | undefined {
  if (!m) return undefined;
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(m)) {
    const b = toJsonBytes(v);
    if (b) setKey(out, k, b);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export function toRanges(rs: RangeMsg[] | undefined): PbSeqRange[] | undefined {
  return rs?.map((r) => {
    const o: Obj = {};
    put(o, 'low', r.low);
    put(o, 'hi', r.hi);
    return o as PbSeqRange;
  });
}

export function toDefacs(d: DefaultAcsMsg | undefined): PbDefaultAcsMode | undefined {
  if (!d) return undefined;
  const o: Obj = {};
  put(o, 'auth', d.auth);
  put(o, 'anon', d.anon);
  return o;
}
