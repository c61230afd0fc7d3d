import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drain, RawClient, waitFor, type Json } from '../helpers/raw.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Conversations over raw JSON: groups, p2p, channels, sys and slf, with the exact codes, names,
 * seq ids and presence the reference sends.
 */
let srv: TestServer;
const clients: RawClient[] = [];

beforeAll(async () => {
  srv = await startTestServer();
});

afterAll(async () => {
  for (const c of clients) c.close();
  await srv.close();
});

async function user(login: string): Promise<{ c: RawClient; uid: string }> {
  const c = await RawClient.open(srv.host);
  clients.push(c);
  await c.hello();
  const r = await c.login(login);
  return { c, uid: String((r.ctrl?.params as { user: string }).user) };
}

async function newGroup(c: RawClient, extra: Record<string, unknown> = {}, tmp = 'new'): Promise<string> {
  const r = await c.reply({ sub: { id: 'g', topic: tmp + 'abc', set: { desc: { public: { fn: 'Group' } } }, ...extra } });
  expect(r.ctrl?.code).toBe(200);
  return String(r.ctrl?.topic);
}

describe('group topics', () => {
  it('creates a group with the owner holding every right and reports the temporary name', async () => {
    const { c } = await user('alice');
    const r = await c.reply({ sub: { id: '1', topic: 'newXyz', set: { desc: { public: { fn: 'Club' }, private: { comment: 'mine' } }, tags: ['club'] }, get: { what: 'desc' } } });
    expect(r.ctrl).toMatchObject({ code: 200, text: 'ok', params: { tmpname: 'newXyz', acs: { want: 'JRWPASDO', given: 'JRWPASDO', mode: 'JRWPASDO' } } });
    const name = String(r.ctrl?.topic);
    expect(name).toMatch(/^grp[A-Za-z0-9_-]{11}$/);
    const desc = await c.next();
    expect(desc.meta?.topic).toBe(name);
    expect(desc.meta?.desc).toMatchObject({ public: { fn: 'Club' }, private: { comment: 'mine' }, defacs: { auth: 'JRWPS', anon: 'N' }, subcnt: 1 });
    // Zero and false values are left out, as the reference does.
    expect(desc.meta?.desc).not.toHaveProperty('seq');
    expect(desc.meta?.desc).not.toHaveProperty('chan');
    const tags = await c.reply({ get: { id: '2', topic: name, what: 'tags' } });
    expect(tags.meta?.tags).toEqual(['club']);
  });

  it('lets users join by default access, publishes with seq and from, and keeps history', async () => {
    const { c: a, uid: alice } = await user('alice');
    const grp = await newGroup(a);
    const { c: b, uid: bob } = await user('bob');
    const sub = await b.reply({ sub: { id: 's', topic: grp } });
    expect(sub.ctrl).toMatchObject({ code: 200, params: { acs: { want: 'JRWPS', given: 'JRWPS', mode: 'JRWPS' } } });
    const p1 = await a.reply({ pub: { id: 'p1', topic: grp, content: 'hello' } });
    expect(p1.ctrl).toMatchObject({ code: 202, text: 'accepted', params: { seq: 1 } });
    const d1 = await waitFor(b, (m) => !!m.data, 'data at bob');
    expect(d1.data).toMatchObject({ topic: grp, from: alice, seq: 1, content: 'hello' });
    const p2 = await b.reply({ pub: { id: 'p2', topic: grp, content: { txt: 'hi', fmt: [{ at: 0, len: 2, tp: 'ST' }] }, head: { mime: 'text/x-drafty' } } });
    expect(p2.ctrl?.params).toEqual({ seq: 2 });
    const d2 = await waitFor(a, (m) => !!m.data && m.data.seq === 2, 'data at alice');
    expect(d2.data).toMatchObject({ from: bob, head: { mime: 'text/x-drafty' }, content: { txt: 'hi' } });
    // noecho: the sending session does not get its own message.
    await a.reply({ pub: { id: 'p3', topic: grp, noecho: true, content: 'quiet' } });
    const echoed = (await drain(a)).filter((m) => m.data);
    expect(echoed).toEqual([]);
    // History, newest first, then 208 with the count.
    await drain(b);
    b.send({ get: { id: 'h', topic: grp, what: 'data', data: { limit: 10 } } });
    const seqs: number[] = [];
    for (;;) {
      const m = await b.next();
      if (m.data) seqs.push(Number(m.data.seq));
      if (m.ctrl?.id === 'h') {
        expect(m.ctrl).toMatchObject({ code: 208, text: 'delivered', params: { what: 'data', count: 3 } });
        break;
      }
    }
    expect(seqs).toEqual([3, 2, 1]);
    const page = await b.reply({ get: { id: 'h2', topic: grp, what: 'data', data: { before: 2 } } });
    expect(page.ctrl).toMatchObject({ code: 208, params: { count: 1 } });
    const none = await b.reply({ get: { id: 'h3', topic: grp, what: 'data', data: { since: 10 } } });
    expect(none.ctrl).toMatchObject({ code: 204, params: { what: 'data' } });
  });

  it('tells members who joins, and the owner sees a join request waiting for approval', async () => {
    const { c: a } = await user('alice');
    const grp = await newGroup(a, { set: { desc: { defacs: { auth: 'JRP', anon: 'N' } } } });
    const { c: b, uid: bob } = await user('bob');
    const r = await b.reply({ sub: { id: 's', topic: grp, set: { sub: { mode: 'JRWP' } } } });
    expect(r.ctrl?.params).toMatchObject({ acs: { want: 'JRWP', given: 'JRP', mode: 'JRP' } });
    const acs = await waitFor(a, (m) => m.pres?.what === 'acs', 'acs at owner');
    expect(acs.pres).toMatchObject({ topic: grp, src: bob, dacs: { want: 'JRWP', given: 'JRP' } });
    // The member cannot write yet.
    const denied = await b.reply({ pub: { id: 'w', topic: grp, content: 'x' } });
    expect(denied.ctrl).toMatchObject({ code: 403, text: 'permission denied' });
    // Approval.
    const ok = await a.reply({ set: { id: 'a', topic: grp, sub: { user: bob, mode: 'JRWP' } } });
    expect(ok.ctrl).toMatchObject({ code: 200, params: { user: bob, acs: { given: 'JRWP', want: 'JRWP', mode: 'JRWP' } } });
    const mine = await waitFor(b, (m) => m.pres?.what === 'acs', 'acs at member');
    expect(mine.pres).toMatchObject({ topic: grp, dacs: { given: '+W' } });
    expect((await b.reply({ pub: { id: 'w2', topic: grp, content: 'now' } })).ctrl?.code).toBe(202);
    // Same again: not modified.
    expect((await a.reply({ set: { id: 'a2', topic: grp, sub: { user: bob, mode: 'JRWP' } } })).ctrl?.code).toBe(304);
  });

  it('invites a user, who accepts by subscribing; bans and removals evict with 205', async () => {
    const { c: a } = await user('alice');
    const grp = await newGroup(a);
    const { c: b, uid: bob } = await user('bob');
    await b.reply({ sub: { id: 'me', topic: 'me' } });
    const inv = await a.reply({ set: { id: 'i', topic: grp, sub: { user: bob } } });
    expect(inv.ctrl).toMatchObject({ code: 200, params: { user: bob, acs: { given: 'JRWPS' } } });
    const note = await waitFor(b, (m) => m.pres?.topic === 'me' && m.pres.what === 'acs', 'invitation on me');
    expect(note.pres).toMatchObject({ src: grp, dacs: { given: 'JRWPS' } });
    const join = await b.reply({ sub: { id: 'j', topic: grp } });
    expect(join.ctrl?.code).toBe(200);
    // Ban: given without J.
    const ban = await a.reply({ set: { id: 'b', topic: grp, sub: { user: bob, mode: 'N' } } });
    expect(ban.ctrl?.code).toBe(200);
    const ev = await waitFor(b, (m) => m.ctrl?.code === 205, 'eviction');
    expect(ev.ctrl).toMatchObject({ text: 'evicted', topic: grp, params: { unsub: false } });
    const back = await b.reply({ sub: { id: 'j2', topic: grp } });
    expect(back.ctrl).toMatchObject({ code: 403 });
    // Unban and remove.
    await a.reply({ set: { id: 'u', topic: grp, sub: { user: bob, mode: 'JRWP' } } });
    expect((await b.reply({ sub: { id: 'j3', topic: grp } })).ctrl?.code).toBe(200);
    const del = await a.reply({ del: { id: 'd', topic: grp, what: 'sub', user: bob } });
    expect(del.ctrl?.code).toBe(200);
    const ev2 = await waitFor(b, (m) => m.ctrl?.code === 205, 'removal');
    expect(ev2.ctrl?.params).toEqual({ unsub: true });
    // The owner cannot be removed, and cannot leave.
    const { uid: alice } = await user('alice');
    expect((await a.reply({ del: { id: 'd2', topic: grp, what: 'sub', user: alice } })).ctrl?.code).toBe(403);
    expect((await a.reply({ leave: { id: 'l', topic: grp, unsub: true } })).ctrl?.code).toBe(403);
  });

  it('transfers ownership: the new owner accepts, the old one loses O', async () => {
    const { c: a, uid: alice } = await user('alice');
    const grp = await newGroup(a);
    const { c: b, uid: bob } = await user('bob');
    await b.reply({ sub: { id: 's', topic: grp } });
    const give = await a.reply({ set: { id: 'o', topic: grp, sub: { user: bob, mode: 'JRWPASDO' } } });
    expect(give.ctrl?.code).toBe(200);
    const take = await b.reply({ set: { id: 't', topic: grp, sub: { mode: 'JRWPASDO' } } });
    expect(take.ctrl).toMatchObject({ code: 200, params: { acs: { mode: 'JRWPASDO' } } });
    const subs = await a.reply({ get: { id: 'g', topic: grp, what: 'sub' } });
    const modes = Object.fromEntries((subs.meta?.sub as { user: string; acs: { mode: string } }[]).map((s) => [s.user, s.acs.mode]));
    expect(modes[bob]).toBe('JRWPASDO');
    expect(modes[alice]).toBe('JRWPASD');
    // Now alice may leave; bob may not.
    expect((await b.reply({ leave: { id: 'l', topic: grp, unsub: true } })).ctrl?.code).toBe(403);
    expect((await a.reply({ leave: { id: 'l', topic: grp, unsub: true } })).ctrl?.code).toBe(200);
  });

  it('refuses subscribers past max_subscriber_count', async () => {
    const small = await startTestServer({ max_subscriber_count: 2 });
    try {
      const open = async (login: string) => {
        const c = await RawClient.open(small.host);
        clients.push(c);
        await c.hello();
        await c.login(login);
        return c;
      };
      const a = await open('alice');
      const r = await a.reply({ sub: { id: 'g', topic: 'newx' } });
      const grp = String(r.ctrl?.topic);
      expect((await (await open('bob')).reply({ sub: { id: 's', topic: grp } })).ctrl?.code).toBe(200);
      expect((await (await open('carol')).reply({ sub: { id: 's', topic: grp } })).ctrl).toMatchObject({ code: 422, text: 'policy violation' });
    } finally {
      await small.close();
    }
  });

  it('soft-deletes for one user and hard-deletes for everyone, with delete ids', async () => {
    const { c: a, uid: alice } = await user('alice');
    const grp = await newGroup(a);
    const { c: b } = await user('bob');
    await b.reply({ sub: { id: 's', topic: grp } });
    for (let i = 1; i <= 5; i++) await a.reply({ pub: { id: `p${i}`, topic: grp, content: `m${i}` } });
    await drain(b);
    const soft = await b.reply({ del: { id: 'd1', topic: grp, what: 'msg', delseq: [{ low: 1, hi: 3 }] } });
    expect(soft.ctrl).toMatchObject({ code: 200, params: { del: 1 } });
    const history = async (c: RawClient) => {
      await drain(c, 100);
      c.send({ get: { id: 'h', topic: grp, what: 'data' } });
      const out: number[] = [];
      for (;;) {
        const m = await c.next();
        if (m.data) out.push(Number(m.data.seq));
        if (m.ctrl?.id === 'h') return out.sort((x, y) => x - y);
      }
    };
    expect(await history(b)).toEqual([3, 4, 5]);
    expect(await history(a)).toEqual([1, 2, 3, 4, 5]);
    // A member without D asking for a hard delete gets a soft one.
    const notHard = await b.reply({ del: { id: 'd2', topic: grp, what: 'msg', hard: true, delseq: [{ low: 5 }] } });
    expect(notHard.ctrl?.params).toEqual({ del: 2 });
    expect(await history(a)).toEqual([1, 2, 3, 4, 5]);
    const hard = await a.reply({ del: { id: 'd3', topic: grp, what: 'msg', hard: true, delseq: [{ low: 4 }] } });
    expect(hard.ctrl?.params).toEqual({ del: 3 });
    const pres = await waitFor(b, (m) => m.pres?.what === 'del', 'del at member');
    expect(pres.pres).toMatchObject({ topic: grp, src: alice, clear: 3, delseq: [{ low: 4 }] });
    expect(await history(a)).toEqual([1, 2, 3, 5]);
    expect(await history(b)).toEqual([3]);
    const dels = await b.reply({ get: { id: 'gd', topic: grp, what: 'del' } });
    expect(dels.meta?.del).toEqual({ clear: 3, delseq: [{ low: 1, hi: 3 }, { low: 4, hi: 6 }] });
    const desc = await b.reply({ get: { id: 'gs', topic: grp, what: 'desc' } });
    expect(desc.meta?.desc).toMatchObject({ seq: 5, clear: 3 });
    // Bad ranges.
    expect((await a.reply({ del: { id: 'b1', topic: grp, what: 'msg', delseq: [{ low: 9 }] } })).ctrl?.code).toBe(400);
    expect((await a.reply({ del: { id: 'b2', topic: grp, what: 'msg' } })).ctrl?.code).toBe(400);
  });

  it('stores read and recv marks that never move backwards and tells the sender', async () => {
    const { c: a, uid: alice } = await user('alice');
    const grp = await newGroup(a);
    const { c: b, uid: bob } = await user('bob');
    await b.reply({ sub: { id: 's', topic: grp } });
    for (let i = 1; i <= 3; i++) await a.reply({ pub: { id: `p${i}`, topic: grp, content: i } });
    b.send({ note: { topic: grp, what: 'recv', seq: 3 } });
    b.send({ note: { topic: grp, what: 'read', seq: 2 } });
    b.send({ note: { topic: grp, what: 'read', seq: 1 } });
    b.send({ note: { topic: grp, what: 'read', seq: 99 } });
    b.send({ note: { topic: grp, what: 'kp' } });
    const infos: Json[] = [];
    for (let i = 0; i < 3; i++) infos.push(await waitFor(a, (m) => !!m.info, 'info'));
    expect(infos.map((m) => m.info)).toEqual([
      { topic: grp, from: bob, what: 'recv', seq: 3 },
      { topic: grp, from: bob, what: 'read', seq: 2 },
      { topic: grp, from: bob, what: 'kp' },
    ]);
    const subs = await a.reply({ get: { id: 'g', topic: grp, what: 'sub', sub: { user: bob } } });
    expect(subs.meta?.sub).toMatchObject([{ user: bob, read: 2, recv: 3 }]);
    const desc = await b.reply({ get: { id: 'd', topic: grp, what: 'desc' } });
    expect(desc.meta?.desc).toMatchObject({ seq: 3, read: 2, recv: 3 });
    void alice;
  });
  it('unloads an idle topic and rebuilds it from the store on the next subscription', async () => {
    const { c: a } = await user('alice');
    const grp = await newGroup(a);
    const { c: b } = await user('bob');
    await b.reply({ sub: { id: 's', topic: grp, set: { desc: { private: 'pinned' } } } });
    for (let i = 1; i <= 3; i++) await a.reply({ pub: { id: `p${i}`, topic: grp, content: i } });
    b.send({ note: { topic: grp, what: 'read', seq: 2 } });
    await drain(b);
    await a.reply({ leave: { id: 'l', topic: grp } });
    await b.reply({ leave: { id: 'l', topic: grp } });
    const end = Date.now() + 5000;
    while (srv.server.hub.get(grp) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(srv.server.hub.get(grp)).toBeUndefined();
    const again = await b.reply({ sub: { id: 's2', topic: grp, get: { what: 'desc' } } });
    expect(again.ctrl?.code).toBe(200);
    const desc = await waitFor(b, (m) => !!m.meta?.desc, 'desc');
    expect(desc.meta?.desc).toMatchObject({ public: { fn: 'Group' }, private: 'pinned', seq: 3, read: 2, recv: 2, subcnt: 2 });
    expect((await b.reply({ pub: { id: 'p4', topic: grp, content: 4 } })).ctrl?.params).toEqual({ seq: 4 });
  });
});

describe('p2p topics', () => {
  it('creates the topic on first subscription, names it by the peer, and shows the peer', async () => {
    const { c: e, uid: eve } = await user('carol');
    const { c: f, uid: frank } = await user('frank');
    await f.reply({ sub: { id: 'me', topic: 'me' } });
    const r = await e.reply({ sub: { id: 's', topic: frank, get: { what: 'desc' } } });
    // What frank gives by default (his default access), what carol asks for (what she gives).
    expect(r.ctrl).toMatchObject({ code: 200, topic: frank, params: { acs: { want: 'JRWPA', given: 'JRWPAS', mode: 'JRWPA' } } });
    const desc = await e.next();
    expect(desc.meta).toMatchObject({ topic: frank, desc: { public: { fn: expect.any(String) }, acs: { mode: 'JRWPA' } } });
    expect(desc.meta?.desc).not.toHaveProperty('defacs');
    const acs = await waitFor(f, (m) => m.pres?.what === 'acs', 'new contact');
    expect(acs.pres).toMatchObject({ topic: 'me', src: eve, act: eve });
    const sub = await f.reply({ sub: { id: 's', topic: eve } });
    expect(sub.ctrl).toMatchObject({ code: 200, topic: eve });
    const p = await e.reply({ pub: { id: 'p', topic: frank, content: 'hi frank' } });
    expect(p.ctrl).toMatchObject({ code: 202, topic: frank });
    const d = await waitFor(f, (m) => !!m.data, 'data');
    expect(d.data).toMatchObject({ topic: eve, from: eve, content: 'hi frank' });
    // Blocking: frank takes away eve's W.
    const block = await f.reply({ set: { id: 'b', topic: eve, sub: { user: eve, mode: 'JRP' } } });
    expect(block.ctrl).toMatchObject({ code: 200, params: { acs: { given: 'JRPA' } } });
    expect((await e.reply({ pub: { id: 'p2', topic: frank, content: 'blocked?' } })).ctrl?.code).toBe(403);
    // p2p desc cannot be changed but for private.
    expect((await e.reply({ set: { id: 'x', topic: frank, desc: { public: { fn: 'x' } } } })).ctrl?.code).toBe(403);
    expect((await e.reply({ set: { id: 'y', topic: frank, desc: { private: { note: 'n' } } } })).ctrl?.code).toBe(200);
    // Nobody can remove the other from a p2p topic.
    expect((await f.reply({ del: { id: 'd', topic: eve, what: 'sub', user: eve } })).ctrl?.code).toBe(403);
  });

  it('deletes the p2p topic when the last participant leaves', async () => {
    const { c: d } = await user('dave');
    const { c: c2, uid: bob } = await user('bob');
    const { uid: dave } = await user('dave');
    await d.reply({ sub: { id: 's', topic: bob } });
    await d.reply({ pub: { id: 'p', topic: bob, content: 'x' } });
    await c2.reply({ sub: { id: 's', topic: dave } });
    expect((await d.reply({ leave: { id: 'l', topic: bob, unsub: true } })).ctrl?.code).toBe(200);
    expect((await c2.reply({ del: { id: 'dt', topic: dave, what: 'topic', hard: true } })).ctrl?.code).toBe(200);
    const gone = await c2.reply({ get: { id: 'g', topic: dave, what: 'sub' } });
    expect(gone.ctrl?.code).toBe(404);
  });
});

describe('channels', () => {
  it('readers subscribe as chn…, read without from, cannot publish, and make no presence', async () => {
    const { c: a } = await user('alice');
    const grp = await newGroup(a, {}, 'nch');
    const chn = 'chn' + grp.slice(3);
    const desc = await a.reply({ get: { id: 'd', topic: grp, what: 'desc' } });
    expect(desc.meta?.desc).toMatchObject({ chan: true, defacs: { auth: 'RWPS' } });
    const { c: r } = await user('carol');
    // As a group it cannot be joined by default (no J); as a channel it can.
    expect((await r.reply({ sub: { id: 'g', topic: grp } })).ctrl?.code).toBe(403);
    const sub = await r.reply({ sub: { id: 'c', topic: chn } });
    expect(sub.ctrl).toMatchObject({ code: 200, topic: chn, params: { acs: { mode: 'JRP' } } });
    await drain(a);
    await a.reply({ pub: { id: 'p', topic: grp, content: 'news' } });
    const d = await waitFor(r, (m) => !!m.data, 'channel data');
    expect(d.data).toMatchObject({ topic: chn, seq: 1, content: 'news' });
    expect(d.data).not.toHaveProperty('from');
    expect((await r.reply({ pub: { id: 'w', topic: chn, content: 'reply' } })).ctrl?.code).toBe(403);
    r.send({ note: { topic: chn, what: 'read', seq: 1 } });
    expect((await drain(a)).filter((m) => m.info || m.pres)).toEqual([]);
    const hist = await r.reply({ get: { id: 'h', topic: chn, what: 'data' } });
    expect(hist.ctrl?.code).toBe(208);
    // A channel is not a group for a non-channel topic, and a group cannot be read as a channel.
    const plain = await newGroup(a);
    expect((await r.reply({ sub: { id: 'x', topic: 'chn' + plain.slice(3) } })).ctrl?.code).toBe(404);
    expect((await r.reply({ leave: { id: 'l', topic: chn, unsub: true } })).ctrl?.code).toBe(200);
  });
});

describe('sys and slf', () => {
  it('takes reports on sys from anyone without subscribing', async () => {
    const { c } = await user('bob');
    const r = await c.reply({ pub: { id: 'r', topic: 'sys', content: 'spam report' } });
    expect(r.ctrl).toMatchObject({ code: 202, topic: 'sys' });
    // Only root subscribes.
    expect((await c.reply({ sub: { id: 's', topic: 'sys' } })).ctrl?.code).toBe(403);
  });

  it('keeps saved messages on slf, visible to the user only', async () => {
    const { c } = await user('dave');
    const r = await c.reply({ sub: { id: 's', topic: 'slf' } });
    expect(r.ctrl).toMatchObject({ code: 200, topic: 'slf', params: { acs: { mode: 'JRWDO' } } });
    expect((await c.reply({ pub: { id: 'p', topic: 'slf', content: 'note to self' } })).ctrl?.params).toEqual({ seq: 1 });
    const hist = await c.reply({ get: { id: 'h', topic: 'slf', what: 'data' } });
    expect(hist.ctrl?.code).toBe(208);
  });
});

describe('deleting topics', () => {
  it('lets the owner delete a group; members are told it is gone', async () => {
    const { c: a } = await user('alice');
    const grp = await newGroup(a);
    const { c: b } = await user('bob');
    await b.reply({ sub: { id: 'me', topic: 'me' } });
    await b.reply({ sub: { id: 's', topic: grp } });
    // A member's delete is a leave.
    const { c: c3 } = await user('carol');
    await c3.reply({ sub: { id: 's', topic: grp } });
    expect((await c3.reply({ del: { id: 'd', topic: grp, what: 'topic' } })).ctrl?.code).toBe(200);
    expect((await a.reply({ del: { id: 'd', topic: grp, what: 'topic', hard: true } })).ctrl?.code).toBe(200);
    const gone = await waitFor(b, (m) => m.pres?.what === 'gone', 'gone');
    expect(gone.pres).toMatchObject({ topic: 'me', src: grp });
    expect((await b.reply({ sub: { id: 'x', topic: grp } })).ctrl?.code).toBe(404);
  });
});

describe('what each member sees', () => {
  it("shows others' want and given only to managers, and private only to its owner", async () => {
    const { c: a, uid: alice } = await user('alice');
    const grp = await newGroup(a);
    const { c: b, uid: bob } = await user('bob');
    await b.reply({ sub: { id: 's', topic: grp, set: { desc: { private: { mine: 'bob' } } } } });
    const byMember = await b.reply({ get: { id: 'g', topic: grp, what: 'sub' } });
    const rows = byMember.meta?.sub as { user: string; acs: Record<string, string>; private?: unknown; online?: boolean }[];
    const own = rows.find((r) => r.user === bob)!;
    const owners = rows.find((r) => r.user === alice)!;
    expect(own.acs).toEqual({ mode: 'JRWPS', want: 'JRWPS', given: 'JRWPS' });
    expect(own.private).toEqual({ mine: 'bob' });
    // The owner is an admin: its mode shows; a plain member sees nobody's private.
    expect(owners.acs.mode).toBe('JRWPASDO');
    expect(owners).not.toHaveProperty('private');
    const byOwner = await a.reply({ get: { id: 'g', topic: grp, what: 'sub', sub: { user: bob } } });
    expect(byOwner.meta?.sub).toEqual([expect.objectContaining({ user: bob, acs: { mode: 'JRWPS', want: 'JRWPS', given: 'JRWPS' }, online: true })]);
    expect(byOwner.meta?.sub?.[0 as never]).not.toHaveProperty('private');
    const limited = await a.reply({ get: { id: 'l', topic: grp, what: 'sub', sub: { limit: 1 } } });
    expect(limited.meta?.sub).toHaveLength(1);
    // With a cache time, unchanged subscriptions come without public and private values.
    const future = new Date(Date.now() + 60_000).toISOString();
    const cached = await b.reply({ get: { id: 'i', topic: grp, what: 'sub', sub: { ims: future } } });
    for (const row of cached.meta?.sub as Record<string, unknown>[]) {
      expect(row).not.toHaveProperty('public');
      expect(row).not.toHaveProperty('private');
    }
    // A member that cannot share does not see the defaults.
    const desc = await b.reply({ get: { id: 'd', topic: grp, what: 'desc' } });
    expect(desc.meta?.desc).toMatchObject({ defacs: { auth: 'JRWPS' } });
  });

  it('forwards data notes with their payload, and typing only from writers', async () => {
    const { c: a } = await user('alice');
    const grp = await newGroup(a, { set: { desc: { defacs: { auth: 'JRP' } } } });
    const { c: b, uid: bob } = await user('bob');
    await b.reply({ sub: { id: 's', topic: grp } });
    await drain(a);
    b.send({ note: { topic: grp, what: 'kp' } });
    b.send({ note: { topic: grp, what: 'data', payload: { mime: 'application/json', val: { x: 1 } } } });
    const info = await waitFor(a, (m) => !!m.info, 'data note');
    expect(info.info).toEqual({ topic: grp, from: bob, what: 'data', payload: { mime: 'application/json', val: { x: 1 } } });
  });

  it('keeps messages older than msg_delete_age from hard deletion', async () => {
    const aged = await startTestServer({ msg_delete_age: 1 });
    try {
      const c = await RawClient.open(aged.host);
      clients.push(c);
      await c.hello();
      await c.login('alice');
      const grp = String((await c.reply({ sub: { id: 'g', topic: 'newAge' } })).ctrl?.topic);
      await c.reply({ pub: { id: 'p1', topic: grp, content: 'old' } });
      await new Promise((r) => setTimeout(r, 1200));
      await c.reply({ pub: { id: 'p2', topic: grp, content: 'new' } });
      expect((await c.reply({ del: { id: 'd', topic: grp, what: 'msg', hard: true, delseq: [{ low: 1, hi: 3 }] } })).ctrl?.code).toBe(200);
      await drain(c);
      c.send({ get: { id: 'h', topic: grp, what: 'data' } });
      const kept: unknown[] = [];
      for (;;) {
        const m = await c.next();
        if (m.data) kept.push(m.data.content);
        if (m.ctrl?.id === 'h') break;
      }
      expect(kept).toEqual(['old']);
    } finally {
      await aged.close();
    }
  });
});

describe('deleting a user', () => {
  it('takes the p2p topics and the groups the user owns along', async () => {
    const { c: a } = await user('alice');
    await a.reply({ sub: { id: 'me', topic: 'me' } });
    const { c: d, uid: dave } = await user('dave');
    const grp = await newGroup(d);
    expect((await a.reply({ sub: { id: 'g', topic: grp } })).ctrl?.code).toBe(200);
    expect((await a.reply({ sub: { id: 'p', topic: dave } })).ctrl?.code).toBe(200);
    await drain(a);
    expect((await d.reply({ del: { id: 'x', what: 'user', hard: true } })).ctrl?.code).toBe(200);
    const seen = await drain(a, 1000);
    const gone = seen.filter((m) => m.pres?.what === 'gone').map((m) => m.pres?.src);
    expect(gone).toEqual(expect.arrayContaining([grp, dave]));
    expect(seen.filter((m) => m.ctrl?.code === 205).map((m) => m.ctrl?.topic)).toEqual(expect.arrayContaining([grp, dave]));
    // Nothing of it is left.
    expect((await a.reply({ sub: { id: 'g2', topic: grp } })).ctrl?.code).toBe(404);
    const left = await a.reply({ get: { id: 'm', topic: 'me', what: 'sub', sub: { topic: dave } } });
    expect(left.ctrl?.code, JSON.stringify(left)).toBe(204);
  });
});

describe('root', () => {
  it('reads reports on sys, publishes on behalf of users, and sets trusted values', async () => {
    const { c: reporter, uid: bob } = await user('bob');
    await reporter.reply({ pub: { id: 'r', topic: 'sys', content: 'please look at grpX' } });
    const { uid: frank } = await user('frank');
    const { makeRoot } = await import('../../server/store/init/root.js');
    await makeRoot(srv.server.ctx.store, frank);
    const { c: root } = await user('frank');
    const sub = await root.reply({ sub: { id: 's', topic: 'sys', get: { what: 'data' } } });
    expect(sub.ctrl).toMatchObject({ code: 200, params: { acs: { mode: 'JRWPD' } } });
    const reports: Json[] = [];
    for (;;) {
      const m = await root.next();
      if (m.data) reports.push(m);
      if (m.ctrl) break;
    }
    expect(reports.map((m) => m.data)).toEqual(expect.arrayContaining([expect.objectContaining({ topic: 'sys', from: bob, content: 'please look at grpX' })]));

    const { c: a, uid: alice } = await user('alice');
    const grp = await newGroup(a);
    // Non-root cannot set trusted.
    expect((await a.reply({ set: { id: 't', topic: grp, desc: { trusted: { verified: true } } } })).ctrl?.code).toBe(403);
    const asAlice = await root.reply({ sub: { id: 'o', topic: grp }, extra: { obo: alice } });
    expect(asAlice.ctrl?.code).toBe(200);
    const pub = await root.reply({ pub: { id: 'p', topic: grp, content: 'by root' }, extra: { obo: alice } });
    expect(pub.ctrl?.code).toBe(202);
    const d = await waitFor(a, (m) => !!m.data, 'data from root');
    expect(d.data).toMatchObject({ from: alice, head: { sender: frank }, content: 'by root' });
    // Trusted values need the root level, kept while acting for the owner.
    const tr = await root.reply({ set: { id: 't2', topic: grp, desc: { trusted: { verified: true } } }, extra: { obo: alice, authlevel: 'root' } });
    expect(tr.ctrl?.code).toBe(200);
    const desc = await a.reply({ get: { id: 'd', topic: grp, what: 'desc' } });
    expect(desc.meta?.desc).toMatchObject({ trusted: { verified: true } });
  });
});
