import { describe, expect, it } from 'vitest';
import { adapterOf, type Adapter } from '../../server/store/adapter-access.js';
import { parseUserId } from '../../src/model/uid.js';
import { drain, RawClient, waitFor } from '../helpers/raw.js';
import { serverPerTest } from '../helpers/server.js';

/**
 * What a session setup costs the database: `{hi}`, `{login}` by token, `{sub me}`. The user
 * record is read once (login and `me` used to read it each), and a write to it between two
 * reads is always seen.
 */
const servers = serverPerTest();

/** Counts the adapter calls named in `names` (the adapter object itself is wrapped). */
function countCalls(adapter: Adapter, names: readonly (keyof Adapter)[]): Map<string, number> {
  const counts = new Map<string, number>();
  const a = adapter as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of names) {
    const original = a[name]!.bind(adapter);
    a[name] = (...args: unknown[]) => {
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return original(...args);
    };
  }
  return counts;
}

describe('session setup', () => {
  it("reads the user's subscriptions once for me, its own private value with them, and contacts still hear it come online", async () => {
    const srv = await servers.start();
    const bob = servers.track(await RawClient.open(srv.host, { compress: false }));
    await bob.hello();
    await bob.login('bob');
    expect((await bob.reply({ sub: { id: 'b', topic: 'me' } })).ctrl?.code).toBe(200);

    const first = servers.track(await RawClient.open(srv.host, { compress: false }));
    await first.hello();
    await first.login('alice');
    expect((await first.reply({ sub: { id: 's1', topic: 'me' } })).ctrl?.code).toBe(200);
    expect((await first.reply({ set: { id: 'p', topic: 'me', desc: { private: { comment: 'note to self' } } } })).ctrl?.code).toBe(200);
    first.close();
    await new Promise((r) => setTimeout(r, 1200));
    await drain(bob, 100);

    const counts = countCalls(adapterOf(srv.server.ctx.store), ['subsForUser', 'subsForTopic']);
    const c = servers.track(await RawClient.open(srv.host, { compress: false }));
    await c.hello();
    const login = await c.login('alice');
    const me = await c.reply({ sub: { id: 's2', topic: 'me', get: { what: 'desc' } } });
    expect(me.ctrl?.code).toBe(200);
    expect(counts.get('subsForUser')).toBe(1);
    expect(counts.get('subsForTopic')).toBeUndefined();
    const desc = await waitFor(c, (m) => m.meta?.desc !== undefined, 'me desc');
    expect((desc.meta?.desc as { private?: unknown } | undefined)?.private).toEqual({ comment: 'note to self' });
    // Bob, a contact, hears alice come online from what that one read gave.
    const user = (login.ctrl?.params as { user: string }).user;
    await waitFor(bob, (m) => m.pres?.topic === 'me' && m.pres.src === user && m.pres.what === 'on', 'alice online');
  });


  it('reads the user record once for login and me, and sees a change made in between', async () => {
    const srv = await servers.start();
    const first = servers.track(await RawClient.open(srv.host, { compress: false }));
    await first.hello();
    const login = (await first.login('alice')).ctrl?.params as { token: string; user: string };
    first.close();
    // Let `me` of the first session unload (so that the next session loads it again) and the
    // record read at that login age past the second a read is kept.
    await new Promise((r) => setTimeout(r, 1200));

    const counts = countCalls(adapterOf(srv.server.ctx.store), ['userGet', 'subsForUser', 'subsForTopic']);
    const c = servers.track(await RawClient.open(srv.host, { compress: false }));
    await c.hello();
    expect((await c.reply({ login: { id: 'l', scheme: 'token', secret: login.token } })).ctrl?.code).toBe(200);
    const me = await c.reply({ sub: { id: 's', topic: 'me', get: { what: 'desc' } } });
    expect(me.ctrl?.code).toBe(200);
    expect(counts.get('userGet')).toBe(1);
    // The user's subscriptions are read once: `me`'s own one and the contacts it tells it is online.
    expect(counts.get('subsForUser')).toBe(1);
    expect(counts.get('subsForTopic')).toBeUndefined();

    // A change to the user between two reads is seen by the second.
    const users = srv.server.ctx.store.users;
    const uid = parseUserId(login.user);
    expect((await users.get(uid))?.public).toMatchObject({ fn: 'Alice Walker' });
    await users.update(uid, { public: { fn: 'Alice J.' } });
    expect((await users.get(uid))?.public).toEqual({ fn: 'Alice J.' });
    expect(counts.get('userGet')).toBe(2);
  });
});
