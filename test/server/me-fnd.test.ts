import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUserId } from '../../src/model/uid.js';
import { RawClient, waitFor } from '../helpers/raw.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** Details of `me`, `fnd` and `{hi}` that apps rely on, over raw JSON. */
let srv: TestServer;

beforeAll(async () => {
  srv = await startTestServer();
});

afterAll(async () => {
  await srv.close();
});

async function user(login: string): Promise<{ c: RawClient; uid: string }> {
  const c = await RawClient.open(srv.host);
  await c.hello();
  const r = await c.login(login);
  return { c, uid: String((r.ctrl?.params as { user: string }).user) };
}

describe('me', () => {
  it('answers a contact list query with nothing newer by 204 "no content"', async () => {
    const { c } = await user('alice');
    const full = await c.reply({ sub: { id: '1', topic: 'me', get: { what: 'sub' } } });
    expect(full.ctrl?.code).toBe(200);
    const list = await c.next();
    expect(list.meta?.sub).toBeInstanceOf(Array);
    const future = new Date(Date.now() + 60_000).toISOString();
    const none = await c.reply({ get: { id: '2', topic: 'me', what: 'sub', sub: { ims: future } } });
    expect(none.ctrl).toMatchObject({ code: 204, params: { what: 'sub' } });
    // A description not changed since: no public or private values.
    const desc = await c.reply({ get: { id: '3', topic: 'me', what: 'desc', desc: { ims: future } } });
    expect(desc.meta?.desc).not.toHaveProperty('public');
    expect(desc.meta?.desc).toHaveProperty('acs');
    // One contact by name.
    const bobId = (await (async () => (await user('bob')).uid)());
    const one = await c.reply({ get: { id: '4', topic: 'me', what: 'sub', sub: { topic: bobId } } });
    expect((one.meta?.sub as { topic: string }[]).map((s) => s.topic)).toEqual([bobId]);
    c.close();
  });

  it('stores the push device of a later {hi} and tells other sessions about profile changes', async () => {
    const { c, uid } = await user('dave');
    const dev = await c.reply({ hi: { id: 'd', dev: 'device-token-1', lang: 'de-DE' } });
    expect(dev.ctrl?.code).toBe(200);
    const { devices } = await srv.server.ctx.store.devices.getAll([parseUserId(uid)]);
    expect(devices.get(parseUserId(uid))?.map((d) => d.deviceId)).toEqual(['device-token-1']);
    const gone = await c.reply({ hi: { id: 'e', dev: '\u2421' } });
    expect(gone.ctrl?.code).toBe(200);
    expect((await srv.server.ctx.store.devices.getAll([parseUserId(uid)])).count).toBe(0);

    const other = await RawClient.open(srv.host);
    await other.hello();
    await other.login('dave');
    await other.reply({ sub: { id: 's', topic: 'me' } });
    await c.reply({ sub: { id: 's', topic: 'me' } });
    const upd = await c.reply({ set: { id: 'u', topic: 'me', desc: { public: { fn: 'Dave O.' } } } });
    expect(upd.ctrl?.code).toBe(200);
    for (;;) {
      const m = await other.next();
      if (m.pres?.what === 'upd') {
        expect(m.pres).toMatchObject({ topic: 'me', src: 'me', what: 'upd' });
        break;
      }
    }
    c.close();
    other.close();
  });
});

describe('me: the own subscription', () => {
  it('changes with {set sub}: without P the user goes offline to contacts, with P back online; other sessions hear acs', async () => {
    const { c: carol, uid: carolId } = await user('carol');
    await carol.reply({ sub: { id: 's', topic: 'me' } });
    const { c: other } = await user('carol');
    await other.reply({ sub: { id: 's', topic: 'me' } });
    const { c: bob, uid: bobId } = await user('bob');
    await bob.reply({ sub: { id: 's', topic: 'me' } });
    const hidden = await carol.reply({ set: { id: 'h', topic: 'me', sub: { mode: 'JS' } } });
    expect(hidden.ctrl).toMatchObject({ code: 200, params: { acs: { want: 'JS', mode: 'JS' } } });
    await waitFor(bob, (m) => m.pres?.src === carolId && m.pres.what === 'off', 'carol off', 10_000);
    await waitFor(other, (m) => m.pres?.topic === 'me' && m.pres.what === 'acs', 'acs on the other session', 10_000);
    expect((await carol.reply({ set: { id: 'h2', topic: 'me', sub: { mode: 'JS' } } })).ctrl?.code).toBe(304);
    // Another user's subscription is not on me.
    expect((await carol.reply({ set: { id: 'o', topic: 'me', sub: { user: bobId, mode: 'JPS' } } })).ctrl?.code).toBe(403);
    expect((await carol.reply({ set: { id: 'v', topic: 'me', sub: { mode: 'JPS' } } })).ctrl?.code).toBe(200);
    await waitFor(bob, (m) => m.pres?.src === carolId && m.pres.what === 'on', 'carol on', 10_000);
    for (const c of [carol, other, bob]) c.close();
  });
});

describe('fnd', () => {
  it('checks whether an alias is taken, and never finds suspended users', async () => {
    const { c } = await user('bob');
    await c.reply({ sub: { id: '1', topic: 'me' } });
    expect((await c.reply({ set: { id: '2', topic: 'me', tags: ['alias:bobby', 'basic:bob', 'email:bob@example.com', 'tel:+17025550002', 'bob'] } })).ctrl?.code).toBe(200);
    const { c: finder } = await user('frank');
    await finder.reply({ sub: { id: '1', topic: 'fnd' } });
    await finder.reply({ set: { id: '2', topic: 'fnd', desc: { public: 'alias:bobby' } } });
    const taken = await finder.reply({ get: { id: '3', topic: 'fnd', what: 'tags' } });
    expect((taken.meta?.tags as string[])[0]).toMatch(/^usr/);
    await finder.reply({ set: { id: '4', topic: 'fnd', desc: { public: 'alias:free' } } });
    expect((await finder.reply({ get: { id: '5', topic: 'fnd', what: 'tags' } })).ctrl).toMatchObject({ code: 204, params: { what: 'tags' } });
    // A second session of the same user has its own query.
    const { c: finder2 } = await user('frank');
    await finder2.reply({ sub: { id: '1', topic: 'fnd' } });
    expect((await finder2.reply({ get: { id: '3', topic: 'fnd', what: 'tags' } })).ctrl?.code).toBe(204);

    await finder.reply({ set: { id: '6', topic: 'fnd', desc: { public: 'carol@example.com' } } });
    const before = await finder.reply({ get: { id: '7', topic: 'fnd', what: 'sub' } });
    expect(before.meta?.sub).toHaveLength(1);
    const carol = await srv.server.ctx.store.auth.getUniqueRecord('basic', 'carol');
    await srv.server.ctx.store.users.update(carol!.uid, { state: 10 });
    const after = await finder.reply({ get: { id: '8', topic: 'fnd', what: 'sub' } });
    expect(after.ctrl).toMatchObject({ code: 204 });
    await srv.server.ctx.store.users.update(carol!.uid, { state: 0 });
    c.close();
    finder.close();
    finder2.close();
  });
});
