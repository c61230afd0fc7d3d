import { Raw, type J, type JObj } from './json-tree.js';
import type { Rng } from './rng.js';

/**
 * Hostile values for the mutator: strings that parse as something else, numbers at the edges of
 * every integer type, text no decoder expects, nesting and arrays of every size, names that look
 * like topics and user ids but are not.
 */

/** How many mutations a frame gets: mostly one, sometimes two, now and then four. */
export function mutationCount(rng: Rng): number {
  return rng.weighted([
    [6, 1],
    [3, 2],
    [1, 4],
  ]);
}

/** Strings that another layer may read as a number, a keyword, a path or a template. */
export const NAN_ISH: readonly string[] = [
  'NaN',
  'Infinity',
  '-Infinity',
  '-1',
  '0',
  '-0',
  '1e5',
  '0x10',
  '1.5',
  '9007199254740993',
  '',
  ' ',
  'null',
  'undefined',
  'true',
  '[object Object]',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '%00',
  '../../../etc/passwd',
  '<script>alert(1)</script>',
  "'; DROP TABLE users; --",
  '${7*7}',
  '{{7*7}}',
];

/** Single code points and short sequences that break naive text handling. */
const ODD_CHARS: readonly string[] = [
  '\u0000',
  '\u0001',
  '\u0007',
  '\b',
  '\t',
  '\n',
  '\r',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u200b',
  '\u200d',
  '\u202e',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\ufffd',
  '\uffff',
  '\ufffe',
  '\ud800',
  '\udbff',
  '\udc00',
  '\udfff',
  '\ud83d\ude00',
  'e\u0301\u0301\u0301',
  '\u0645\u0631\u062d\u0628\u0627',
  '\u4f60\u597d',
  '\ud800\ud800',
  '"',
  '\\',
  '/',
  '%',
  '\u{10ffff}',
];

/** A string no decoder expects; `note` says which kind it is. */
export function nastyString(rng: Rng): { value: string; note: string } {
  switch (rng.int(0, 5)) {
    case 0:
      return { value: rng.pick(NAN_ISH), note: 'nan-ish string' };
    case 1: {
      // Up to about 60 KB as JSON ('\u0000' and lone surrogates take 6 bytes escaped, é 2,
      // the emoji 4): long, but under max_message_size with the rest of the message.
      const [unit, bytes] = rng.pick<[string, number]>([
        ['a', 1],
        ['\u00e9', 2],
        ['\ud83d\ude00', 4],
        ['\u0000', 6],
        ['\ud800', 6],
      ]);
      const n = Math.floor(rng.pick([1_000, 10_000, 60_000]) / bytes);
      return { value: unit.repeat(n), note: `long string (${n} × ${JSON.stringify(unit)})` };
    }
    case 2: {
      let s = '';
      const n = rng.size(64) + 1;
      for (let i = 0; i < n; i++) s += rng.pick(ODD_CHARS);
      return { value: s, note: 'control, unicode and lone-surrogate chars' };
    }
    case 3: {
      let s = '';
      const n = rng.size(200) + 1;
      for (let i = 0; i < n; i++) s += String.fromCharCode(rng.int(0, 0xffff));
      return { value: s, note: 'random UTF-16 units' };
    }
    case 4:
      return { value: rng.pick(['usr', 'grp', 'p2p', 'chn', 'nch', 'new', 'me', 'fnd', 'sys']) + rng.pick(ODD_CHARS), note: 'topic prefix plus odd char' };
    default:
      return { value: randomTopic(rng), note: 'random topic name' };
  }
}

/** A number at an edge: sign, integer width, precision, or not representable at all (as text). */
export function nastyNumber(rng: Rng): J {
  return rng.pick<J>([
    0,
    -1,
    -2147483648,
    2147483647,
    2147483648,
    4294967296,
    -4294967297,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 1,
    -Number.MAX_SAFE_INTEGER - 2,
    2 ** 63,
    -(2 ** 63),
    1e308,
    -1e308,
    5e-324,
    0.5,
    -0.25,
    rng.int(-1_000_000, 1_000_000),
    new Raw('1e999', 'number 1e999 (Infinity)'),
    new Raw('-1e999', 'number -1e999'),
    new Raw('-0', 'number -0'),
    new Raw('1.0', 'number 1.0'),
    new Raw('1E2', 'number 1E2'),
    new Raw('123456789012345678901234567890', 'number with 30 digits'),
    new Raw('0.0000000000000000000000000001', 'tiny decimal'),
  ]);
}

