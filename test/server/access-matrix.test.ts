import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, type Json } from '../helpers/raw.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Every action on a group against the member's access mode: allowed, or refused with the
 * reference's code. The owner gives the member a mode; the member asks for everything but O.
 */
let srv: TestServer;
const clients: RawClient[] = [];
const ids: Record<string, string> = {};

beforeAll(async () => {
  srv = await startTestServer();
  for (const name of ['alice', 'bob', 'carol', 'dave']) {
    const c = await open(name);
    c.close();
  }
});

afterAll(async () => {
  for (const c of clients) c.close();
  await srv.close();
});

async function open(login: string): Promise<RawClient> {
  const c = await RawClient.open(srv.host);
  clients.push(c);
  await c.hello();
  const r = await c.login(login);
  ids[login] = String((r.ctrl?.params as { user: string }).user);
  return c;
}

type Action = { name: string; needs: (m: string) => boolean; allowed: number | number[]; refused: number; run: (c: RawClient, grp: string) => Promise<Json> };

const has = (m: string, letters: string) => [...letters].some((l) => m.includes(l));

const ACTIONS: Action[] = [
  { name: 'publish', needs: (m) => has(m, 'W'), allowed: 202, refused: 403, run: (c, g) => c.reply({ pub: { id: 'a', topic: g, content: 'x' } }) },
  { name: 'read history', needs: (m) => has(m, 'R'), allowed: 208, refused: 403, run: (c, g) => c.reply({ get: { id: 'a', topic: g, what: 'data' } }) },
  { name: 'soft-delete a message', needs: (m) => has(m, 'R'), allowed: 200, refused: 403, run: (c, g) => c.reply({ del: { id: 'a', topic: g, what: 'msg', delseq: [{ low: 1 }] } }) },
  {
    name: 'hard-delete a message (soft without D)',
    needs: (m) => has(m, 'R'),
    allowed: 200,
    refused: 403,
    run: (c, g) => c.reply({ del: { id: 'a', topic: g, what: 'msg', hard: true, delseq: [{ low: 1 }] } }),
  },
  { name: 'change public', needs: () => false, allowed: 200, refused: 403, run: (c, g) => c.reply({ set: { id: 'a', topic: g, desc: { public: { fn: 'mine' } } } }) },
  { name: 'change defacs', needs: () => false, allowed: 200, refused: 403, run: (c, g) => c.reply({ set: { id: 'a', topic: g, desc: { defacs: { auth: 'JR' } } } }) },
  { name: 'change own private', needs: () => true, allowed: 200, refused: 403, run: (c, g) => c.reply({ set: { id: 'a', topic: g, desc: { private: { n: Math.random() } } } }) },
  { name: 'invite with default access', needs: (m) => has(m, 'SAO'), allowed: 200, refused: 403, run: (c, g) => c.reply({ set: { id: 'a', topic: g, sub: { user: ids.dave } } }) },
  { name: 'give an explicit mode', needs: (m) => has(m, 'AO'), allowed: 200, refused: 403, run: (c, g) => c.reply({ set: { id: 'a', topic: g, sub: { user: ids.carol, mode: 'JR' } } }) },
  { name: 'remove a member', needs: (m) => has(m, 'AO'), allowed: 200, refused: 403, run: (c, g) => c.reply({ del: { id: 'a', topic: g, what: 'sub', user: ids.carol } }) },
  { name: 'set aux', needs: (m) => has(m, 'AO'), allowed: 200, refused: 403, run: (c, g) => c.reply({ set: { id: 'a', topic: g, aux: { pins: [1] } } }) },
  { name: 'read tags', needs: () => false, allowed: 200, refused: 403, run: (c, g) => c.reply({ get: { id: 'a', topic: g, what: 'tags' } }) },
  { name: 'change tags', needs: () => false, allowed: 200, refused: 403, run: (c, g) => c.reply({ set: { id: 'a', topic: g, tags: ['matrix'] } }) },
  { name: 'leave and unsubscribe', needs: () => true, allowed: 200, refused: 403, run: (c, g) => c.reply({ leave: { id: 'a', topic: g, unsub: true } }) },
];

const MODES = ['JR', 'JW', 'JRW', 'JRWP', 'JRWPS', 'JRWPA', 'JRWPD', 'JRWPASD'];

describe.each(MODES)('a member given %s', (given) => {
  let owner: RawClient;
  let member: RawClient;
  beforeAll(async () => {
    owner = await open('alice');
    member = await open('bob');
  });

  it.each(ACTIONS.map((a) => [a.name, a] as const))('%s', async (_name, action) => {
    const made = await owner.reply({ sub: { id: 'g', topic: 'newM', set: { tags: ['matrix'] } } });
    const grp = String(made.ctrl?.topic);
    await owner.reply({ pub: { id: 'p', topic: grp, content: 'first' } });
    await owner.reply({ set: { id: 'c', topic: grp, sub: { user: ids.carol } } });
    expect((await member.reply({ sub: { id: 's', topic: grp, set: { sub: { mode: 'JRWPASD' } } } })).ctrl?.code).toBe(200);
    const set = await owner.reply({ set: { id: 'm', topic: grp, sub: { user: ids.bob, mode: given } } });
    // The default for members is JRWPS: giving it again changes nothing.
    expect([200, 304]).toContain(set.ctrl?.code);
    const r = await action.run(member, grp);
    const code = Number(r.ctrl?.code ?? (r.meta ? 200 : 0));
    if (action.needs(given)) {
      expect([action.allowed, 204].flat()).toContain(code);
    } else {
      expect(code).toBe(action.refused);
    }
    // Leave the group so the next one starts clean.
    await member.reply({ leave: { id: 'x', topic: grp } });
    await owner.reply({ leave: { id: 'x', topic: grp } });
  });
});

