/**
 * Object ids as Tinode shows them: an unsigned 64-bit value written as 8 little-endian bytes in
 * unpadded base64url (11 characters). Users are `usr<id>`, p2p topics `p2p<id1><id2>` with the
 * smaller id first.
 */

/** An encrypted (client-visible) object id. `0n` means "no id". */
export type Uid = bigint;

/** The zero id. */
export const ZERO_UID: Uid = 0n;

const UID_B64_LEN = 11;
const P2P_B64_LEN = 22;
const UINT64_MASK = (1n << 64n) - 1n;

/** Little-endian bytes of a 64-bit value. */
export function uidToBytes(uid: Uid): Buffer {
  const buf = Buffer.alloc(8);
  buf.writeBigUInt64LE(uid & UINT64_MASK);
  return buf;
}

/** Inverse of {@link uidToBytes}; needs at least 8 bytes. */
export function uidFromBytes(buf: Uint8Array, offset = 0): Uid {
  return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).readBigUInt64LE(offset);
}

/** Base64url form of an id; the empty string for the zero id. */
export function uidToString(uid: Uid): string {
  if (uid === ZERO_UID) {
    return '';
  }
  return uidToBytes(uid).toString('base64url');
}

/** Parses the 11-character base64url form; returns the zero id for anything else. */
export function parseUid(s: string): Uid {
  if (s.length !== UID_B64_LEN || !/^[A-Za-z0-9_-]+$/.test(s)) {
    return ZERO_UID;
  }
  const buf = Buffer.from(s, 'base64url');
  return buf.length < 8 ? ZERO_UID : buf.readBigUInt64LE(0);
}

/** `prefix` + id, or the empty string for the zero id. */
export function prefixId(prefix: string, uid: Uid): string {
  return uid === ZERO_UID ? '' : prefix + uidToString(uid);
}

/** `usr<id>`. */
export function userId(uid: Uid): string {
  return prefixId('usr', uid);
}

/** Parses `usr<id>`; zero id when the string is not one. */
export function parseUserId(s: string): Uid {
  return s.startsWith('usr') ? parseUid(s.slice(3)) : ZERO_UID;
}

/** The name of the `fnd` subscription record of a user: `fnd<id>`. */
export function fndName(uid: Uid): string {
  return prefixId('fnd', uid);
}

/** The name of a user's saved-messages topic: `slf<id>`. */
export function slfName(uid: Uid): string {
  return prefixId('slf', uid);
}

/** Name of the p2p topic between two distinct users, or '' when either is zero or they are equal. */
export function p2pName(a: Uid, b: Uid): string {
  if (a === ZERO_UID || b === ZERO_UID || a === b) {
    return '';
  }
  const [lo, hi] = a < b ? [a, b] : [b, a];
  return 'p2p' + Buffer.concat([uidToBytes(lo), uidToBytes(hi)]).toString('base64url');
}

/** The two users of a p2p topic name, or null when the name is not a valid p2p name. */
export function parseP2P(name: string): [Uid, Uid] | null {
  if (!name.startsWith('p2p')) {
    return null;
  }
  const body = name.slice(3);
  if (body.length !== P2P_B64_LEN || !/^[A-Za-z0-9_-]+$/.test(body)) {
    return null;
  }
  const buf = Buffer.from(body, 'base64url');
  if (buf.length < 16) {
    return null;
  }
  return [buf.readBigUInt64LE(0), buf.readBigUInt64LE(8)];
}

/** The peer's `usr…` name of a p2p topic as seen by `uid`; '' when the name is not p2p. */
export function p2pNameForUser(uid: Uid, p2p: string): string {
  const pair = parseP2P(p2p);
  if (!pair) {
    return '';
  }
  return userId(pair[0] === uid ? pair[1] : pair[0]);
}

/** `grp…` → `chn…`; a `chn…` name is returned as is; '' for anything else. */
export function grpToChn(name: string): string {
  if (name.startsWith('grp')) {
    return 'chn' + name.slice(3);
  }
  return name.startsWith('chn') ? name : '';
}

/** `chn…` → `grp…`; a `grp…` name is returned as is; '' for anything else. */
export function chnToGrp(name: string): string {
  if (name.startsWith('chn')) {
    return 'grp' + name.slice(3);
  }
  return name.startsWith('grp') ? name : '';
}

/** Whether a name refers to a channel (`chn…`). */
export function isChannel(name: string): boolean {
  return name.startsWith('chn');
}
