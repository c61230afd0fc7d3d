/**
 * The baseline: a bare relay speaking just enough of the protocol for the bench clients, with no
 * logic or storage. It answers `{hi}`, `{login}` and `{sub}` with canned replies (the user id is
 * read from the token's first 8 bytes), acknowledges each `{pub}` and sends one `{data}` frame of
 * the server's shape to every socket of the group (or to both users of a p2p pair), and answers
 * `{get data}` with a page of frames built from a template. A `{sub}` to a group sends `{pres on}`
 * to the members already attached, as the server must (O(members) frames per join). Whatever it reaches is the ceiling of
 * Node and `ws` (or grpc-js) on this machine for the same frames to the same sockets.
 *
 *   node --import tsx test/bench/relay.ts [--grpc]   → prints "READY <ws host:port> <grpc addr|->"
 */
import type * as grpc from '@grpc/grpc-js';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';

type Pb = Record<string, unknown>;
type Obj = Record<string, unknown>;

/** A server frame, encoded once per transport however many sockets it goes to. */
class Frame {
  private buf: Buffer | null = null;
  private pbBytes: Buffer | null = null;
  constructor(private readonly msg: Record<string, Obj>) {}

  get text(): Buffer {
    this.buf ??= Buffer.from(JSON.stringify(this.msg));
    return this.buf;
  }

  /** The pbx.ServerMsg, serialized once. */
  pb(serialize: (m: Pb) => Buffer): Buffer {
    this.pbBytes ??= serialize(toPb(this.msg));
    return this.pbBytes;
  }
}

const jsonBytes = (v: unknown) => Buffer.from(JSON.stringify(v));

function toPb(msg: Record<string, Obj>): Pb {
  const [kind, m] = Object.entries(msg)[0]!;
  const ts = m.ts ? Date.parse(m.ts as string) : undefined;
  switch (kind) {
    case 'ctrl':
      return {
        ctrl: {
          id: m.id,
          topic: m.topic,
          code: m.code,
          text: m.text,
          params: m.params ? Object.fromEntries(Object.entries(m.params as Obj).map(([k, v]) => [k, jsonBytes(v)])) : undefined,
        },
      };
    case 'data':
      return { data: { topic: m.topic, from_user_id: m.from, seq_id: m.seq, timestamp: ts, content: jsonBytes(m.content) } };
    case 'pres':
      return { pres: { topic: m.topic, src: m.src, what: String(m.what).toUpperCase() } };
    case 'meta':
      return { meta: { id: m.id, topic: m.topic, desc: { created_at: ts, updated_at: ts, public: jsonBytes((m.desc as Obj).public) } } };
    default:
      return {};
  }
}

interface RConn {
  user: string;
  send(f: Frame): void;
}

const byUser = new Map<string, Set<RConn>>();
const rooms = new Map<string, Set<RConn>>();
const seqs = new Map<string, number>();
const HELLO = { ver: '0.25', build: 'bench-relay', maxMessageSize: 131072, maxSubscriberCount: 100000, reqCred: null };
const HISTORY_TEXT = (i: number) => `history message ${i}: the quick brown fox jumps over the lazy dog, again and again and again`;

function ctrl(id: unknown, code: number, text: string, topic?: unknown, params?: Obj): Frame {
  return new Frame({ ctrl: { id, topic, params, code, text, ts: new Date().toISOString() } });
}

function handle(c: RConn, msg: Record<string, Obj>): void {
  const [kind, m] = Object.entries(msg)[0] ?? [];
  if (!kind || !m) return;
  switch (kind) {
    case 'hi':
      c.send(ctrl(m.id, 201, 'created', undefined, HELLO));
      return;
    case 'login': {
      const secret = m.secret as string;
      c.user = 'usr' + Buffer.from(secret, 'base64').subarray(0, 8).toString('base64url');
      let set = byUser.get(c.user);
      if (!set) byUser.set(c.user, (set = new Set()));
      set.add(c);
      c.send(ctrl(m.id, 200, 'ok', undefined, { user: c.user, authlvl: 'auth', token: secret, expires: new Date(Date.now() + 1_209_600_000).toISOString() }));
      return;
    }
    case 'sub': {
      const topic = m.topic as string;
      c.send(ctrl(m.id, 200, 'ok', topic));
      if (topic === 'me') {
        if ((m.get as Obj | undefined)?.what) {
          const at = new Date().toISOString();
          c.send(new Frame({ meta: { id: m.id, topic: 'me', ts: at, desc: { created: at, updated: at, touched: at, defacs: { auth: 'JRWPAS', anon: 'N' }, acs: { want: 'JPS', given: 'JPS', mode: 'JPS' }, public: { fn: 'Bench User' } } } }));
        }
      } else if (!topic.startsWith('usr')) {
        let set = rooms.get(topic);
        if (!set) rooms.set(topic, (set = new Set()));
        // As the server does (the reference's presSubsOnline "on"): the members already attached
        // hear that this one came online, one frame encoded once for all of them.
        if (set.size > 0) {
          const on = new Frame({ pres: { topic, src: c.user, what: 'on' } });
          for (const s of set) s.send(on);
        }
        set.add(c);
      }
      return;
    }
    case 'pub': {
      const topic = m.topic as string;
      const seq = (seqs.get(topic) ?? 0) + 1;
      seqs.set(topic, seq);
      const ts = new Date().toISOString();
      c.send(ctrl(m.id, 202, 'accepted', topic, { seq }));
      if (topic.startsWith('usr')) {
        const peer = new Frame({ data: { topic: c.user, from: c.user, ts, seq, content: m.content } });
        for (const s of byUser.get(topic) ?? []) s.send(peer);
        const echo = new Frame({ data: { topic, from: c.user, ts, seq, content: m.content } });
        for (const s of byUser.get(c.user) ?? []) s.send(echo);
      } else {
        const f = new Frame({ data: { topic, from: c.user, ts, seq, content: m.content } });
        for (const s of rooms.get(topic) ?? []) s.send(f);
      }
      return;
    }
    case 'get': {
      const topic = m.topic as string;
      const q = (m.data ?? {}) as { before?: number; limit?: number };
      const before = q.before ?? 1;
      const limit = q.limit ?? 100;
      let count = 0;
      for (let s = before - 1; s >= 1 && count < limit; s--, count++) {
        c.send(new Frame({ data: { topic, from: c.user, ts: new Date(1_700_000_000_000 + s * 1000).toISOString(), seq: s, content: HISTORY_TEXT(s) } }));
      }
      c.send(ctrl(m.id, 208, 'delivered', topic, { what: 'data', count }));
      return;
    }
    default:
      c.send(ctrl(m.id, 200, 'ok', m.topic));
  }
}

