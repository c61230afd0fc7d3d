import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRoot } from '../../server/store/init/root.js';
import { parseUserId } from '../../src/model/uid.js';
import { drain, waitFor, type Json, type RawClient } from '../helpers/raw.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { canonicalP2P, history, otherSpelling, p2pOf, probe, SHORT_LOGINS, summary, Users, type Action } from '../helpers/topic-probe.js';

/**
 * The names that do reach a topic, from the users they belong to (`me`, `fnd`, `slf`, `sys`,
 * `usr<peer>`, `p2p<own pair>` in any order or spelling, `grp…`, `chn…`, `new…`, `nch…`), and the
 * scenarios of the issue these rules close: reading or writing another user's saved messages,
 * getting into someone else's p2p conversation (after one of them left, or before they talked),
 * attaching to another user's `fnd`. Every other name is in topic-names.test.ts.
 */
let srv: TestServer;
let u: Users;
const db = () => srv.server.ctx.store;

beforeAll(async () => {
  srv = await startTestServer(SHORT_LOGINS);
  u = new Users(srv);
  await u.signUp('eve');
  for (const login of ['alice', 'bob', 'carol', 'dave', 'frank']) (await u.session(login)).close();
  await makeRoot(srv.server.ctx.store, u.id('frank'));
});

afterAll(async () => {
  u.closeAll();
  await srv.close();
});

type Frame = Record<string, Record<string, unknown>>;

/** Sends a request and returns the code of its reply. */
async function code(c: RawClient, msg: Frame): Promise<number> {
  const r = await c.reply(msg);
  return Number(r.ctrl?.code ?? (r.meta ? 200 : 0));
}

/** The names of the user's contacts, as `me` lists them. */
async function contacts(c: RawClient): Promise<string[]> {
  const r = await c.reply({ get: { id: 'contacts', topic: 'me', what: 'sub' } });
  return ((r.meta?.sub ?? []) as { topic: string }[]).map((s) => s.topic);
}

/** Messages that mention any of the strings (ids, names, contents). */
/**
 * A refusal of a name that reaches no topic of the sender: one ctrl, no meta or data, with the
 * answer of a topic one is not attached to (404 for `{sub}`, 409 must attach first for `{pub}`…).
 */
function expectRefused(answer: Json, name: string): void {
  expect(Object.keys(answer)).toEqual(['ctrl']);
  expect(answer.ctrl?.topic).toBe(name);
  expect(Number(answer.ctrl?.code)).toBeGreaterThanOrEqual(300);
}

const mentioning = (seen: Json[], ...what: string[]) => seen.filter((m) => what.some((w) => JSON.stringify(m).includes(w)));

