import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRoot } from '../../server/store/init/root.js';
import { drain, type Json, type RawClient } from '../helpers/raw.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { storeView, type StoreView } from '../helpers/store-view.js';
import { ACTIONS, canonicalP2P, history, isNote, otherSpelling, p2pOf, probe, SHORT_LOGINS, summary, Users, type Action, type Answer } from '../helpers/topic-probe.js';

/**
 * Topic names that must reach nothing, as the requesting user resolves them: every form a client
 * can write for someone else's topic (or for no topic at all), sent by the owner of what it
 * names, a member, a former member, a stranger and root (without acting on behalf of anyone),
 * with every request a client makes on a topic. Each request gets exactly its one reply (notes
 * get nothing), never data, presence or another user's values; afterwards the victims' store
 * is unchanged and their sessions heard nothing. The names that do reach a topic, and the
 * scenarios of the issue, are in topic-names-scenarios.test.ts.
 */
let srv: TestServer;
let u: Users;
/** One session per requester, never attached to a topic, so that only answers arrive. */
const probes = new Map<string, RawClient>();
/** The victims' sessions, attached to their topics while the matrix runs. */
const watchers: RawClient[] = [];
let before: StoreView;
/** dave's group (carol a member, bob left) and dave's channel (carol reads it, bob stopped). */
let grp = '';
let chn = '';

const LOGINS = ['alice', 'bob', 'carol', 'dave', 'eve', 'frank'] as const;
/** Topics that must not come to exist, whoever is subscribed. */
const mustNotExist = () => ['slf' + u.raw('bob'), canonicalP2P(u.id('dave'), u.id('eve'))];
const view = () => storeView(srv.server.ctx.store, LOGINS.map((l) => u.id(l)), mustNotExist());

beforeAll(async () => {
  srv = await startTestServer(SHORT_LOGINS);
  u = new Users(srv);
  await u.signUp('eve');
  const [carol, bob, dave] = [await u.session('carol'), await u.session('bob'), await u.session('dave')];
  const eve = await u.session('eve');
  await u.session('alice');
  await u.session('frank');
  await makeRoot(srv.server.ctx.store, u.id('frank'));
  // carol keeps saved messages.
  await carol.reply({ sub: { id: 's', topic: 'slf', set: { desc: { private: { mine: 'carol' } } } } });
  await carol.reply({ pub: { id: 'p', topic: 'slf', content: "carol's saved note" } });
  // bob and carol talk (their sample conversation).
  await bob.reply({ sub: { id: 's', topic: u.id('carol') } });
  await carol.reply({ sub: { id: 's', topic: u.id('bob') } });
  await bob.reply({ pub: { id: 'p', topic: u.id('carol'), content: 'bob to carol' } });
  await carol.reply({ pub: { id: 'p', topic: u.id('bob'), content: 'carol to bob' } });
  // dave talked to carol and left the conversation.
  await dave.reply({ sub: { id: 's', topic: u.id('carol') } });
  await dave.reply({ pub: { id: 'p', topic: u.id('carol'), content: 'dave to carol' } });
  await carol.reply({ sub: { id: 's', topic: u.id('dave') } });
  expect((await dave.reply({ leave: { id: 'l', topic: u.id('carol'), unsub: true } })).ctrl?.code).toBe(200);
  // dave's group and channel, each with a member and a former member.
  grp = String((await dave.reply({ sub: { id: 'g', topic: 'newG', set: { desc: { public: { fn: 'G' } } } } })).ctrl?.topic);
  chn = 'chn' + String((await dave.reply({ sub: { id: 'c', topic: 'nchC', set: { desc: { public: { fn: 'C' } } } } })).ctrl?.topic).slice(3);
  await dave.reply({ pub: { id: 'p', topic: grp, content: 'in the group' } });
  await dave.reply({ pub: { id: 'p', topic: 'grp' + chn.slice(3), content: 'on the channel' } });
  for (const topic of [grp, chn]) {
    expect((await carol.reply({ sub: { id: 's', topic } })).ctrl?.code).toBe(200);
    expect((await bob.reply({ sub: { id: 's', topic } })).ctrl?.code).toBe(200);
    expect((await bob.reply({ leave: { id: 'l', topic, unsub: true } })).ctrl?.code).toBe(200);
  }
  for (const c of [carol, bob, dave, eve]) {
    await c.reply({ sub: { id: 'me', topic: 'me' } });
  }
  watchers.push(carol, bob, dave, eve);
  for (const login of LOGINS) {
    probes.set(login, await u.session(login));
  }
  expect(u.levels.frank).toBe('root');
  await Promise.all(watchers.map((w) => drain(w, 300)));
  before = await view();
});

