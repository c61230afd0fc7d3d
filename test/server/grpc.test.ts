import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeClient, type Pb } from '../helpers/grpc.js';
import { RawClient, type Json } from '../helpers/raw.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * A gRPC client generated from our proto/model.proto (as any Tinode gRPC client is generated from
 * the reference's pbx/model.proto) runs the same conversation as a websocket client, and both see
 * the same answers.
 */
let srv: TestServer;

beforeAll(async () => {
  srv = await startTestServer();
});

afterAll(async () => {
  await srv.close();
});

interface NodeClient extends grpc.Client {
  MessageLoop(): grpc.ClientDuplexStream<Pb, Pb>;
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const parse = (b: unknown) => (Buffer.isBuffer(b) || b instanceof Uint8Array ? (JSON.parse(Buffer.from(b).toString()) as unknown) : b);

/** A gRPC stream with the same request/answer helpers as the websocket client. */
class GrpcSession {
  private readonly inbox: Pb[] = [];
  private waiters: ((m: Pb) => void)[] = [];
  readonly stream: grpc.ClientDuplexStream<Pb, Pb>;

  constructor(client: NodeClient) {
    this.stream = client.MessageLoop();
    this.stream.on('data', (m: Pb) => {
      const w = this.waiters.shift();
      if (w) w(m);
      else this.inbox.push(m);
    });
    this.stream.on('error', () => undefined);
  }

  next(ms = 3000): Promise<Pb> {
    const m = this.inbox.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      const waiter = (msg: Pb) => {
        clearTimeout(t);
        resolve(msg);
      };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error('no message'));
      }, ms);
      this.waiters.push(waiter);
    });
  }

  async reply(msg: Pb): Promise<Pb> {
    const id = (Object.values(msg)[0] as { id?: string }).id;
    this.stream.write(msg);
    for (;;) {
      const m = await this.next();
      const ctrl = m.ctrl as { id?: string } | undefined;
      const meta = m.meta as { id?: string } | undefined;
      if (ctrl?.id === id || meta?.id === id) return m;
    }
  }
}

/** What both clients should agree on, from a ctrl answer (gRPC or JSON). */
function ctrlOf(m: Pb | Json): { code: number; text: string; params: Record<string, unknown> } {
  const c = m.ctrl as { code: number; text: string; params?: Record<string, unknown> };
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c.params ?? {})) params[k] = parse(v);
  return { code: c.code, text: c.text, params };
}

