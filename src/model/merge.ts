import { NULL_VALUE } from './tags.js';

/**
 * Merging a client's partial update into an opaque value (public, private, trusted), as the
 * reference does: objects merge key by key (recursively); the null-value string `"␡"` deletes
 * (a key, or the whole value); anything else replaces. Returns the new value and whether it
 * changed.
 */
export function mergeValue(dst: unknown, src: unknown): { value: unknown; changed: boolean } {
  if (src === undefined || src === null) {
    return { value: dst, changed: false };
  }
  if (isPlainObject(src)) {
    return mergeObjects(isPlainObject(dst) ? dst : null, src);
  }
  if (src === NULL_VALUE) {
    return { value: null, changed: dst !== null && dst !== undefined };
  }
  return { value: src, changed: true };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function mergeObjects(dst: Record<string, unknown> | null, src: Record<string, unknown>): { value: unknown; changed: boolean } {
  if (Object.keys(src).length === 0) {
    return { value: dst, changed: false };
  }
  const out: Record<string, unknown> = { ...(dst ?? {}) };
  let changed = false;
  for (const [key, val] of Object.entries(src)) {
    if (isPlainObject(val)) {
      const inner = mergeObjects(isPlainObject(out[key]) ? (out[key] as Record<string, unknown>) : null, val);
      out[key] = inner.value;
      changed ||= inner.changed;
    } else if (typeof val === 'string') {
      changed = true;
      if (val === NULL_VALUE) {
        delete out[key];
      } else {
        out[key] = val;
      }
    } else if (val !== null && val !== undefined) {
      out[key] = val;
      changed = true;
    }
  }
  return { value: out, changed };
}
