import { fail } from './readers.js';

/**
 * The enumerations of the proto wire: the JSON word of each non-zero value. The proto name is the
 * word in upper case with '-' as '_'. A word with no value encodes as the zero value, which
 * decodes as '' (or absent, as the caller chooses).
 */
export type EnumTable = Readonly<Record<number, string>>;

/** pbx.ClientDel.What */
export const DEL_WHAT: EnumTable = { 1: 'msg', 2: 'topic', 3: 'sub', 4: 'user', 5: 'cred' };
/** pbx.InfoNote */
export const INFO_NOTE: EnumTable = { 1: 'read', 2: 'recv', 3: 'kp', 4: 'call' };
/** pbx.CallEvent */
export const CALL_EVENT: EnumTable = { 1: 'accept', 2: 'answer', 3: 'hang-up', 4: 'ice-candidate', 5: 'invite', 6: 'offer', 7: 'ringing' };
/** pbx.ServerPres.What */
export const PRES_WHAT: EnumTable = {
  1: 'on',
  2: 'off',
  3: 'ua',
  4: 'upd',
  5: 'gone',
  6: 'acs',
  7: 'term',
  8: 'msg',
  9: 'read',
  10: 'recv',
  11: 'del',
  12: 'tags',
  13: 'aux',
};
/** pbx.AuthLevel */
export const AUTH_LEVEL: EnumTable = { 10: 'anon', 20: 'auth', 30: 'root' };

function protoName(word: string): string {
  return word.toUpperCase().replace(/-/g, '_');
}

/** The proto name of a JSON word (case-insensitive), or undefined when the enum has none. */
export function enumEncode(table: EnumTable, word: string | undefined): string | undefined {
  if (!word) return undefined;
  const name = protoName(word);
  return Object.values(table).some((w) => protoName(w) === name) ? name : undefined;
}

/** The JSON word of an enum value given by name or number; '' for zero or unknown values. */
export function enumDecode(table: EnumTable, v: unknown, path: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number' && Number.isInteger(v)) return table[v] ?? '';
  if (typeof v === 'string') {
    return Object.values(table).find((w) => protoName(w) === v) ?? '';
  }
  return fail(path, 'an enum name or number');
}
