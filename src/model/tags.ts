/**
 * Tag rules: plain tags (`travel`) and prefixed ones (`email:alice@example.com`), normalization of
 * what clients send, and the namespaces users may not change directly (`basic`, `email`, `tel`).
 */

/** Shortest and longest tag in characters (sent to clients in `{hi}` params). */
export const MIN_TAG_LENGTH = 2;
export const MAX_TAG_LENGTH = 96;

const PREFIXED = /^([a-z]\w{1,15}):([-_+.!?#@\p{L}\p{N}]{1,96})$/u;
const PLAIN = /^[-_+.!?#@\p{L}\p{N}]{1,96}$/u;

/** The "delete this value" marker. */
export const NULL_VALUE = '\u2421';

/** Splits a tag into namespace and value: `['email', 'a@b.c']`, `['', 'travel']`, or `['', '']` when invalid. */
export function validateTag(tag: string): [string, string] {
  const m = PREFIXED.exec(tag);
  if (m) {
    return [m[1]!, m[2]!];
  }
  return PLAIN.test(tag) ? ['', tag] : ['', ''];
}

/** Whether a tag has a namespace prefix. */
export function isPrefixed(tag: string): boolean {
  return PREFIXED.test(tag);
}

/**
 * Normalizes tags from a client: at most `maxTags` are considered; trimmed, lowercased, sorted,
 * deduplicated; too short, too long or not starting with a letter or digit are dropped.
 * A list holding the null value means "remove all tags" (an empty list). null when no list was sent.
 */
export function normalizeTags(src: readonly string[] | undefined | null, maxTags: number): string[] | null {
  if (!src) {
    return null;
  }
  const list = src.slice(0, maxTags).map((t) => t.trim().toLowerCase());
  list.sort();
  const out: string[] = [];
  let prev = '';
  for (const tag of list) {
    if (tag === NULL_VALUE) {
      return [];
    }
    const chars = [...tag];
    if (chars.length < MIN_TAG_LENGTH || chars.length > MAX_TAG_LENGTH || tag === prev) {
      continue;
    }
    if (/^[\p{L}\p{N}]/u.test(tag)) {
      out.push(tag);
      prev = tag;
    }
  }
  return out;
}

/** The tags whose namespace is in `namespaces`. */
export function filterTags(tags: readonly string[], namespaces: ReadonlySet<string>): string[] {
  if (namespaces.size === 0) {
    return [];
  }
  return tags.filter((t) => {
    const m = PREFIXED.exec(t);
    return m !== null && namespaces.has(m[1]!);
  });
}

/** Whether two tag lists hold the same restricted tags. */
export function restrictedTagsEqual(a: readonly string[], b: readonly string[], namespaces: ReadonlySet<string>): boolean {
  const ra = filterTags(a, namespaces).sort();
  const rb = filterTags(b, namespaces).sort();
  return ra.length === rb.length && ra.every((t, i) => t === rb[i]);
}

/** Whether the list has two tags in the `unique` namespace. */
export function hasDuplicateNamespaceTags(tags: readonly string[], unique: string): boolean {
  let seen = false;
  for (const t of tags) {
    const m = PREFIXED.exec(t);
    if (m && m[1] === unique) {
      if (seen) {
        return true;
      }
      seen = true;
    }
  }
  return false;
}

/** Sorted set difference: what `next` adds to and removes from `prev`. */
export function tagDelta(prev: readonly string[], next: readonly string[]): { added: string[]; removed: string[] } {
  const p = new Set(prev);
  const n = new Set(next);
  return { added: [...n].filter((t) => !p.has(t)).sort(), removed: [...p].filter((t) => !n.has(t)).sort() };
}

/** What the config says of tags: namespaces users may not change or search, and the alias namespace. */
export interface TagPolicy {
  /** Namespaces users cannot change directly (from auth schemes and validators). */
  immutable: ReadonlySet<string>;
  /** Namespaces that cannot be searched directly. */
  masked: ReadonlySet<string>;
  /** Namespace of globally unique aliases ('' for none). */
  alias: string;
}
