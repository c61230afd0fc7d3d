import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenPlugin as listen, pluginService } from '../helpers/plugin-server.js';
import { RawClient, type Json } from '../helpers/raw.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * A plugin written here, in the test, served over gRPC from the proto: the server shows it client
 * packets (it drops, answers and replaces some), lets it answer searches, and tells it about
 * accounts, topics, subscriptions and messages.
 */
type Pb = Record<string, unknown>;
const events: { kind: string; ev: Pb }[] = [];
let plugin: grpc.Server;
let pluginPort = 0;
let silent: grpc.Server;
let silentPort = 0;
let srv: TestServer;
let slow: TestServer;
const clients: RawClient[] = [];

const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const parse = (b: unknown) => (b ? (JSON.parse(Buffer.from(b as Uint8Array).toString()) as unknown) : undefined);

type Cb = (err: grpc.ServiceError | null, res?: Pb) => void;

beforeAll(async () => {
  plugin = new grpc.Server();
  plugin.addService(pluginService(), {
    FireHose: (call: { request: Pb }, cb: Cb) => {
      const msg = call.request.msg as { pub?: { id: string; topic: string; content?: Buffer } };
      const text = msg.pub ? parse(msg.pub.content) : undefined;
      if (text === 'drop me') return cb(null, { status: 'DROP' });
      if (text === 'answer me') {
        return cb(null, { status: 'RESPOND', srvmsg: { ctrl: { id: msg.pub!.id, topic: msg.pub!.topic, code: 299, text: 'answered by the plugin' } } });
      }
      if (text === 'replace me') {
        return cb(null, { status: 'REPLACE', clmsg: { pub: { ...msg.pub, content: json('replaced by the plugin') } } });
      }
      cb(null, { status: 'CONTINUE' });
    },
    Find: (call: { request: { user_id: string; query: string } }, cb: Cb) => {
      const q = call.request.query;
      if (q === 'plugin:answers') {
        return cb(null, { status: 'RESPOND', result: [{ topic: 'grpFromPlugin1', public: json({ fn: 'Found by the plugin' }), acs: { want: 'JRW', given: 'JR' } }] });
      }
      if (q === 'plugin:rewrite') return cb(null, { status: 'REPLACE', query: 'basic:alice' });
      if (q === 'plugin:drop') return cb(null, { status: 'DROP' });
      cb(null, { status: 'CONTINUE' });
    },
    Account: (call: { request: Pb }, cb: Cb) => {
      events.push({ kind: 'account', ev: call.request });
      cb(null, {});
    },
    Topic: (call: { request: Pb }, cb: Cb) => {
      events.push({ kind: 'topic', ev: call.request });
      cb(null, {});
    },
    Subscription: (call: { request: Pb }, cb: Cb) => {
      events.push({ kind: 'subscription', ev: call.request });
      cb(null, {});
    },
    Message: (call: { request: Pb }, cb: Cb) => {
      events.push({ kind: 'message', ev: call.request });
      cb(null, {});
    },
  });
  pluginPort = await listen(plugin);
  // A plugin that never answers.
  silent = new grpc.Server();
  silent.addService(pluginService(), {
    FireHose: () => undefined,
    Find: () => undefined,
    Account: () => undefined,
    Topic: () => undefined,
    Subscription: () => undefined,
    Message: () => undefined,
  });
  silentPort = await listen(silent);
  srv = await startTestServer({
    acc_validation: { email: { required: [] } },
    plugins: [
      {
        enabled: true,
        name: 'test',
        timeout: 2_000_000,
        filters: { fire_hose: 'pub;grp', account: 'C', topic: 'CUD', subscription: 'CD', message: 'C', find: true },
        service_addr: `tcp://127.0.0.1:${pluginPort}`,
      },
    ],
  });
  slow = await startTestServer({
    plugins: [
      { enabled: true, name: 'silent', timeout: 300_000, failure_code: 503, failure_text: 'plugin unavailable', filters: { fire_hose: 'pub', find: true }, service_addr: `tcp://127.0.0.1:${silentPort}` },
      { enabled: true, name: 'events', timeout: 300_000, filters: { message: 'C' }, service_addr: `tcp://127.0.0.1:${silentPort}` },
    ],
  });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await srv.close();
  await slow.close();
  plugin.forceShutdown();
  silent.forceShutdown();
});

