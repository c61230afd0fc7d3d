import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ring } from '../../server/cluster/ring.js';
import { runTinode } from '../helpers/cli.js';
import { FAIL_AFTER, HEARTBEAT, natsForTests, until as untilCluster } from '../helpers/cluster.js';
import { newTestDb, testDbKinds, type TestDb } from '../helpers/databases.js';
import { TestNats } from '../helpers/nats.js';
import { connectSdk, settleClients, until, type SdkClient, type SdkTopic } from '../helpers/sdk.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { nodeClient } from '../helpers/grpc.js';
import { listenPlugin, pluginService } from '../helpers/plugin-server.js';
import { b64, login as rawLogin, ProcessClient } from '../helpers/tinode-process.js';
import { FakeFcm } from '../helpers/fake-fcm.js';

/**
 * Three `tinode serve` nodes on one database and one NATS, tinode-sdk clients spread over them:
 * a client talks to topics mastered on any node as if there were one server.
 */
const { kinds } = await testDbKinds();
const shared = kinds.filter((k) => k !== 'sqlite');
const NODES = ['one', 'two', 'three'];

type Rec = Record<string, unknown>;
interface User {
  c: SdkClient;
  uid: string;
  node: string;
  log: { data?: Rec; pres?: Rec; ctrl?: Rec; info?: Rec }[];
}