/**
 * Text nested `depth` levels deep, written without recursion; at most 80 KB, so that it fits in
 * a message under max_message_size (128 KB by default).
 */
export function deepNest(rng: Rng, depth = rng.pick([64, 1_000, 10_000, 10_000, 20_000])): Raw {
  switch (rng.int(0, 3)) {
    case 0:
      return new Raw('['.repeat(depth) + ']'.repeat(depth), `array nested ${depth} deep`);
    case 1: {
      const d = Math.min(depth, 12_000);
      return new Raw('{"a":'.repeat(d) + '1' + '}'.repeat(d), `object nested ${d} deep`);
    }
    case 2: {
      const d = Math.min(depth, 10_000);
      return new Raw('[{"a":'.repeat(d / 2) + 'null' + '}]'.repeat(d / 2), `array/object nested ${d} deep`);
    }
    default: {
      // Deep but unbalanced: a parser must fail without running out of stack.
      return new Raw('['.repeat(depth), `unclosed array nested ${depth} deep`);
    }
  }
}

/**
 * An array of up to 20,000 small elements, at most about 80 KB, as JSON text (built once: the
 * mutator never looks inside it).
 */
export function bigArray(rng: Rng): Raw {
  const [unit, bytesEach] = rng.pick<[(i: number) => string, number]>([
    [(i) => String(i), 7],
    [(i) => `"t${i}"`, 9],
    [(i) => `{"low":${i},"hi":${i + 1}}`, 25],
    [() => 'null', 5],
    [() => '[]', 3],
  ]);
  const n = Math.min(rng.pick([1_000, 5_000, 20_000]), Math.floor(80_000 / bytesEach));
  const items: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) items[i] = unit(i);
  return new Raw(`[${items.join(',')}]`, `array of ${n} ${unit(0)}`);
}

/** Any JSON value, shallow. */
export function anyValue(rng: Rng): J {
  switch (rng.int(0, 7)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return nastyNumber(rng);
    case 3:
      return nastyString(rng).value;
    case 4:
      return [];
    case 5:
      return {};
    case 6:
      return [rng.int(0, 9), 'x', null, { a: 1 }];
    default:
      return { a: rng.int(0, 9), b: 'x', c: [true] };
  }
}

type Kind = 'null' | 'bool' | 'number' | 'string' | 'array' | 'object' | 'raw';

function kindOf(v: J): Kind {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) return 'array';
  return v instanceof Raw ? 'raw' : 'object';
}

/** A value of another JSON type than `v` (string↔number↔object↔array↔null↔bool). */
export function otherType(rng: Rng, v: J): { value: J; note: string } {
  const from = kindOf(v);
  const choices: [Kind, () => J][] = [
    ['null', () => null],
    ['bool', () => rng.chance(0.5)],
    ['number', () => nastyNumber(rng)],
    ['string', () => (typeof v === 'number' ? String(v) : nastyString(rng).value)],
    ['array', () => (rng.chance(0.5) ? [] : [v])],
    ['object', (): JObj => (rng.chance(0.5) ? {} : { value: v })],
  ];
  const [to, make] = rng.pick(choices.filter(([k]) => k !== from));
  return { value: make(), note: `${from}→${to}` };
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** `len` characters of base64url. */
export function b64chars(rng: Rng, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += B64URL[rng.int(0, 63)];
  return s;
}

/** A name shaped like a topic or user id, valid or nearly so. */
export function randomTopic(rng: Rng): string {
  const prefix = rng.pick(['usr', 'grp', 'p2p', 'chn', 'nch', 'new', 'fnd', 'me', 'sys', 'slf', 'USR', 'Grp', '']);
  switch (rng.int(0, 5)) {
    case 0:
      return prefix + b64chars(rng, 11);
    case 1:
      return prefix + b64chars(rng, 22);
    case 2:
      return prefix + b64chars(rng, rng.int(0, 40));
    case 3:
      return prefix + 'AAAAAAAAAAA';
    case 4:
      return prefix + '=/+!'.repeat(rng.int(1, 4));
    default:
      return prefix + 'A'.repeat(rng.pick([100, 1_000, 10_000]));
  }
}
