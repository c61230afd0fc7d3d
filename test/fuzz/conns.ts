import * as grpc from '@grpc/grpc-js';
import http from 'node:http';
import WebSocket from 'ws';
import { DEMO_KEY } from '../helpers/sdk.js';
import type { TextFrame } from './mutate-json.js';
import { decodeServer, type Reply } from './proto.js';

/**
 * The fuzzer's clients, one per transport, each as thin as the protocol allows: a raw `ws`
 * socket, raw HTTP requests for long polling, a grpc-js stream of bytes. They send whatever they
 * are given and report every server message as a {@link Reply}, and how the server ended the
 * connection when it did.
 */

export type TransportName = 'ws' | 'lp' | 'grpc';

export interface FuzzConn {
  readonly transport: TransportName;
  /** Every message from the server, in order of arrival. */
  onReply: (r: Reply) => void;
  /** Set when the server (or the network) ended the connection: how. */
  closedBy: string | null;
  /** Resolves when the connection is gone, whoever closed it. */
  readonly gone: Promise<void>;
  /** Ends the connection from the client side. */
  close(): void;
}

/** A server message in JSON as a {@link Reply}; `kind` is "unparsable" when it is not JSON. */
export function jsonReply(text: string): Reply {
  if (text === '0') return { kind: 'probe', id: '', code: 0, text: '' };
  try {
    const m = JSON.parse(text) as Record<string, { id?: unknown; code?: unknown; text?: unknown }>;
    const kind = Object.keys(m)[0] ?? '';
    const body = m[kind] ?? {};
    return { kind, id: typeof body.id === 'string' ? body.id : '', code: typeof body.code === 'number' ? body.code : 0, text: typeof body.text === 'string' ? body.text : '' };
  } catch {
    return { kind: 'unparsable', id: '', code: 0, text: text.slice(0, 200) };
  }
}

/** What every client shares: the reply callback and the bookkeeping of how it ended. */
abstract class BaseConn {
  onReply: (r: Reply) => void = () => {};
  closedBy: string | null = null;
  /** Set when the client itself closed: then nobody else did. */
  protected byUs = false;
  private resolveGone: () => void = () => {};
  readonly gone = new Promise<void>((resolve) => (this.resolveGone = resolve));

  /** The connection is gone: `how`, unless the client closed it (the first reason wins, or this one if `final`). */
  protected ended(how: string, final = false): void {
    if (!this.byUs && (final || this.closedBy === null)) this.closedBy = how;
    this.resolveGone();
  }
}

export class WsConn extends BaseConn implements FuzzConn {
  readonly transport = 'ws';

  private constructor(private readonly ws: WebSocket) {
    super();
    ws.on('message', (d, isBinary) => this.onReply(isBinary ? { kind: 'binary', id: '', code: 0, text: '' } : jsonReply(d.toString())));
    // The close code says more than the error before it.
    ws.on('close', (code, reason) => this.ended(`websocket close ${code}${reason.length > 0 ? ` ${reason.toString()}` : ''}`, true));
    ws.on('error', (err) => {
      if (!this.byUs) this.closedBy ??= `websocket error: ${err.message}`;
    });
  }