afterAll(async () => {
  u.closeAll();
  await srv.close();
});

type Role = 'owner' | 'member' | 'former member' | 'stranger' | 'root';
/** What each action gets: `404 topic not found`, `meta`, `none`…; actions left out are not sent. */
type Expected = Partial<Record<Action, string>>;

/** Every request refused with one answer; notes dropped without one. */
const refusedWith = (answer: string, actions: readonly Action[] = ACTIONS): Expected => Object.fromEntries(actions.map((a) => [a, isNote(a) ? 'none' : answer]));

/**
 * A name that resolves for the requester but to no topic the session is attached to (a party of
 * a p2p pair without a conversation, a group that does not exist): `{sub}` finds no topic and the
 * rest get the answers of a detached session, as the reference gives them.
 */
const DETACHED: Expected = {
  sub: '404 topic not found',
  'get data': '403 permission denied',
  'get desc': 'meta',
  'get sub': '404 not found',
  pub: '409 must attach first',
  'set desc': '404 not found',
  'set sub': '404 not found',
  'del msg': '409 must attach first',
  'del topic': '304 no action',
  leave: '304 not joined',
  'leave unsub': '409 must attach first',
  'note read': '409 must attach first',
  'note kp': '409 must attach first',
};

/**
 * A name that reaches no topic of the requester (someone else's `slf`, `fnd`, p2p; a name of no
 * form): the same answers whether or not such a topic exists, those of a topic one is not
 * attached to, as the reference gives them for names it cannot resolve: `{sub}` 404 and the
 * detached answers, the description malformed as there is no one whose it could be.
 */
const NOWHERE: Expected = { ...DETACHED, 'get desc': '400 malformed' };

interface Form {
  form: string;
  /** The name, for the requester (some forms carry the requester's own id). */
  name: (login: string) => string;
  by: Partial<Record<Role, string>>;
  expected: Expected;
}

const others = { stranger: 'alice', root: 'frank' } as const;
const everyone = { owner: 'dave', member: 'carol', 'former member': 'bob', ...others } as const;
/** The id with the case of its first letter swapped: another id, of no group. */
const caseSwapped = (name: string) => name.replace(/(?<=^grp[^A-Za-z]*)[A-Za-z]/, (ch) => (ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase()));

