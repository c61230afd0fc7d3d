import { describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/raw.js';
import { serverPerTest } from '../helpers/server.js';

/**
 * Password hashing (bcrypt) runs on libuv's thread pool, which websocket compression (zlib) and
 * file I/O share. A flood of logins must not take all of it: at most `limits.password_hashes`
 * are hashed at once, so a compressed websocket of another user is read and answered while the
 * flood is still being worked through.
 */
const servers = serverPerTest();

async function client(host: string, compress: boolean): Promise<RawClient> {
  const c = await RawClient.open(host, { compress });
  servers.track(c);
  await c.hello();
  return c;
}

describe('a login flood', () => {
  it('leaves thread pool turns to a compressed websocket: its message is answered before the flood is through', async () => {
    const srv = await servers.start({ limits: { password_hashes: 2, login_failures: 100_000, login_failures_per_address: 100_000 } });
    const bob = await client(srv.host, true);
    await bob.login('bob');
    const events: string[] = [];
    // A session has one login in hand at a time: the flood's width is its number of sessions.
    const flooders = await Promise.all(Array.from({ length: 40 }, () => client(srv.host, false)));
    const perFlooder = 1;
    const floods = flooders.map(async (c, f) => {
      for (let i = 0; i < perFlooder; i++) {
        c.send({ login: { id: `f${f}.${i}`, scheme: 'basic', secret: Buffer.from(`alice:wrong${f}.${i}`).toString('base64') } });
      }
      for (let i = 0; i < perFlooder; i++) {
        const m = await c.next(30_000);
        expect(m.ctrl?.code).toBe(401);
        events.push('login');
      }
    });
    // Let the flood reach the server first: its hashes are queued before bob's frame arrives.
    await new Promise((r) => setTimeout(r, 100));
    // Larger than the compression threshold: inflating it needs a turn on the thread pool.
    const answer = (async () => {
      bob.send({ get: { id: 'g', topic: 'me', what: 'desc' }, pad: 'x'.repeat(20_000) });
      for (;;) {
        const m = await bob.next(30_000);
        if (m.meta?.id === 'g') {
          events.push('bob');
          return m;
        }
      }
    })();
    expect((await answer).meta?.id).toBe('g');
    await Promise.all(floods);
    const logins = events.length - 1;
    expect(logins).toBe(flooders.length * perFlooder);
    // Bob was answered while the flood still waited for its turns: without the limit his frame
    // waits on the pool behind every hash queued before it (40 here).
    expect(events.indexOf('bob')).toBeLessThan(20);
  });
});