function gone(c: RConn): void {
  byUser.get(c.user)?.delete(c);
  for (const set of rooms.values()) set.delete(c);
}

/** The websocket side. */
function wsServer(deflate: boolean): Promise<string> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/v0/channels', perMessageDeflate: deflate, maxPayload: 1 << 20 });
  wss.on('connection', (ws: WebSocket) => {
    const c: RConn = { user: '', send: (f) => ws.send(f.text, { binary: false }) };
    ws.on('message', (d: Buffer) => {
      try {
        handle(c, JSON.parse(d.toString()) as Record<string, Obj>);
      } catch {
        ws.close(1003);
      }
    });
    ws.on('close', () => gone(c));
    ws.on('error', () => undefined);
  });
  return new Promise((resolve) => wss.on('listening', () => resolve(`127.0.0.1:${(wss.address() as AddressInfo).port}`)));
}

/** The gRPC side: pbx.Node MessageLoop with the same handling, the pb messages converted. */
async function grpcServer(): Promise<string> {
  const grpc = await import('@grpc/grpc-js');
  const protoLoader = await import('@grpc/proto-loader');
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const def = protoLoader.loadSync(join(root, 'proto', 'model.proto'), { keepCase: true, longs: Number, enums: String, defaults: false, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { pbx: { Node: { service: grpc.ServiceDefinition } } };
  // Frames are serialized once however many streams they go to: writes take the bytes as they are.
  const loop = pkg.pbx.Node.service.MessageLoop!;
  const serialize = loop.responseSerialize as (m: Pb) => Buffer;
  const service = { ...pkg.pbx.Node.service, MessageLoop: { ...loop, responseSerialize: (v: unknown) => (Buffer.isBuffer(v) ? v : serialize(v as Pb)) } };
  const server = new grpc.Server();
  server.addService(service, {
    MessageLoop: (call: grpc.ServerDuplexStream<Pb, Buffer>) => {
      const c: RConn = { user: '', send: (f) => call.write(f.pb(serialize)) };
      call.on('data', (msg: Pb) => {
        const kind = msg.Message as string;
        const m = (msg[kind] ?? {}) as Obj;
        const text = (b: unknown) => (b ? Buffer.from(b as Uint8Array).toString() : '');
        switch (kind) {
          case 'hi':
            return handle(c, { hi: { id: m.id } });
          case 'login':
            return handle(c, { login: { id: m.id, secret: Buffer.from(m.secret as Uint8Array).toString('base64') } });
          case 'sub':
            return handle(c, { sub: { id: m.id, topic: m.topic, get: m.get_query as Obj } });
          case 'pub':
            return handle(c, { pub: { id: m.id, topic: m.topic, content: JSON.parse(text(m.content)) as unknown } });
          case 'get': {
            const d = ((m.query as Obj | undefined)?.data ?? {}) as { before_id?: number; limit?: number };
            return handle(c, { get: { id: m.id, topic: m.topic, data: { before: d.before_id, limit: d.limit } } });
          }
          default:
            return handle(c, { [kind]: { id: m.id, topic: m.topic } });
        }
      });
      call.on('end', () => {
        gone(c);
        call.end();
      });
      call.on('error', () => gone(c));
    },
  });
  return new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(`127.0.0.1:${port}`))),
  );
}

const withGrpc = process.argv.includes('--grpc');
const deflate = process.argv.includes('--deflate');
const wsAddr = await wsServer(deflate);
const grpcAddr = withGrpc ? await grpcServer() : '-';
process.stdout.write(`READY ${wsAddr} ${grpcAddr}\n`);
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
