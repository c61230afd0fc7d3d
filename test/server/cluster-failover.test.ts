import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Ring } from '../../server/cluster/ring.js';
import { runTinode } from '../helpers/cli.js';
import { FAIL_AFTER, HEARTBEAT, natsForTests } from '../helpers/cluster.js';
import { newTestDb, testDbKinds, type TestDb } from '../helpers/databases.js';
import { TestNats } from '../helpers/nats.js';
import { Relay } from '../helpers/relay.js';
import { b64, history, login, ProcessClient, serveProcess } from '../helpers/tinode-process.js';

/**
 * Three `tinode serve` processes on one database and one NATS, with clients on all three
 * publishing to one group and to p2p topics between nodes, as fast as their acknowledgements
 * come. One node dies (`kill -9`), or all three restart one after the other: clients of the other
 * nodes keep their subscriptions and go on publishing within seconds, clients of a dead node
 * reconnect to another node, and every acknowledged message is in history exactly once, under
 * the seq it was acknowledged with, seq ids contiguous.
 */
const { kinds } = await testDbKinds();
const shared = kinds.filter((k) => k !== 'sqlite');
const NODES = ['one', 'two', 'three'];
const dir = mkdtempSync(join(tmpdir(), 'tinode-failover-'));
const USERS = 9;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Member {
  name: string;
  node: string;
  c: ProcessClient;
  /** Publications acknowledged: content → seq, per topic. */
  acked: Map<string, Map<string, number>>;
  /** When each acknowledgement came. */
  ackTimes: number[];
  terms: number;
  reconnects: number;
}

