import { describe, expect, it } from 'vitest';
import { RawClient, type Json } from '../helpers/raw.js';
import { serverPerTest, type TestServer } from '../helpers/server.js';

/**
 * A page of history (`{get what="data"}`) is checked in the topic's inbox and read from the store
 * after its turn, so that the pages of one topic are read side by side. What a client sees stays
 * as before: a page comes whole (its `{data}` frames together, then its ctrl 208), and a session's
 * requests are answered in the order it sent them.
 */
const { start, track } = serverPerTest();

async function user(srv: TestServer, login: string): Promise<RawClient> {
  const c = track(await RawClient.open(srv.host, { compress: false }));
  await c.hello();
  await c.login(login);
  return c;
}

/** Reads until `n` ctrl replies have come; returns everything read. */
async function readCtrls(c: RawClient, n: number): Promise<Json[]> {
  const out: Json[] = [];
  let ctrls = 0;
  while (ctrls < n) {
    const m = await c.next(5000);
    out.push(m);
    if (m.ctrl) ctrls++;
  }
  return out;
}

describe('pages of history read after the topic inbox', () => {
  it("answers a session's pipelined pages and publications in the order sent", async () => {
    const srv = await start();
    const alice = await user(srv, 'alice');
    const r = await alice.reply({ sub: { id: 'new', topic: 'new', set: { desc: { public: { fn: 'History' } } } } });
    const grp = String(r.ctrl?.topic);
    for (let i = 1; i <= 5; i++) expect((await alice.reply({ pub: { id: `m${i}`, topic: grp, content: `m${i}` } })).ctrl?.code).toBe(202);
    await new Promise((res) => setTimeout(res, 100));
    while (await alice.next(100).catch(() => null)) {
      // what the publications sent
    }

    alice.send({ get: { id: 'g1', topic: grp, what: 'data' } });
    alice.send({ pub: { id: 'p6', topic: grp, content: 'm6' } });
    alice.send({ get: { id: 'g2', topic: grp, what: 'data', data: { limit: 2 } } });
    const seen = await readCtrls(alice, 3);
    const trace = seen.map((m) => (m.ctrl ? `ctrl ${m.ctrl.id} ${m.ctrl.code}` : m.data ? `data ${m.data.seq}` : String(Object.keys(m)[0])));
    // The echo of m6 goes out with its publication, before the next page (which holds it).
    expect(trace.filter((t) => !t.startsWith('pres'))).toEqual(['data 5', 'data 4', 'data 3', 'data 2', 'data 1', 'ctrl g1 208', 'ctrl p6 202', 'data 6', 'data 6', 'data 5', 'ctrl g2 208']);
  });

  it('sends each page whole while others publish to the topic and read it at the same time', async () => {
    const srv = await start();
    const alice = await user(srv, 'alice');
    const r = await alice.reply({ sub: { id: 'new', topic: 'new', set: { desc: { public: { fn: 'History' }, defacs: { auth: 'JRWPS', anon: 'N' } } } } });
    const grp = String(r.ctrl?.topic);
    for (let i = 1; i <= 30; i++) expect((await alice.reply({ pub: { id: `m${i}`, topic: grp, content: `m${i}` } })).ctrl?.code).toBe(202);
    const readers: RawClient[] = [];
    for (const login of ['bob', 'carol', 'dave']) {
      const c = await user(srv, login);
      expect((await c.reply({ sub: { id: 'join', topic: grp } })).ctrl?.code).toBe(200);
      readers.push(c);
    }
    // Alice publishes 20 more while each reader asks for 10 pages of 10, one after another.
    const publishing = (async () => {
      for (let i = 31; i <= 50; i++) alice.send({ pub: { id: `m${i}`, topic: grp, content: `m${i}` } });
    })();
    const reading = readers.map(async (c) => {
      const pages: number[][] = [];
      for (let p = 0; p < 10; p++) {
        const before = 30 - p * 3 + 1;
        c.send({ get: { id: `g${p}`, topic: grp, what: 'data', data: { before, limit: 10 } } });
        const page: number[] = [];
        for (;;) {
          const m = await c.next(5000);
          if (m.ctrl?.id === `g${p}`) break;
          if (m.data && page.length > 0 && Number(m.data.seq) !== page[page.length - 1]! - 1) {
            throw new Error(`page g${p} asked before ${before} was broken by seq ${String(m.data.seq)} after ${page.join(',')}`);
          }
          if (m.data && (page.length > 0 || Number(m.data.seq) === before - 1)) page.push(Number(m.data.seq));
        }
        pages.push(page);
      }
      return pages;
    });
    await publishing;
    const got = await Promise.all(reading);
    for (const pages of got) {
      pages.forEach((page, p) => {
        const before = 30 - p * 3 + 1;
        expect(page).toEqual(Array.from({ length: Math.min(10, before - 1) }, (_, i) => before - 1 - i));
      });
    }
  });
});