describe.skipIf(!natsForTests() || shared.length === 0).each(shared)('a cluster of three nodes on %s', (kind) => {
  let nats: TestNats;
  let db: TestDb;
  const nodes = new Map<string, TestServer>();
  const open: SdkClient[] = [];
  const rawOpen: ProcessClient[] = [];
  /** When the last packet reached a tinode-sdk client (they send receipts a moment later). */
  let lastPacketAt = 0;

  /** Messages the plugin heard of (every node is configured with it): each should come once. */
  const heard: string[] = [];
  let plugin: grpc.Server;
  let fcm: FakeFcm;

  beforeAll(async () => {
    plugin = new grpc.Server();
    const ok = (_call: unknown, cb: (err: null, res: object) => void) => cb(null, {});
    plugin.addService(pluginService(), {
      FireHose: (_call: unknown, cb: (err: null, res: object) => void) => cb(null, { status: 'CONTINUE' }),
      Find: (_call: unknown, cb: (err: null, res: object) => void) => cb(null, { status: 'CONTINUE' }),
      Account: ok,
      Topic: ok,
      Subscription: ok,
      Message: (call: { request: { msg?: { content?: Uint8Array } } }, cb: (err: null, res: object) => void) => {
        heard.push(Buffer.from(call.request.msg?.content ?? []).toString());
        cb(null, {});
      },
    });
    const pluginPort = await listenPlugin(plugin);
    fcm = await FakeFcm.start();
    nats = await TestNats.start();
    db = newTestDb(kind);
    const init = await runTinode(['init-db', '--db', db.url, '--data', 'sample']);
    expect(init.code, init.stderr).toBe(0);
    for (const self of NODES) {
      const cluster_config = {
        self,
        nodes: NODES.map((name) => ({ name })),
        failover: { enabled: true, heartbeat: HEARTBEAT, node_fail_after: FAIL_AFTER },
        nats_url: nats.url,
        nats_prefix: 'tinode_t',
      };
      nodes.set(self, await startTestServer({ cluster_config, limits: { publish_rate: 0, max_sessions_per_address: 1000 }, acc_validation: { email: { required: [] } }, max_subscriber_count: 400, plugins: [{ enabled: true, name: 'count', timeout: 60_000, filters: { message: 'C' }, service_addr: `tcp://127.0.0.1:${pluginPort}` }], push: fcm.pushConfig() }, db.url, { pingMs: 60_000 }));
    }
    await untilCluster('every node sees three', () => [...nodes.values()].every((n) => n.server.ctx.clusterSize() === 3));
  }, 60_000);

  afterAll(async () => {
    // The SDK asks for what it hears of (new members): closing under those requests rejects them.
    await settleClients(open, () => lastPacketAt, 500, 20_000).catch(() => undefined);
    for (const c of open) if (c.isConnected()) c.disconnect();
    for (const c of rawOpen) c.ws.terminate();
    for (const n of nodes.values()) await n.close();
    await nats?.stop();
    await db?.drop();
    plugin?.forceShutdown();
    fcm?.close();
  }, 60_000);

  async function login(name: string, node: string): Promise<User> {
    const c = await connectSdk(nodes.get(node)!.host, 'ws');
    open.push(c);
    const user: User = { c, uid: '', node, log: [] };
    c.onMessage = (pkt) => {
      lastPacketAt = Date.now();
      user.log.push(pkt as User['log'][number]);
    };
    expect((await c.loginBasic(name, `${name}123`)).code).toBe(200);
    user.uid = c.getCurrentUserID();
    return user;
  }

  const dataOf = (u: User, topic: string): Rec[] => u.log.flatMap((p) => (p.data && p.data.topic === topic ? [p.data] : []));

  async function publishOk(t: SdkTopic, content: string): Promise<number> {
    const ctrl = await t.publish(content);
    expect(ctrl?.code).toBe(202);
    return Number(ctrl?.params?.seq);
  }

  it('serves a group whose members sit on all three nodes: every message once, in order, with its seq, everywhere', async () => {
    const names = ['alice', 'bob', 'carol', 'dave', 'frank'];
    const users = await Promise.all(names.map((n, i) => login(n, NODES[i % 3]!)));
    const [owner] = users;
    const grp = owner!.c.getTopic(owner!.c.newGroupTopicName(false));
    const created = await grp.subscribe(grp.startMetaQuery().withDesc().build(), { desc: { public: { fn: 'cluster group' } }, defacs: { auth: 'JRWPS' } });
    expect(created.code).toBe(200);
    const name = grp.name;
    const topics: SdkTopic[] = [grp];
    for (const u of users.slice(1)) {
      const t = u.c.getTopic(name);
      expect((await t.subscribe(t.startMetaQuery().withDesc().build())).code).toBe(200);
      topics.push(t);
    }
    // Everyone publishes at once, ten each.
    const PER = 10;
    const acked = await Promise.all(topics.map(async (t, i) => {
      const seqs: number[] = [];
      for (let k = 0; k < PER; k++) seqs.push(await publishOk(t, `${names[i]} ${k}`));
      return seqs;
    }));
    const all = acked.flat().sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: names.length * PER }, (_, i) => i + 1));
    for (const u of users) {
      await until(() => dataOf(u, name).length >= names.length * PER, 10_000, `${names.length * PER} messages at ${u.node}`);
      const got = dataOf(u, name);
      expect(got.map((d) => d.seq)).toEqual(all);
      // Each message as its sender published it, under the seq its sender was told.
      for (const [i, seqs] of acked.entries()) {
        for (const [k, seq] of seqs.entries()) {
          const d = got.find((x) => x.seq === seq)!;
          expect(d.content).toBe(`${names[i]} ${k}`);
          expect(d.from).toBe(users[i]!.uid);
        }
      }
    }
    // The plugin heard of each message once, from the topic's node alone.
    await until(() => names.every((n) => heard.filter((h) => h.startsWith(`"${n} `)).length === PER), 5000, 'the plugin to hear every message');
    for (const [i, n] of names.entries()) for (let k = 0; k < PER; k++) expect(heard.filter((h) => h === JSON.stringify(`${n} ${k}`)), `${i}`).toHaveLength(1);
  }, 60_000);

  it('relays receipts and typing across nodes, deletes messages and the topic for members on every node', async () => {
    const alice = await login('alice', 'one');
    const bob = await login('bob', 'two');
    const carol = await login('carol', 'three');
    const grp = alice.c.getTopic(alice.c.newGroupTopicName(false));
    expect((await grp.subscribe(undefined, { desc: { public: { fn: 'notes' }, defacs: { auth: 'JRWPS' } } })).code).toBe(200);
    const name = grp.name;
    const bt = bob.c.getTopic(name);
    const ct = carol.c.getTopic(name);
    for (const t of [bt, ct]) expect((await t.subscribe()).code).toBe(200);
    expect(await publishOk(grp, 'one')).toBe(1);
    expect(await publishOk(bt, 'two')).toBe(2);
    await until(() => dataOf(carol, name).length === 2, 5000, 'two messages at carol');
    const infoOf = (u: User) => u.log.flatMap((p) => ((p as { info?: Rec }).info?.topic === name ? [(p as { info: Rec }).info] : []));
    // Carol (node three) reads and types; alice (one) and bob (two) hear it.
    ct.noteRead(2);
    ct.noteKeyPress();
    for (const u of [alice, bob]) {
      await until(() => infoOf(u).some((i) => i.what === 'read' && i.seq === 2 && i.from === carol.uid), 5000, `read receipt at ${u.node}`);
      await until(() => infoOf(u).some((i) => i.what === 'kp' && i.from === carol.uid), 5000, `typing at ${u.node}`);
    }
    // Alice deletes message 1 for everyone: bob and carol are told.
    expect((await grp.delMessagesList([1], true)).code).toBe(200);
    const presOf = (u: User) => u.log.flatMap((p) => (p.pres?.topic === name ? [p.pres] : []));
    for (const u of [bob, carol]) await until(() => presOf(u).some((p) => p.what === 'del'), 5000, `deletion at ${u.node}`);
    // The owner deletes the topic: the members on the other nodes are evicted from it.
    expect((await grp.delTopic(true))?.code).toBe(200);
    for (const u of [bob, carol]) {
      await until(() => u.log.some((p) => p.ctrl?.topic === name && p.ctrl.code === 205), 5000, `eviction at ${u.node}`);
    }
    for (const n of nodes.values()) expect(n.server.hub.get(name)).toBeUndefined();
  }, 60_000);

  it('serves p2p between nodes, with presence: the peer on another node comes online and messages go both ways', async () => {
    const dave = await login('dave', 'two');
    const frank = await login('frank', 'three');
    const dm = dave.c.getMeTopic();
    await dm.subscribe(dm.startMetaQuery().withSub().build());
    const df = dave.c.getTopic(frank.uid);
    expect((await df.subscribe(df.startMetaQuery().withDesc().build())).code).toBe(200);
    const fd = frank.c.getTopic(dave.uid);
    expect((await fd.subscribe(fd.startMetaQuery().withDesc().build())).code).toBe(200);
    const fm = frank.c.getMeTopic();
    await fm.subscribe(fm.startMetaQuery().withSub().build());
    // Frank's me (on its node) told dave's me (on its own) that frank is online.
    await until(() => dave.log.some((p) => p.pres?.topic === 'me' && p.pres.src === frank.uid && p.pres.what === 'on'), 5000, 'frank online on dave\'s me');
    const seqs: number[] = [];
    for (let k = 0; k < 5; k++) {
      seqs.push(await publishOk(df, `dave ${k}`));
      seqs.push(await publishOk(fd, `frank ${k}`));
    }
    const p2p = df.name;
    expect(seqs).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    for (const [u, topic] of [[dave, frank.uid], [frank, dave.uid]] as const) {
      await until(() => dataOf(u, topic).length >= 10, 5000, `ten messages for ${u.node}`);
      expect(dataOf(u, topic).map((d) => d.seq)).toEqual(seqs);
    }
    expect(p2p).toBe(frank.uid);
    // Each topic is live on one node, the one the ring gives it.
    const ring = new Ring(NODES);
    const where = new Map<string, string[]>();
    for (const [node, n] of nodes) for (const t of n.server.hub.liveNames()) where.set(t, [...(where.get(t) ?? []), node]);
    for (const [t, at] of where) expect(at, t).toEqual([ring.get(t)]);
    const p2pName = [...where.keys()].find((t) => t.startsWith('p2p'));
    expect(p2pName).toBeDefined();
  }, 60_000);

  it('relays a call between users on two nodes: ring, accept, offer and answer, hang-up, recorded once', async () => {
    const alice = await login('alice', 'one');
    const bob = await login('bob', 'two');
    // Bob's phone, on the third node, looks at his contacts only.
    const phone = await login('bob', 'three');
    await phone.c.getMeTopic().subscribe();
    const ab = alice.c.getTopic(bob.uid);
    await ab.subscribe();
    const ba = bob.c.getTopic(alice.uid);
    await ba.subscribe();
    const call = (t: SdkTopic, evt: string, seq: number, payload?: unknown) => (t as unknown as { videoCall(e: string, s: number, p?: unknown): void }).videoCall(evt, seq, payload);
    const infoOf = (u: User, event: string) => u.log.flatMap((p) => (p.info?.what === 'call' && p.info.event === event ? [p.info] : []));
    const recordsOf = (u: User, topic: string, seq: number) => dataOf(u, topic).flatMap((d) => ((d.head as Rec | undefined)?.replace === `:${seq}` ? [String((d.head as Rec).webrtc)] : []));

    const pub = ab.createMessage({ txt: ' ', fmt: [{ at: 0, len: 1, key: 0 }], ent: [{ tp: 'VC', data: {} }] }, false);
    pub.head = { ...(pub.head as Rec), webrtc: 'started' };
    const ctrl = await ab.publishMessage(pub);
    expect(ctrl?.code).toBe(202);
    const seq = Number(ctrl?.params?.seq);
    await until(() => dataOf(bob, alice.uid).some((d) => d.seq === seq), 5000, 'bob to get the call');
    call(ba, 'ringing', seq);
    await until(() => infoOf(alice, 'ringing').length === 1, 5000, 'alice to hear it ring');
    call(ba, 'accept', seq);
    await until(() => infoOf(alice, 'accept').length === 1, 5000, 'alice to hear the accept');
    await until(() => infoOf(phone, 'accept').length === 1, 5000, "bob's phone to hear he accepted");
    call(ab, 'offer', seq, { type: 'offer', sdp: 'o' });
    await until(() => infoOf(bob, 'offer').length === 1, 5000, 'bob to get the offer');
    expect(infoOf(bob, 'offer')[0]).toEqual({ topic: alice.uid, from: alice.uid, what: 'call', event: 'offer', seq, payload: { type: 'offer', sdp: 'o' } });
    call(ba, 'answer', seq, { type: 'answer', sdp: 'a' });
    await until(() => infoOf(alice, 'answer').length === 1, 5000, 'alice to get the answer');
    call(ab, 'hang-up', seq);
    for (const [u, topic] of [[alice, bob.uid], [bob, alice.uid]] as const) {
      await until(() => recordsOf(u, topic, seq).includes('finished'), 5000, `${u.node} to see the call finished`);
      expect(recordsOf(u, topic, seq)).toEqual(['accepted', 'finished']);
    }
    await until(() => infoOf(phone, 'hang-up').length === 1, 5000, "bob's phone to hear the hang-up");
    expect(infoOf(phone, 'offer')).toEqual([]);
  }, 60_000);

  it('serves a group of 300 members spread over the three nodes: every message once, in order, at every member', async () => {
    const owner = await login('alice', 'one');
    const grp = owner.c.getTopic(owner.c.newGroupTopicName(false));
    expect((await grp.subscribe(undefined, { desc: { public: { fn: 'three hundred' }, defacs: { auth: 'JRWPS', anon: 'JRWPS' } } })).code).toBe(200);
    const name = grp.name;
    // The owner steps out while the others join (tinode-sdk would ask about each of them).
    await grp.leave(false);
    // 296 members on plain websocket clients and 4 on tinode-sdk (the owner and one per node),
    // which asks for the description of every member it hears of: those join last.
    // Anonymous accounts: no password to hash, hundreds of them in seconds.
    const raw: { node: string; c: ProcessClient }[] = [];
    for (let batch = 0; batch < 296; batch += 37) {
      raw.push(
        ...(await Promise.all(
          Array.from({ length: 37 }, async (_, j) => {
            const node = NODES[(batch + j) % 3]!;
            const c = await ProcessClient.open(nodes.get(node)!.host);
            rawOpen.push(c);
            await c.ask({ hi: { id: 'h', ver: '0.25.3' } });
            expect((await c.ask({ acc: { id: 'a', user: 'new', scheme: 'anonymous', login: true, desc: { public: { fn: `member ${batch + j}` } } } })).ctrl?.code).toBe(200);
            expect((await c.ask({ sub: { id: 's', topic: name } }, 30_000)).ctrl?.code).toBe(200);
            return { node, c };
          }),
        )),
      );
    }
    expect((await grp.subscribe()).code).toBe(200);
    const sdk: User[] = [owner];
    for (let j = 0; j < 3; j++) {
      const node = NODES[j % 3]!;
      const c = await connectSdk(nodes.get(node)!.host, 'ws');
      open.push(c);
      const u: User = { c, uid: '', node, log: [] };
      c.onMessage = (pkt) => {
        lastPacketAt = Date.now();
        u.log.push(pkt as User['log'][number]);
      };
      expect((await c.createAccount('anonymous', null, true, { public: { fn: `sdk ${j}` } })).code).toBe(200);
      u.uid = c.getCurrentUserID();
      expect((await c.getTopic(name).subscribe()).code).toBe(200);
      sdk.push(u);
    }
    // Two publishers on each node, five messages each, all at once.
    const publishers = raw.slice(0, 6);
    expect(new Set(publishers.map((m) => m.node)).size).toBe(3);
    const acked = await Promise.all(
      publishers.map(async (m, i) => {
        const seqs: number[] = [];
        for (let k = 0; k < 5; k++) {
          const ctrl = (await m.c.ask({ pub: { id: `p${k}`, topic: name, content: `p${i} ${k}` } }, 30_000)).ctrl!;
          expect(ctrl.code).toBe(202);
          seqs.push(Number((ctrl.params as { seq: number }).seq));
        }
        return seqs;
      }),
    );
    const all = acked.flat().sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const rawData = (c: ProcessClient) => c.inbox.flatMap((f) => (f.data && f.data.topic === name ? [Number(f.data.seq)] : []));
    await until(() => sdk.every((u) => dataOf(u, name).length >= 30) && raw.every((m) => rawData(m.c).length >= 30), 30_000, 'every member to have 30 messages').catch((err: unknown) => {
      const short = [...sdk.map((u) => [`sdk@${u.node}`, dataOf(u, name).length] as const), ...raw.map((m) => [`raw@${m.node}${m.c.isClosed ? ' closed' : ''}`, rawData(m.c).length] as const)].filter(([, n]) => n < 30);
      const where = [...nodes.entries()].map(([n, srv]) => `${n}: ${srv.server.hub.get(name)?.sessions.size ?? '-'} attached${srv.server.hub.get(name)?.isStopping ? ' stopping' : ''}`);
      throw new Error(`${String(err)}: ${short.length} short: ${JSON.stringify(short.slice(0, 20))}; the topic: ${where.join('; ')}`);
    });
    for (const u of sdk) expect(dataOf(u, name).map((d) => d.seq), `tinode-sdk member on ${u.node}`).toEqual(all);
    for (const m of raw) expect(rawData(m.c), `member on ${m.node}`).toEqual(all);
    expect(sdk.length + raw.length).toBe(300);
  }, 120_000);

  it('pushes a message to an away user once, whichever node the sender and the device were on', async () => {
    // Bob registers a device on node two and goes away.
    const device = await ProcessClient.open(nodes.get('two')!.host);
    await device.ask({ hi: { id: 'h', ver: '0.25.3', ua: 'cluster-push', dev: 'cluster-device' } });
    const logged = (await device.ask({ login: { id: 'l', scheme: 'basic', secret: b64('bob:bob123') } })).ctrl!;
    expect(logged.code).toBe(200);
    const bob = String((logged.params as { user: string }).user);
    device.ws.terminate();
    // Alice, on node one, writes to him in their p2p topic (served wherever the ring says).
    const alice = await rawLogin(nodes.get('one')!.host, 'alice');
    rawOpen.push(alice);
    expect((await alice.ask({ sub: { id: 's', topic: bob } })).ctrl?.code).toBe(200);
    expect((await alice.ask({ pub: { id: 'p', topic: bob, content: 'ping across' } })).ctrl?.code).toBe(202);
    await until(() => fcm.sends.some((m) => m.token === 'cluster-device' && m.data.content === 'ping across'), 5000, 'the push');
    // One push, not one per node.
    await new Promise((r) => setTimeout(r, 1000));
    expect(fcm.sends.filter((m) => m.token === 'cluster-device' && m.data.content === 'ping across')).toHaveLength(1);
  });

  it('serves a channel whose readers sit on other nodes', async () => {
    const owner = await rawLogin(nodes.get('one')!.host, 'alice');
    const made = (await owner.ask({ sub: { id: 'c', topic: 'nchCluster', set: { desc: { public: { fn: 'news' } } } } })).ctrl!;
    expect(made.code).toBe(200);
    const chn = String(made.topic).replace(/^grp/, 'chn');
    const readers = await Promise.all(['bob', 'carol', 'dave'].map((n, i) => rawLogin(nodes.get(NODES[(i + 1) % 3]!)!.host, n)));
    rawOpen.push(owner, ...readers);
    for (const r of readers) expect((await r.ask({ sub: { id: 'r', topic: chn } })).ctrl?.code).toBe(200);
    for (let k = 0; k < 3; k++) expect((await owner.ask({ pub: { id: `p${k}`, topic: String(made.topic), content: `news ${k}` } })).ctrl?.code).toBe(202);
    for (const r of readers) {
      await until(() => r.inbox.filter((f) => f.data?.topic === chn).length === 3, 5000, 'three items for a reader');
      expect(r.inbox.filter((f) => f.data?.topic === chn).map((f) => [f.data!.seq, f.data!.content])).toEqual([[1, 'news 0'], [2, 'news 1'], [3, 'news 2']]);
      // A reader cannot publish.
      expect((await r.ask({ pub: { id: 'no', topic: chn, content: 'mine' } })).ctrl?.code).toBe(403);
    }
  });

  it('tells gRPC clients in {hi} how many nodes the cluster has live', async () => {
    const client = nodeClient(nodes.get('three')!.server.grpcAddr!);
    const stream = client.MessageLoop();
    try {
      const answer = new Promise<Record<string, unknown>>((resolve) => stream.once('data', resolve));
      stream.write({ hi: { id: 'h', ver: '0.25.3', user_agent: 'cluster-test' } });
      const ctrl = (await answer).ctrl as { code: number; params: Record<string, Uint8Array> };
      expect(ctrl.code).toBe(201);
      expect(JSON.parse(Buffer.from(ctrl.params.clusterSize!).toString())).toBe(3);
    } finally {
      stream.end();
      client.close();
    }
  });

  it('lists the nodes with tinode cluster status: live, their sessions and topics', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tinode-cluster-status-'));
    const conf = join(dir, 'tinode.conf');
    const cluster_config = { nodes: [...NODES, 'four'].map((name) => ({ name })), failover: { enabled: true, heartbeat: HEARTBEAT, node_fail_after: FAIL_AFTER }, nats_url: nats.url, nats_prefix: 'tinode_t' };
    writeFileSync(conf, JSON.stringify({ cluster_config }));
    await login('carol', 'two');
    await new Promise((r) => setTimeout(r, 5 * HEARTBEAT));
    try {
      const table = await runTinode(['cluster', 'status', '--config', conf]);
      // A configured node that never ran: the status says so and exits 1.
      expect(table.code, table.stderr).toBe(1);
      for (const n of NODES) expect(table.stdout).toMatch(new RegExp(`^${n}\\s+live\\s`, 'm'));
      expect(table.stdout).toMatch(/^four\s+down \(never seen\)/m);
      expect(table.stderr).toMatch(/3 of 4 nodes live/);
      const json = await runTinode(['cluster', 'status', '--config', conf, '--json']);
      const nodesSeen = JSON.parse(json.stdout) as { name: string; live: boolean; record: { load: { sessions: number; topics: number }; pid: number } | null }[];
      expect(nodesSeen.map((n) => [n.name, n.live])).toEqual([['four', false], ['one', true], ['three', true], ['two', true]]);
      // Carol's session on node two is counted there.
      expect(nodesSeen.find((n) => n.name === 'two')?.record?.load.sessions).toBeGreaterThan(0);
      expect(nodesSeen.find((n) => n.name === 'one')?.record?.pid).toBe(process.pid);
      // The reference's cluster figures in /debug/vars, for its monitoring exporter.
      const vars = (await (await fetch(`http://${nodes.get('two')!.host}/debug/vars`)).json()) as Record<string, number>;
      expect([vars.TotalClusterNodes, vars.LiveClusterNodes]).toEqual([3, 3]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
