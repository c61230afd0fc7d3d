import type { ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClusterStartError, Membership } from '../../server/cluster/membership.js';
import { clusterSettings, FAIL_AFTER, HEARTBEAT, memberProcess, until } from '../helpers/cluster.js';
import { natsServerAvailable, TestNats } from '../helpers/nats.js';

/**
 * Membership of a cluster on a real nats-server of the test's own (JetStream key-value bucket):
 * nodes see each other, see one leave at once when it stops and within node_fail_after heartbeats
 * when it is killed, one name cannot run twice, and a node cut off from NATS stops counting itself
 * in until the link is back.
 */
const NODES = ['one', 'two', 'three'];

if (!natsServerAvailable() && process.env.CI) {
  throw new Error('nats-server is missing at /usr/sbin/nats-server, and CI must test the cluster (apt install nats-server)');
}

describe.skipIf(!natsServerAvailable())('cluster membership on NATS', () => {
  let nats: TestNats;
  const started: Membership[] = [];
  const procs: ChildProcess[] = [];

  beforeAll(async () => {
    nats = await TestNats.start();
  });

  afterEach(async () => {
    for (const m of started.splice(0)) await m.stop();
    for (const p of procs.splice(0)) p.kill('SIGKILL');
  });

  afterAll(async () => {
    await nats?.stop();
  });

  async function join(self: string): Promise<Membership> {
    const m = await Membership.start(clusterSettings(nats.url, self, NODES));
    started.push(m);
    return m;
  }

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
    started.splice(started.indexOf(three), 1);
    await until('one sees three leave', () => one.live.join() === 'one,two');
    // Deleted, not timed out: well before node_fail_after heartbeats.
    expect(Date.now() - stoppedAt).toBeLessThan(HEARTBEAT * FAIL_AFTER);
    expect(changes).toEqual(['one,two']);
  });

  it('counts a killed node gone after node_fail_after heartbeats, and refuses its name while it lives', async () => {
    const one = await join('one');
    const two = await memberProcess(nats.url, 'two', NODES);
    procs.push(two.proc);
    expect(two.said).toBe('ready');
    await until('one sees two', () => one.live.includes('two'));

    // A second "two" is refused while the first one is live.
    const twin = await memberProcess(nats.url, 'two', NODES).catch((e: Error) => ({ proc: null, said: e.message }));
    expect(twin.said).toMatch(/a node named "two" is already running/);
    await expect(Membership.start(clusterSettings(nats.url, 'two', NODES))).rejects.toBeInstanceOf(ClusterStartError);

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

    await nats.pause();
    await until('one not ready', () => !one.ready, 5000);
    expect(one.live).not.toContain('one');
    expect(['disconnected', 'writes failing']).toContain(one.notReady);

    await nats.resume();
    await until('one ready again', () => one.ready, 15_000);
    await until('both live again', () => one.live.join() === 'one,two' && two.live.join() === 'one,two', 15_000);
    expect(readiness[0]).toBe(false);
    expect(readiness[readiness.length - 1]).toBe(true);
  });
});