  static open(host: string, deflate: boolean): Promise<WsConn> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${host}/v0/channels?apikey=${DEMO_KEY}`, { perMessageDeflate: deflate, maxPayload: 64 << 20 });
      ws.once('open', () => resolve(new WsConn(ws)));
      ws.once('error', reject);
    });
  }

  send(frame: TextFrame): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (frame.kind === 'text') this.ws.send(frame.text);
    else this.ws.send(frame.data, { binary: frame.kind === 'binary' });
  }

  close(): void {
    this.byUs = true;
    this.ws.terminate();
  }
}

/**
 * Idle keep-alive sockets are dropped after this long, before the server's keep-alive timeout
 * (Node's 5 s): otherwise a request may go out on a socket the server is closing, and fail with
 * "socket hang up" through no fault of the server.
 */
const IDLE_SOCKET_MS = 4000;

interface HttpAnswer {
  status: number;
  body: string;
}

/**
 * Long polling by hand: a poll is always in flight (each answered with one message), messages go
 * one POST at a time so that they arrive in order, and oddities (other methods, form bodies,
 * unknown session ids) go as their own requests.
 */
export class LpConn extends BaseConn implements FuzzConn {
  readonly transport = 'lp';
  /** Polls (and fuzzed empty bodies, which are polls too) on their own sockets. */
  private readonly pollAgent = new http.Agent({ keepAlive: true, maxSockets: 4, timeout: IDLE_SOCKET_MS });
  /** Messages, one at a time. */
  private readonly sendAgent = new http.Agent({ keepAlive: true, maxSockets: 1, timeout: IDLE_SOCKET_MS });
  private chain: Promise<void> = Promise.resolve();
  /** HTTP answers that were neither 200 nor an expected refusal, for the findings. */
  readonly oddAnswers: string[] = [];

  private constructor(
    private readonly host: string,
    readonly sid: string,
  ) {
    super();
    void this.pollLoop();
  }

  static async open(host: string): Promise<LpConn> {
    const a = await request(host, `/v0/channels/lp?apikey=${DEMO_KEY}`, 'POST', '', new http.Agent());
    const sid = (JSON.parse(a.body) as { ctrl?: { params?: { sid?: string } } }).ctrl?.params?.sid;
    if (a.status !== 201 || !sid) throw new Error(`long poll: no session (${a.status} ${a.body})`);
    return new LpConn(host, sid);
  }

  private path(extra = ''): string {
    return `/v0/channels/lp?apikey=${DEMO_KEY}&sid=${this.sid}${extra}`;
  }

  private end(how: string): void {
    this.pollAgent.destroy();
    this.sendAgent.destroy();
    this.ended(how);
  }

  /** One answer body: a message, an empty poll timeout, or the probe's "0". */
  private deliver(a: HttpAnswer, what: string): void {
    if (a.status === 403) {
      this.end(`long poll: ${what} answered 403 ${a.body.slice(0, 100)}`);
      return;
    }
    if (a.status >= 500) this.oddAnswers.push(`${what} answered HTTP ${a.status}: ${a.body.slice(0, 200)}`);
    if (a.body.length > 0) this.onReply(a.status === 200 ? jsonReply(a.body) : { kind: `http ${a.status}`, id: '', code: a.status, text: a.body.slice(0, 200) });
  }

  private async pollLoop(): Promise<void> {
    while (this.closedBy === null && !this.byUs) {
      try {
        this.deliver(await request(this.host, this.path(), 'GET', '', this.pollAgent), 'poll');
      } catch (err) {
        if (!this.byUs) this.end(`long poll: poll failed: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
    }
  }

  /** Sends one frame (queued behind the previous ones); an empty frame is an extra poll. */
  send(frame: TextFrame): Promise<void> {
    if (frame.kind === 'text' && frame.text === '') {
      void request(this.host, this.path(), 'POST', '', this.pollAgent).then(
        (a) => this.deliver(a, 'empty POST'),
        () => undefined,
      );
      return this.chain;
    }
    const body = frame.kind === 'text' ? Buffer.from(frame.text) : frame.data;
    this.chain = this.chain.then(async () => {
      if (this.closedBy !== null || this.byUs) return;
      try {
        this.deliver(await request(this.host, this.path(), 'POST', body, this.sendAgent), 'message POST');
      } catch (err) {
        if (!this.byUs) this.end(`long poll: POST failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    return this.chain;
  }

  /** A request the protocol does not expect, on its own socket; answered by status alone. */
  async oddity(kind: number): Promise<string> {
    const agent = new http.Agent();
    const tries: [string, string, string, string | undefined][] = [
      ['PUT', this.path(), '{"hi":{}}', undefined],
      ['DELETE', this.path(), '', undefined],
      ['POST', `/v0/channels/lp?apikey=${DEMO_KEY}`, `sid=${this.sid}&x=1`, 'application/x-www-form-urlencoded'],
      ['POST', `/v0/channels/lp?apikey=${DEMO_KEY}&sid=AAAAAAAAAAA`, '{"hi":{"id":"x"}}', undefined],
      ['GET', `/v0/channels/lp?apikey=bad&sid=${this.sid}`, '', undefined],
      ['POST', this.path('&sid=second'), '{"get":{"id":"dup-sid","topic":"me","what":"desc"}}', undefined],
    ];
    const [method, path, body, type] = tries[kind % tries.length]!;
    try {
      const a = await request(this.host, path, method, body, agent, type);
      if (a.status >= 500) this.oddAnswers.push(`${method} ${path} answered HTTP ${a.status}: ${a.body.slice(0, 200)}`);
      // A form body with the session id is a poll: what it brings back is the session's.
      if (a.status === 200 && a.body.length > 0) this.onReply(jsonReply(a.body));
      return `${method} ${path.replace(DEMO_KEY, 'KEY')} → ${a.status}`;
    } catch (err) {
      return `${method} ${path} failed: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      agent.destroy();
    }
  }

  close(): void {
    this.byUs = true;
    this.end('closed by the client');
  }
}

function request(host: string, path: string, method: string, body: string | Buffer, agent: http.Agent, type?: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const [hostname, port] = host.split(':');
    const req = http.request({ hostname, port: Number(port), path, method, agent, headers: type ? { 'Content-Type': type } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A `pbx.Node/MessageLoop` stream of raw bytes: any bytes go out, replies are decoded. */
export class GrpcConn extends BaseConn implements FuzzConn {
  readonly transport = 'grpc';
  private readonly client: grpc.Client;
  private readonly stream: grpc.ClientDuplexStream<Buffer, Buffer>;

  constructor(addr: string) {
    super();
    // Its own HTTP/2 connection: a stream the server kills must not take the others with it.
    this.client = new grpc.Client(addr, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1, 'grpc.max_receive_message_length': 64 << 20 });
    const bytes = (b: Buffer) => b;
    this.stream = this.client.makeBidiStreamRequest('/pbx.Node/MessageLoop', bytes, bytes);
    this.stream.on('data', (b: Buffer) => {
      let reply: Reply;
      try {
        reply = decodeServer(b);
      } catch (err) {
        reply = { kind: 'unparsable', id: '', code: 0, text: err instanceof Error ? err.message : String(err) };
      }
      this.onReply(reply);
    });
    this.stream.on('error', (err: grpc.ServiceError) => this.ended(`grpc error ${err.code} ${err.details}`));
    this.stream.on('status', (st: grpc.StatusObject) => this.ended(`grpc status ${st.code} ${st.details}`));
    this.stream.on('end', () => this.ended('grpc stream ended'));
  }

  send(data: Buffer): void {
    if (this.closedBy === null && !this.byUs) this.stream.write(data);
  }

  close(): void {
    this.byUs = true;
    this.stream.cancel();
    this.client.close();
    this.ended('closed by the client');
  }
}
