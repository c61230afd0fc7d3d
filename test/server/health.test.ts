import { afterAll, describe, expect, it } from 'vitest';
import { newTestDb, openStore, testDbKinds, type TestDb } from '../helpers/databases.js';
import { Relay } from '../helpers/relay.js';
import { serverPerTest } from '../helpers/server.js';

/**
 * Liveness and readiness: live while the process answers, ready while its database answers and
 * it is not shutting down. The database is cut off by a TCP relay between the server and
 * PostgreSQL that the test closes and opens again.
 */
const servers = serverPerTest();
const { kinds } = await testDbKinds();

async function probe(host: string, path: string): Promise<{ status: number; body: Record<string, string> }> {
  const res = await fetch(`http://${host}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

describe('health', () => {
  const dbs: TestDb[] = [];
  afterAll(async () => {
    for (const db of dbs) await db.drop();
  });

  it('is live and ready on a working server, at the configured paths, and off with "-"', async () => {
    const srv = await servers.start();
    expect(await probe(srv.host, '/livez')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await probe(srv.host, '/readyz')).toEqual({ status: 200, body: { status: 'ok', database: 'ok' } });
    const moved = await servers.start({ health: { live: '/health/live', ready: '-' } });
    expect((await probe(moved.host, '/health/live')).status).toBe(200);
    expect((await fetch(`http://${moved.host}/readyz`)).status).toBe(404);
  });

  it.skipIf(!kinds.includes('postgres'))('is not ready while the database is unreachable, and ready again when it is back; live throughout', async () => {
    const db = newTestDb('postgres');
    dbs.push(db);
    const store = await openStore(db.url);
    await store.createDb(false);
    await store.close();
    const relay = new Relay(5432);
    await relay.open();
    const srv = await servers.start({}, db.url.replace(':5432/', `:${relay.port}/`));
    expect((await probe(srv.host, '/readyz')).status).toBe(200);

    await relay.cut();
    await new Promise((r) => setTimeout(r, 1100)); // past the cached answer
    const down = await probe(srv.host, '/readyz');
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('unavailable');
    expect(down.body.database).toBeTruthy();
    expect((await probe(srv.host, '/livez')).status).toBe(200);

    await relay.open(relay.port);
    let back = 0;
    for (let i = 0; i < 50 && back !== 200; i++) {
      await new Promise((r) => setTimeout(r, 200));
      back = (await probe(srv.host, '/readyz')).status;
    }
    expect(back).toBe(200);
  });
});
