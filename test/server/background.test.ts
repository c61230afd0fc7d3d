import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { userId } from '../../src/model/uid.js';
import { ROOT } from '../helpers/cli.js';
import { RawClient, type Json } from '../helpers/raw.js';
import { until } from '../helpers/sdk.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Background sessions (`{hi bkg:true}`, as tn-cli and `tinode cli` send when scripted): their
 * user is neither online nor announced until the session has stayed `timings.backgroundMs`;
 * then it counts as any foreground session, in `me` (contacts hear `on`) and in every topic it
 * is attached to, and it counts once. What is checked is what alice's client receives.
 */
type Pres = Record<string, unknown>;

const opened: { close(): void }[] = [];

afterEach(() => {
  for (const c of opened.splice(0)) c.close();
});

/** A logged-in raw websocket client and every `{pres}` and `{data}` it has received since it connected. */
interface User {
  c: RawClient;
  uid: string;
  pres: Pres[];
  data: Json['data'][];
}

async function connect(srv: TestServer, name: string, bkg: boolean): Promise<User> {
  const c = await RawClient.open(srv.host);
  opened.push(c);
  const pres: Pres[] = [];
  const data: Json['data'][] = [];
  c.ws.on('message', (d) => {
    const text = d.toString();
    if (text.startsWith('{')) {
      const m = JSON.parse(text) as Json;
      if (m.pres) pres.push(m.pres);
      if (m.data) data.push(m.data);
    }
  });
  const hi = await c.ask({ hi: { id: 'h', ver: '0.25.3', ua: `${name}-agent`, ...(bkg ? { bkg: true } : {}) } });
  expect(hi.ctrl?.code).toBe(201);
  const login = await c.login(name);
  return { c, uid: String((login.ctrl?.params as { user?: string } | undefined)?.user), pres, data };
}

async function sub(u: User, topic: string): Promise<Json> {
  const r = await u.c.reply({ sub: { id: `s-${topic}`, topic } });
  expect(r.ctrl?.code, JSON.stringify(r)).toBeLessThan(300);
  return r;
}

/** The id of a sample user, from the store. */
async function uidOf(srv: TestServer, login: string): Promise<string> {
  const rec = await srv.server.ctx.store.auth.getUniqueRecord('basic', login);
  if (!rec) throw new Error(`no user ${login}`);
  return userId(rec.uid);
}

/** What alice has heard of `src` on `topic`: the verbs in order. */
function heard(u: User, topic: string, src: string): unknown[] {
  return u.pres.filter((p) => p.topic === topic && p.src === src && (p.what === 'on' || p.what === 'off')).map((p) => p.what);
}

/** Alice's group with bob invited (JRWP). */
async function groupWithBob(alice: User, bob: string): Promise<string> {
  const made = await alice.c.reply({ sub: { id: 'g', topic: 'new', set: { desc: { public: { fn: 'bkg test' } } } } });
  const grp = String(made.ctrl?.topic);
  expect(grp).toMatch(/^grp/);
  const inv = await alice.c.reply({ set: { id: 'i', topic: grp, sub: { user: bob, mode: 'JRWP' } } });
  expect(inv.ctrl?.code).toBe(200);
  return grp;
}

/** Whether alice's `{get what:"sub"}` of the group shows bob online. */
async function bobOnlineIn(alice: User, grp: string, bob: string): Promise<boolean> {
  const r = await alice.c.reply({ get: { id: 'gs', topic: grp, what: 'sub' } });
  const subs = (r.meta?.sub ?? []) as { user?: string; online?: boolean }[];
  const rec = subs.find((s) => s.user === bob);
  expect(rec).toBeDefined();
  return rec?.online === true;
}

/** Alice online on `me`, bob's id, and alice's group with bob in it. */
async function aliceWithGroup(srv: TestServer): Promise<{ alice: User; bobId: string; grp: string }> {
  const alice = await connect(srv, 'alice', false);
  await sub(alice, 'me');
  const bobId = await uidOf(srv, 'bob');
  return { alice, bobId, grp: await groupWithBob(alice, bobId) };
}

