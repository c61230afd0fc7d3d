import { describe, expect, it } from 'vitest';
import { drain, RawClient, waitFor, type Json } from '../helpers/raw.js';
import { until } from '../helpers/sdk.js';
import { serverPerTest, type TestServer } from '../helpers/server.js';

/**
 * Groups with many members. A group loads all its members, however many `store_config.max_results`
 * allows one query to return elsewhere (a member left out would look new when joining: the default
 * mode instead of their own, and an `acs` announcement to everyone). Presence of members coming
 * and going in a group with many attached sessions waits for the send window
 * (`limits.presence_batch_ms`), in order with everything else a client is sent.
 */
const { start, track } = serverPerTest();

async function user(srv: TestServer, login: string): Promise<RawClient> {
  const c = track(await RawClient.open(srv.host));
  await c.hello();
  await c.login(login);
  return c;
}

async function newGroup(owner: RawClient): Promise<string> {
  const r = await owner.reply({ sub: { id: 'new', topic: 'new', set: { desc: { public: { fn: 'Big' }, defacs: { auth: 'JRWPS', anon: 'N' } } } } });
  expect(r.ctrl?.code).toBe(200);
  return String(r.ctrl?.topic);
}

async function join(c: RawClient, topic: string): Promise<Json> {
  const r = await c.reply({ sub: { id: 'join', topic } });
  expect(r.ctrl?.code).toBe(200);
  return r;
}

const presOf = (msgs: Json[]) => msgs.flatMap((m) => (m.pres ? [m.pres as { what: string; src?: string; tgt?: string }] : []));

describe('a group with more members than max_results', () => {
  it('knows every member after a reload: one joining keeps their mode and is not announced as new', async () => {
    const srv = await start({ store_config: { max_results: 2 } });
    const alice = await user(srv, 'alice');
    const grp = await newGroup(alice);
    for (const login of ['bob', 'carol', 'dave', 'frank']) {
      const c = await user(srv, login);
      await join(c, grp);
      if (login === 'frank') {
        expect((await c.reply({ set: { id: 'mode', topic: grp, sub: { mode: 'JRWS' } } })).ctrl?.code).toBe(200);
      }
      c.close();
    }
    alice.close();
    await until(() => !srv.server.hub.get(grp), 5000, `${grp} to unload`);

    // The topic loads again, with five members where one query returns two.
    const alice2 = await user(srv, 'alice');
    await join(alice2, grp);
    await drain(alice2, 200);
    const frank = await user(srv, 'frank');
    await join(frank, grp);
    const desc = await frank.reply({ get: { id: 'desc', topic: grp, what: 'desc' } });
    expect((desc.meta?.desc as { acs?: { want?: string } }).acs?.want).toBe('JRWS');
    // Alice hears that frank came online, and nothing about his access: it did not change.
    const seen = presOf(await drain(alice2, 600));
    expect(seen.filter((p) => p.what === 'acs')).toEqual([]);
    expect(seen.filter((p) => p.what === 'on')).toHaveLength(1);
  });
});

/**
 * A server with the given send window, where a group needs two attached sessions to hold presence;
 * alice made the group and bob is attached to it too, and carol has just joined it.
 */
async function carolJoinsAliceAndBob(presenceBatchMs: number, quietMs: number): Promise<{ srv: TestServer; alice: RawClient; carol: RawClient; grp: string }> {
  const srv = await start({ limits: { presence_batch_ms: presenceBatchMs, presence_batch_sessions: 2 } });
  const alice = await user(srv, 'alice');
  const grp = await newGroup(alice);
  const bob = await user(srv, 'bob');
  await join(bob, grp);
  // What bob's join sent alice is out of the way (held for up to the window).
  await drain(alice, quietMs);
  const carol = await user(srv, 'carol');
  await join(carol, grp);
  return { srv, alice, carol, grp };
}

describe('presence of members coming and going', () => {
  it('waits for the send window in a group with enough sessions, and comes before what is sent after it', async () => {
    const { srv, alice, carol, grp } = await carolJoinsAliceAndBob(1000, 1500);
    // (a new member's `acs` is not held: only coming and going is)
    expect(presOf(await drain(alice, 300)).filter((p) => p.what === 'on')).toEqual([]);
    // Carol's message goes to alice after the presence held for her, not before it.
    expect((await carol.reply({ pub: { id: 'pub', topic: grp, content: 'hello' } })).ctrl?.code).toBe(202);
    const first = await waitFor(alice, (m) => m.pres?.what === 'on' || m.data !== undefined, 'presence or data');
    expect(first.pres).toMatchObject({ topic: grp, what: 'on' });
    const next = await waitFor(alice, (m) => m.data !== undefined, 'the message');
    expect(next.data).toMatchObject({ topic: grp, content: 'hello' });

    // With nothing else sent to alice, the held presence arrives when the window ends.
    const dave = await user(srv, 'dave');
    await join(dave, grp);
    const on = await waitFor(alice, (m) => m.pres?.what === 'on', 'presence of dave', 3000);
    expect(on.pres).toMatchObject({ topic: grp, what: 'on' });
    // Leaving is announced the same way.
    dave.close();
    const off = await waitFor(alice, (m) => m.pres?.what === 'off', 'dave off', 3000);
    expect(off.pres).toMatchObject({ topic: grp, what: 'off', src: on.pres?.src });
  });

  it('is sent at once with presence_batch_ms 0', async () => {
    const { alice, grp } = await carolJoinsAliceAndBob(0, 200);
    const on = await waitFor(alice, (m) => m.pres?.what === 'on', 'presence of carol', 900);
    expect(on.pres).toMatchObject({ topic: grp, what: 'on' });
  });
});