describe.skipIf(!natsForTests() || shared.length === 0).each(shared)('a cluster of three processes on %s', (kind) => {
  let nats: TestNats | null = null;
  let db: TestDb | null = null;
  const procs = new Map<string, { child: ChildProcess; host: string }>();
  const clients: ProcessClient[] = [];

  afterEach(async () => {
    for (const c of clients.splice(0)) c.ws.terminate();
    for (const p of procs.values()) p.child.kill('SIGKILL');
    procs.clear();
    await nats?.stop();
    await db?.drop();
    nats = null;
    db = null;
  });

  const confs = new Map<string, string>();

  async function startNode(name: string): Promise<void> {
    procs.set(name, await serveProcess(db!.url, ['--config', confs.get(name)!, '--cluster-self', name]));
  }

  /**
   * Three nodes, USERS users spread over them, all in one group, and p2p pairs across nodes.
   * `cutOff`: node three reaches NATS through a relay that the test can cut.
   */
  async function setUp(cutOff = false): Promise<{ members: Member[]; grp: string; p2p: [number, number][]; uids: string[]; relay: Relay | null }> {
    nats = await TestNats.start();
    let relay: Relay | null = null;
    if (cutOff) {
      relay = new Relay(nats.port);
      await relay.open();
    }
    db = newTestDb(kind);
    const init = await runTinode(['init-db', '--db', db.url, '--data', 'sample']);
    expect(init.code, init.stderr).toBe(0);
    for (const name of NODES) {
      const conf = join(dir, `${kind}-${name}-${Date.now()}.conf`);
      writeFileSync(
        conf,
        JSON.stringify({
          acc_validation: { email: { required: [] } },
          limits: { publish_rate: 0 },
          cluster_config: {
            nodes: NODES.map((n) => ({ name: n })),
            failover: { enabled: true, heartbeat: HEARTBEAT, node_fail_after: FAIL_AFTER },
            nats_url: relay && name === 'three' ? `nats://127.0.0.1:${relay.port}` : nats.url,
          },
        }),
      );
      confs.set(name, conf);
    }
    await Promise.all(NODES.map((n) => startNode(n)));
    const members: Member[] = [];
    const uids: string[] = [];
    for (let i = 0; i < USERS; i++) {
      const node = NODES[i % 3]!;
      const c = await ProcessClient.open(procs.get(node)!.host);
      clients.push(c);
      await c.ask({ hi: { id: 'h', ver: '0.25.3' } });
      const name = `failover${i}`;
      const made = (await c.ask({ acc: { id: 'a', user: 'new', scheme: 'basic', secret: b64(`${name}:${name}123`), login: true, desc: { public: { fn: name } } } })).ctrl!;
      expect(made.code, JSON.stringify(made)).toBe(200);
      uids.push(String((made.params as { user: string }).user));
      members.push({ name, node, c, acked: new Map(), ackTimes: [], terms: 0, reconnects: 0 });
    }
    const created = (await members[0]!.c.ask({ sub: { id: 'g', topic: 'newFailover', set: { desc: { defacs: { auth: 'JRWPS', anon: 'N' } } } } })).ctrl!;
    expect(created.code).toBe(200);
    const grp = String(created.topic);
    for (const m of members.slice(1)) expect((await m.c.ask({ sub: { id: 'g', topic: grp } })).ctrl?.code).toBe(200);
    // p2p pairs whose two sides sit on different nodes.
    const p2p: [number, number][] = [[0, 4], [1, 5], [2, 6], [3, 7], [8, 1]];
    for (const [a, b] of p2p) {
      expect((await members[a]!.c.ask({ sub: { id: `p${b}`, topic: uids[b]! } })).ctrl?.code).toBe(200);
      expect((await members[b]!.c.ask({ sub: { id: `p${a}`, topic: uids[a]! } })).ctrl?.code).toBe(200);
    }
    return { members, grp, p2p, uids, relay };
  }

  /**
   * Each member publishes to the group and to its p2p peers in turn, until `stop` says; a member
   * whose node went away logs in on the next live node and subscribes again.
   */
  function pump(m: Member, topics: string[], live: () => string[], stop: () => boolean): Promise<void> {
    return (async () => {
      let k = 0;
      while (!stop()) {
        if (m.c.isClosed) {
          const nodes = live();
          const next = nodes[(nodes.indexOf(m.node) + 1) % nodes.length] ?? nodes[0]!;
          try {
            m.c = await login(procs.get(next)!.host, m.name);
            clients.push(m.c);
            m.node = next;
            m.reconnects++;
            for (const t of topics) await m.c.ask({ sub: { id: `re-${t}`, topic: t } });
          } catch {
            await new Promise((r) => setTimeout(r, 200));
          }
          continue;
        }
        const topic = topics[k % topics.length]!;
        const content = `${m.name} ${k++}`;
        const id = `pub-${k}`;
        const from = m.c.inbox.length;
        let ctrl;
        try {
          ctrl = (await m.c.ask({ pub: { id, topic, noecho: true, content } }, 20_000)).ctrl!;
        } catch {
          continue;
        }
        m.terms += m.c.inbox.slice(from).filter((f) => f.pres?.what === 'term').length;
        if (ctrl.code === 409) {
          // Told to subscribe again ({pres term}) while its node was cut off: it does.
          await m.c.ask({ sub: { id: `re-${k}`, topic } }).catch(() => undefined);
        }
        if (ctrl.code === 202) {
          let acked = m.acked.get(topic);
          if (!acked) m.acked.set(topic, (acked = new Map()));
          acked.set(content, Number((ctrl.params as { seq: number }).seq));
          m.ackTimes.push(Date.now());
        } else {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    })();
  }

  /** Every acknowledged message of every topic is stored once under its seq; seq ids contiguous. */
  async function checkHistory(members: Member[], grp: string, p2p: [number, number][], uids: string[], host: string): Promise<number> {
    let total = 0;
    const reader = await login(host, members[0]!.name);
    clients.push(reader);
    const topics: [Member, string, string][] = [[members[0]!, grp, grp]];
    for (const [a, b] of p2p) {
      // A p2p topic's name differs per side: each side publishes under the other's user id.
      topics.push([members[a]!, uids[b]!, `p2p ${a}-${b}`]);
    }
    for (const [who, topic, label] of topics) {
      const r = who === members[0] ? reader : await login(host, who.name);
      clients.push(r);
      expect((await r.ask({ sub: { id: `s-${label}`, topic } })).ctrl?.code).toBe(200);
      const stored = await history(r, topic, `h-${label}`);
      const seqs = [...stored.keys()].sort((x, y) => x - y);
      expect(seqs.length, `${label}: history`).toBeGreaterThan(0);
      expect(seqs, `${label}: seq ids contiguous`).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
      // Acknowledged to anyone who published there (both sides of a p2p topic).
      const byContent = new Map<string, number>();
      for (const [s, content] of stored) {
        expect(byContent.has(content), `${label}: "${content}" stored twice`).toBe(false);
        byContent.set(content, s);
      }
      const pairs = topic === grp ? members.map((m) => [m, grp] as const) : p2p.filter(([a, b]) => members[a] === who && uids[b] === topic).flatMap(([a, b]) => [[members[a]!, uids[b]!] as const, [members[b]!, uids[a]!] as const]);
      for (const [m, t] of pairs) {
        for (const [content, seq] of m.acked.get(t) ?? []) {
          expect(byContent.get(content), `${label}: "${content}" acknowledged as seq ${seq}`).toBe(seq);
          total++;
        }
      }
    }
    return total;
  }

  it('kill -9 of the group\'s node: the others go on within seconds, its clients reconnect elsewhere, nothing acknowledged is lost', async () => {
    const { members, grp, p2p, uids } = await setUp();
    const victim = new Ring(NODES).get(grp);
    const topicsOf = (i: number) => [grp, ...p2p.filter(([a, b]) => a === i || b === i).map(([a, b]) => uids[a === i ? b : a]!)];
    let stopped = false;
    const live = () => NODES.filter((n) => procs.get(n)?.child.exitCode === null && procs.get(n)?.child.signalCode === null);
    const pumps = members.map((m, i) => pump(m, topicsOf(i), live, () => stopped));
    await new Promise((r) => setTimeout(r, 1500));
    const before = members.map((m) => m.ackTimes.length);
    expect(before.every((n) => n > 0)).toBe(true);
    const killedAt = Date.now();
    procs.get(victim)!.child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, HEARTBEAT * FAIL_AFTER + 3500));
    stopped = true;
    await Promise.all(pumps);

    for (const m of members) {
      // Everyone published again after the kill, within seconds.
      const after = m.ackTimes.filter((t) => t > killedAt);
      expect(after.length, `${m.name} published after the kill`).toBeGreaterThan(0);
      expect(after[0]! - killedAt, `${m.name} went on within seconds`).toBeLessThan(HEARTBEAT * FAIL_AFTER + 4000);
    }
    const survivors = members.filter((m) => m.reconnects === 0);
    const moved = members.filter((m) => m.reconnects > 0);
    expect(moved.length, 'the clients of the dead node reconnected elsewhere').toBe(3);
    // The others kept their subscriptions: never told to subscribe again.
    for (const m of survivors) expect(m.terms, `${m.name} got {pres term}`).toBe(0);
    const host = procs.get(live()[0]!)!.host;
    const total = await checkHistory(members, grp, p2p, uids, host);
    if (process.env.TINODE_TEST_LOG_FAILOVER) console.log(`acked ${total}; first ack after the kill (ms):`, members.map((m) => `${m.name}@${m.node}${m.reconnects ? "*" : ""} ${(m.ackTimes.find((t) => t > killedAt) ?? 0) - killedAt}`).join(", "));
    expect(total).toBeGreaterThan(100);
  }, 120_000);

  async function ready(node: string): Promise<{ status: number; body: Record<string, string> }> {
    const res = await fetch(`http://${procs.get(node)!.host}/readyz`);
    return { status: res.status, body: (await res.json()) as Record<string, string> };
  }

  async function waitFor(what: string, cond: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('a node cut off from NATS refuses work instead of serving alone, and serves again when the link is back', async () => {
    const { members, grp, p2p, uids, relay } = await setUp(true);
    const topicsOf = (i: number) => [grp, ...p2p.filter(([a, b]) => a === i || b === i).map(([a, b]) => uids[a === i ? b : a]!)];
    let stopped = false;
    const live = () => NODES.filter((n) => procs.get(n)?.child.exitCode === null);
    const pumps = members.map((m, i) => pump(m, topicsOf(i), live, () => stopped));
    await new Promise((r) => setTimeout(r, 1500));
    const cutAt = Date.now();
    await relay!.cut();
    await waitFor('node three not ready', async () => (await ready('three')).status === 503);
    expect((await ready('three')).body.cluster).toMatch(/disconnected|writes failing/);
    await new Promise((r) => setTimeout(r, HEARTBEAT * FAIL_AFTER + 2500));
    const restoredAt = Date.now();
    await relay!.open();
    await waitFor('node three ready again', async () => (await ready('three')).status === 200);
    await new Promise((r) => setTimeout(r, 3500));
    stopped = true;
    await Promise.all(pumps);

    // A client of the cut node got nothing done while it was cut off (its node stops serving half a
    // failure period after its last heartbeat); everyone else went on.
    const lease = (HEARTBEAT * FAIL_AFTER) / 2;
    for (const m of members) {
      const during = m.ackTimes.filter((t) => t > cutAt + lease + 500 && t < restoredAt);
      if (m.node === 'three') expect(during, `${m.name} on the cut node`).toEqual([]);
      else expect(during.length, `${m.name} went on`).toBeGreaterThan(0);
      // And everyone publishes again once the link is back.
      expect(m.ackTimes.some((t) => t > restoredAt), `${m.name} after the link came back`).toBe(true);
    }
    const total = await checkHistory(members, grp, p2p, uids, procs.get('one')!.host);
    expect(total).toBeGreaterThan(100);
  }, 120_000);

  it('a rolling restart of the three nodes under load loses nothing', async () => {
    const { members, grp, p2p, uids } = await setUp();
    const topicsOf = (i: number) => [grp, ...p2p.filter(([a, b]) => a === i || b === i).map(([a, b]) => uids[a === i ? b : a]!)];
    let stopped = false;
    const down = new Set<string>();
    const live = () => NODES.filter((n) => !down.has(n));
    const pumps = members.map((m, i) => pump(m, topicsOf(i), live, () => stopped));
    await new Promise((r) => setTimeout(r, 1000));
    for (const node of NODES) {
      const { child } = procs.get(node)!;
      down.add(node);
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      await startNode(node);
      down.delete(node);
      await waitFor(`${node} ready`, async () => (await ready(node)).status === 200);
      await new Promise((r) => setTimeout(r, 500));
    }
    await new Promise((r) => setTimeout(r, 1500));
    stopped = true;
    await Promise.all(pumps);
    for (const m of members) expect(m.reconnects, `${m.name} moved when its node restarted`).toBeGreaterThan(0);
    const total = await checkHistory(members, grp, p2p, uids, procs.get('one')!.host);
    expect(total).toBeGreaterThan(100);
  }, 180_000);
});