/** Bob in the background on `me`, his conversation with alice and the group. */
async function bobInBackground(srv: TestServer, alice: User, grp: string): Promise<User> {
  const bob = await connect(srv, 'bob', true);
  for (const topic of ['me', alice.uid, grp]) await sub(bob, topic);
  return bob;
}

/** A server for the tests of a `describe`, with background sessions promoted after `backgroundMs`. */
function serverWith(backgroundMs: number): () => TestServer {
  let srv: TestServer | null = null;
  beforeAll(async () => {
    srv = await startTestServer({}, undefined, { backgroundMs, topicIdleMs: 200 });
  });
  afterAll(async () => {
    await srv?.close();
  });
  return () => {
    if (!srv) throw new Error('the server did not start');
    return srv;
  };
}

/** A round trip through alice's `me` and the group: what was routed to them before has arrived. */
async function fence(alice: User, grp?: string): Promise<void> {
  expect((await alice.c.reply({ get: { id: 'f1', topic: 'me', what: 'desc' } })).meta).toBeDefined();
  if (grp) expect((await alice.c.reply({ get: { id: 'f2', topic: grp, what: 'desc' } })).meta).toBeDefined();
}

describe('a background session comes to the foreground after the delay', () => {
  const server = serverWith(200);

  it('bob in the background: alice hears "on" when it is promoted, once, and "off" when it ends', async () => {
    const srv = server();
    const { alice, bobId, grp } = await aliceWithGroup(srv);

    const bob = await bobInBackground(srv, alice, grp);
    await until(() => heard(alice, 'me', bobId).length > 0, 5000, 'bob online on me');
    await until(() => heard(alice, grp, bobId).length > 0, 5000, 'bob online in the group');
    expect(await bobOnlineIn(alice, grp, bobId)).toBe(true);
    await fence(alice, grp);
    expect(heard(alice, 'me', bobId)).toEqual(['on']);
    expect(heard(alice, grp, bobId)).toEqual(['on']);
    expect(alice.pres.find((p) => p.topic === 'me' && p.src === bobId && p.what === 'on')?.ua).toBe('bob-agent');

    bob.c.close();
    await until(() => heard(alice, grp, bobId).length === 2, 5000, 'bob off in the group');
    await until(() => heard(alice, 'me', bobId).length === 2, 5000, 'bob off on me');
    expect(heard(alice, grp, bobId)).toEqual(['on', 'off']);
    expect(heard(alice, 'me', bobId)).toEqual(['on', 'off']);
    expect(await bobOnlineIn(alice, grp, bobId)).toBe(false);
  });

  it('a promoted session and a foreground one of the same user: announced once, each counted once', async () => {
    const srv = server();
    const { alice, bobId, grp } = await aliceWithGroup(srv);

    // Background first: promoted, announced.
    const bkg = await connect(srv, 'bob', true);
    await sub(bkg, 'me');
    await sub(bkg, grp);
    await until(() => heard(alice, grp, bobId).length > 0 && heard(alice, 'me', bobId).length > 0, 5000, 'bob on');
    // Then a foreground session: it announces nothing new.
    const fg = await connect(srv, 'bob', false);
    await sub(fg, 'me');
    await sub(fg, grp);
    await fence(alice, grp);
    expect(heard(alice, 'me', bobId)).toEqual(['on']);
    expect(heard(alice, grp, bobId)).toEqual(['on']);
    // The foreground session leaves: the promoted one still counts bob online.
    expect((await fg.c.reply({ leave: { id: 'l1', topic: grp } })).ctrl?.code).toBe(200);
    expect((await fg.c.reply({ leave: { id: 'l2', topic: 'me' } })).ctrl?.code).toBe(200);
    await fence(alice, grp);
    expect(heard(alice, grp, bobId)).toEqual(['on']);
    expect(await bobOnlineIn(alice, grp, bobId)).toBe(true);
    // The promoted one ends: bob goes offline, once.
    bkg.c.close();
    await until(() => heard(alice, grp, bobId).length === 2 && heard(alice, 'me', bobId).length === 2, 5000, 'bob off');
    expect(heard(alice, grp, bobId)).toEqual(['on', 'off']);
    expect(heard(alice, 'me', bobId)).toEqual(['on', 'off']);

    // Foreground first, then a background session that is promoted while it is there.
    const fg2 = await connect(srv, 'bob', false);
    await sub(fg2, grp);
    await until(() => heard(alice, grp, bobId).length === 3, 5000, 'bob on again');
    const bkg2 = await connect(srv, 'bob', true);
    await sub(bkg2, grp);
    // Promotion shows nothing to alice (bob is online already): wait for it on the server.
    await until(() => srv.server.ctx.backgroundSessions.size === 0, 5000, 'the promotion');
    expect((await fg2.c.reply({ leave: { id: 'l3', topic: grp } })).ctrl?.code).toBe(200);
    await fence(alice, grp);
    expect(heard(alice, grp, bobId)).toEqual(['on', 'off', 'on']);
    expect(await bobOnlineIn(alice, grp, bobId)).toBe(true);
    bkg2.c.close();
    await until(() => heard(alice, grp, bobId).length === 4, 5000, 'bob off again');
    expect(heard(alice, grp, bobId)).toEqual(['on', 'off', 'on', 'off']);
  });

  it('tinode cli (scripted, so in the background) comes online over gRPC and goes offline when it exits', async () => {
    const srv = server();
    const alice = await connect(srv, 'alice', false);
    await sub(alice, 'me');
    const bobId = await uidOf(srv, 'bob');

    const cli = spawn(process.execPath, [join(ROOT, 'bin', 'tinode'), 'cli', '--host', srv.server.grpcAddr ?? '', '--no-login'], {
      cwd: mkdtempSync(join(tmpdir(), 'tinode-bkg-')),
      env: { ...process.env, NO_COLOR: '1' },
    });
    let out = '';
    cli.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    cli.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((r) => cli.on('close', r));
    cli.stdin.write(`.must login bob:bob123\n.must sub me\n.must sub ${alice.uid}\n`);
    try {
      await until(() => heard(alice, 'me', bobId).length > 0, 8000, `bob (tinode cli) online; the cli said:\n${out}`);
      await fence(alice);
      expect(heard(alice, 'me', bobId)).toEqual(['on']);
    } finally {
      cli.stdin.end();
    }
    expect(await exited, out).toBe(0);
    await until(() => heard(alice, 'me', bobId).length === 2, 5000, 'bob (tinode cli) off');
    expect(heard(alice, 'me', bobId)).toEqual(['on', 'off']);
  });
});