async function user(s: TestServer, login: string): Promise<{ c: RawClient; uid: string }> {
  const c = await RawClient.open(s.host);
  clients.push(c);
  await c.hello();
  const r = await c.login(login);
  return { c, uid: String((r.ctrl?.params as { user: string }).user) };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 3000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function history(c: RawClient, topic: string): Promise<unknown[]> {
  await new Promise((r) => setTimeout(r, 100));
  while (await c.next(50).catch(() => null));
  c.send({ get: { id: 'h', topic, what: 'data' } });
  const out: unknown[] = [];
  for (;;) {
    const m = await c.next();
    if (m.data) out.push(m.data.content);
    if (m.ctrl?.id === 'h') return out.reverse();
  }
}

describe('the firehose', () => {
  it('lets a plugin drop, answer and replace client packets it filters for', async () => {
    const { c } = await user(srv, 'alice');
    const grp = String((await c.reply({ sub: { id: 'g', topic: 'newP' } })).ctrl?.topic);
    expect((await c.reply({ pub: { id: '1', topic: grp, content: 'plain' } })).ctrl?.code).toBe(202);
    const answered = await c.reply({ pub: { id: '2', topic: grp, content: 'answer me' } });
    expect(answered.ctrl).toMatchObject({ id: '2', topic: grp, code: 299, text: 'answered by the plugin' });
    c.send({ pub: { id: '3', topic: grp, content: 'drop me' } });
    const replaced = await c.reply({ pub: { id: '4', topic: grp, content: 'replace me' } });
    expect(replaced.ctrl).toMatchObject({ code: 202, params: { seq: 2 } });
    expect(await history(c, grp)).toEqual(['plain', 'replaced by the plugin']);
    // Not in the filter: p2p messages pass untouched.
    const { uid: bob } = await user(srv, 'bob');
    await c.reply({ sub: { id: 'p', topic: bob } });
    expect((await c.reply({ pub: { id: '5', topic: bob, content: 'drop me' } })).ctrl?.code).toBe(202);
  });

  it('answers with failure_code when the plugin does not answer in time, and delays nobody else', async () => {
    const { c } = await user(slow, 'alice');
    const grp = String((await c.reply({ sub: { id: 'g', topic: 'newS' } })).ctrl?.topic);
    const other = (await user(slow, 'bob')).c;
    const started = Date.now();
    c.send({ pub: { id: 'x', topic: grp, content: 'anyone?' } });
    // Meanwhile another session is served at once.
    const me = await other.reply({ sub: { id: 'm', topic: 'me' } });
    expect(me.ctrl?.code).toBe(200);
    const failed = await c.next(5000);
    expect(failed.ctrl).toMatchObject({ id: 'x', topic: grp, code: 503, text: 'plugin unavailable' });
    // The timeout (300 ms) bounded the wait.
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('Find', () => {
  it('answers, rewrites or drops searches in place of the built-in one', async () => {
    const { c } = await user(srv, 'carol');
    await c.reply({ sub: { id: 'f', topic: 'fnd' } });
    await c.reply({ set: { id: 's1', topic: 'fnd', desc: { public: 'plugin:answers' } } });
    const answered = await c.reply({ get: { id: 'g1', topic: 'fnd', what: 'sub' } });
    expect(answered.meta?.sub).toEqual([expect.objectContaining({ topic: 'grpFromPlugin1', public: { fn: 'Found by the plugin' }, acs: { want: 'JRW', given: 'JR', mode: 'JR' } })]);
    await c.reply({ set: { id: 's2', topic: 'fnd', desc: { public: 'plugin:rewrite' } } });
    const rewritten = await c.reply({ get: { id: 'g2', topic: 'fnd', what: 'sub' } });
    expect((rewritten.meta?.sub as { public?: { fn?: string } }[]).map((s) => s.public?.fn)).toContain('Alice Walker');
    await c.reply({ set: { id: 's3', topic: 'fnd', desc: { public: 'plugin:drop' } } });
    expect((await c.reply({ get: { id: 'g3', topic: 'fnd', what: 'sub' } })).ctrl).toMatchObject({ code: 204 });
  });
});

describe('events', () => {
  it('tells the plugin about accounts, topics, subscriptions and messages, each once', async () => {
    events.length = 0;
    const c = await RawClient.open(srv.host);
    clients.push(c);
    await c.hello();
    const made = await c.reply({
      acc: { id: 'a', user: 'new', scheme: 'basic', secret: Buffer.from('plugged:plugged123').toString('base64'), login: true, desc: { public: { fn: 'Plugged In' } }, tags: ['plugged'] },
    });
    expect(made.ctrl?.code).toBe(200);
    const uid = String((made.ctrl?.params as { user: string }).user);
    const grp = String((await c.reply({ sub: { id: 'g', topic: 'newE', set: { desc: { public: { fn: 'Evented' } } } } })).ctrl?.topic);
    await c.reply({ pub: { id: 'p', topic: grp, content: 'hello plugin' } });
    const { c: b, uid: bob } = await user(srv, 'bob');
    await b.reply({ sub: { id: 's', topic: grp } });
    await b.reply({ leave: { id: 'l', topic: grp, unsub: true } });
    await c.reply({ set: { id: 'u', topic: grp, desc: { public: { fn: 'Renamed' } } } });
    await c.reply({ del: { id: 'd', topic: grp, what: 'topic', hard: true } });
    await until(() => events.filter((e) => e.kind === 'topic').length >= 3, 'topic events');

    const of = (kind: string) => events.filter((e) => e.kind === kind).map((e) => e.ev);
    expect(of('account')).toEqual([expect.objectContaining({ action: 'CREATE', user_id: uid, tags: expect.arrayContaining(['plugged']) })]);
    expect(parse(of('account')[0]!.public)).toEqual({ fn: 'Plugged In' });
    const topics = of('topic');
    expect(topics.map((t) => [t.action, t.name])).toEqual([
      ['CREATE', grp],
      ['UPDATE', grp],
      ['DELETE', grp],
    ]);
    expect(parse((topics[0]!.desc as { public: Buffer }).public)).toEqual({ fn: 'Evented' });
    const subs = of('subscription').filter((s) => s.topic === grp);
    expect(subs.map((s) => [s.action, s.user_id])).toEqual([
      ['CREATE', bob],
      ['DELETE', bob],
    ]);
    const msgs = of('message');
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatchObject({ action: 'CREATE', msg: { topic: grp, from_user_id: uid, seq_id: 1 } });
    expect(parse((msgs[0]!.msg as { content: Buffer }).content)).toBe('hello plugin');
  });

  it('sends events without waiting for a plugin that never answers', async () => {
    const { c } = await user(slow, 'carol');
    const grp = String((await c.reply({ sub: { id: 'g', topic: 'newQ' } })).ctrl?.topic);
    // The firehose plugin (pub filter) fails with 503 after its timeout; events go to the other
    // plugin, which never answers, without holding up the reply.
    const r: Json = await c.reply({ get: { id: 'x', topic: grp, what: 'desc' } });
    expect(r.meta?.desc).toBeDefined();
  });
});
