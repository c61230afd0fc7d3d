import protobuf from 'protobufjs';
import { toText } from './json-tree.js';
import type { ValidMessage } from './messages.js';
import { encodeClient, protoTypes, toProto, type PbObj, type PbValue } from './proto.js';
import type { Rng } from './rng.js';
import { bigArray, deepNest, mutationCount, nastyString } from './values.js';

/**
 * Mutations of a valid `ClientMsg` for gRPC, at two levels. On the object, guided by the schema:
 * a field dropped or set to an edge value of its type (int32 and int64 extremes, enum numbers
 * out of range, strings with lone surrogates, JSON bytes that are deep, huge, invalid or not
 * UTF-8, repeated fields and maps with thousands of entries). On the bytes: truncated, flipped,
 * spliced, a field with the wrong wire type at any depth (type confusion), unknown fields,
 * 10,000 nested groups, varints that never end, lengths past the end, two oneof members, a
 * `ServerMsg` or JSON text in place of a `ClientMsg`, random bytes, nothing at all.
 */

export interface ProtoFrame {
  data: Buffer;
  ops: string[];
}

/** Wire types: varint, 64-bit, length-delimited, start group, end group, 32-bit. */
const WIRE_TYPES = [0, 1, 2, 3, 4, 5] as const;

function varint(n: number | bigint): Buffer {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Buffer.from(out);
}

const tag = (field: number, wt: number) => varint(BigInt(field) * 8n + BigInt(wt));
const lenField = (field: number, body: Buffer) => Buffer.concat([tag(field, 2), varint(body.length), body]);

/** The wire type a field is written with. */
function wireTypeOf(field: protobuf.Field): number {
  if (field.map || field.resolvedType instanceof protobuf.Type) return 2;
  if (field.repeated && ['string', 'bytes'].includes(field.type)) return 2;
  switch (field.type) {
    case 'string':
    case 'bytes':
      return 2;
    case 'fixed64':
    case 'sfixed64':
    case 'double':
      return 1;
    case 'fixed32':
    case 'sfixed32':
    case 'float':
      return 5;
    default:
      return 0;
  }
}

/** A payload of wire type `wt` (for end group: nothing). */
function payload(rng: Rng, wt: number): Buffer {
  switch (wt) {
    case 0:
      return varint(rng.pick<number | bigint>([0, 1, 127, 2 ** 31, -1, 2n ** 63n, 2 ** 53]));
    case 1:
      return rng.bytes(8);
    case 2: {
      const body = rng.chance(0.5) ? rng.bytes(rng.size(64)) : Buffer.from('{"a":1}');
      return Buffer.concat([varint(body.length), body]);
    }
    case 3:
      return Buffer.concat([tag(1, 0), varint(1), tag(rng.int(1, 20), 4)]);
    case 5:
      return rng.bytes(4);
    default:
      return Buffer.alloc(0);
  }
}

export class ProtoMutator {
  constructor(
    private readonly rng: Rng,
    private readonly names: readonly string[],
    /**
     * Whether `{del what=USER}` may be drawn: not for sessions of the sample users, who must stay
     * usable for the whole run (deleting oneself is a valid request, and the end of that user).
     */
    private readonly mayDeleteSelf: boolean,
  ) {}

  frame(valid: ValidMessage): ProtoFrame {
    const r = this.rng;
    const msg = toProto(valid);
    let choice = r.weighted<'valid' | 'object' | 'wire' | 'special'>([
      [20, 'valid'],
      [45, 'object'],
      [25, 'wire'],
      [10, 'special'],
    ]);
    const ops: string[] = [];
    if (choice === 'special') return this.special(valid);
    if (choice === 'wire' && valid.type === 'del' && !this.mayDeleteSelf) {
      // A flipped bit turns `what` into USER as easily as into anything else.
      choice = 'object';
    }
    if (choice === 'object') {
      for (let i = mutationCount(r); i > 0; i--) this.mutateObject(msg, ops);
    }
    let data: Buffer;
    try {
      data = encodeClient(msg);
    } catch (err) {
      ops.push(`(protobufjs would not encode: ${err instanceof Error ? err.message : String(err)}; sent random bytes)`);
      data = r.bytes(r.size(256));
    }
    if (choice === 'wire') data = this.mutateWire(msg, data, ops);
    return { data, ops };
  }

