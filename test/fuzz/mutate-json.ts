import { clone, isObj, Pairs, Raw, slots, toText, type J, type JObj } from './json-tree.js';
import type { Rng } from './rng.js';
import { anyValue, bigArray, deepNest, mutationCount, nastyNumber, nastyString, otherType, randomTopic } from './values.js';

/**
 * Mutations of a valid JSON client message: structural (drop, duplicate, swap, rename fields,
 * several message kinds in one packet), values (wrong types, numbers at the edges, hostile
 * strings, 10,000-level nesting, 20,000-element arrays, odd topic names and user ids, `extra` with
 * obo and authlevel, ranges out of order), text (truncated, bytes flipped, trailing garbage) and
 * frames that are not a message at all (empty, non-JSON, binary, invalid UTF-8, too big).
 * Each frame comes with the list of what was done to it, for the findings.
 */

/** One frame for a text transport (websocket, long polling). */
export type TextFrame =
  | { kind: 'text'; text: string }
  /** Bytes in a binary frame (websocket) or an HTTP body (long polling). */
  | { kind: 'binary'; data: Buffer }
  /** Bytes that are not UTF-8, in a text frame (websocket) or an HTTP body. */
  | { kind: 'badutf8'; data: Buffer };

export interface MutatedFrame {
  frame: TextFrame;
  /** What was done, in order ("type pub.topic string→array", "deep pub.content: …"). */
  ops: string[];
}

/** Paths whose values are free-form JSON in the protocol: where deep nesting goes first. */
const FREE_FORM = /(^|\.)(content|public|private|trusted|payload|head|aux|params)(\.|$)/;
/** Paths holding lists: where big arrays and odd ranges go first. */
const LISTS = /(^|\.)(tags|delseq|ranges|cred|attachments)$/;

/** Text frames that are not a valid message, each a different way to fail. */
const NOT_MESSAGES: readonly string[] = [
  '',
  ' ',
  '\n',
  'null',
  'true',
  '0',
  '1.5',
  '"pub"',
  '[]',
  '[{"hi":{"id":"x","ver":"0.25"}}]',
  '{}',
  '{"pub":null}',
  '{"pub":[]}',
  '{"hi":{}}',
  '{"hi":1}',
  '{"unknown":{"id":"x"}}',
  'undefined',
  'NaN',
  '{',
  '}',
  '{"',
  '{"hi":',
  '\ufeff{"hi":{"id":"bom","ver":"0.25"}}',
  '{"hi":{"id":"x"}}{"hi":{"id":"y"}}',
  '{"__proto__":{"admin":true},"hi":{"id":"proto","ver":"0.25"}}',
  '{"constructor":{"prototype":{"admin":true}},"get":{"id":"ctor","topic":"me","what":"desc"}}',
];

export class JsonMutator {
  constructor(
    private readonly rng: Rng,
    /** Topic names and user ids to swap in. */
    private readonly names: readonly string[],
    /** Largest frame to send: frames over `max_message_size` end the session, so they are rare. */
    private readonly maxMessageSize: number,
  ) {}

  /** A frame from `msg`: sent as it is, mutated, or replaced by something that is not a message. */
  frame(msg: JObj): MutatedFrame {
    const r = this.rng;
    const choice = r.weighted<'valid' | 'tree' | 'text' | 'special'>([
      [20, 'valid'],
      [62, 'tree'],
      [10, 'text'],
      [8, 'special'],
    ]);
    if (choice === 'valid') return { frame: { kind: 'text', text: toText(msg) }, ops: [] };
    if (choice === 'special') return this.special(msg);
    const ops: string[] = [];
    let tree: J = clone(msg);
    for (let i = mutationCount(r); i > 0; i--) tree = this.mutateTree(tree, ops);
    let text = toText(tree);
    if (choice === 'text') text = this.mutateText(text, ops);
    return { frame: { kind: 'text', text }, ops };
  }