describe('names that reach a topic of their user', () => {
  const ACTIONS: Action[] = ['sub', 'get data', 'get desc', 'get sub', 'pub', 'note read', 'leave'];
  const CONVERSATION = { sub: '200 ok', 'get data': '208 delivered', 'get desc': 'meta', 'get sub': 'meta', pub: '202 accepted', 'note read': 'none', leave: '200 ok' };
  const bobCarol = () => canonicalP2P(u.id('bob'), u.id('carol'));
  /** dave's group, carol a member; dave's channel, carol a reader. */
  let grp = '';
  let chn = '';
  beforeAll(async () => {
    const dave = await u.session('dave');
    const carol = await u.session('carol');
    grp = String((await dave.reply({ sub: { id: 'g', topic: 'newOwn' } })).ctrl?.topic);
    chn = 'chn' + String((await dave.reply({ sub: { id: 'c', topic: 'nchOwn' } })).ctrl?.topic).slice(3);
    await dave.reply({ pub: { id: 'p', topic: grp, content: 'hello group' } });
    await dave.reply({ pub: { id: 'p', topic: 'grp' + chn.slice(3), content: 'news' } });
    expect((await carol.reply({ sub: { id: 's', topic: grp } })).ctrl?.code).toBe(200);
    expect((await carol.reply({ sub: { id: 's', topic: chn } })).ctrl?.code).toBe(200);
    dave.close();
    carol.close();
  });

  const ROWS: { form: string; login: string; name: () => string; expected: Record<string, string> }[] = [
    { form: 'me', login: 'alice', name: () => 'me', expected: { sub: '200 ok', 'get data': '403 permission denied', 'get desc': 'meta', 'get sub': 'meta', pub: '403 permission denied', 'note read': 'none', leave: '200 ok' } },
    { form: 'fnd', login: 'alice', name: () => 'fnd', expected: { sub: '200 ok', 'get data': '403 permission denied', 'get desc': 'meta', 'get sub': 'meta', pub: '403 permission denied', 'note read': 'none', leave: '200 ok' } },
    // Like the reference, slf lists no subscribers.
    { form: 'slf', login: 'alice', name: () => 'slf', expected: { sub: '200 ok', 'get data': '204 no content', 'get desc': 'meta', 'get sub': '204 no content', pub: '202 accepted', 'note read': 'none', leave: '200 ok' } },
    // Anyone reports to sys without subscribing; only root subscribes.
    { form: 'sys (not root)', login: 'alice', name: () => 'sys', expected: { sub: '403 permission denied', 'get data': '403 permission denied', 'get desc': 'meta', 'get sub': '404 not found', pub: '202 accepted', 'note read': '409 must attach first', leave: '304 not joined' } },
    { form: 'sys', login: 'frank', name: () => 'sys', expected: { ...CONVERSATION, 'get sub': '204 no content' } },
    { form: 'usr<peer>', login: 'bob', name: () => u.id('carol'), expected: CONVERSATION },
    { form: 'p2p<own pair>', login: 'bob', name: bobCarol, expected: CONVERSATION },
    { form: 'p2p<own pair, reversed>', login: 'carol', name: () => (bobCarol() === p2pOf(u.id('bob'), u.id('carol')) ? p2pOf(u.id('carol'), u.id('bob')) : p2pOf(u.id('bob'), u.id('carol'))), expected: CONVERSATION },
    { form: 'p2p<own pair, other spelling>', login: 'bob', name: () => otherSpelling(bobCarol()), expected: CONVERSATION },
    { form: 'grp<id> (owner)', login: 'dave', name: () => grp, expected: CONVERSATION },
    { form: 'grp<id> (member)', login: 'carol', name: () => grp, expected: CONVERSATION },
    { form: 'chn<id> (reader)', login: 'carol', name: () => chn, expected: { ...CONVERSATION, pub: '403 permission denied' } },
    { form: 'new…', login: 'alice', name: () => 'newAny', expected: { sub: '200 ok' } },
    { form: 'nch…', login: 'alice', name: () => 'nchAny', expected: { sub: '200 ok' } },
  ];

  it.each(ROWS.map((r) => [r.form, r.login, r] as const))('%s from its user (%s)', async (_form, login, row) => {
    const c = await u.session(login);
    const actions = ACTIONS.filter((a) => row.expected[a] !== undefined);
    const answers = await probe(c, row.name(), actions);
    expect(Object.fromEntries(actions.map((a) => [a, summary(answers.get(a)!)]))).toEqual(row.expected);
    c.close();
  });

  it('attaches a p2p name of either order or spelling to the one conversation, and stores no other', async () => {
    const bob = await u.session('bob');
    const carol = await u.session('carol');
    await carol.reply({ sub: { id: 's', topic: u.id('bob') } });
    const names = [bobCarol(), otherSpelling(bobCarol()), p2pOf(u.id('carol'), u.id('bob')), p2pOf(u.id('bob'), u.id('carol'))];
    for (const name of names) {
      expect(await code(bob, { sub: { id: 's', topic: name } })).toBe(200);
      await drain(carol, 50);
      carol.send({ pub: { id: 'p', topic: u.id('bob'), content: `to ${name}` } });
      const d = await waitFor(bob, (m) => !!m.data, 'data');
      expect(d.data).toMatchObject({ from: u.id('carol'), content: `to ${name}` });
      // Already attached under any of its names.
      for (const again of [...names, u.id('carol')]) expect(await code(bob, { sub: { id: 'a', topic: again } })).toBe(304);
      expect(await code(bob, { leave: { id: 'l', topic: name } })).toBe(200);
    }
    for (const name of names.filter((n) => n !== bobCarol())) expect(await db().topics.get(name)).toBeNull();
    expect((await db().subs.forTopic(bobCarol(), true)).map((s) => s.user).sort()).toEqual([parseUserId(u.id('bob')), parseUserId(u.id('carol'))].sort());
  });
});