  /** Every field slot of the object tree: set or not, with its type. */
  private fields(type: protobuf.Type, o: PbObj, path: string): { type: protobuf.Type; o: PbObj; field: protobuf.Field; path: string }[] {
    const out: { type: protobuf.Type; o: PbObj; field: protobuf.Field; path: string }[] = [];
    for (const field of type.fieldsArray) {
      const p = path ? `${path}.${field.name}` : field.name;
      out.push({ type, o, field, path: p });
      const v = o[field.name];
      if (field.resolvedType instanceof protobuf.Type && !field.map && v && typeof v === 'object' && !Buffer.isBuffer(v)) {
        const items = Array.isArray(v) ? v : [v];
        for (const item of items) {
          if (item && typeof item === 'object' && !Buffer.isBuffer(item) && !Array.isArray(item)) out.push(...this.fields(field.resolvedType, item, p));
        }
      }
    }
    return out;
  }

  private mutateObject(msg: PbObj, ops: string[]): void {
    const r = this.rng;
    const { clientMsg } = protoTypes();
    const all = this.fields(clientMsg, msg, '');
    // Prefer the fields of the message kind that is set: they are the ones the server reads.
    const present = all.filter((s) => s.path.split('.').length > 1);
    const slot = r.pick(present.length > 0 && r.chance(0.85) ? present : all);
    const { field, o, path } = slot;
    if (o[field.name] !== undefined && r.chance(0.2)) {
      delete o[field.name];
      ops.push(`drop ${path}`);
      return;
    }
    if (field.map) {
      // One odd entry, or many small ones (a message stays under max_message_size).
      const m: PbObj = {};
      const n = r.pick([1, 3, 1_000, 5_000]);
      const note: string[] = [];
      for (let i = 0; i < n; i++) m[n > 3 || r.chance(0.5) ? `k${i}` : nastyString(r).value] = n > 3 ? Buffer.from(String(i)) : this.jsonBytes(note);
      o[field.name] = m;
      ops.push(`map ${path} with ${n} entries${note.length > 0 ? `: ${note.join(' ')}` : ''}`);
      return;
    }
    if (field.repeated) {
      const n = r.pick([0, 1, 2, 100, 5_000]);
      const items: PbValue[] = [];
      for (let i = 0; i < n; i++) items.push(n > 2 ? this.small(field, i) : this.scalar(field, []));
      o[field.name] = items;
      ops.push(`repeated ${path} × ${n}`);
      return;
    }
    const note: string[] = [];
    o[field.name] = this.scalar(field, note);
    ops.push(`set ${path}${note.length > 0 ? `: ${note.join(' ')}` : ''}`);
  }

  /** An edge value for one (non-repeated) field of its type. */
  private scalar(field: protobuf.Field, note: string[]): PbValue {
    const r = this.rng;
    if (field.resolvedType instanceof protobuf.Enum) {
      const deleteUser = field.parent?.name === 'ClientDel' && field.name === 'what' ? field.resolvedType.values.USER : undefined;
      const values = Object.values(field.resolvedType.values).filter((v) => this.mayDeleteSelf || v !== deleteUser);
      const v = r.pick([-1, 99, 2147483647, ...values]);
      note.push(`enum ${v}`);
      return v;
    }
    if (field.resolvedType instanceof protobuf.Type) {
      note.push('empty message');
      return {};
    }
    switch (field.type) {
      case 'string': {
        if (/topic|user|on_behalf_of/.test(field.name) && r.chance(0.5)) {
          const name = r.pick(this.names);
          note.push(name);
          return name;
        }
        const s = nastyString(r);
        note.push(s.note);
        return s.value;
      }
      case 'bytes':
        return this.jsonBytes(note);
      case 'bool':
        return r.chance(0.5);
      case 'int64': {
        const v = r.pick([0, -1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 8.64e15, 8.64e15 + 1, r.int(-1e12, 1e12)]);
        note.push(String(v));
        return v;
      }
      default: {
        const v = r.pick([0, -1, 1, 2147483647, -2147483648, r.int(-100, 1000)]);
        note.push(String(v));
        return v;
      }
    }
  }