  private mutateTree(root: J, ops: string[]): J {
    const r = this.rng;
    if (!isObj(root)) return root;
    const all = slots(root);
    const slot = r.chance(0.5) ? this.prefer(all) : all.length > 0 ? r.pick(all) : undefined;
    const op = r.weighted<string>([
      [8, 'drop'],
      [4, 'dup'],
      [4, 'swap'],
      [12, 'type'],
      [8, 'number'],
      [8, 'string'],
      [3, 'deep'],
      [2, 'big'],
      [8, 'name'],
      [4, 'extra'],
      [6, 'ranges'],
      [4, 'unknown'],
      [3, 'kind'],
      [2, 'proto'],
      [3, 'null'],
    ]);
    if (!slot) return root;
    const v = slot.get();
    let out: J = root;
    switch (op) {
      case 'drop':
        slot.remove();
        ops.push(`drop ${slot.path}`);
        break;
      case 'dup':
        if (slot.parent) {
          const dupValue = r.chance(0.5) ? anyValue(r) : clone(v);
          const pairs: [string, J][] = Object.keys(slot.parent).map((k) => [k, slot.parent?.[k] ?? null]);
          pairs.splice(r.int(0, pairs.length), 0, [slot.key, dupValue]);
          out = replaceObject(root, slot.parent, new Pairs(pairs));
          ops.push(`duplicate key ${slot.path}`);
        }
        break;
      case 'swap': {
        const sibling = slot.parent ? r.pick(Object.keys(slot.parent)) : undefined;
        if (slot.parent && sibling !== undefined) {
          const other = slot.parent[sibling] ?? null;
          slot.parent[sibling] = v;
          slot.set(other);
          ops.push(`swap ${slot.path} with ${sibling}`);
        }
        break;
      }
      case 'type': {
        const t = otherType(r, v);
        slot.set(t.value);
        ops.push(`type ${slot.path} ${t.note}`);
        break;
      }
      case 'number': {
        const x = nastyNumber(r);
        slot.set(x);
        ops.push(`number ${slot.path}=${x instanceof Raw ? x.text : String(x)}`);
        break;
      }
      case 'string': {
        const s = nastyString(r);
        slot.set(s.value);
        ops.push(`string ${slot.path}: ${s.note}`);
        break;
      }
      case 'deep': {
        const target = FREE_FORM.test(slot.path) ? slot : (this.prefer(all, FREE_FORM) ?? slot);
        const d = deepNest(r);
        target.set(d);
        ops.push(`deep ${target.path}: ${d.note}`);
        break;
      }
      case 'big': {
        const target = this.prefer(all, LISTS) ?? slot;
        const a = bigArray(r);
        target.set(a);
        ops.push(`big array ${target.path}: ${a.note}`);
        break;
      }
      case 'name': {
        const target = this.prefer(all, /(^|\.)(topic|user|obo)$/) ?? slot;
        const name = r.chance(0.5) ? r.pick(this.names) : randomTopic(r);
        target.set(name);
        ops.push(`name ${target.path}=${name.slice(0, 40)}`);
        break;
      }
      case 'extra': {
        const extra: JObj = {};
        if (r.chance(0.7)) extra.obo = r.chance(0.7) ? r.pick(this.names) : nastyString(r).value;
        if (r.chance(0.7)) extra.authlevel = r.pick<J>(['root', 'ROOT', 'auth', 'anon', 'none', '', 30, null]);
        if (r.chance(0.3)) extra.attachments = r.pick<J>([['/v0/file/s/x.jpg'], [1], 'x', bigArray(r)]);
        root.extra = r.chance(0.9) ? extra : anyValue(r);
        ops.push(`extra ${toText(root.extra).slice(0, 80)}`);
        break;
      }
      case 'ranges': {
        const target = this.prefer(all, /(^|\.)(delseq|ranges|since|before|limit|seq|unread|low|hi)$/) ?? slot;
        const ranges: J[] = [];
        for (let i = r.int(1, 6); i > 0; i--) {
          const low = r.chance(0.5) ? r.int(-5, 60) : nastyNumber(r);
          ranges.push(r.chance(0.3) ? { low } : { low, hi: r.chance(0.5) ? r.int(-5, 60) : nastyNumber(r) });
        }
        target.set(/(delseq|ranges)$/.test(target.path) ? ranges : (ranges[0] ?? null));
        ops.push(`ranges ${target.path}=${toText(target.get()).slice(0, 80)}`);
        break;
      }
      case 'unknown':
        (slot.parent ?? root)[r.pick(['x', 'ID', 'Topic', 'what ', '', 'seq', 'set', 'get'])] = anyValue(r);
        ops.push(`unknown key near ${slot.path}`);
        break;
      case 'kind': {
        const [type] = Object.keys(root);
        const other = r.pick(['pub', 'sub', 'leave', 'hi', 'login', 'get', 'set', 'del', 'acc', 'note']);
        if (type !== undefined && r.chance(0.5)) {
          root[other] = root[type] ?? null;
          delete root[type];
          ops.push(`rename ${type} to ${other}`);
        } else {
          root[other] = r.chance(0.5) ? { id: 'second', topic: 'me', what: 'desc' } : anyValue(r);
          ops.push(`second message ${other}`);
        }
        break;
      }
      case 'proto': {
        const key = r.pick(['__proto__', 'constructor', 'prototype']);
        const parent = slot.parent ?? root;
        const pairs: [string, J][] = Object.keys(parent).map((k) => [k, parent[k] ?? null]);
        pairs.push([key, { admin: true, authLvl: 30, uid: 1, toString: 'x' }]);
        out = replaceObject(root, parent, new Pairs(pairs));
        ops.push(`key ${key} in ${slot.parent ? slot.path.replace(/\.[^.]*$/, '') : 'root'}`);
        break;
      }
      case 'null':
        slot.set(null);
        ops.push(`null ${slot.path}`);
        break;
    }
    return out;
  }

