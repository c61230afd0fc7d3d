import { describe, expect, it } from 'vitest';
import { ClusterStartError, Membership } from '../../server/cluster/membership.js';
import { clusterFixture, clusterSettings, FAIL_AFTER, HEARTBEAT, natsForTests, until } from '../helpers/cluster.js';

/**
 * Membership of a cluster on a real nats-server of the test's own (JetStream key-value bucket):
 * nodes see each other, see one leave at once when it stops and within node_fail_after heartbeats
 * when it is killed, one name cannot run twice, and a node cut off from NATS stops counting itself
 * in until the link is back.
 */
const NODES = ['one', 'two', 'three'];

describe.skipIf(!natsForTests())('cluster membership on NATS', () => {
  const cluster = clusterFixture(NODES);
  const join = async (self: string): Promise<Membership> => (await cluster.join(self)).m;

  it('every node sees every live node with its worker id; one that stops is gone for the others at once', async () => {
    const [one, two, three] = [await join('one'), await join('two'), await join('three')];
    for (const m of [one, two, three]) await until(`${m.self} sees all three`, () => m.live.join() === 'one,three,two');
    expect(one.members().map((r) => [r.name, r.workerId, r.live])).toEqual([
      ['one', 1, true],
      ['three', 2, true],
      ['two', 3, true],
    ]);
    const changes: string[] = [];
    one.onChange((live) => changes.push(live.join()));
    const stoppedAt = Date.now();
    await three.stop();
    cluster.forget(three);
    await until('one sees three leave', () => one.live.join() === 'one,two');
    // Deleted, not timed out: well before node_fail_after heartbeats.
    expect(Date.now() - stoppedAt).toBeLessThan(HEARTBEAT * FAIL_AFTER);
    expect(changes).toEqual(['one,two']);
  });

  it('counts a killed node gone after node_fail_after heartbeats, and refuses its name while it lives', async () => {
    const one = await join('one');
    const two = await cluster.spawn('two');
    expect(two.said).toBe('ready');
    await until('one sees two', () => one.live.includes('two'));

    // A second "two" is refused while the first one is live.
    const twin = await cluster.spawn('two').catch((e: Error) => ({ proc: null, said: e.message }));
    expect(twin.said).toMatch(/a node named "two" is already running/);
    await expect(Membership.start(clusterSettings(cluster.nats().url, 'two', NODES))).rejects.toBeInstanceOf(ClusterStartError);

    const killedAt = Date.now();
    two.proc.kill('SIGKILL');
    await until('one sees two gone', () => !one.live.includes('two'));
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(HEARTBEAT * FAIL_AFTER * 0.5);

    // Once it is gone a new process may take the name.
    const again = await join('two');
    await until('one sees the new two', () => one.live.includes('two'));
    expect(again.ready).toBe(true);
  });

  it('a node cut off from NATS stops counting itself in, and rejoins when the link is back', async () => {
    const one = await join('one');
    const two = await join('two');
    await until('both live', () => one.live.length === 2 && two.live.length === 2);
    const readiness: boolean[] = [];
    one.onReady((ready) => readiness.push(ready));

    await cluster.nats().pause();
    await until('one not ready', () => !one.ready, 5000);
    expect(one.live).not.toContain('one');
    expect(['disconnected', 'writes failing']).toContain(one.notReady);

    await cluster.nats().resume();
    await until('one ready again', () => one.ready, 15_000);
    await until('both live again', () => one.live.join() === 'one,two' && two.live.join() === 'one,two', 15_000);
    expect(readiness[0]).toBe(false);
    expect(readiness[readiness.length - 1]).toBe(true);
  });
});
