import { describe, expect, it } from 'vitest';
import { adapterOf, type Adapter } from '../../server/store/adapter-access.js';
import { parseUserId } from '../../src/model/uid.js';
import { RawClient } from '../helpers/raw.js';
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
  it('reads the user record once for login and me, and sees a change made in between', async () => {
    const srv = await servers.start();
    const first = servers.track(await RawClient.open(srv.host, { compress: false }));
    await first.hello();
    const login = (await first.login('alice')).ctrl?.params as { token: string; user: string };
    first.close();
    // Let `me` of the first session unload (so that the next session loads it again) and the
    // record read at that login age past the second a read is kept.
    await new Promise((r) => setTimeout(r, 1200));

    const counts = countCalls(adapterOf(srv.server.ctx.store), ['userGet']);
    const c = servers.track(await RawClient.open(srv.host, { compress: false }));
    await c.hello();
    expect((await c.reply({ login: { id: 'l', scheme: 'token', secret: login.token } })).ctrl?.code).toBe(200);
    const me = await c.reply({ sub: { id: 's', topic: 'me', get: { what: 'desc' } } });
    expect(me.ctrl?.code).toBe(200);
    expect(counts.get('userGet')).toBe(1);

    // A change to the user between two reads is seen by the second.
    const users = srv.server.ctx.store.users;
    const uid = parseUserId(login.user);
    expect((await users.get(uid))?.public).toMatchObject({ fn: 'Alice Walker' });
    await users.update(uid, { public: { fn: 'Alice J.' } });
    expect((await users.get(uid))?.public).toEqual({ fn: 'Alice J.' });
    expect(counts.get('userGet')).toBe(2);
  });
});
