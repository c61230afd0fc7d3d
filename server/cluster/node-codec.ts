/**
 * How values travel between the nodes of a cluster: JSON, with the few kinds JSON has no word for
 * (Date, bigint, bytes) written as one-key objects under a tag the wire never uses. A value's own
 * object whose only key starts with the tag character is wrapped, so whatever a client sent (its
 * `content`, `public`...) arrives exactly as it left.
 */

const TAG = '\u0000';
const DATE = TAG + 'd';
const BIG = TAG + 'b';
const BYTES = TAG + 'u';
const OBJ = TAG + 'o';

type Plain = null | boolean | number | string | Plain[] | { [k: string]: Plain };

function out(v: unknown): Plain | undefined {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isFinite(v) ? v : null;
    case 'bigint':
      return { [BIG]: v.toString() };
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (v === null) return null;
  if (v instanceof Date) return { [DATE]: v.getTime() };
  if (v instanceof Uint8Array) return { [BYTES]: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  if (Array.isArray(v)) return v.map((x) => out(x) ?? null);
  const o: Record<string, Plain> = {};
  let keys = 0;
  let first = '';
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const w = out(x);
    if (w === undefined) continue;
    o[k] = w;
    if (keys++ === 0) first = k;
  }
  return keys === 1 && first.startsWith(TAG) ? { [OBJ]: o } : o;
}

function back(v: Plain, wrapped = false): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => back(x));
  const keys = Object.keys(v);
  if (!wrapped && keys.length === 1) {
    const k = keys[0]!;
    const x = v[k]!;
    if (k === DATE && typeof x === 'number') return new Date(x);
    if (k === BIG && typeof x === 'string') return BigInt(x);
    if (k === BYTES && typeof x === 'string') return new Uint8Array(Buffer.from(x, 'base64'));
    if (k === OBJ && x !== null && typeof x === 'object' && !Array.isArray(x)) return back(x, true);
  }
  const o: Record<string, unknown> = {};
  for (const k of keys) o[k] = back(v[k]!);
  return o;
}

/** The text of a value for another node. */
export function encodeNode(v: unknown): string {
  return JSON.stringify(out(v) ?? null);
}

/** A value from another node, as it was before {@link encodeNode}. */
export function decodeNode<T>(text: string | Uint8Array): T {
  const s = typeof text === 'string' ? text : Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('utf8');
  return back(JSON.parse(s) as Plain) as T;
}
