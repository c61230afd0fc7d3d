/** The parts of topic metadata a `{get}` or `{set}` names (`what: "desc sub tags"`). */
export const META_DESC = 1;
export const META_SUB = 2;
export const META_DATA = 4;
export const META_TAGS = 8;
export const META_DEL = 16;
export const META_CRED = 32;
export const META_AUX = 64;

const NAMES: Record<string, number> = {
  desc: META_DESC,
  sub: META_SUB,
  data: META_DATA,
  tags: META_TAGS,
  del: META_DEL,
  cred: META_CRED,
  aux: META_AUX,
};

/** The bits of a space-separated `what`; unknown words are ignored; 0 when nothing known. */
export function metaWhat(what: string): number {
  let bits = 0;
  for (const w of what.split(' ').slice(0, 8)) {
    bits |= NAMES[w] ?? 0;
  }
  return bits;
}