describe("alice and carol's saved messages", () => {
  it('keeps alice from reading or writing them, and keeps them carol’s only', async () => {
    const carol = await u.session('carol');
    await carol.reply({ sub: { id: 's', topic: 'slf' } });
    await carol.reply({ pub: { id: 'p', topic: 'slf', content: 'pin 4711' } });
    const alice = await u.session('alice');
    const slf = 'slf' + u.raw('carol');
    const tries: Frame[] = [
      { sub: { id: 'a', topic: slf, get: { what: 'desc sub data' } } },
      { get: { id: 'b', topic: slf, what: 'data' } },
      { pub: { id: 'c', topic: slf, content: 'planted' } },
      { set: { id: 'd', topic: slf, desc: { private: { x: 1 } } } },
      { del: { id: 'e', topic: slf, what: 'msg', delseq: [{ low: 1, hi: 100 }], hard: true } },
      { del: { id: 'f', topic: slf, what: 'topic', hard: true } },
    ];
    for (const t of tries) expectRefused(await alice.reply(t), slf);
    expect(await history(carol, 'slf')).toEqual([[u.id('carol'), 'pin 4711']]);
    expect((await db().subs.forTopic(slf, true)).map((s) => s.user)).toEqual([parseUserId(u.id('carol'))]);
    await alice.reply({ sub: { id: 'me', topic: 'me' } });
    // alice's own saved messages show as `slf`; nothing else of the kind.
    expect((await contacts(alice)).filter((t) => t.startsWith('slf') && t !== 'slf')).toEqual([]);
  });

  it("refuses slf<bob> before bob ever used slf; then bob's own slf is new and his", async () => {
    const alice = await u.session('alice');
    const slf = 'slf' + u.raw('bob');
    expect((await alice.reply({ sub: { id: 'a', topic: slf, set: { desc: { private: { mine: 'alice' } } } } })).ctrl?.code).toBe(404);
    expect((await alice.reply({ pub: { id: 'b', topic: slf, content: 'first!' } })).ctrl?.code).toBe(409);
    expect(await db().topics.get(slf)).toBeNull();
    const bob = await u.session('bob');
    const sub = await bob.reply({ sub: { id: 's', topic: 'slf' } });
    expect(sub.ctrl).toMatchObject({ code: 200, topic: 'slf', params: { acs: { mode: 'JRWDO' } } });
    expect((await bob.reply({ pub: { id: 'p', topic: 'slf', content: 'note to self' } })).ctrl?.params).toEqual({ seq: 1 });
    expect(await history(bob, 'slf')).toEqual([[u.id('bob'), 'note to self']]);
    const desc = await bob.reply({ get: { id: 'd', topic: 'slf', what: 'desc' } });
    expect(desc.meta?.desc).not.toHaveProperty('private');
    expect(await db().topics.get(slf)).toMatchObject({ owner: parseUserId(u.id('bob')), seqId: 1 });
    expect((await db().subs.forTopic(slf, true)).map((s) => s.user)).toEqual([parseUserId(u.id('bob'))]);
    expectRefused(await alice.reply({ get: { id: 'c', topic: slf, what: 'desc' } }), slf);
  });
});