const FORMS: Form[] = [
  { form: 'slf<other> (in use)', name: () => 'slf' + u.raw('carol'), by: { owner: 'carol', ...others }, expected: NOWHERE },
  { form: 'slf<other> (never used)', name: () => 'slf' + u.raw('bob'), by: { owner: 'bob', ...others }, expected: NOWHERE },
  { form: 'fnd<other>', name: () => 'fnd' + u.raw('bob'), by: { owner: 'bob', ...others }, expected: NOWHERE },
  { form: 'me<other id>', name: () => 'me' + u.raw('bob'), by: { owner: 'bob', ...others }, expected: NOWHERE },
  { form: 'sys<other>', name: () => 'sys' + u.raw('bob'), by: { owner: 'bob', ...others }, expected: NOWHERE },
  { form: 'usr<own id>', name: (login) => u.id(login), by: { owner: 'bob', stranger: 'alice', root: 'frank' }, expected: refusedWith('403 permission denied') },
  { form: 'usr<not an id>', name: () => 'usrXYZ', by: others, expected: refusedWith('400 malformed') },
  { form: 'usr (no id)', name: () => 'usr', by: others, expected: refusedWith('400 malformed') },
  { form: 'p2p<pair of two others>', name: () => canonicalP2P(u.id('bob'), u.id('carol')), by: others, expected: NOWHERE },
  { form: 'p2p<pair of two others, reversed>', name: () => otherOrder(u.id('bob'), u.id('carol')), by: others, expected: NOWHERE },
  { form: 'p2p<pair of two others, other spelling>', name: () => otherSpelling(canonicalP2P(u.id('bob'), u.id('carol'))), by: others, expected: NOWHERE },
  { form: 'p2p<pair that never talked>', name: () => canonicalP2P(u.id('dave'), u.id('eve')), by: others, expected: NOWHERE },
  { form: 'p2p<own pair, never talked>', name: () => canonicalP2P(u.id('dave'), u.id('eve')), by: { owner: 'dave' }, expected: DETACHED },
  { form: 'p2p<own pair, never talked, reversed>', name: () => otherOrder(u.id('dave'), u.id('eve')), by: { owner: 'eve' }, expected: DETACHED },
  { form: 'p2p<pair, one of them left>', name: () => canonicalP2P(u.id('carol'), u.id('dave')), by: others, expected: NOWHERE },
  // Deleting it while the peer is attached is tested in topic-names-scenarios.test.ts.
  { form: 'p2p<own pair, after leaving>', name: () => canonicalP2P(u.id('carol'), u.id('dave')), by: { 'former member': 'dave' }, expected: { ...DETACHED, 'get sub': 'meta', 'del topic': undefined } },
  { form: 'p2p<own id twice>', name: (login) => p2pOf(u.id(login), u.id(login)), by: { stranger: 'alice' }, expected: NOWHERE },
  { form: 'p2p<own id and zero>', name: (login) => p2pOf(u.id(login), 'usrAAAAAAAAAAAA'), by: { stranger: 'alice' }, expected: NOWHERE },
  { form: 'p2p<not 22 characters>', name: () => canonicalP2P(u.id('bob'), u.id('carol')).slice(0, -1), by: { member: 'bob' }, expected: NOWHERE },
  { form: 'grp<id spelled another way>', name: () => otherSpelling(grp), by: everyone, expected: NOWHERE },
  { form: 'chn<id spelled another way>', name: () => otherSpelling(chn), by: everyone, expected: NOWHERE },
  { form: 'grp<channel id spelled another way>', name: () => otherSpelling('grp' + chn.slice(3)), by: everyone, expected: NOWHERE },
  // Another id: a group that does not exist (databases that compare names without case must not find dave's).
  { form: 'grp<id with a letter case-swapped>', name: () => caseSwapped(grp), by: everyone, expected: { ...DETACHED, 'get desc': '404 topic not found' } },
  { form: 'new… outside {sub}', name: () => 'newG', by: others, expected: { ...NOWHERE, sub: undefined } },
  { form: 'nch… outside {sub}', name: () => 'nchC', by: others, expected: { ...NOWHERE, sub: undefined } },
  ...['Me', 'ME', 'Fnd', 'SLF', 'Sys', 'grp', 'chn', 'p2p', 'topic', 'me ', ' me'].map((name) => ({ form: `unknown name "${name}"`, name: () => name, by: { stranger: 'alice' }, expected: NOWHERE })),
  { form: 'unknown prefix<other id>', name: () => 'abc' + u.raw('carol'), by: { stranger: 'alice' }, expected: NOWHERE },
];

