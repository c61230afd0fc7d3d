import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, type Json } from '../helpers/raw.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Requests the fuzzing test (test/fuzz) found killing the server or answered 500, each reduced to
 * the frames that did it. Each now gets a clear answer, and the server goes on serving.
 */
let srv: TestServer;
const clients: RawClient[] = [];

beforeAll(async () => {
  srv = await startTestServer({ auth_config: { basic: { min_login_length: 3 } } });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await srv.close();
});

async function session(login: string, password = `${login}123`): Promise<RawClient> {
  const c = await RawClient.open(srv.host);
  clients.push(c);
  await c.hello();
  await c.login(login, password);
  return c;
}

async function newGroup(c: RawClient): Promise<string> {
  const r = await c.reply({ sub: { id: 'n', topic: 'new', set: { desc: { public: { fn: 'fuzz' } } } } });
  return String(r.ctrl?.topic);
}

describe('history with ranges', () => {
  it('answers a request for ranges spanning billions of ids, and over 32,766 ids, without a list of every id', async () => {
    const alice = await session('alice');
    const grp = await newGroup(alice);
    for (let i = 0; i < 3; i++) expect((await alice.reply({ pub: { id: `p${i}`, topic: grp, content: `m${i}` } })).ctrl?.code).toBe(202);
    for (const ranges of [
      [{ low: 1, hi: 2_000_000_000 }, { low: 5 }],
      [{ low: 1, hi: 40_000 }, { low: 50_000 }],
    ]) {
      const id = `g${ranges[0]!.hi}`;
      alice.send({ get: { id, topic: grp, what: 'data', data: { ranges } } });
      // The echoes of the publications may still arrive first: count seqs once.
      const seqs = new Set<number>();
      let done: Json | undefined;
      while (!done) {
        const m = await alice.next(5000);
        if (m.data) seqs.add(Number(m.data.seq));
        if (m.ctrl?.id === id) done = m;
      }
      expect(done.ctrl).toMatchObject({ code: 208, params: { what: 'data', count: 3 } });
      expect([...seqs].sort()).toEqual([1, 2, 3]);
    }
    // Too many separate ranges is malformed, not a query of thousands of conditions.
    const many = Array.from({ length: 300 }, (_, i) => ({ low: 2 * i + 1 }));
    expect((await alice.reply({ get: { id: 'many', topic: grp, what: 'data', data: { ranges: many } } })).ctrl).toMatchObject({ code: 400 });
  });
});

describe('saved messages after a soft delete', () => {
  it('start anew instead of failing every later {sub}', async () => {
    const carol = await session('carol');
    expect((await carol.reply({ sub: { id: 's1', topic: 'slf' } })).ctrl?.code).toBe(200);
    expect((await carol.reply({ pub: { id: 'p', topic: 'slf', content: 'old note' } })).ctrl?.code).toBe(202);
    expect((await carol.reply({ del: { id: 'd', topic: 'slf', what: 'topic', hard: false } })).ctrl?.code).toBe(200);
    const again = await carol.reply({ sub: { id: 's2', topic: 'slf', get: { what: 'data' } } });
    expect(again.ctrl).toMatchObject({ code: 200, topic: 'slf' });
    expect((await carol.reply({ pub: { id: 'p2', topic: 'slf', content: 'new note' } })).ctrl?.params).toEqual({ seq: 1 });
  });
});

describe('the conversation with a user who deleted the account', () => {
  it('is answered 404 "user not found"', async () => {
    const signup = await RawClient.open(srv.host);
    clients.push(signup);
    await signup.hello();
    const secret = Buffer.from('zed:zed12345').toString('base64');
    const made = await signup.reply({ acc: { id: 'a', user: 'new', scheme: 'basic', secret, login: true, desc: { public: { fn: 'zed' } }, cred: [{ meth: 'email', val: 'zed@example.com' }] } });
    const login = made.ctrl?.code === 300 ? await signup.reply({ login: { id: 'l', scheme: 'basic', secret, cred: [{ meth: 'email', resp: '123456' }] } }) : made;
    expect(login.ctrl?.code).toBe(200);
    const zed = String((login.ctrl?.params as { user: string }).user);
    const alice = await session('alice');
    expect((await alice.reply({ sub: { id: 's', topic: zed } })).ctrl?.code).toBe(200);
    expect((await alice.reply({ pub: { id: 'p', topic: zed, content: 'hi' } })).ctrl?.code).toBe(202);
    expect((await signup.reply({ del: { id: 'd', what: 'user', hard: false } })).ctrl?.code).toBe(200);

    const later = await session('alice');
    const byId = await later.reply({ sub: { id: 's2', topic: zed } });
    expect(byId.ctrl).toMatchObject({ code: 404, text: 'user not found' });
  });
});
