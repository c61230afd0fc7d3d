import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Membership } from '../../server/cluster/membership.js';
import { Placement } from '../../server/cluster/placement.js';
import { Ring } from '../../server/cluster/ring.js';
import { clusterFixture, natsForTests, until } from '../helpers/cluster.js';

/**
 * Topic masters over live nodes on a real nats-server: every node places a topic on the same
 * master; with failover a killed node's topics move to the others and no other topic moves;
 * without failover they stay with it and have no master while it is down; new topics are named
 * so that they land where they are asked for.
 */
const NODES = ['one', 'two', 'three'];
const topics = Array.from({ length: 3000 }, () => `grp${randomBytes(8).toString('base64url').slice(0, 11)}`);

describe.skipIf(!natsForTests())('topic placement over the live nodes', () => {
  const cluster = clusterFixture(NODES);

  async function node(self: string, failover = true): Promise<{ m: Membership; p: Placement }> {
    const { settings, m } = await cluster.join(self, failover);
    return { m, p: new Placement(settings, m) };
  }

  it('with failover: one master per topic everywhere; a killed node\'s topics move, no other topic does', async () => {
    const one = await node('one');
    const two = await node('two');
    const three = await cluster.spawn('three');
    await until('all three live on one and two', () => one.m.live.length === 3 && two.m.live.length === 3);
    const before = new Map(topics.map((t) => [t, one.p.masterOf(t)]));
    for (const t of topics) expect(two.p.masterOf(t)).toBe(before.get(t));
    expect(new Set(before.values())).toEqual(new Set(NODES));
    expect(one.p.isLocal(topics.find((t) => before.get(t) === 'one')!)).toBe(true);

    const moves: [string[], string[]][] = [];
    one.p.onChange((now, was) => moves.push([[...now.nodes], [...was.nodes]]));
    three.proc.kill('SIGKILL');
    await until('three gone for one and two', () => one.m.live.length === 2 && two.m.live.length === 2, 10_000);
    expect(moves).toEqual([[['one', 'two'], ['one', 'three', 'two']]]);
    for (const t of topics) {
      const now = one.p.masterOf(t);
      expect(two.p.masterOf(t)).toBe(now);
      if (before.get(t) === 'three') expect(['one', 'two']).toContain(now);
      else expect(now).toBe(before.get(t));
    }
  });

  it('without failover: the ring keeps every node, and a down node\'s topics have no master until it is back', async () => {
    const one = await node('one', false);
    const two = await node('two', false);
    await until('one and two live', () => one.m.live.length === 2 && two.m.live.length === 2);
    const ring = new Ring(NODES);
    for (const t of topics.slice(0, 300)) {
      const owner = ring.get(t);
      expect(one.p.masterOf(t)).toBe(owner === 'three' ? '' : owner);
    }
    const three = await node('three', false);
    await until('three live for one', () => one.m.live.length === 3);
    for (const t of topics.slice(0, 300)) expect(one.p.masterOf(t)).toBe(ring.get(t));
    expect(three.p.ring.nodes).toEqual(['one', 'three', 'two']);
  });

  it('names a new topic so that this node is its master, and places nothing while cut off from NATS', async () => {
    const one = await node('one');
    const two = await node('two');
    await until('both live', () => one.m.live.length === 2 && two.m.live.length === 2);
    const draw = () => `grp${randomBytes(8).toString('base64url').slice(0, 11)}`;
    for (let i = 0; i < 50; i++) {
      const name = two.p.newLocalName(draw)!;
      expect(one.p.masterOf(name)).toBe('two');
    }
    await cluster.nats().pause();
    await until('one not ready', () => !one.m.ready);
    expect(one.p.masterOf(topics[0]!)).toBe('');
    expect(one.p.newLocalName(draw)).toBeUndefined();
    await cluster.nats().resume();
    await until('one ready again', () => one.m.ready && one.m.live.length === 2, 15_000);
    expect(one.p.masterOf(topics[0]!)).not.toBe('');
  });
});