describe("someone else's p2p conversation", () => {
  it("keeps alice out of bob and carol's after bob left it, and tells her nothing of it", async () => {
    const bob = await u.session('bob');
    const carol = await u.session('carol');
    const alice = await u.session('alice');
    await alice.reply({ sub: { id: 'me', topic: 'me' } });
    const before = await contacts(alice);
    await bob.reply({ sub: { id: 's', topic: u.id('carol') } });
    await carol.reply({ sub: { id: 's', topic: u.id('bob') } });
    await bob.reply({ pub: { id: 'p', topic: u.id('carol'), content: 'between us' } });
    expect((await bob.reply({ leave: { id: 'l', topic: u.id('carol'), unsub: true } })).ctrl?.code).toBe(200);
    const name = canonicalP2P(u.id('bob'), u.id('carol'));
    for (const n of [name, otherSpelling(name), p2pOf(u.id('carol'), u.id('bob')), p2pOf(u.id('bob'), u.id('carol'))]) {
      expect((await alice.reply({ sub: { id: 'a', topic: n, get: { what: 'desc sub data' } } })).ctrl).toMatchObject({ code: 404, text: 'topic not found' });
      expect((await alice.reply({ pub: { id: 'b', topic: n, content: 'hi both' } })).ctrl?.code).toBe(409);
    }
    // What carol sends reaches nobody but its own participants.
    await carol.reply({ pub: { id: 'p', topic: u.id('bob'), content: 'still there?' } });
    expect(mentioning(await drain(alice), u.id('bob'), u.id('carol'), name, 'still there?', 'between us')).toEqual([]);
    const subs = await db().subs.forTopic(name, true);
    expect(subs.map((s) => [s.user, s.deletedAt !== null]).sort()).toEqual([[parseUserId(u.id('bob')), true], [parseUserId(u.id('carol')), false]].sort());
    expect(await contacts(alice)).toEqual(before);
    // bob himself comes back only by carol's id, not by the p2p name.
    expect((await bob.reply({ sub: { id: 'r', topic: name } })).ctrl?.code).toBe(404);
    expect((await bob.reply({ sub: { id: 'r', topic: u.id('carol') } })).ctrl?.code).toBe(200);
  });

  it('keeps alice out of dave and eve’s before and after they talk', async () => {
    const alice = await u.session('alice');
    await alice.reply({ sub: { id: 'me', topic: 'me' } });
    const before = await contacts(alice);
    const name = canonicalP2P(u.id('dave'), u.id('eve'));
    expect((await alice.reply({ sub: { id: 'a', topic: name } })).ctrl).toMatchObject({ code: 404, text: 'topic not found' });
    expect(await db().topics.get(name)).toBeNull();
    const dave = await u.session('dave');
    const eve = await u.session('eve');
    expect((await dave.reply({ sub: { id: 's', topic: u.id('eve') } })).ctrl?.code).toBe(200);
    await dave.reply({ pub: { id: 'p', topic: u.id('eve'), content: 'hello eve' } });
    expect((await eve.reply({ sub: { id: 's', topic: u.id('dave') } })).ctrl?.code).toBe(200);
    expect(await history(eve, u.id('dave'))).toEqual([[u.id('dave'), 'hello eve']]);
    await eve.reply({ pub: { id: 'p', topic: u.id('dave'), content: 'hello dave' } });
    expect((await alice.reply({ sub: { id: 'b', topic: name } })).ctrl?.code).toBe(404);
    expect(mentioning(await drain(alice), u.id('dave'), u.id('eve'), name, 'hello')).toEqual([]);
    expect((await db().subs.forTopic(name, true)).map((s) => s.user).sort()).toEqual([parseUserId(u.id('dave')), parseUserId(u.id('eve'))].sort());
    expect(await contacts(alice)).toEqual(before);
  });

  it('creates no conversation from any 22-character p2p name; only usr<peer> starts one', async () => {
    const bob = await u.session('bob');
    const alice = await u.session('alice');
    const pair = canonicalP2P(u.id('bob'), u.id('dave'));
    const nobody = 'usr' + Buffer.from('nobody!!').toString('base64url').slice(0, 11);
    const tries: [RawClient, string][] = [
      [bob, pair],
      [bob, otherSpelling(pair)],
      [bob, p2pOf(u.id('dave'), u.id('bob'))],
      [bob, p2pOf(u.id('bob'), nobody)],
      [alice, pair],
      [alice, 'p2p' + 'A'.repeat(22)],
      [alice, 'p2p' + Buffer.alloc(16, 7).toString('base64url')],
    ];
    for (const [c, name] of tries) {
      expect((await c.reply({ sub: { id: 's', topic: name, set: { desc: { private: { x: 1 } } } } })).ctrl, name).toMatchObject({ code: 404, text: 'topic not found' });
    }
    expect(await db().topics.get(pair)).toBeNull();
    expect(await db().topics.get(canonicalP2P(u.id('bob'), nobody))).toBeNull();
    expect((await db().users.getTopics(parseUserId(u.id('bob')), true)).map((s) => s.topic)).not.toContain(pair);
    expect((await bob.reply({ sub: { id: 'u', topic: u.id('dave') } })).ctrl?.code).toBe(200);
    expect(await db().topics.get(pair)).not.toBeNull();
  });

  // A party who left deletes nothing, live or not: the peer keeps the conversation (304 "no
  // action"). The reference deletes it by the peer's id while the topic is live (hub.go
  // topicUnreg, case 1.1.1); offline it answers 304 as here.
  it.each([
    ['its p2p name', () => canonicalP2P(u.id('bob'), u.id('frank'))],
    ["the peer's id", () => u.id('bob')],
  ])('does not let a party who left delete the conversation for the other by %s', async (_how, name) => {
    const bob = await u.session('bob');
    const frank = await u.session('frank');
    const p2p = canonicalP2P(u.id('bob'), u.id('frank'));
    await bob.reply({ sub: { id: 's', topic: u.id('frank') } });
    await frank.reply({ sub: { id: 's', topic: u.id('bob') } });
    await frank.reply({ pub: { id: 'p', topic: u.id('bob'), content: 'keep this' } });
    expect((await frank.reply({ leave: { id: 'l', topic: u.id('bob'), unsub: true } })).ctrl?.code).toBe(200);
    await drain(bob, 100);
    const del = await frank.reply({ del: { id: 'd', topic: name(), what: 'topic', hard: true } });
    const seen = await drain(bob, 200);
    const kept = await db().topics.get(p2p);
    // Clean up for the other case before asserting: frank starts over with bob.
    await frank.reply({ sub: { id: 'x', topic: u.id('bob') } });
    expect([304, 404]).toContain(del.ctrl?.code);
    expect(seen.filter((m) => m.ctrl?.code === 205)).toEqual([]);
    expect(kept).not.toBeNull();
    expect(await history(bob, u.id('frank'))).toContainEqual([u.id('frank'), 'keep this']);
  });
});

