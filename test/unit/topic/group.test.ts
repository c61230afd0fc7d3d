import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ctrlsOf, dataOf, metaOf, openTopicHarness, presOf, type FakeClient, type TopicHarness } from '../../helpers/topic-harness.js';

/**
 * A group topic on its own: a real hub, real topic code and a real store (SQLite with the sample
 * data), reached by fake clients that record what they are sent. In the sample, *HIKE is alice's
 * group with bob, carol and frank (all JRWPS); in *LAUNCH dave is given JRP only; *NEWS is a
 * channel whose default access for users (RWPD) has no J.
 */
describe('group topic', () => {
  let h: TopicHarness;
  let hike: string;

  beforeEach(async () => {
    h = await openTopicHarness();
    hike = h.groups.get('*HIKE') ?? '';
  });

  afterEach(async () => {
    await h.close();
  });

  /** Clients of these users, each attached to `topic`, with their inboxes emptied. */
  async function joined(topic: string, ...logins: string[]): Promise<FakeClient[]> {
    const clients = logins.map((l) => h.client(l));
    for (const [i, c] of clients.entries()) {
      await h.sub(c, topic, `join-${i}`);
      expect(ctrlsOf(c.received)[0]?.code, `${logins[i]} joins`).toBe(200);
    }
    for (const c of clients) c.take();
    return clients;
  }

  it('join: the subscriber gets ctrl 200 and the topic, attached members see it come online', async () => {
    const [alice] = await joined(hike, 'alice');
    const bob = h.client('bob');
    await h.sub(bob, hike, 's1', 'desc sub');
    const got = bob.take();
    expect(got[0]).toEqual({ ctrl: { id: 's1', topic: hike, code: 200, text: 'ok', ts: expect.any(Date) } });
    const meta = metaOf(got);
    expect(meta.find((m) => m.desc)?.desc).toMatchObject({ public: { fn: 'Weekend hikes' }, acs: { mode: 'JRWPS' } });
    expect(meta.find((m) => m.sub)?.sub?.map((s) => s.user).sort()).toEqual(['alice', 'bob', 'carol', 'frank'].map((l) => h.users.get(l)).sort());
    expect(bob.subs.has(hike)).toBe(true);
    expect(alice?.take()).toEqual([{ pres: { topic: hike, what: 'on', src: h.users.get('bob') } }]);
  });

  it('publish: 202 with the seq to the publisher, the data to every attached member, and the message stored', async () => {
    const [alice, bob, carol] = await joined(hike, 'alice', 'bob', 'carol');
    const before = await h.stored(hike, 'alice');
    const seq = (before.at(-1)?.seq ?? 0) + 1;
    await h.pub(bob!, hike, 'p1', 'to the summit');
    const ack = ctrlsOf(bob!.received);
    expect(ack).toEqual([{ id: 'p1', topic: hike, code: 202, text: 'accepted', params: { seq }, ts: expect.any(Date) }]);
    const data = { topic: hike, from: h.users.get('bob'), seq, content: 'to the summit', ts: expect.any(Date) };
    for (const c of [alice!, bob!, carol!]) {
      expect(dataOf(c.take())).toEqual([data]);
    }
    expect(await h.stored(hike, 'carol')).toEqual([...before, { seq, from: h.users.get('bob'), content: 'to the summit' }]);
  });

  it('leave: the others see the leaver go offline, and the leaver gets nothing more', async () => {
    const [alice, bob, carol] = await joined(hike, 'alice', 'bob', 'carol');
    await h.leave(bob!, hike, 'l1');
    expect(bob!.take()).toEqual([{ ctrl: { id: 'l1', topic: hike, code: 200, text: 'ok', ts: expect.any(Date) } }]);
    expect(bob!.subs.has(hike)).toBe(false);
    const off = { topic: hike, what: 'off', src: h.users.get('bob') };
    expect(presOf(alice!.take())).toEqual([off]);
    expect(presOf(carol!.take())).toEqual([off]);
    await h.pub(alice!, hike, 'p2', 'after bob left');
    expect(dataOf(carol!.take()).map((d) => d.content)).toEqual(['after bob left']);
    expect(bob!.received).toEqual([]);
    // Leaving without unsub keeps the subscription: bob still reads the topic from the store.
    expect((await h.stored(hike, 'bob')).at(-1)?.content).toBe('after bob left');
  });

  it('ACL: a member without W is refused a publication with 403, and nothing is stored or sent', async () => {
    const launch = h.groups.get('*LAUNCH') ?? '';
    const [alice, dave] = await joined(launch, 'alice', 'dave');
    const before = await h.stored(launch, 'alice');
    await h.pub(dave!, launch, 'w1', 'may I?');
    expect(dave!.take()).toEqual([{ ctrl: { id: 'w1', topic: launch, code: 403, text: 'permission denied', ts: expect.any(Date) } }]);
    expect(alice!.received).toEqual([]);
    expect(await h.stored(launch, 'alice')).toEqual(before);
  });

  it('ACL: a user whose default access has no J is refused a subscription with 403 and not attached', async () => {
    const news = h.groups.get('*NEWS') ?? '';
    const [dave] = await joined(news, 'dave');
    const carol = h.client('carol');
    await h.sub(carol, news, 'j1');
    expect(carol.take()).toEqual([{ ctrl: { id: 'j1', topic: news, code: 403, text: 'permission denied', ts: expect.any(Date) } }]);
    expect(carol.subs.size).toBe(0);
    expect(dave!.received).toEqual([]);
  });

  it('a publication the store refuses fails alone: the rest of its batch is stored and fanned out', async () => {
    const [alice, bob, frank] = await joined(hike, 'alice', 'bob', 'frank');
    const seq = ((await h.stored(hike, 'alice')).at(-1)?.seq ?? 0) + 1;
    // Sent together, both go into one group commit. A BigInt cannot be stored as JSON: it stands
    // for any content the database refuses.
    await Promise.all([h.pub(bob!, hike, 'bad', { n: 10n }), h.pub(alice!, hike, 'good', 'still here')]);
    expect(ctrlsOf(bob!.received)).toEqual([{ id: 'bad', topic: hike, code: 500, text: 'internal error', ts: expect.any(Date) }]);
    expect(ctrlsOf(alice!.received)).toEqual([{ id: 'good', topic: hike, code: 202, text: 'accepted', params: { seq }, ts: expect.any(Date) }]);
    for (const c of [alice!, bob!, frank!]) {
      expect(dataOf(c.take()).map((d) => [d.seq, d.content])).toEqual([[seq, 'still here']]);
    }
    expect((await h.stored(hike, 'frank')).at(-1)).toEqual({ seq, from: h.users.get('alice'), content: 'still here' });
    // Both were in one batch: the batch failed as a whole, then each message was saved alone.
    expect(h.warnings.filter((w) => w.includes('failed to save'))).toEqual([
      expect.stringContaining('failed to save 2 message(s)'),
      expect.stringContaining('failed to save a message alone'),
    ]);
  });

  it('a member that cannot keep up does not stop the fan-out to the others', async () => {
    const [alice, bob, frank] = await joined(hike, 'alice', 'bob', 'frank');
    bob!.accept = false;
    await h.pub(alice!, hike, 'p3', 'for everyone');
    expect(dataOf(bob!.take()).map((d) => d.content)).toEqual(['for everyone']);
    expect(dataOf(frank!.take()).map((d) => d.content)).toEqual(['for everyone']);
    expect(ctrlsOf(alice!.take()).map((c) => c.code)).toEqual([202]);
  });
});
