import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { runTinode } from '../helpers/cli.js';
import { newTestDb, testDbKinds, type TestDb } from '../helpers/databases.js';
import { DEMO_KEY } from '../helpers/sdk.js';
import { serveProcess } from '../helpers/tinode-process.js';

/**
 * The server is killed (SIGKILL) while clients publish. After a restart every acknowledged
 * message is in the history with the seq it was acknowledged with, the seq ids have no gap and
 * no repeat, and the next message takes the next seq.
 */
const { kinds } = await testDbKinds();
const dbs: TestDb[] = [];

afterAll(async () => {
  for (const db of dbs) await db.drop();
});

/** A logged-in websocket client that collects everything it receives. */
async function client(host: string, login: string): Promise<{ ws: WebSocket; inbox: Record<string, Record<string, unknown>>[]; closed: Promise<void> }> {
  const ws = new WebSocket(`ws://${host}/v0/channels?apikey=${DEMO_KEY}`);
  const inbox: Record<string, Record<string, unknown>>[] = [];
  ws.on('message', (d) => inbox.push(JSON.parse(d.toString()) as Record<string, Record<string, unknown>>));
  ws.on('error', () => undefined);
  const closed = new Promise<void>((r) => ws.on('close', () => r()));
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  const wait = async (id: string) => {
    const end = Date.now() + 5000;
    for (;;) {
      const m = inbox.find((x) => x.ctrl?.id === id);
      if (m) return m;
      if (Date.now() > end) throw new Error(`no reply to ${id}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  ws.send(JSON.stringify({ hi: { id: 'h', ver: '0.25.3' } }));
  await wait('h');
  ws.send(JSON.stringify({ login: { id: 'l', scheme: 'basic', secret: Buffer.from(`${login}:${login}123`).toString('base64') } }));
  expect((await wait('l')).ctrl?.code).toBe(200);
  return { ws, inbox, closed };
}

describe.each(kinds)('SIGKILL while publishing, on %s', (kind) => {
  it('keeps every acknowledged message and continues the seq without a gap', async () => {
    const db = newTestDb(kind);
    dbs.push(db);
    const init = await runTinode(['init-db', '--db', db.url, '--data', 'sample']);
    expect(init.code, init.stderr).toBe(0);

    let { child, host } = await serveProcess(db.url);
    const owner = await client(host, 'alice');
    owner.ws.send(JSON.stringify({ sub: { id: 'g', topic: 'newCrash' } }));
    let grp = '';
    for (let i = 0; i < 200 && !grp; i++) {
      grp = String(owner.inbox.find((m) => m.ctrl?.id === 'g')?.ctrl?.topic ?? '');
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(grp).toMatch(/^grp/);
    const writers = [owner, await client(host, 'bob'), await client(host, 'carol')];
    for (const w of writers.slice(1)) w.ws.send(JSON.stringify({ sub: { id: 's', topic: grp } }));
    await new Promise((r) => setTimeout(r, 300));

    // Each writer publishes as fast as the acknowledgements come, until the server dies.
    let dead = false;
    const pumps = writers.map(async (w, wi) => {
      let n = 0;
      while (!dead) {
        const id = `w${wi}-${n++}`;
        w.ws.send(JSON.stringify({ pub: { id, topic: grp, content: id } }), () => undefined);
        const end = Date.now() + 3000;
        while (!dead && !w.inbox.some((m) => m.ctrl?.id === id) && Date.now() < end) {
          await new Promise((r) => setTimeout(r, 2));
        }
      }
    });
    // Let some messages through, then kill the server mid-stream.
    const start = Date.now();
    while (writers.reduce((s, w) => s + w.inbox.filter((m) => m.ctrl?.code === 202).length, 0) < 60 && Date.now() - start < 15_000) {
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    dead = true;
    await Promise.all(pumps);
    await Promise.all(writers.map((w) => w.closed));

    const acked = new Map<string, number>();
    for (const w of writers) {
      for (const m of w.inbox) {
        if (m.ctrl?.code === 202) acked.set(String(m.ctrl.id), Number((m.ctrl.params as { seq: number }).seq));
      }
    }
    expect(acked.size).toBeGreaterThanOrEqual(60);
    // No seq acknowledged twice.
    expect(new Set(acked.values()).size).toBe(acked.size);

    ({ child, host } = await serveProcess(db.url));
    try {
      const reader = await client(host, 'alice');
      reader.ws.send(JSON.stringify({ sub: { id: 's', topic: grp } }));
      // History comes in pages (at most 100 messages each): page back with `before`.
      const stored = new Map<number, string>();
      let before = 0;
      for (let page = 0; page < 100; page++) {
        const id = `h${page}`;
        reader.ws.send(JSON.stringify({ get: { id, topic: grp, what: 'data', data: before ? { before } : {} } }));
        const end = Date.now() + 10_000;
        while (!reader.inbox.some((m) => m.ctrl?.id === id) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
        const done = reader.inbox.find((m) => m.ctrl?.id === id)?.ctrl;
        expect(done, `history page ${page}`).toBeDefined();
        const batch = reader.inbox.splice(0).filter((m) => m.data);
        for (const m of batch) {
          const seq = Number(m.data!.seq);
          expect(stored.has(seq), `seq ${seq} twice`).toBe(false);
          stored.set(seq, String(m.data!.content));
        }
        if (done!.code === 204 || batch.length === 0) break;
        before = Math.min(...batch.map((m) => Number(m.data!.seq)));
        if (before <= 1) break;
      }
      for (const [id, seq] of acked) {
        expect(stored.get(seq), `acknowledged ${id} as seq ${seq}`).toBe(id);
      }
      const seqs = [...stored.keys()].sort((a, b) => a - b);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      reader.ws.send(JSON.stringify({ get: { id: 'd', topic: grp, what: 'desc' } }));
      const end1 = Date.now() + 5000;
      while (!reader.inbox.some((m) => m.meta?.id === 'd') && Date.now() < end1) await new Promise((r) => setTimeout(r, 10));
      expect((reader.inbox.find((m) => m.meta?.id === 'd')?.meta?.desc as { seq: number }).seq).toBe(seqs.length);
      reader.ws.send(JSON.stringify({ pub: { id: 'after', topic: grp, content: 'after restart' } }));
      const end2 = Date.now() + 5000;
      while (!reader.inbox.some((m) => m.ctrl?.id === 'after') && Date.now() < end2) await new Promise((r) => setTimeout(r, 10));
      expect(reader.inbox.find((m) => m.ctrl?.id === 'after')?.ctrl).toMatchObject({ code: 202, params: { seq: seqs.length + 1 } });
      reader.ws.close();
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
