import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUserId } from '../../src/model/uid.js';
import { ROOT } from '../helpers/cli.js';
import { FakeFcm } from '../helpers/fake-fcm.js';
import { RawClient } from '../helpers/raw.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Push notifications for users who are not looking: one JSON line per push on stdout, and the
 * FCM HTTP v1 adapter (service account token exchange, sends, forgetting invalid tokens) against
 * a fake FCM service on loopback.
 */
const clients: RawClient[] = [];

afterAll(() => {
  for (const c of clients) c.close();
});

async function user(host: string, login: string, dev?: string): Promise<{ c: RawClient; uid: string }> {
  const c = await RawClient.open(host);
  clients.push(c);
  const hi = await c.ask({ hi: { id: 'h', ver: '0.25.3', ua: 'push-test', ...(dev ? { dev } : {}) } });
  expect(hi.ctrl?.code).toBe(201);
  const r = await c.login(login);
  return { c, uid: String((r.ctrl?.params as { user: string }).user) };
}

async function until<T>(get: () => T | undefined, what: string, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the stdout handler', () => {
  it('prints a JSON receipt for a message to a member who is not attached', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tinode-push-'));
    const conf = join(dir, 'tinode.conf');
    writeFileSync(conf, JSON.stringify({ push: [{ name: 'stdout', config: { enabled: true } }] }));
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'tinode'), 'serve', '--config', conf, '--listen', '127.0.0.1:0', '--grpc-listen', '', '--db', `sqlite:${join(dir, 'tinode.db')}`], {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let log = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (log += d));
    try {
      const host = await until(() => /listening on http:\/\/(127\.0\.0\.1:\d+)/.exec(log)?.[1], 'the server');
      const { c: a, uid: alice } = await user(host, 'alice');
      const grp = String((await a.reply({ sub: { id: 'g', topic: 'newPush' } })).ctrl?.topic);
      const { c: b, uid: bob } = await user(host, 'bob');
      await b.reply({ sub: { id: 's', topic: grp } });
      await b.reply({ leave: { id: 'l', topic: grp } });
      await a.reply({ pub: { id: 'p', topic: grp, head: { mime: 'text/x-drafty' }, content: { txt: 'Are you there?' } } });
      const line = await until(() => out.split('\n').find((l) => l.includes('"what":"msg"')), 'a push line');
      const rcpt = JSON.parse(line) as { to: Record<string, { delivered: number; unread: number }>; payload: Record<string, unknown> };
      expect(rcpt.payload).toMatchObject({ what: 'msg', silent: false, topic: grp, from: alice, seq: 1, mime: 'text/x-drafty', content: { txt: 'Are you there?' } });
      // Bob is not attached: delivered 0, and the message counts in his unread badge. Alice's own devices get it silently.
      expect(rcpt.to[bob]?.delivered).toBe(0);
      expect(rcpt.to[bob]?.unread).toBeGreaterThanOrEqual(1);
      expect(rcpt.to[alice]?.delivered).toBeGreaterThan(0);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});

describe('the fcm handler', () => {
  let fake: FakeFcm;
  let srv: TestServer;

  beforeAll(async () => {
    fake = await FakeFcm.start();
    srv = await startTestServer({ push: fake.pushConfig() });
  });

  afterAll(async () => {
    await srv.close();
    fake.close();
  });

  it('sends a message push to the devices of a user who is away, and forgets a stale token', async () => {
    const { c: away, uid: bob } = await user(srv.host, 'bob', 'fresh-device');
    away.close();
    const { c: second } = await user(srv.host, 'bob', 'stale-device');
    second.close();
    const { c: a, uid: alice } = await user(srv.host, 'alice');
    await a.reply({ sub: { id: 's', topic: bob } });
    const sent = await a.reply({ pub: { id: 'p', topic: bob, content: 'ping' } });
    const seq = String((sent.ctrl?.params as { seq: number }).seq);
    const fresh = await until(() => fake.sends.find((m) => m.token === 'fresh-device'), 'a send to the fresh device');
    // Bob sees the p2p topic as alice's id.
    expect(fresh.data).toMatchObject({ what: 'msg', topic: alice, xfrom: alice, seq, content: 'ping' });
    expect(fresh.data).not.toHaveProperty('silent');
    expect(fresh.apns.payload.aps.badge).toBeGreaterThanOrEqual(1);
    await until(() => fake.sends.find((m) => m.token === 'stale-device'), 'a send to the stale device');
    const bobId = parseUserId(bob);
    const end = Date.now() + 3000;
    let left: string[] = [];
    while (Date.now() < end) {
      left = ((await srv.server.ctx.store.devices.getAll([bobId])).devices.get(bobId) ?? []).map((d) => d.deviceId);
      if (!left.includes('stale-device')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(left).toEqual(['fresh-device']);
    expect(fake.tokenRequests).toBe(1);
  });
});