  /** A slot whose path matches `re` (free-form fields by default), if there is one. */
  private prefer(all: ReturnType<typeof slots>, re: RegExp = /(topic|content|what|seq|id|secret|mode|user)$/) {
    const hits = all.filter((s) => re.test(s.path));
    return hits.length > 0 ? this.rng.pick(hits) : undefined;
  }

  private mutateText(text: string, ops: string[]): string {
    const r = this.rng;
    const at = r.int(0, text.length);
    switch (r.int(0, 4)) {
      case 0:
        ops.push(`truncate at ${at}/${text.length}`);
        return text.slice(0, at);
      case 1: {
        let t = text;
        const n = r.int(1, 8);
        for (let i = 0; i < n; i++) {
          const p = r.int(0, Math.max(0, t.length - 1));
          t = t.slice(0, p) + String.fromCharCode(r.pick([0x22, 0x7b, 0x7d, 0x5b, 0x5d, 0x3a, 0x2c, 0x5c, 0, r.int(0, 0xffff)])) + t.slice(p + 1);
        }
        ops.push(`flip ${n} chars`);
        return t;
      }
      case 2:
        ops.push('trailing garbage');
        return text + r.pick(['}', ']', ',', ' x', '{"hi":{}}', '\u0000']);
      case 3:
        ops.push(`delete chars ${at}..${at + 5}`);
        return text.slice(0, at) + text.slice(at + 5);
      default:
        ops.push('leading garbage');
        return r.pick(['\ufeff', ' \t\n', 'x', ',', ']']) + text;
    }
  }

  private special(msg: JObj): MutatedFrame {
    const r = this.rng;
    switch (r.weighted([
      [8, 0],
      [3, 1],
      [3, 2],
      [1, 3],
      [1, 4],
      [1, 5],
    ])) {
      case 0: {
        const text = r.pick(NOT_MESSAGES);
        return { frame: { kind: 'text', text }, ops: [`not a message: ${JSON.stringify(text).slice(0, 60)}`] };
      }
      case 1:
        return { frame: { kind: 'binary', data: Buffer.from(toText(msg)) }, ops: ['valid JSON in a binary frame'] };
      case 2:
        return { frame: { kind: 'binary', data: r.bytes(r.size(512)) }, ops: ['random bytes in a binary frame'] };
      case 3: {
        const text = Buffer.from(toText(msg));
        const bad = Buffer.concat([text.subarray(0, text.length >> 1), Buffer.from([r.pick([0xc0, 0xff, 0xed, 0x80])]), text.subarray(text.length >> 1)]);
        return { frame: { kind: 'badutf8', data: bad }, ops: ['invalid UTF-8 in a text frame'] };
      }
      case 4: {
        // Over the server's limit: the connection is closed (1009) or the request refused (413/417).
        const n = this.maxMessageSize + r.int(1, 1024);
        return { frame: { kind: 'text', text: `{"pub":{"id":"big","topic":"me","content":"${'x'.repeat(n)}"}}` }, ops: [`frame over max_message_size (${n} bytes of content)`] };
      }
      default:
        return { frame: { kind: 'text', text: '1' }, ops: ['network probe "1"'] };
    }
  }
}

/** Puts `replacement` where `target` sits in the tree; returns the new root. */
function replaceObject(root: JObj, target: JObj, replacement: Pairs): J {
  if (target === root) return replacement;
  for (const s of slots(root)) {
    if (s.get() === target) {
      s.set(replacement);
      break;
    }
  }
  return root;
}
