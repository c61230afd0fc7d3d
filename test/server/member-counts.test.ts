import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, waitFor } from '../helpers/raw.js';
import { connectSdk, until, type SdkClient } from '../helpers/sdk.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * A group's member count (`subcnt`): in `{meta desc}` of the live topic and in every member's
 * contact list (`{meta sub}` on me, what TinodeWeb shows as "N members" or, for a channel, "N
 * subscribers"). It is the number of subscriptions the group has, channel readers included (the
 * reference's stored recount), whatever changed it: creation, invitation, joining, a join
 * request approved, a ban (the banned stay subscribed), leaving, removal, a reload from the store.
 */
let srv: TestServer;
const clients: RawClient[] = [];
const sdks: SdkClient[] = [];
const ids: Record<string, string> = {};

beforeAll(async () => {
  srv = await startTestServer();
  for (const login of ['alice', 'bob', 'carol', 'dave', 'frank']) {
    (await member(login)).close();
  }
});

afterAll(async () => {
  for (const c of clients) c.close();
  for (const s of sdks) s.disconnect();
  await srv.close();
});

/** A user's session with `me` attached (contact lists are read there). */
async function member(login: string): Promise<RawClient> {
  const c = await RawClient.open(srv.host);
  clients.push(c);
  await c.hello();
  const r = await c.login(login);
  ids[login] = String((r.ctrl?.params as { user: string }).user);
  expect((await c.reply({ sub: { id: 'me', topic: 'me' } })).ctrl?.code).toBe(200);
  return c;
}

/** The count a member sees: in the topic's description, and in the member's contact list. */
async function seen(c: RawClient, topic: string): Promise<{ desc: unknown; contact: unknown }> {
  const d = await c.reply({ get: { id: 'cd', topic, what: 'desc' } });
  const s = await c.reply({ get: { id: 'cs', topic: 'me', what: 'sub', sub: { topic } } });
  return { desc: (d.meta?.desc as { subcnt?: number } | undefined)?.subcnt, contact: (s.meta?.sub as { subcnt?: number }[] | undefined)?.[0]?.subcnt };
}

async function expectCount(topic: string, members: RawClient[], n: number): Promise<void> {
  for (const c of members) {
    expect(await seen(c, topic)).toEqual({ desc: n, contact: n });
  }
}

async function unloaded(topic: string): Promise<void> {
  await until(() => !srv.server.hub.get(topic), 3000, `${topic} to unload`);
}

describe('the member count of a group', () => {
  it('is the number of members for each of them, live and after a reload, whatever changed it', async () => {
    const alice = await member('alice');
    const bob = await member('bob');
    const carol = await member('carol');
    const dave = await member('dave');
    const grp = String((await alice.reply({ sub: { id: 'n', topic: 'new', set: { desc: { public: { fn: 'Counted' } } } } })).ctrl?.topic);
    await expectCount(grp, [alice], 1);

    // Invited, then opening it: the invitation already made bob a member.
    expect((await alice.reply({ set: { id: 'i', topic: grp, sub: { user: ids.bob } } })).ctrl?.code).toBe(200);
    await expectCount(grp, [alice], 2);
    expect((await bob.reply({ sub: { id: 's', topic: grp } })).ctrl?.code).toBe(200);
    await expectCount(grp, [alice, bob], 2);

    // Joining by the default access.
    expect((await carol.reply({ sub: { id: 's', topic: grp } })).ctrl?.code).toBe(200);
    await expectCount(grp, [alice, bob, carol], 3);

    // A join request: dave may only join and asks for more; approving it adds no one.
    expect((await alice.reply({ set: { id: 'a', topic: grp, desc: { defacs: { auth: 'JP' } } } })).ctrl?.code).toBe(200);
    const asked = await dave.reply({ sub: { id: 's', topic: grp, set: { sub: { mode: 'JRWPS' } } } });
    expect(asked.ctrl).toMatchObject({ code: 200, params: { acs: { given: 'JP' } } });
    await expectCount(grp, [alice, bob, carol, dave], 4);
    expect((await alice.reply({ set: { id: 'o', topic: grp, sub: { user: ids.dave, mode: 'JRWPS' } } })).ctrl?.code).toBe(200);
    await expectCount(grp, [alice, bob, carol, dave], 4);

    // Banned: still subscribed, still counted (the reference's recount counts the subscription).
    expect((await alice.reply({ set: { id: 'b', topic: grp, sub: { user: ids.dave, mode: 'N' } } })).ctrl?.code).toBe(200);
    await waitFor(dave, (m) => m.ctrl?.code === 205 && m.ctrl.topic === grp, 'dave evicted');
    await expectCount(grp, [alice, bob, carol], 4);

    // Leaving for good, and being removed.
    expect((await carol.reply({ leave: { id: 'l', topic: grp, unsub: true } })).ctrl?.code).toBe(200);
    await expectCount(grp, [alice, bob], 3);
    expect((await alice.reply({ del: { id: 'r', topic: grp, what: 'sub', user: ids.dave } })).ctrl?.code).toBe(200);
    await expectCount(grp, [alice, bob], 2);

    // Everybody leaves; the topic unloads and comes back from the store.
    await alice.reply({ leave: { id: 'x', topic: grp } });
    await bob.reply({ leave: { id: 'x', topic: grp } });
    await unloaded(grp);
    expect((await bob.reply({ sub: { id: 's', topic: grp } })).ctrl?.code).toBe(200);
    expect((await alice.reply({ sub: { id: 's', topic: grp } })).ctrl?.code).toBe(200);
    await expectCount(grp, [alice, bob], 2);
    // A member who comes back after leaving counts once more.
    expect((await carol.reply({ sub: { id: 's', topic: grp } })).ctrl?.code).toBe(200);
    await expectCount(grp, [alice, bob, carol], 3);
  });

  it('counts channel readers once each, however often they come and go', async () => {
    const dave = await member('dave');
    const frank = await member('frank');
    const grp = String((await dave.reply({ sub: { id: 'n', topic: 'nch', set: { desc: { public: { fn: 'Broadcast' } } } } })).ctrl?.topic);
    const chn = 'chn' + grp.slice(3);
    await expectCount(grp, [dave], 1);
    expect((await frank.reply({ sub: { id: 's', topic: chn } })).ctrl?.code).toBe(200);
    await expectCount(grp, [dave], 2);
    expect(await seen(frank, chn)).toEqual({ desc: 2, contact: 2 });
    for (let i = 0; i < 2; i++) {
      expect((await frank.reply({ leave: { id: 'l', topic: chn } })).ctrl?.code).toBe(200);
      expect((await frank.reply({ sub: { id: 's', topic: chn } })).ctrl?.code).toBe(200);
    }
    await expectCount(grp, [dave], 2);
    expect((await frank.reply({ leave: { id: 'u', topic: chn, unsub: true } })).ctrl?.code).toBe(200);
    await expectCount(grp, [dave], 1);
  });

  it('is what tinode-sdk shows an invited member opening the group, and in its contact list', async () => {
    const alice = await member('alice');
    const grp = String((await alice.reply({ sub: { id: 'n', topic: 'new' } })).ctrl?.topic);
    expect((await alice.reply({ set: { id: 'i', topic: grp, sub: { user: ids.carol } } })).ctrl?.code).toBe(200);
    const carol = await connectSdk(srv.host, 'ws');
    sdks.push(carol);
    await carol.loginBasic('carol', 'carol123');
    const me = carol.getMeTopic();
    await me.subscribe(me.startMetaQuery().withLaterSub().build());
    await until(() => me.getContact?.(grp) !== undefined, 3000, 'the group in carol’s contacts');
    expect(me.getContact?.(grp)?.subcnt).toBe(2);
    const topic = carol.getTopic(grp);
    await topic.subscribe(topic.startMetaQuery().withDesc().build());
    expect(topic.subcnt).toBe(2);
  });
});