  /** A small value of the field's type: elements of long repeated fields. */
  private small(field: protobuf.Field, i: number): PbValue {
    if (field.resolvedType instanceof protobuf.Type) return field.resolvedType.name === 'SeqRange' ? { low: i, hi: i + 1 } : {};
    if (field.resolvedType instanceof protobuf.Enum) return i % 8;
    if (field.type === 'string') return `t${i}`;
    if (field.type === 'bytes') return Buffer.from(String(i));
    if (field.type === 'bool') return i % 2 === 0;
    return i;
  }

  /** The bytes of a JSON field: valid or not, deep, huge, not UTF-8. */
  private jsonBytes(note: string[]): Buffer {
    const r = this.rng;
    switch (r.int(0, 7)) {
      case 0: {
        const d = deepNest(r);
        note.push(d.note);
        return Buffer.from(d.text);
      }
      case 1:
        note.push('invalid JSON');
        return Buffer.from(r.pick(['{', '{"a":}', 'NaN', "'x'", '[1,]', 'undefined', '\u0000']));
      case 2:
        note.push('not UTF-8');
        return Buffer.from([0x22, 0xff, 0xfe, 0xc0, 0x22]);
      case 3:
        note.push('empty');
        return Buffer.alloc(0);
      case 4: {
        const a = bigArray(r);
        note.push(a.note);
        return Buffer.from(a.text);
      }
      case 5: {
        const s = nastyString(r);
        note.push(`JSON string: ${s.note}`);
        return Buffer.from(JSON.stringify(s.value));
      }
      case 6:
        note.push('__proto__ object');
        return Buffer.from('{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}');
      default:
        note.push('number 1e999');
        return Buffer.from('1e999');
    }
  }

  private mutateWire(msg: PbObj, data: Buffer, ops: string[]): Buffer {
    const r = this.rng;
    const at = r.int(0, data.length);
    switch (r.int(0, 9)) {
      case 0:
        ops.push(`truncate at ${at}/${data.length}`);
        return data.subarray(0, at);
      case 1: {
        const out = Buffer.from(data);
        const n = r.int(1, 4);
        for (let i = 0; i < n && out.length > 0; i++) {
          const pos = r.int(0, out.length - 1);
          out[pos] = (out[pos] ?? 0) ^ (1 << r.int(0, 7));
        }
        ops.push(`flip ${n} bits`);
        return out;
      }
      case 2:
        ops.push(`insert bytes at ${at}`);
        return Buffer.concat([data.subarray(0, at), r.bytes(r.int(1, 16)), data.subarray(at)]);
      case 3: {
        const field = r.pick([r.int(14, 1000), 536870911, 19000]);
        const wt = r.pick(WIRE_TYPES.filter((w) => w !== 4));
        ops.push(`unknown field ${field} wire type ${wt}`);
        return Buffer.concat([data, tag(field, wt), payload(r, wt)]);
      }
      case 4:
      case 5:
        return this.confuse(msg, ops);
      case 6: {
        // Fields 14 and 15 take one-byte tags: 20,000 levels stay under max_message_size.
        const depth = r.pick([100, 10_000, 20_000]);
        const field = r.int(14, 15);
        const balanced = r.chance(0.5);
        ops.push(`${depth} nested groups${balanced ? '' : ', unterminated'}`);
        const open = Buffer.alloc(depth, field * 8 + 3);
        const close = Buffer.alloc(balanced ? depth : 0, field * 8 + 4);
        return Buffer.concat([data, open, close]);
      }
      case 7:
        ops.push('varint that never ends');
        return Buffer.concat([data, tag(r.int(1, 13), 0), Buffer.alloc(r.int(11, 40), 0xff)]);
      case 8: {
        const len = r.pick([2 ** 31, 2 ** 32 + 5, 1_000_000, data.length + 1]);
        ops.push(`length ${len} past the end`);
        return Buffer.concat([data, tag(r.int(1, 13), 2), varint(len), r.bytes(3)]);
      }
      default: {
        const other = encodeClient({ hi: { id: 'second', ver: '0.25' } });
        ops.push('two oneof members (this message then a hi)');
        return r.chance(0.5) ? Buffer.concat([data, other]) : Buffer.concat([other, data]);
      }
    }
  }