/** The pair's p2p name with the larger id first. */
function otherOrder(a: string, b: string): string {
  const canonical = canonicalP2P(a, b);
  return canonical === p2pOf(a, b) ? p2pOf(b, a) : p2pOf(a, b);
}

const CASES = FORMS.flatMap((f) => Object.entries(f.by).map(([role, login]) => ({ ...f, role: role as Role, login })));

/** Nothing of anyone else in an answer: no data, presence or info, no other user's values. */
function expectNothingOfOthers(action: Action, a: Answer, self: string): void {
  for (const m of a.messages) {
    expect(Object.keys(m), `${action}: ${JSON.stringify(m)}`).toEqual([m.ctrl ? 'ctrl' : 'meta']);
    const desc = m.meta?.desc as Record<string, unknown> | undefined;
    expect(desc?.private, `${action}: private in ${JSON.stringify(m)}`).toBeUndefined();
    for (const row of (m.meta?.sub ?? []) as Record<string, unknown>[]) {
      expect([undefined, self], `${action}: ${JSON.stringify(m)}`).toContain(row.user);
    }
    expect(m.meta?.data).toBeUndefined();
  }
}

describe('a name that must not reach a topic', () => {
  it.each(CASES.map((c) => [c.form, c.role, c.login, c] as const))('%s from the %s (%s)', async (_form, _role, _login, c) => {
    const name = c.name(c.login);
    const actions = ACTIONS.filter((a) => c.expected[a] !== undefined);
    const answers = await probe(probes.get(c.login)!, name, actions);
    const got = Object.fromEntries(actions.map((a) => [a, summary(answers.get(a)!)]));
    expect(got).toEqual(Object.fromEntries(actions.map((a) => [a, c.expected[a]])));
    for (const [action, a] of answers) {
      expectNothingOfOthers(action, a, u.id(c.login));
      if (a.text !== 'meta' && a.code !== 0) {
        // A refusal is one ctrl that repeats the name and says nothing more.
        expect(a.messages, action).toEqual([{ ctrl: expect.objectContaining({ code: a.code, topic: name }) as unknown }]);
        expect(Object.keys(a.messages[0]!.ctrl!).sort(), action).toEqual(isNote(action) ? ['code', 'text', 'topic', 'ts'] : ['code', 'id', 'text', 'topic', 'ts']);
      }
    }
  });
});

describe('what the victims see afterwards', () => {
  it('has every subscription, topic and message in the store as before', async () => {
    const after = await view();
    expect(after).toEqual(before);
    // The checks above compare like with like: make sure the view holds what the test set up.
    expect(before.topics['slf' + u.raw('carol')]?.messages).toEqual({ [u.id('carol')]: [`1 ${u.id('carol')} "carol's saved note"`] });
    for (const name of mustNotExist()) expect(before.topics[name]).toBeNull();
    expect(before.topics[canonicalP2P(u.id('bob'), u.id('carol'))]?.subscribers).toEqual([`${u.id('bob')} JRWPAD`, `${u.id('carol')} JRWPAD`].sort());
    expect(before.subs[u.id('alice')]?.some((s) => s.startsWith('fnd' + u.raw('bob')))).toBe(false);
  });

  it('sent the victims nothing while the names were tried', async () => {
    const heard: Json[][] = await Promise.all(watchers.map((w) => drain(w, 300)));
    expect(heard).toEqual(watchers.map(() => []));
  });

  it('still lets carol read her saved messages, and only hers', async () => {
    const carol = await u.session('carol');
    expect((await carol.reply({ sub: { id: 's', topic: 'slf' } })).ctrl?.code).toBe(200);
    expect(await history(carol, 'slf')).toEqual([[u.id('carol'), "carol's saved note"]]);
    const desc = await carol.reply({ get: { id: 'g', topic: 'slf', what: 'desc' } });
    expect(desc.meta?.desc).toMatchObject({ private: { mine: 'carol' }, acs: { mode: 'JRWDO' } });
  });
});