describe("another user's fnd", () => {
  it('neither attaches alice to fnd<bob> nor stores her a subscription to it', async () => {
    const bob = await u.session('bob');
    await bob.reply({ sub: { id: 'f', topic: 'fnd', set: { desc: { private: 'bob query' } } } });
    const fnd = 'fnd' + u.raw('bob');
    const alice = await u.session('alice');
    const tries: Frame[] = [
      { sub: { id: 'a', topic: fnd, set: { desc: { public: 'carol', private: 'alice query' }, tags: ['x'] }, get: { what: 'desc sub' } } },
      { get: { id: 'b', topic: fnd, what: 'desc' } },
      { get: { id: 'c', topic: fnd, what: 'sub' } },
      { set: { id: 'd', topic: fnd, desc: { private: 'alice query' } } },
      { set: { id: 'e', topic: fnd, sub: { mode: 'JPS' } } },
      { leave: { id: 'f', topic: fnd, unsub: true } },
    ];
    for (const t of tries) expectRefused(await alice.reply(t), fnd);
    expect(await db().subs.get(fnd, parseUserId(u.id('alice')), true)).toBeNull();
    expect((await db().subs.forTopic(fnd, true)).map((s) => [s.user, s.private])).toEqual([[parseUserId(u.id('bob')), 'bob query']]);
    // alice's own fnd is hers.
    expect((await alice.reply({ sub: { id: 'o', topic: 'fnd', set: { desc: { private: 'alice query' } } } })).ctrl?.code).toBe(200);
    expect((await db().subs.get('fnd' + u.raw('alice'), parseUserId(u.id('alice')), false))?.private).toBe('alice query');
    expect((await db().subs.forTopic(fnd, true)).map((s) => [s.user, s.private])).toEqual([[parseUserId(u.id('bob')), 'bob query']]);
  });
});