describe('gRPC Node service', () => {
  it('runs a conversation with the same answers as over websocket', async () => {
    expect(srv.server.grpcAddr).toMatch(/^127\.0\.0\.1:\d+$/);
    const client = nodeClient(srv.server.grpcAddr!);
    const g = new GrpcSession(client);

    // Handshake and login.
    const hi = await g.reply({ hi: { id: 'h', ver: '0.25.3', user_agent: 'grpc-test' } });
    expect(ctrlOf(hi)).toMatchObject({ code: 201, text: 'created', params: { ver: '0.25' } });
    const login = await g.reply({ login: { id: 'l', scheme: 'basic', secret: Buffer.from('alice:alice123') } });
    const lc = ctrlOf(login);
    expect(lc).toMatchObject({ code: 200, text: 'ok', params: { authlvl: 'auth' } });
    expect(String(lc.params.user)).toMatch(/^usr/);

    // A group created over gRPC.
    const sub = await g.reply({
      sub: { id: 's', topic: 'newG', set_query: { desc: { public: json({ fn: 'Over gRPC' }) }, tags: ['grpc'] }, get_query: { what: 'desc' } },
    });
    const sc = ctrlOf(sub);
    expect(sc).toMatchObject({ code: 200, params: { tmpname: 'newG', acs: { want: 'JRWPASDO', given: 'JRWPASDO', mode: 'JRWPASDO' } } });
    const grp = String((sub.ctrl as { topic: string }).topic);
    const desc = (await g.next()).meta as { topic: string; desc: { public: unknown; defacs: unknown } };
    expect(desc.topic).toBe(grp);
    expect(parse(desc.desc.public)).toEqual({ fn: 'Over gRPC' });

    // A websocket member of the same group.
    const ws = await RawClient.open(srv.host);
    await ws.hello();
    await ws.login('bob');
    const wsub = await ws.reply({ sub: { id: 's', topic: grp } });
    expect(ctrlOf(wsub)).toMatchObject({ code: 200, params: { acs: { mode: 'JRWPS' } } });

    // Publish over gRPC: 202 with seq; the websocket member receives it.
    const pub = await g.reply({ pub: { id: 'p', topic: grp, head: { mime: json('text/x-drafty') }, content: json({ txt: 'hello from gRPC' }) } });
    expect(ctrlOf(pub)).toEqual({ code: 202, text: 'accepted', params: { seq: 1 } });
    let data: Json | undefined;
    while (!data) {
      const m = await ws.next();
      if (m.data) data = m;
    }
    expect(data.data).toMatchObject({ topic: grp, from: lc.params.user, seq: 1, head: { mime: 'text/x-drafty' }, content: { txt: 'hello from gRPC' } });

    // Publish over websocket: the gRPC client receives it, with JSON values as bytes.
    const wpub = await ws.reply({ pub: { id: 'p2', topic: grp, content: 'from websocket' } });
    expect(ctrlOf(wpub)).toEqual({ code: 202, text: 'accepted', params: { seq: 2 } });
    // Its own copy comes back to the sender (no noecho).
    for (;;) {
      const m = await ws.next();
      if (m.data?.seq === 2) break;
    }
    let gdata: Pb | undefined;
    while (!gdata) {
      const m = await g.next();
      if (m.data && (m.data as { seq_id: number }).seq_id === 2) gdata = m;
    }
    const d = gdata.data as { topic: string; from_user_id: string; seq_id: number; content: Buffer; timestamp: number };
    expect(d.topic).toBe(grp);
    expect(parse(d.content)).toBe('from websocket');
    expect(d.timestamp).toBeGreaterThan(Date.now() - 60_000);

    // History: the same two messages, newest first, then 208 with the count, on both transports.
    g.stream.write({ get: { id: 'hg', topic: grp, query: { what: 'data' } } });
    const gseqs: number[] = [];
    let gdone: Pb | undefined;
    while (!gdone) {
      const m = await g.next();
      if (m.data) gseqs.push((m.data as { seq_id: number }).seq_id);
      if ((m.ctrl as { id?: string } | undefined)?.id === 'hg') gdone = m;
    }
    ws.send({ get: { id: 'hw', topic: grp, what: 'data' } });
    const wseqs: number[] = [];
    let wdone: Json | undefined;
    while (!wdone) {
      const m = await ws.next();
      if (m.data) wseqs.push(Number(m.data.seq));
      if (m.ctrl?.id === 'hw') wdone = m;
    }
    expect(gseqs).toEqual([2, 1]);
    expect(gseqs).toEqual(wseqs);
    expect(ctrlOf(gdone)).toEqual(ctrlOf(wdone));
    expect(ctrlOf(gdone)).toEqual({ code: 208, text: 'delivered', params: { what: 'data', count: 2 } });

    // Errors read the same too.
    const bad = await g.reply({ pub: { id: 'x', topic: 'grpNoSuchTopic1', content: json('x') } });
    const wbad = await ws.reply({ pub: { id: 'x', topic: 'grpNoSuchTopic1', content: 'x' } });
    expect(ctrlOf(bad)).toEqual(ctrlOf(wbad));
    expect(ctrlOf(bad).code).toBe(409);

    g.stream.end();
    ws.close();
    client.close();
  });

  it('keeps a session per stream: a malformed message gets 400 and the stream carries on', async () => {
    const client = nodeClient(srv.server.grpcAddr!);
    const g = new GrpcSession(client);
    await g.reply({ hi: { id: 'h', ver: '0.25.3' } });
    // Content that is not JSON: the packet is malformed (the reply has no id, as the reference's).
    g.stream.write({ pub: { id: 'p', topic: 'me', content: Buffer.from('{not json') } });
    expect(ctrlOf(await g.next())).toMatchObject({ code: 400, text: 'malformed' });
    // JSON nested past limits.max_json_depth is malformed too.
    g.stream.write({ pub: { id: 'p', topic: 'me', content: Buffer.from('['.repeat(7000) + ']'.repeat(7000)) } });
    expect(ctrlOf(await g.next())).toMatchObject({ code: 400, text: 'malformed' });
    const login = await g.reply({ login: { id: 'l', scheme: 'basic', secret: Buffer.from('carol:carol123') } });
    expect(ctrlOf(login).code).toBe(200);
    // Root-only extras are refused for ordinary users; the stream carries on.
    g.stream.write({ sub: { id: 'o', topic: 'fnd' }, extra: { on_behalf_of: 'usrAAAAAAAAAAA' } });
    expect(ctrlOf(await g.next())).toMatchObject({ code: 403, text: 'permission denied' });
    expect(ctrlOf(await g.reply({ sub: { id: 'm', topic: 'me' } })).code).toBe(200);
    g.stream.end();
    client.close();
  });
});