  /** A field with the wrong wire type, at a random depth along the fields that are set. */
  private confuse(msg: PbObj, ops: string[]): Buffer {
    const r = this.rng;
    const { clientMsg } = protoTypes();
    // Walk down present message fields; at the chosen depth add a wrongly typed field.
    const chain: { type: protobuf.Type; o: PbObj; field: protobuf.Field | null }[] = [{ type: clientMsg, o: msg, field: null }];
    for (;;) {
      const top = chain[chain.length - 1]!;
      const children = top.type.fieldsArray.filter((f) => f.resolvedType instanceof protobuf.Type && !f.map && !f.repeated && top.o[f.name]);
      if (children.length === 0 || r.chance(0.35)) break;
      const f = r.pick(children);
      chain.push({ type: f.resolvedType as protobuf.Type, o: top.o[f.name] as PbObj, field: f });
    }
    const last = chain[chain.length - 1]!;
    const victim = r.pick(last.type.fieldsArray);
    const wt = r.pick(WIRE_TYPES.filter((w) => w !== wireTypeOf(victim) && w !== 4));
    ops.push(`wire type ${wt} for ${[...chain.slice(1).map((c) => c.field?.name), victim.name].join('.')} (expects ${wireTypeOf(victim)})`);
    let bytes = Buffer.concat([Buffer.from(last.type.encode(last.o as unknown as protobuf.Message).finish()), tag(victim.id, wt), payload(r, wt)]);
    for (let i = chain.length - 1; i > 0; i--) {
      const child = chain[i]!;
      const parent = chain[i - 1]!;
      const rest: PbObj = { ...parent.o };
      delete rest[child.field!.name];
      bytes = Buffer.concat([Buffer.from(parent.type.encode(rest as unknown as protobuf.Message).finish()), lenField(child.field!.id, bytes)]);
    }
    return bytes;
  }

  private special(valid: ValidMessage): ProtoFrame {
    const r = this.rng;
    switch (r.int(0, 4)) {
      case 0:
        return { data: Buffer.alloc(0), ops: ['empty ClientMsg'] };
      case 1:
        return { data: r.bytes(r.size(1024) + 1), ops: ['random bytes'] };
      case 2:
        return { data: Buffer.from(toText(valid.msg)), ops: ['JSON text in place of protobuf'] };
      case 3: {
        const { serverMsg } = protoTypes();
        const data = Buffer.from(serverMsg.encode(serverMsg.fromObject({ ctrl: { id: 'srv', code: 200, text: 'ok', params: { x: Buffer.from('1') } } })).finish());
        return { data, ops: ['a ServerMsg in place of a ClientMsg'] };
      }
      default:
        return { data: Buffer.concat([tag(0, r.int(0, 5)), r.bytes(4)]), ops: ['field number 0'] };
    }
  }
}