describe('a background session that ends before the delay is never announced', () => {
  const server = serverWith(600_000);

  it('alice hears nothing of bob\'s background session, then "on" for his foreground one', async () => {
    const srv = server();
    const { alice, bobId, grp } = await aliceWithGroup(srv);

    const bkg = await bobInBackground(srv, alice, grp);
    // What bob does from the background reaches alice; only his presence does not.
    expect((await bkg.c.reply({ pub: { id: 'p', topic: grp, content: 'from the background' } })).ctrl?.code).toBe(202);
    await fence(alice, grp);
    expect(alice.data.map((d) => [d?.from, d?.content])).toEqual([[bobId, 'from the background']]);
    expect(await bobOnlineIn(alice, grp, bobId)).toBe(false);
    expect(heard(alice, 'me', bobId)).toEqual([]);
    expect(heard(alice, grp, bobId)).toEqual([]);
    bkg.c.close();

    // His foreground session is the first alice hears of: no "off" came for the background one.
    const fg = await connect(srv, 'bob', false);
    await sub(fg, 'me');
    await sub(fg, grp);
    await until(() => heard(alice, 'me', bobId).length > 0 && heard(alice, grp, bobId).length > 0, 5000, 'bob on');
    await fence(alice, grp);
    expect(heard(alice, 'me', bobId)).toEqual(['on']);
    expect(heard(alice, grp, bobId)).toEqual(['on']);
    expect(await bobOnlineIn(alice, grp, bobId)).toBe(true);
  });
});
