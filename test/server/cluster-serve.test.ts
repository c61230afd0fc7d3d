import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTinode } from '../helpers/cli.js';
import { FAIL_AFTER, HEARTBEAT, natsForTests, until as untilCluster } from '../helpers/cluster.js';
import { newTestDb, testDbKinds, type TestDb } from '../helpers/databases.js';
import { TestNats } from '../helpers/nats.js';
import { connectSdk, until, type SdkClient, type SdkTopic } from '../helpers/sdk.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

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
  log: { data?: Rec; pres?: Rec; ctrl?: Rec }[];
}

describe.skipIf(!natsForTests() || shared.length === 0).each(shared)('a cluster of three nodes on %s', (kind) => {
  let nats: TestNats;
  let db: TestDb;
  const nodes = new Map<string, TestServer>();
  const open: SdkClient[] = [];

  beforeAll(async () => {
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
      nodes.set(self, await startTestServer({ cluster_config, limits: { publish_rate: 0 } }, db.url));
    }
    await untilCluster('every node sees three', () => [...nodes.values()].every((n) => n.server.ctx.clusterSize() === 3));
  }, 60_000);

  afterAll(async () => {
    for (const c of open) if (c.isConnected()) c.disconnect();
    for (const n of nodes.values()) await n.close();
    await nats?.stop();
    await db?.drop();
  }, 60_000);

  async function login(name: string, node: string): Promise<User> {
    const c = await connectSdk(nodes.get(node)!.host, 'ws');
    open.push(c);
    const user: User = { c, uid: '', node, log: [] };
    c.onMessage = (pkt) => user.log.push(pkt as User['log'][number]);
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
    // The topics live where the ring says, not everywhere.
    const loaded = [...nodes.values()].map((n) => n.server.hub.size);
    expect(loaded.filter((n) => n > 0).length).toBeGreaterThan(1);
  }, 60_000);
});