describe('gRPC under load', () => {
  it('is answered while websocket clients flood the server with publications, not after their backlog', async () => {
    const busy = await startTestServer({ limits: { publish_rate: 0 } });
    const flooders: RawClient[] = [];
    const client = nodeClient(busy.server.grpcAddr!);
    try {
      const events: string[] = [];
      const users = ['alice', 'bob', 'carol', 'dave', 'frank'];
      for (const u of users) {
        const c = await RawClient.open(busy.host, { compress: false });
        flooders.push(c);
        await c.hello();
        await c.login(u);
      }
      const grps = await Promise.all(flooders.map(async (c, i) => String((await c.reply({ sub: { id: `n${i}`, topic: 'new' } })).ctrl?.topic)));
      const g = new GrpcSession(client);
      await g.reply({ hi: { id: 'h', ver: '0.25.3', user_agent: 'grpc-test' } });
      await g.reply({ login: { id: 'l', scheme: 'basic', secret: Buffer.from('alice:alice123') } });
      await g.reply({ sub: { id: 'm', topic: 'me' } });

      const perFlooder = 300;
      const floods = flooders.map(async (c, i) => {
        // In windows within the inbound queue (past twice the queue the server answers 503).
        for (let k = 0; k < perFlooder; k += 30) {
          for (let j = k; j < k + 30; j++) c.send({ pub: { id: `p${j}`, topic: grps[i], noecho: true, content: `message ${j}` } });
          for (let j = k; j < k + 30; j++) {
            const m = await c.next(60_000);
            expect(m.ctrl?.code).toBe(202);
            events.push('ws');
          }
        }
      });
      // Once the flood is under way, a gRPC session asks one thing after another.
      while (events.length < 100) await new Promise((r) => setTimeout(r, 5));
      for (let k = 0; k < 20; k++) {
        const m = await g.reply({ get: { id: `g${k}`, topic: 'me', query: { what: 'desc' } } });
        expect((m.meta as { id?: string } | undefined)?.id).toBe(`g${k}`);
        events.push('grpc');
      }
      await Promise.all(floods);
      expect(events.filter((e) => e === 'ws')).toHaveLength(users.length * perFlooder);
      // Every gRPC answer came while most of the flood was still waiting to be stored.
      expect(events.lastIndexOf('grpc')).toBeLessThan((users.length * perFlooder) / 2);
    } finally {
      client.close();
      for (const c of flooders) c.close();
      await busy.close();
    }
  });
});
