import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { adapterOf } from '../../server/store/adapter-access.js';
import type { Message } from '../../server/store/contract/types.js';
import { RawClient, type Json } from '../helpers/raw.js';
import { DEMO_KEY } from '../helpers/sdk.js';
import { serverPerTest } from '../helpers/server.js';

/**
 * Limits on what a session sends, tried as an attacker would: password guessing, publishing
 * floods, messages nested thousands deep, and a message that poisons a commit batch. Each is
 * refused with a clear code while everyone else is served.
 */
const servers = serverPerTest();

/** A websocket client connecting from a loopback address of its own (127.0.0.x). */
async function from(host: string, localAddress = '127.0.0.1'): Promise<RawClient> {
  const ws = new WebSocket(`ws://${host}/v0/channels?apikey=${DEMO_KEY}`, { localAddress });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const c = RawClient.wrap(ws);
  servers.track(c);
  await c.hello();
  return c;
}

const basic = (login: string, password: string) => Buffer.from(`${login}:${password}`).toString('base64');
const login = (c: RawClient, user: string, password: string) => c.reply({ login: { id: 'l', scheme: 'basic', secret: basic(user, password) } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `n` levels of arrays around a string. */
const nested = (n: number) => '['.repeat(n) + '"deep"' + ']'.repeat(n);

describe('failed logins', () => {
  it('make further attempts at that login wait, from any address, with a growing delay', async () => {
    const srv = await servers.start({ limits: { login_failures: 3, login_lockout: 60 } });
    const a = await from(srv.host, '127.0.0.2');
    for (let i = 0; i < 3; i++) {
      expect((await login(a, 'alice', 'guess' + i)).ctrl?.code).toBe(401);
    }
    // The right password from another address waits too: the guesser cannot lock in a success.
    const b = await from(srv.host, '127.0.0.3');
    const held = await login(b, 'alice', 'alice123');
    expect(held.ctrl).toMatchObject({ code: 429, text: 'too many requests', params: { wait: 1 } });
    // Other logins from the same addresses are not affected.
    expect((await login(a, 'bob', 'bob123')).ctrl?.code).toBe(200);
    await sleep(1100);
    expect((await login(b, 'alice', 'wrong again')).ctrl?.code).toBe(401);
    // The fourth failure doubles the wait.
    expect((await login(b, 'alice', 'alice123')).ctrl?.params).toEqual({ wait: 2 });
    await sleep(2100);
    expect((await login(b, 'alice', 'alice123')).ctrl?.code).toBe(200);
    // A success forgets the failures.
    const c = await from(srv.host, '127.0.0.4');
    expect((await login(c, 'alice', 'nope')).ctrl?.code).toBe(401);
    expect((await login(c, 'alice', 'alice123')).ctrl?.code).toBe(200);
  });

  it('from one address make every login from it wait, and no other address', async () => {
    const srv = await servers.start({ limits: { login_failures_per_address: 4 } });
    const a = await from(srv.host, '127.0.0.5');
    for (const user of ['alice', 'bob', 'carol', 'dave']) {
      expect((await login(a, user, 'guess')).ctrl?.code).toBe(401);
    }
    expect((await login(a, 'frank', 'frank123')).ctrl?.code).toBe(429);
    const b = await from(srv.host, '127.0.0.6');
    expect((await login(b, 'frank', 'frank123')).ctrl?.code).toBe(200);
  });

  it('count password reset requests per address', async () => {
    const srv = await servers.start({ limits: { login_failures_per_address: 2 } });
    const a = await from(srv.host, '127.0.0.7');
    const reset = () => a.reply({ login: { id: 'r', scheme: 'reset', secret: Buffer.from('basic:email:alice@example.com').toString('base64') } });
    expect((await reset()).ctrl?.code).toBe(301);
    // A code is out already: the second is refused by the code scheme, and still counts.
    expect((await reset()).ctrl?.code).not.toBe(429);
    expect((await reset()).ctrl?.code).toBe(429);
  });
});

describe('publishing rate', () => {
  it('answers 429 past publish_rate and stores exactly what it accepted', async () => {
    const srv = await servers.start({ limits: { publish_rate: 5, publish_burst: 5 } });
    const c = await from(srv.host);
    await login(c, 'alice', 'alice123');
    expect((await c.reply({ sub: { id: 's', topic: 'slf' } })).ctrl?.code).toBe(200);
    const n = 30;
    for (let i = 0; i < n; i++) c.send({ pub: { id: `p${i}`, topic: 'slf', content: `m${i}` } });
    const codes: number[] = [];
    while (codes.length < n) {
      const m = await c.next();
      if (m.ctrl && String(m.ctrl.id).startsWith('p')) codes.push(Number(m.ctrl.code));
    }
    const accepted = codes.filter((x) => x === 202).length;
    expect(accepted).toBeGreaterThanOrEqual(5);
    expect(codes.filter((x) => x === 429).length).toBe(n - accepted);
    const hist = await c.reply({ get: { id: 'h', topic: 'slf', what: 'data' } });
    expect(hist.ctrl?.params).toMatchObject({ count: accepted });
  });
});

describe('deep nesting', () => {
  it('is malformed (400) on every transport, and a member still gets what follows', async () => {
    const srv = await servers.start();
    const alice = await from(srv.host);
    await login(alice, 'alice', 'alice123');
    const bob = await from(srv.host);
    await login(bob, 'bob', 'bob123');
    const grp = String((await alice.reply({ sub: { id: 'n', topic: 'new', set: { desc: { defacs: { auth: 'JRWP' } } } } })).ctrl?.topic);
    expect((await bob.reply({ sub: { id: 's', topic: grp } })).ctrl?.code).toBe(200);

    for (const text of [
      `{"pub":{"id":"d1","topic":"${grp}","content":${nested(7000)}}}`,
      `{"note":{"topic":"${grp}","what":"data","payload":${nested(7000)}}}`,
      `{"set":{"id":"d2","topic":"me","desc":{"private":${nested(100)}}}}`,
    ]) {
      alice.send(text);
      let answer = await alice.next();
      while (!answer.ctrl) answer = await alice.next();
      expect(answer.ctrl).toMatchObject({ code: 400, text: 'malformed' });
    }
    // Within the limit: stored and delivered.
    const ok = await alice.reply({ pub: { id: 'd3', topic: grp, content: JSON.parse(nested(50)) as unknown } });
    expect(ok.ctrl?.code).toBe(202);
    let got: Json | undefined;
    for (let i = 0; i < 5 && !got; i++) {
      const m = await bob.next();
      if (m.data) got = m;
    }
    expect(got?.data?.seq).toBe(1);
  });

  it('is malformed over long polling', async () => {
    const srv = await servers.start();
    const base = `http://${srv.host}/v0/channels/lp?apikey=${DEMO_KEY}`;
    const sid = String((((await (await fetch(base, { method: 'POST' })).json()) as Json).ctrl?.params as { sid: string }).sid);
    await fetch(`${base}&sid=${sid}`, { method: 'POST', body: `{"hi":{"id":"1","ver":"0.25.3"}}` });
    const hi = (await (await fetch(`${base}&sid=${sid}`)).json()) as Json;
    expect(hi.ctrl).toMatchObject({ id: '1', code: 200 });
    await fetch(`${base}&sid=${sid}`, { method: 'POST', body: `{"hi":{"id":"2","ver":"0.25.3","ua":${nested(5000)}}}` });
    const bad = (await (await fetch(`${base}&sid=${sid}`)).json()) as Json;
    expect(bad.ctrl).toMatchObject({ code: 400, text: 'malformed' });
  });
});

describe('a message the database refuses', () => {
  it('fails alone: the others of its batch are stored with contiguous seq ids', async () => {
    const srv = await servers.start();
    const adapter = adapterOf(srv.server.ctx.store);
    const save = adapter.messageSaveAll.bind(adapter);
    let first = true;
    // The database's neighbour: slow on the first commit (so the next three form one batch),
    // and refusing any batch holding the poisoned message.
    adapter.messageSaveAll = async (topic: string, msgs: Message[]) => {
      if (first) {
        first = false;
        await sleep(400);
      }
      if (msgs.some((m) => m.content === 'poison')) throw new Error('the database refuses this one');
      return save(topic, msgs);
    };
    const users = ['alice', 'bob', 'carol', 'dave'];
    const clients: RawClient[] = [];
    for (const u of users) {
      const c = await from(srv.host);
      await login(c, u, `${u}123`);
      clients.push(c);
    }
    const [owner, ...others] = clients as [RawClient, RawClient, RawClient, RawClient];
    const grp = String((await owner.reply({ sub: { id: 'n', topic: 'new', set: { desc: { defacs: { auth: 'JRWP' } } } } })).ctrl?.topic);
    for (const c of others) expect((await c.reply({ sub: { id: 's', topic: grp } })).ctrl?.code).toBe(200);
    const first202 = owner.reply({ pub: { id: 'w', topic: grp, content: 'warm-up' } });
    await sleep(100);
    const answers = await Promise.all(others.map((c, i) => c.reply({ pub: { id: `p${i}`, topic: grp, content: i === 1 ? 'poison' : `fine ${i}` } })));
    expect((await first202).ctrl?.params).toEqual({ seq: 1 });
    expect(answers.map((a) => a.ctrl?.code)).toEqual([202, 500, 202]);
    expect(answers.filter((a) => a.ctrl?.code === 202).map((a) => (a.ctrl?.params as { seq: number }).seq).sort()).toEqual([2, 3]);
    const next = await owner.reply({ pub: { id: 'after', topic: grp, content: 'after' } });
    expect(next.ctrl?.params).toEqual({ seq: 4 });
  });
});
