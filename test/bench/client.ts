import type * as grpc from '@grpc/grpc-js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { API_KEY, type Target } from './protocol.js';

/**
 * A client connection of the load generator, over websocket (JSON frames) or gRPC (pbx.Node
 * MessageLoop, protobuf). Frames are not fully decoded on the hot path: a `{data}` frame is only
 * searched for the bench marker `@@<sent at>|<sender>@@` that publishers put in the content.
 */
export interface FrameSink {
  onCtrl(id: string, code: number): void;
  onMeta(id: string): void;
  /** A `{data}` frame: with a marker (sent-at time and sender index) or without (history). */
  onData(sentAt: number, sender: number): void;
  onPlainData(): void;
  onOther(): void;
  onClose(reason: string): void;
}

/** A client message in the JSON form of the websocket protocol. */
export type ClientFrame =
  | { hi: { id: string; ver: string; ua: string } }
  | { login: { id: string; scheme: 'token'; secret: string } }
  | { sub: { id: string; topic: string; get?: { what: string } } }
  | { pub: { id: string; topic: string; content: string } }
  | { get: { id: string; topic: string; what: 'data'; data: { before: number; limit: number } } };

export interface Conn {
  send(frame: ClientFrame): void;
  close(): void;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Reports a `{data}` frame to the sink: with its marker's time and sender, or as plain data. */
function marker(text: string, sink: FrameSink): void {
  const i = text.indexOf('@@');
  if (i < 0) {
    sink.onPlainData();
    return;
  }
  const bar = text.indexOf('|', i);
  const end = text.indexOf('@@', bar);
  sink.onData(Number(text.slice(i + 2, bar)), Number(text.slice(bar + 1, end)));
}

export function openWs(target: Target, sink: FrameSink, timeoutMs: number): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${target.ws}/v0/channels?apikey=${API_KEY}`, { perMessageDeflate: target.deflate, handshakeTimeout: timeoutMs });
    let open = false;
    ws.on('message', (d: Buffer) => {
      const text = d.toString();
      if (text.startsWith('{"data"')) {
        marker(text, sink);
      } else if (text.startsWith('{"ctrl"')) {
        const m = JSON.parse(text) as { ctrl: { id?: string; code: number } };
        sink.onCtrl(m.ctrl.id ?? '', m.ctrl.code);
      } else if (text.startsWith('{"meta"')) {
        const m = JSON.parse(text) as { meta: { id?: string } };
        sink.onMeta(m.meta.id ?? '');
      } else {
        sink.onOther();
      }
    });
    ws.once('open', () => {
      open = true;
      resolve({
        send: (f) => ws.send(JSON.stringify(f)),
        close: () => ws.terminate(),
      });
    });
    ws.once('error', (err) => {
      if (!open) reject(err);
    });
    ws.once('close', (code) => {
      if (open) sink.onClose(`websocket closed (${code})`);
    });
  });
}

type Pb = Record<string, unknown>;
interface NodeClient extends grpc.Client {
  MessageLoop(): grpc.ClientDuplexStream<Pb, Pb>;
}
type NodeCtor = new (addr: string, creds: grpc.ChannelCredentials, opts: grpc.ChannelOptions) => NodeClient;
let loaded: { Node: NodeCtor; insecure: () => grpc.ChannelCredentials } | null = null;

/** grpc-js is loaded only when a gRPC run needs it (it is slow to load). */
async function grpcNode(): Promise<{ Node: NodeCtor; insecure: () => grpc.ChannelCredentials }> {
  if (!loaded) {
    const grpcJs = await import('@grpc/grpc-js');
    const protoLoader = await import('@grpc/proto-loader');
    const def = protoLoader.loadSync(join(ROOT, 'proto', 'model.proto'), { keepCase: true, longs: Number, enums: String, defaults: false, oneofs: true });
    const Node = (grpcJs.loadPackageDefinition(def) as unknown as { pbx: { Node: NodeCtor } }).pbx.Node;
    loaded = { Node, insecure: () => grpcJs.credentials.createInsecure() };
  }
  return loaded;
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

/** The JSON frame as a pbx.ClientMsg. */
function toPb(f: ClientFrame): Pb {
  if ('hi' in f) return { hi: { id: f.hi.id, ver: f.hi.ver, user_agent: f.hi.ua } };
  if ('login' in f) return { login: { id: f.login.id, scheme: f.login.scheme, secret: Buffer.from(f.login.secret, 'base64') } };
  if ('sub' in f) return { sub: { id: f.sub.id, topic: f.sub.topic, get_query: f.sub.get ? { what: f.sub.get.what } : undefined } };
  if ('pub' in f) return { pub: { id: f.pub.id, topic: f.pub.topic, content: json(f.pub.content) } };
  return { get: { id: f.get.id, topic: f.get.topic, query: { what: 'data', data: { before_id: f.get.data.before, limit: f.get.data.limit } } } };
}

/** One gRPC connection (its own HTTP/2 connection, as separate devices would have) and stream. */
export async function openGrpc(target: Target, sink: FrameSink, timeoutMs: number): Promise<Conn> {
  if (!target.grpc) {
    throw new Error('the target has no gRPC endpoint');
  }
  const { Node, insecure } = await grpcNode();
  const client = new Node(target.grpc, insecure(), { 'grpc.use_local_subchannel_pool': 1, 'grpc.max_receive_message_length': 1 << 22 });
  return new Promise((resolve, reject) => {
    client.waitForReady(Date.now() + timeoutMs, (err) => {
      if (err) {
        client.close();
        reject(err);
        return;
      }
      const stream = client.MessageLoop();
      let closed = false;
      const gone = (why: string) => {
        if (!closed) {
          closed = true;
          sink.onClose(why);
        }
      };
      stream.on('data', (m: Pb) => {
        switch (m.Message) {
          case 'data': {
            const c = (m.data as { content?: Uint8Array }).content;
            if (c) marker(Buffer.from(c.buffer, c.byteOffset, c.byteLength).toString(), sink);
            else sink.onPlainData();
            break;
          }
          case 'ctrl': {
            const c = m.ctrl as { id?: string; code?: number };
            sink.onCtrl(c.id ?? '', c.code ?? 0);
            break;
          }
          case 'meta':
            sink.onMeta((m.meta as { id?: string }).id ?? '');
            break;
          default:
            sink.onOther();
        }
      });
      stream.on('error', (e: Error) => gone(`gRPC stream error: ${e.message}`));
      stream.on('end', () => gone('gRPC stream ended'));
      resolve({
        send: (f) => stream.write(toPb(f)),
        close: () => {
          closed = true;
          stream.cancel();
          client.close();
        },
      });
    });
  });
}

export function openConn(target: Target, sink: FrameSink, timeoutMs: number): Promise<Conn> {
  return target.transport === 'grpc' ? openGrpc(target, sink, timeoutMs) : openWs(target, sink, timeoutMs);
}
