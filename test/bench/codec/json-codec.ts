/**
 * Micro-benchmark of the JSON codec's hot path (not part of the test suite):
 * `npx tsx test/bench/codec/json-codec.ts`. Encodes fresh message objects (the per-message cache
 * would otherwise measure a WeakMap lookup) and decodes typical client packets; prints ns/op.
 */
import { decodeClientJson } from '../../../src/wire/json-decode.js';
import { encodeServerJson } from '../../../src/wire/json-encode.js';
import type { ServerMessage } from '../../../src/wire/server-messages.js';

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

function measure(run: () => void, rounds: number): number {
  for (let i = 0; i < rounds / 10; i++) run();
  let best = Infinity;
  for (let r = 0; r < 7; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) run();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / rounds);
  }
  return best;
}

let sink = 0;
for (const [name, make] of Object.entries(ENCODE)) {
  const msgs = Array.from({ length: 1000 }, make);
  let i = 0;
  const ns = measure(() => {
    sink += encodeServerJson(msgs[i++ % msgs.length] as ServerMessage).length;
    if (i % msgs.length === 0) msgs.splice(0, msgs.length, ...Array.from({ length: 1000 }, make));
  }, name === 'metaSub' ? 20_000 : 200_000);
  console.log(`encode ${name.padEnd(8)} ${ns.toFixed(0).padStart(6)} ns/op`);
}
for (const [name, text] of Object.entries(DECODE)) {
  const ns = measure(() => {
    sink += decodeClientJson(text).id.length;
  }, 200_000);
  console.log(`decode ${name.padEnd(8)} ${ns.toFixed(0).padStart(6)} ns/op`);
}
if (sink < 0) console.log(sink);
