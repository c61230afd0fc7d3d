/**
 * Access modes: the bit set `JRWPASDO` (or `N` for none) of Tinode's access control.
 * Modes are plain numbers; {@link MODE_UNSET} marks "not given", distinct from {@link MODE_NONE}.
 */

export const MODE_JOIN = 0x01; // J
export const MODE_READ = 0x02; // R
export const MODE_WRITE = 0x04; // W
export const MODE_PRES = 0x08; // P
export const MODE_APPROVE = 0x10; // A
export const MODE_SHARE = 0x20; // S
export const MODE_DELETE = 0x40; // D
export const MODE_OWNER = 0x80; // O
/** "Not set": used where a mode is optional, e.g. in search results. */
export const MODE_UNSET = 0x100;
/** No access ("N"). */
export const MODE_NONE = 0;
/** Every valid bit. */
export const MODE_BITMASK = 0xff;

/** Normal member of a group topic: JRWPS. */
export const MODE_CPUBLIC = MODE_JOIN | MODE_READ | MODE_WRITE | MODE_PRES | MODE_SHARE;
/** A user's subscription to `me` and `fnd`: JPS. */
export const MODE_CME_FND = MODE_JOIN | MODE_PRES | MODE_SHARE;
/** A user's subscription to `slf`: JRWDO. */
export const MODE_CSELF = MODE_JOIN | MODE_READ | MODE_WRITE | MODE_DELETE | MODE_OWNER;
/** Owner of a topic: JRWPASDO. */
export const MODE_CFULL = MODE_BITMASK;
/** Default p2p mode: JRWPA. */
export const MODE_CP2P = MODE_JOIN | MODE_READ | MODE_WRITE | MODE_PRES | MODE_APPROVE;
/** p2p mode when hard-deleting is enabled: JRWPAD. */
export const MODE_CP2PD = MODE_CP2P | MODE_DELETE;
/** Default `auth` access to a user: JRWPAS. */
export const MODE_CAUTH = MODE_CP2P | MODE_CPUBLIC;
/** Read-only: JR. */
export const MODE_CREADONLY = MODE_JOIN | MODE_READ;
/** Root's access to `sys`: JRWPD. */
export const MODE_CSYS = MODE_JOIN | MODE_READ | MODE_WRITE | MODE_PRES | MODE_DELETE;
/** Channel publisher: RWPS. */
export const MODE_CCHN_WRITER = MODE_READ | MODE_WRITE | MODE_PRES | MODE_SHARE;
/** Channel reader: JRP. */
export const MODE_CCHN_READER = MODE_JOIN | MODE_READ | MODE_PRES;

const LETTERS = 'JRWPASDO';

/** The letters of a mode, `N` for none. Unset modes print as the empty string. */
export function modeToString(mode: number): string {
  if (mode === MODE_UNSET) {
    return '';
  }
  if ((mode & MODE_BITMASK) === MODE_NONE) {
    return 'N';
  }
  let out = '';
  for (let i = 0; i < LETTERS.length; i++) {
    if (mode & (1 << i)) {
      out += LETTERS[i];
    }
  }
  return out;
}

/**
 * Parses letters (any case) into a mode. The empty string gives {@link MODE_UNSET}; `N` alone gives
 * {@link MODE_NONE}. Returns null for an unknown letter or `N` combined with others.
 */
export function parseMode(text: string): number | null {
  let mode = MODE_UNSET;
  for (const ch of text.toUpperCase()) {
    if (ch === 'N') {
      if (mode !== MODE_UNSET) {
        return null;
      }
      return MODE_NONE;
    }
    const bit = LETTERS.indexOf(ch);
    if (bit < 0) {
      return null;
    }
    mode = (mode & MODE_BITMASK) | (1 << bit);
  }
  return mode;
}

/**
 * Applies an assignment (`JRW`) or a delta (`+W-P`) to a mode. Returns null when malformed.
 */
export function applyModeMutation(mode: number, mutation: string): number | null {
  if (mutation === '') {
    return mode;
  }
  if (!/[+-]/.test(mutation)) {
    const parsed = parseMode(mutation);
    if (parsed === null) {
      return null;
    }
    return parsed === MODE_UNSET ? mode : parsed;
  }
  if (mutation === 'N') {
    return mode;
  }
  let result = mode === MODE_UNSET ? MODE_NONE : mode;
  const parts = mutation.match(/[+-][^+-]*/g);
  if (!parts || parts.join('') !== mutation) {
    return null;
  }
  for (const part of parts) {
    const bits = parseMode(part.slice(1));
    if (bits === null) {
      return null;
    }
    if (bits === MODE_UNSET) {
      continue;
    }
    result = part[0] === '+' ? result | bits : result & ~bits;
  }
  return result & MODE_BITMASK;
}

/** The delta from `from` to `to` as `+ADDED-REMOVED`; '' when equal. */
export function modeDelta(from: number, to: number): string {
  const removed = from & ~to & MODE_BITMASK;
  const added = to & ~from & MODE_BITMASK;
  return (added ? '+' + modeToString(added) : '') + (removed ? '-' + modeToString(removed) : '');
}

/** Default access of a topic or user for authenticated and anonymous users. */
export interface DefaultAccess {
  auth: number;
  anon: number;
}
