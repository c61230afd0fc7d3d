/**
 * Micro-benchmark of the JSON codec's hot path (not part of the test suite):
 * `npx tsx --expose-gc test/bench/codec/json-codec.ts [other-src-folder]`. Encodes fresh message objects (the
 * per-message cache would otherwise measure a WeakMap lookup) and decodes typical client packets;
 * prints the best ns/op of many rounds. Given another copy of `src` (e.g. from `git archive` of an
 * older commit), it measures both in turn, in one process, and prints them side by side.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ServerMessage } from '../../../src/wire/server-messages.js';

interface Codec {
  decodeClientJson(text: string): { id: string };
  encodeServerJson(msg: ServerMessage): string;
}

async function load(srcDir: string): Promise<Codec> {
  // The codecs live in wire/codec/ now and in wire/ in older copies of src.
  const url = (f: string) => {
    const inCodec = resolve(srcDir, 'wire', 'codec', f);
    return pathToFileURL(existsSync(inCodec) ? inCodec : resolve(srcDir, 'wire', f)).href;
  };
  const dec = (await import(url('json-decode.ts'))) as Pick<Codec, 'decodeClientJson'>;
  const enc = (await import(url('json-encode.ts'))) as Pick<Codec, 'encodeServerJson'>;
  return { decodeClientJson: dec.decodeClientJson, encodeServerJson: enc.encodeServerJson };
}

const ts = new Date('2025-01-02T03:04:05.678Z');

const ENCODE: Record<string, () => ServerMessage> = {
  data: () => ({ data: { topic: 'grpAbcDefGhi', from: 'usrAliceXyz', ts, seq: 4242, head: { mime: 'text/x-drafty' }, content: { txt: 'hello world', fmt: [{ at: 0, len: 5, tp: 'ST' }] } } }),
  pres: () => ({ pres: { topic: 'me', src: 'grpAbcDefGhi', what: 'msg', seq: 4242 } }),
  ctrl: () => ({ ctrl: { id: '123', topic: 'grpAbcDefGhi', params: { seq: 4242 }, code: 202, text: 'accepted', ts } }),
  metaSub: () => ({
    meta: {
      id: '77',
      topic: 'me',
      ts,
      sub: Array.from({ length: 10 }, (_, i) => ({
        updated: ts,
        acs: { want: 'JRWPS', given: 'JRWPS', mode: 'JRWPS' },
        read: i,
        recv: i + 1,
        public: { fn: `User ${i}` },
        topic: `usrUser${i}`,
        touched: ts,
        seq: 10 + i,
      })),
    },
  }),
};

const DECODE: Record<string, string> = {
  pub: '{"pub":{"id":"123","topic":"grpAbcDefGhi","noecho":false,"head":{"mime":"text/x-drafty"},"content":{"txt":"hello world","fmt":[{"at":0,"len":5,"tp":"ST"}]}}}',
  note: '{"note":{"topic":"grpAbcDefGhi","what":"read","seq":4242}}',
  getSub: '{"get":{"id":"124","topic":"me","what":"sub desc","sub":{"ims":"2025-01-02T03:04:05.678Z","limit":24}}}',
  hi: '{"hi":{"id":"1","ver":"0.22","ua":"TinodeWeb/0.22.8 (Chrome/120.0; Linux); tinodejs/0.22.8","lang":"en-US","platf":"web"}}',
};

const ROUNDS = 15;
let sink = 0;

/** Best ns/op of `ROUNDS` rounds of `n` operations, each round prepared (untimed) by `prepare`. */
function best(n: number, prepare: () => void, op: (i: number) => void): number {
  let min = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    prepare();
    // Run with --expose-gc: collecting here keeps the garbage of preparing out of the timing.
    (globalThis as { gc?: () => void }).gc?.();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) op(i);
    min = Math.min(min, Number(process.hrtime.bigint() - t0) / n);
  }
  return min;
}

function measureAll(codec: Codec): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, make] of Object.entries(ENCODE)) {
    const n = name === 'metaSub' ? 2000 : 20_000;
    let msgs: ServerMessage[] = [];
    out.set(
      `encode ${name}`,
      best(
        n,
        () => (msgs = Array.from({ length: n }, make)),
        (i) => (sink += codec.encodeServerJson(msgs[i] as ServerMessage).length),
      ),
    );
  }
  for (const [name, text] of Object.entries(DECODE)) {
    out.set(
      `decode ${name}`,
      best(
        20_000,
        () => undefined,
        () => (sink += codec.decodeClientJson(text).id.length),
      ),
    );
  }
  return out;
}

const here = resolve(import.meta.dirname, '../../../src');
const codecs: [string, Codec][] = [['this', await load(here)]];
if (process.argv[2]) codecs.unshift(['other', await load(process.argv[2])]);
const results = new Map<string, Map<string, number>>(codecs.map(([label]) => [label, new Map()]));
// Alternate the codecs, keeping each one's best, so that load on the machine hits both alike.
for (let pass = 0; pass < 3; pass++) {
  for (const [label, codec] of codecs) {
    for (const [k, v] of measureAll(codec)) {
      const m = results.get(label)!;
      m.set(k, Math.min(m.get(k) ?? Infinity, v));
    }
  }
}
const keys = [...results.get('this')!.keys()];
console.log(`${''.padEnd(16)}${codecs.map(([l]) => l.padStart(10)).join('')}${codecs.length > 1 ? '    change' : ''}`);
for (const k of keys) {
  const vals = codecs.map(([l]) => results.get(l)!.get(k)!);
  const change = vals.length > 1 ? `  ${(((vals[1]! - vals[0]!) / vals[0]!) * 100).toFixed(1).padStart(6)}%` : '';
  console.log(`${k.padEnd(16)}${vals.map((v) => v.toFixed(0).padStart(10)).join('')}${change}  (ns/op)`);
}
if (sink < 0) console.log(sink);
