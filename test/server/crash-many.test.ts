import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTinode } from '../helpers/cli.js';
import { newTestDb, testDbKinds, type TestDb } from '../helpers/databases.js';
import { b64, history, login, ProcessClient, serveProcess } from '../helpers/tinode-process.js';

/**
 * SIGKILL while 210 p2p conversations (21 users, every pair, both sides publishing) and a group
 * publish as fast as their acknowledgements come, so that commits hold the messages of many
 * topics at once. After a restart every acknowledged message is stored under the seq it was
 * acknowledged with, each topic's seq ids run from 1 without a gap, and the next message takes
 * the next seq.
 */
const { kinds } = await testDbKinds();
const USERS = 21;
const dbs: TestDb[] = [];
const dir = mkdtempSync(join(tmpdir(), 'tinode-crash-many-'));
// No email to validate for the new accounts, and no publish rate: the load is the point.
const conf = join(dir, 'tinode.conf');
writeFileSync(conf, JSON.stringify({ acc_validation: { email: { required: [] } }, limits: { publish_rate: 0 } }));

afterAll(async () => {
  for (const db of dbs) await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe.each(kinds)('SIGKILL while 210 p2p conversations and a group publish, on %s', (kind) => {
  it('keeps every acknowledged message of every topic, seq ids contiguous', async () => {
    const db = newTestDb(kind);
    dbs.push(db);
    const init = await runTinode(['init-db', '--db', db.url, '--data', 'sample']);
    expect(init.code, init.stderr).toBe(0);
    let { child, host } = await serveProcess(db.url, ['--config', conf]);

    const names = Array.from({ length: USERS }, (_, i) => `crash${i}`);
    const uids: string[] = [];
    const clients: ProcessClient[] = [];
    for (const name of names) {
      const c = await ProcessClient.open(host);
      await c.ask({ hi: { id: 'h', ver: '0.25.3' } });
      const made = (await c.ask({ acc: { id: 'a', user: 'new', scheme: 'basic', secret: b64(`${name}:${name}123`), login: true, desc: { public: { fn: name } } } })).ctrl!;
      expect(made.code, JSON.stringify(made)).toBe(200);
      uids.push(String((made.params as { user: string }).user));
      clients.push(c);
    }
    // Every user opens its conversation with every other: 210 p2p topics, both sides attached.
    await Promise.all(clients.map((c, i) => Promise.all(uids.map((u, j) => (i === j ? null : c.ask({ sub: { id: `s${j}`, topic: u } }, 30_000))))));
    const group = await login(host, 'alice');
    const grp = String((await group.ask({ sub: { id: 'g', topic: 'newCrash' } })).ctrl?.topic);
    const members = [group, await login(host, 'bob'), await login(host, 'carol')];
    for (const m of members.slice(1)) expect((await m.ask({ sub: { id: 'g', topic: grp } })).ctrl?.code).toBe(200);

    // Each side of each conversation, and each group member, publishes as fast as its
    // acknowledgements come, until the server dies. acked: publication id → [topic key, seq].
    const acked = new Map<string, { key: string; seq: number }>();
    let dead = false;
    const pump = async (c: ProcessClient, topic: string, key: string, tag: string) => {
      // A closed connection ends the pump: its replies would all be refusals at once.
      for (let n = 0; !dead && !c.isClosed; n++) {
        const id = `${tag}.${n}`;
        c.send({ pub: { id, topic, content: id } });
        const r = await c.ctrl(id, 5000).catch(() => null);
        if (r?.ctrl?.code === 202) acked.set(id, { key, seq: Number((r.ctrl.params as { seq: number }).seq) });
        else if (!dead && r) throw new Error(`${id}: ${JSON.stringify(r)}`);
      }
    };
    const pairKey = (i: number, j: number) => `p2p:${Math.min(i, j)}-${Math.max(i, j)}`;
    const pumps: Promise<void>[] = [];
    clients.forEach((c, i) => uids.forEach((u, j) => i !== j && pumps.push(pump(c, u, pairKey(i, j), `u${i}to${j}`))));
    members.forEach((m, k) => pumps.push(pump(m, grp, 'grp', `g${k}`)));

    const start = Date.now();
    while (acked.size < 3000 && Date.now() - start < 20_000) await new Promise((r) => setTimeout(r, 20));
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    dead = true;
    await exited;
    await Promise.all(pumps);
    await Promise.all([...clients, ...members].map((c) => c.closed));
    expect(acked.size).toBeGreaterThanOrEqual(500);
    const topicsWritten = new Set([...acked.values()].map((a) => a.key));
    expect(topicsWritten.size).toBeGreaterThan(150);

    ({ child, host } = await serveProcess(db.url, ['--config', conf]));
    try {
      // Read every topic back: each conversation from its lower user's side, the group as alice.
      const readers = await Promise.all(names.map((n) => login(host, n)));
      const stored = new Map<string, Map<number, string>>();
      await Promise.all(
        readers.map(async (r, i) => {
          for (let j = i + 1; j < USERS; j++) {
            await r.ask({ sub: { id: `r${j}`, topic: uids[j] } });
            stored.set(pairKey(i, j), await history(r, uids[j]!, `h${j}`));
          }
        }),
      );
      const alice = await login(host, 'alice');
      await alice.ask({ sub: { id: 'r', topic: grp } });
      stored.set('grp', await history(alice, grp, 'hg'));

      for (const [id, { key, seq }] of acked) {
        expect(stored.get(key)?.get(seq), `acknowledged ${id} as seq ${seq} of ${key}`).toBe(id);
      }
      for (const [key, msgs] of stored) {
        const seqs = [...msgs.keys()].sort((a, b) => a - b);
        expect(seqs, key).toEqual(seqs.map((_, i) => i + 1));
      }
      // The next message of a conversation takes the next seq.
      const next = (stored.get(pairKey(0, 1))?.size ?? 0) + 1;
      expect((await readers[0]!.ask({ pub: { id: 'after', topic: uids[1], content: 'after restart' } })).ctrl).toMatchObject({ code: 202, params: { seq: next } });
      for (const c of [...readers, alice]) c.ws.close();
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }, 180_000);
});
