/**
 * The fuzzer's model of a JSON client message: plain JSON values plus two escape hatches that
 * `JSON.stringify` cannot express, so that a mutation can ask for them and the serializer writes
 * them without recursion: {@link Raw} text (10,000 levels of nesting, `1e999`, invalid JSON) and
 * {@link Pairs} (an object with duplicate keys or a `__proto__` key, in a given order).
 */

/** Text written as it is in place of a value: deep nesting, odd numbers, broken JSON. */
export class Raw {
  constructor(
    readonly text: string,
    /** What it is, for the findings ("array nested 10000 deep"). */
    readonly note: string,
  ) {}
}

/** An object written key by key, duplicates and `__proto__` included. */
export class Pairs {
  constructor(readonly pairs: [string, J][]) {}
}

export type J = null | boolean | number | string | J[] | JObj | Raw | Pairs;

export interface JObj {
  [key: string]: J;
}

/** A plain JSON object (not an array, {@link Raw} or {@link Pairs}). */
export function isObj(v: J | undefined): v is JObj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Raw) && !(v instanceof Pairs);
}

/** Serializes a tree; {@link Raw} goes in as it is, {@link Pairs} keeps its duplicates. */
export function toText(v: J): string {
  if (v instanceof Raw) return v.text;
  if (v instanceof Pairs) return `{${v.pairs.map(([k, x]) => `${JSON.stringify(k)}:${toText(x)}`).join(',')}}`;
  if (Array.isArray(v)) return `[${v.map(toText).join(',')}]`;
  if (isObj(v)) {
    return `{${Object.keys(v)
      .map((k) => `${JSON.stringify(k)}:${toText(v[k] ?? null)}`)
      .join(',')}}`;
  }
  // JSON.stringify writes NaN and Infinity as null; the mutator uses Raw when it wants them.
  return JSON.stringify(v);
}

/** A deep copy (Raw is immutable and shared). */
export function clone(v: J): J {
  if (v instanceof Raw) return v;
  if (v instanceof Pairs) return new Pairs(v.pairs.map(([k, x]) => [k, clone(x)]));
  if (Array.isArray(v)) return v.map(clone);
  if (isObj(v)) {
    const out: JObj = {};
    for (const k of Object.keys(v)) out[k] = clone(v[k] ?? null);
    return out;
  }
  return v;
}

/** Where a value sits: its parent container and key, for in-place mutation. */
export interface Slot {
  /** Dotted path from the message root, for the findings ("pub.content"). */
  path: string;
  get(): J;
  set(v: J): void;
  /** Removes the value from its parent (an object key or an array element). */
  remove(): void;
  /** The parent when it is an object, for swaps and duplicates. */
  parent: JObj | null;
  key: string;
}

/** Every value slot of the tree below `root` (the root itself excluded), depth-first. */
export function slots(root: J, path = ''): Slot[] {
  let entries: { key: string; path: string }[] = [];
  if (isObj(root)) entries = Object.keys(root).map((k) => ({ key: k, path: path ? `${path}.${k}` : k }));
  else if (Array.isArray(root)) entries = root.map((_, i) => ({ key: String(i), path: `${path}[${i}]` }));
  const parent = isObj(root) ? root : null;
  const items = Array.isArray(root) ? root : null;
  return entries.flatMap(({ key, path: p }) => {
    const slot: Slot = {
      path: p,
      get: () => (items ? items[Number(key)] : parent?.[key]) ?? null,
      set: (v) => {
        if (items) items[Number(key)] = v;
        else if (parent) parent[key] = v;
      },
      remove: () => {
        if (items) items.splice(Number(key), 1);
        else if (parent) delete parent[key];
      },
      parent,
      key,
    };
    return [slot, ...slots(slot.get(), p)];
  });
}