describe('the owner', () => {
  let owner: RawClient;
  beforeAll(async () => {
    owner = await open('alice');
  });

  it.each(ACTIONS.filter((a) => a.name !== 'leave and unsubscribe').map((a) => [a.name, a] as const))('may %s', async (_name, action) => {
    const made = await owner.reply({ sub: { id: 'g', topic: 'newO', set: { tags: ['matrix'] } } });
    const grp = String(made.ctrl?.topic);
    await owner.reply({ pub: { id: 'p', topic: grp, content: 'first' } });
    await owner.reply({ set: { id: 'c', topic: grp, sub: { user: ids.carol } } });
    const r = await action.run(owner, grp);
    const code = Number(r.ctrl?.code ?? (r.meta ? 200 : 0));
    expect([action.allowed, 204, 304].flat()).toContain(code);
  });

  it('may not leave its own group, nor be removed, nor lose O by its own request', async () => {
    const grp = String((await owner.reply({ sub: { id: 'g', topic: 'newO' } })).ctrl?.topic);
    expect((await owner.reply({ leave: { id: 'l', topic: grp, unsub: true } })).ctrl?.code).toBe(403);
    expect((await owner.reply({ set: { id: 's', topic: grp, sub: { mode: 'JRWPASD' } } })).ctrl?.code).toBe(403);
    const admin = await open('bob');
    await admin.reply({ sub: { id: 's', topic: grp } });
    await owner.reply({ set: { id: 'a', topic: grp, sub: { user: ids.bob, mode: 'JRWPAS' } } });
    expect((await admin.reply({ del: { id: 'd', topic: grp, what: 'sub', user: ids.alice } })).ctrl?.code).toBe(403);
    expect((await admin.reply({ set: { id: 'x', topic: grp, sub: { user: ids.alice, mode: 'JR' } } })).ctrl?.code).toBe(403);
    // Only the owner transfers ownership.
    expect((await admin.reply({ set: { id: 'y', topic: grp, sub: { user: ids.carol, mode: 'JRWPASDO' } } })).ctrl?.code).toBe(403);
    expect((await admin.reply({ set: { id: 'z', topic: grp, sub: { mode: 'JRWPASDO' } } })).ctrl?.code).toBe(403);
  });
});

describe('outsiders and banned users', () => {
  it('answers requests to a topic the session is not attached to with 409', async () => {
    const owner = await open('alice');
    const grp = String((await owner.reply({ sub: { id: 'g', topic: 'newX' } })).ctrl?.topic);
    const other = await open('bob');
    expect((await other.reply({ pub: { id: 'p', topic: grp, content: 'x' } })).ctrl).toMatchObject({ code: 409, text: 'must attach first' });
    expect((await other.reply({ del: { id: 'd', topic: grp, what: 'msg', delseq: [{ low: 1 }] } })).ctrl?.code).toBe(409);
    expect((await other.reply({ get: { id: 'g', topic: grp, what: 'data' } })).ctrl?.code).toBe(403);
    expect((await other.reply({ set: { id: 's', topic: grp, tags: ['x'] } })).ctrl?.code).toBe(403);
    // Description of a group: public parts only.
    const desc = await other.reply({ get: { id: 'd2', topic: grp, what: 'desc' } });
    expect(desc.meta?.desc).toMatchObject({ acs: { mode: 'JRWPS' } });
    expect(desc.meta?.desc).not.toHaveProperty('defacs');
  });

  it('keeps a banned user out even after the user deletes the subscription', async () => {
    const owner = await open('alice');
    const grp = String((await owner.reply({ sub: { id: 'g', topic: 'newB' } })).ctrl?.topic);
    const b = await open('bob');
    await b.reply({ sub: { id: 's', topic: grp } });
    await owner.reply({ set: { id: 'ban', topic: grp, sub: { user: ids.bob, mode: 'N' } } });
    expect((await b.reply({ sub: { id: 's2', topic: grp } })).ctrl?.code).toBe(403);
    const again = await open('bob');
    expect((await again.reply({ sub: { id: 's3', topic: grp } })).ctrl?.code).toBe(403);
  });

  it('lets a user who blocked a group out and back in by subscribing again', async () => {
    const owner = await open('alice');
    const grp = String((await owner.reply({ sub: { id: 'g', topic: 'newS' } })).ctrl?.topic);
    const b = await open('bob');
    await b.reply({ sub: { id: 's', topic: grp } });
    const self = await b.reply({ set: { id: 'x', topic: grp, sub: { mode: 'N' } } });
    expect(self.ctrl).toMatchObject({ code: 200, params: { acs: { want: 'N', mode: 'N' } } });
    // An admin cannot remove a user who blocked the topic (that would allow re-inviting).
    expect((await owner.reply({ del: { id: 'd', topic: grp, what: 'sub', user: ids.bob } })).ctrl?.code).toBe(403);
    const back = await b.reply({ sub: { id: 's2', topic: grp } });
    expect(back.ctrl).toMatchObject({ code: 200, params: { acs: { mode: 'JRWPS' } } });
  });
});
