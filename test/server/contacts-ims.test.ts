import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, waitFor, type Json } from '../helpers/raw.js';
import { until } from '../helpers/sdk.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * `{get topic:"me" what:"sub" sub:{ims}}`, what a client with a cached contact list asks on
 * reconnect: only what changed since `ims` (a subscription, its topic's description, a new message,
 * the peer's profile), deletions since then, and contacts online now though unchanged (the
 * reference's `replyGetSub` adds those as `{topic, online, acs:{}}`); ctrl 204 when there is none.
 * Read marks are no change. Sample data: alice's contacts are groups, a channel and p2p peers.
 */
let srv: TestServer;
const open: RawClient[] = [];

beforeAll(async () => {
  srv = await startTestServer();
});

afterAll(async () => {
  for (const c of open) c.close();
  await srv.close();
});

async function user(login: string): Promise<{ c: RawClient; uid: string }> {
  const c = await RawClient.open(srv.host);
  open.push(c);
  await c.hello();
  const r = await c.login(login);
  return { c, uid: String((r.ctrl?.params as { user: string }).user) };
}

type Entry = Record<string, unknown> & { topic: string };

/** alice's full contact list, by the `fn` of each contact's public (p2p: the peer's). */
async function contacts(c: RawClient): Promise<Map<string, Entry>> {
  const list = await c.reply({ get: { id: 'all', topic: 'me', what: 'sub' } });
  const out = new Map<string, Entry>();
  for (const e of list.meta?.sub as Entry[]) {
    out.set(String((e.public as { fn?: string } | undefined)?.fn), e);
  }
  return out;
}

async function changedSince(c: RawClient, ims: string): Promise<Json> {
  return c.reply({ get: { id: 'ims', topic: 'me', what: 'sub', sub: { ims } } });
}

const tick = () => new Promise((r) => setTimeout(r, 20));

describe('a contact list asked with ims', () => {
  it('is ctrl 204 "sub" when nothing changed and no contact is online', async () => {
    const { c } = await user('alice');
    await c.reply({ sub: { id: 'me', topic: 'me' } });
    await contacts(c);
    await tick();
    const none = await changedSince(c, new Date().toISOString());
    expect(none.ctrl).toMatchObject({ code: 204, params: { what: 'sub' } });
    c.close();
  });

  it('holds what changed since, deletions since, and unchanged contacts online now; read marks are no change', async () => {
    const { c: alice } = await user('alice');
    await alice.reply({ sub: { id: 'me', topic: 'me' } });
    let before = await contacts(alice);
    // Something for alice to read in the book club (the sample's messages are random).
    const { c: carolPosts } = await user('carol');
    await carolPosts.reply({ sub: { id: 'b', topic: before.get('Book club')!.topic } });
    expect((await carolPosts.reply({ pub: { id: 'p', topic: before.get('Book club')!.topic, content: 'chapter 3?' } })).ctrl?.code).toBe(202);
    carolPosts.close();
    before = await contacts(alice);
    const books = before.get('Book club')!;
    const launch = before.get('Launch room')!;
    const news = before.get('Neighbourhood news')!;
    const carolId = before.get('Carol Chen')!.topic;
    const daveId = before.get('Dave Okafor')!.topic;
    // A read mark of 0 is left out of the contact (the sample data may leave alice with none).
    expect(Number(books.read ?? 0)).toBeLessThan(Number(books.seq));
    await tick();
    const ims = new Date().toISOString();
    await tick();

    // alice reads what she had not read in the book club: a read mark, not a change.
    await alice.reply({ sub: { id: 'b', topic: books.topic } });
    alice.send({ note: { topic: books.topic, what: 'read', seq: books.seq } });
    await alice.reply({ leave: { id: 'bl', topic: books.topic } });
    // bob posts in the launch room: the topic is touched.
    const { c: bob } = await user('bob');
    await bob.reply({ sub: { id: 'l', topic: launch.topic } });
    expect((await bob.reply({ pub: { id: 'p', topic: launch.topic, content: 'ship it' } })).ctrl?.code).toBe(202);
    bob.close();
    // carol renames herself: the p2p contact's public changed.
    const { c: carol } = await user('carol');
    await carol.reply({ sub: { id: 'me', topic: 'me' } });
    expect((await carol.reply({ set: { id: 'n', topic: 'me', desc: { public: { fn: 'Carol C.' } } } })).ctrl?.code).toBe(200);
    carol.close();
    // alice leaves the channel she reads.
    await alice.reply({ sub: { id: 'n', topic: news.topic } });
    expect((await alice.reply({ leave: { id: 'u', topic: news.topic, unsub: true } })).ctrl?.code).toBe(200);
    // dave comes online and changes nothing.
    const { c: dave } = await user('dave');
    await dave.reply({ sub: { id: 'me', topic: 'me' } });
    await waitFor(alice, (m) => m.pres?.what === 'on' && m.pres.src === daveId, 'dave online');
    await until(() => !srv.server.hub.get(books.topic), 3000, 'the book club to unload');

    const changed = await changedSince(alice, ims);
    const entries = new Map((changed.meta?.sub as Entry[]).map((e) => [e.topic, e]));
    expect([...entries.keys()].sort()).toEqual([launch.topic, news.topic, carolId, daveId].sort());
    // A new message: the topic's seq and touched time, but not its unchanged public or private.
    const l = entries.get(launch.topic)!;
    expect(l).toMatchObject({ seq: Number(launch.seq) + 1, acs: launch.acs });
    expect(new Date(String(l.touched)).getTime()).toBeGreaterThan(new Date(ims).getTime());
    expect(l).not.toHaveProperty('public');
    expect(l).not.toHaveProperty('private');
    expect(entries.get(carolId)).toMatchObject({ public: { fn: 'Carol C.' } });
    expect(entries.get(news.topic)).toEqual({ topic: news.topic, acs: {}, deleted: expect.any(String) });
    expect(entries.get(daveId)).toEqual({ topic: daveId, online: true, acs: {} });
    dave.close();
    alice.close();
  });
});
