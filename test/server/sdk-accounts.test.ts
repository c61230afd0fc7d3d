import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSdk, until, type SdkClient } from '../helpers/sdk.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * tinode-sdk 0.25.3 against the server, over websocket and long polling: accounts, login,
 * credential validation, profile, tags, search and presence, as an app uses them.
 */
let srv: TestServer;
const open: SdkClient[] = [];

beforeAll(async () => {
  srv = await startTestServer();
});

afterAll(async () => {
  for (const c of open) {
    // Long-poll clients stay open (the SDK throws after disconnect() on long polling).
    if (c.isConnected() && (c as unknown as { _transport?: string })._transport !== 'lp') c.disconnect();
  }
  await srv.close();
});

async function client(transport: 'ws' | 'lp'): Promise<SdkClient> {
  const c = await connectSdk(srv.host, transport);
  open.push(c);
  return c;
}

function errorCode(p: Promise<unknown>): Promise<number> {
  return p.then(
    () => 0,
    (err: unknown) => (err as { code?: number }).code ?? -1,
  );
}

describe.each(['ws', 'lp'] as const)('tinode-sdk over %s', (transport) => {
  it('gets the server parameters from {hi}', async () => {
    const c = await client(transport);
    expect(c.getServerParam('ver')).toBe('0.25');
    expect(c.getServerParam('maxMessageSize')).toBe(131072);
    expect(c.getServerParam('maxTagCount')).toBe(16);
    expect(c.getServerParam('reqCred')).toEqual({ auth: ['email'] });
  });

  it('logs in with a password and then with the token it got', async () => {
    const c = await client(transport);
    const ctrl = await c.loginBasic('alice', 'alice123');
    expect(ctrl.code).toBe(200);
    expect(c.isAuthenticated()).toBe(true);
    const token = c.getAuthToken();
    expect(token?.token).toBeTruthy();
    expect(token?.expires.getTime()).toBeGreaterThan(Date.now() + 13 * 24 * 3600_000);
    const again = await client(transport);
    const byToken = await again.loginToken(token!.token);
    expect(byToken.code).toBe(200);
    expect(again.getCurrentUserID()).toBe(c.getCurrentUserID());
  });

  it('refuses a wrong password and a forged token', async () => {
    const c = await client(transport);
    expect(await errorCode(c.loginBasic('alice', 'wrong-password'))).toBe(401);
    expect(await errorCode(c.loginBasic('nobody', 'whatever1'))).toBe(401);
    const real = await client(transport);
    await real.loginBasic('bob', 'bob123');
    const token = Buffer.from(real.getAuthToken()!.token, 'base64');
    token[20] = (token[20] ?? 0) ^ 0xff;
    expect(await errorCode(c.loginToken(token.toString('base64')))).toBe(401);
    expect(c.isAuthenticated()).toBe(false);
  });

  it('creates an account that must validate its email, and logs in with the code', async () => {
    const login = `tester${transport}${Date.now() % 100000}`;
    const c = await client(transport);
    const ctrl = await c.createAccountBasic(login, 'secret123', {
      public: { fn: 'Test User' },
      tags: ['testing'],
      cred: [{ meth: 'email', val: `${login}@example.com` }],
      login: true,
    });
    expect(ctrl.code).toBe(300);
    expect(ctrl.params?.cred).toEqual(['email']);
    expect(c.isAuthenticated()).toBe(false);
    const token = c.getAuthToken()!.token;
    // A token issued before validation does not log in.
    const t = await client(transport);
    expect((await t.loginToken(token)).code).toBe(300);
    expect(t.isAuthenticated()).toBe(false);
    const wrong = await client(transport);
    expect(await errorCode(wrong.loginBasic(login, 'secret123', [{ meth: 'email', resp: '000000' }]))).toBe(0);
    expect(wrong.isAuthenticated()).toBe(false);
    const ok = await client(transport);
    const done = await ok.loginBasic(login, 'secret123', [{ meth: 'email', resp: '123456' }]);
    expect(done.code).toBe(200);
    expect(ok.isAuthenticated()).toBe(true);
    // Validated once, the account logs in without codes.
    const later = await client(transport);
    expect((await later.loginBasic(login, 'secret123')).code).toBe(200);
  });

  it('refuses duplicate logins and weak passwords', async () => {
    const c = await client(transport);
    expect(await errorCode(c.createAccountBasic('alice', 'whatever123', { login: false }))).toBe(409);
    expect(await errorCode(c.createAccountBasic(`short${transport}`, 'x', { login: false }))).toBe(422);
  });

  it('reads and updates the profile on me, with the contact list', async () => {
    const [login, fn] = transport === 'ws' ? ['carol', 'Carol Chen'] : ['frank', 'Frank Novak'];
    const c = await client(transport);
    await c.loginBasic(login, `${login}123`);
    const me = c.getMeTopic();
    const contacts: Record<string, unknown>[] = [];
    await me.subscribe(me.startMetaQuery().withDesc().withSub().withTags().withCred().build());
    // The SDK applies {meta} after the {ctrl} that resolves the promise.
    await until(() => me.public !== null && me.public !== undefined && me.tags().length > 0, 3000, 'me desc and tags');
    me.contacts((cont) => contacts.push(cont));
    expect(me.public).toEqual({ fn });
    expect(contacts.length).toBeGreaterThanOrEqual(5);
    expect(me.tags()).toEqual(expect.arrayContaining([`basic:${login}`, `email:${login}@example.com`]));
    const ctrl = await me.setMeta({ desc: { public: { fn: `${fn} Jr.`, note: transport } } });
    expect(ctrl.code).toBe(200);
    expect(me.public).toMatchObject({ fn: `${fn} Jr.` });
    // A new plain tag alone changes nothing (the reference ignores it on me).
    expect((await me.setMeta({ tags: [...me.tags(), `plain${transport}`] })).code).toBe(304);
    // Restricted tags cannot be dropped.
    expect(await errorCode(me.setMeta({ tags: [login] }))).toBe(403);
    const alias = await me.setMeta({ tags: [...me.tags(), `alias:${login}${transport}`] });
    expect(alias.code).toBe(200);
    expect(me.tags()).toContain(`alias:${login}${transport}`);
  });

  it('finds users by tag, email, phone and login, and topics by tag', async () => {
    const c = await client(transport);
    await c.loginBasic('dave', 'dave123');
    const fnd = c.getFndTopic();
    await fnd.subscribe();
    const search = async (query: string): Promise<Record<string, unknown>[]> => {
      await fnd.setMeta({ desc: { public: query } });
      const found: Record<string, unknown>[] = [];
      fnd.onMetaSub = (sub) => found.push(sub);
      await fnd.getMeta(fnd.startMetaQuery().withSub().build());
      fnd.onMetaSub = undefined;
      return found;
    };
    const byEmail = await search('bob@example.com');
    expect(byEmail.map((s) => (s.public as { fn: string }).fn)).toEqual(['Bob Miller']);
    const byPhone = await search('(702)555-0002');
    expect(byPhone.map((s) => (s.public as { fn: string }).fn)).toEqual(['Bob Miller']);
    const byLogin = await search('alice');
    expect(byLogin.map((s) => (s.public as { fn: string }).fn)).toContain('Alice Walker');
    const byTopicTag = await search('hiking');
    expect(byTopicTag.map((s) => (s.public as { fn: string }).fn)).toEqual(['Weekend hikes']);
    expect(String(byTopicTag[0]?.topic)).toMatch(/^grp/);
    expect(await search('nosuchthing')).toEqual([]);
  });
});

describe('presence over websocket', () => {
  it("tells a user's contacts when the user comes online and goes offline", async () => {
    const alice = await client('ws');
    await alice.loginBasic('alice', 'alice123');
    const me = alice.getMeTopic();
    const events: string[] = [];
    me.onContactUpdate = (what, cont) => events.push(`${what}:${String(cont.topic)}`);
    await me.subscribe(me.startMetaQuery().withSub().build());
    const bob = await client('ws');
    await bob.loginBasic('bob', 'bob123');
    const bobId = bob.getCurrentUserID();
    const bobMe = bob.getMeTopic();
    await bobMe.subscribe(bobMe.startMetaQuery().withSub().build());
    await until(() => events.includes(`on:${bobId}`), 3000, 'bob online');
    await bobMe.leave();
    await until(() => events.includes(`off:${bobId}`), 3000, 'bob offline');
  });
});
