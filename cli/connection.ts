import * as grpc from '@grpc/grpc-js';
import type { ClientMessage } from '../src/wire/client-messages.js';
import { deserializeServerMsg, serializeClientMsg } from '../src/wire/proto-codec.js';
import type { ServerMessage } from '../src/wire/server-messages.js';

/**
 * The chat session over gRPC: one `pbx.Node/MessageLoop` bidirectional stream of ClientMsg
 * and ServerMsg, as the reference client opens it.
 */
export interface ConnectOptions {
  /** `host:port` of the gRPC service. */
  host: string;
  ssl: boolean;
  /** TLS server name to use instead of the host's (SNI and certificate check). */
  sslHost?: string;
}

export interface ConnectionEvents {
  message(msg: ServerMessage): void;
  /** The stream ended; `error` is set when it failed rather than closed. */
  closed(error: { code: string; details: string } | null): void;
}

const METHOD = '/pbx.Node/MessageLoop';

export class GrpcConnection {
  private readonly client: grpc.Client;
  private call: grpc.ClientDuplexStream<ClientMessage, ServerMessage> | null = null;
  private ended = false;
  private done = false;
  private finished: Promise<void> = Promise.resolve();

  constructor(opts: ConnectOptions) {
    const options: grpc.ChannelOptions = {};
    if (opts.ssl && opts.sslHost) {
      options['grpc.ssl_target_name_override'] = opts.sslHost;
      options['grpc.default_authority'] = opts.sslHost;
    }
    const creds = opts.ssl ? grpc.credentials.createSsl() : grpc.credentials.createInsecure();
    this.client = new grpc.Client(opts.host, creds, options);
  }

  /**
   * Connects, then opens the stream. Resolves to null when it is open, or to why not: the
   * connection failed (refused, TLS...), or none was made in time.
   */
  async open(events: ConnectionEvents, timeoutMs: number): Promise<string | null> {
    const channel = this.client.getChannel();
    const deadline = Date.now() + timeoutMs;
    let state = channel.getConnectivityState(true);
    while (state !== grpc.connectivityState.READY) {
      if (state === grpc.connectivityState.TRANSIENT_FAILURE || state === grpc.connectivityState.SHUTDOWN) {
        return 'the connection failed (is the server running, and serving gRPC at this address?)';
      }
      const before = state;
      const changed = await new Promise<boolean>((resolve) => channel.watchConnectivityState(before, deadline, (err) => resolve(!err)));
      if (!changed) {
        return `no connection in ${Math.round(timeoutMs / 1000)} s`;
      }
      state = channel.getConnectivityState(false);
    }
    const call = this.client.makeBidiStreamRequest<ClientMessage, ServerMessage>(
      METHOD,
      (msg) => serializeClientMsg(msg),
      (buf) => deserializeServerMsg(buf),
      new grpc.Metadata(),
      {},
    );
    this.call = call;
    let failure: { code: string; details: string } | null = null;
    this.finished = new Promise<void>((resolve) => {
      call.on('close', () => {
        if (this.done) return;
        this.done = true;
        events.closed(failure);
        resolve();
      });
    });
    call.on('data', (msg: ServerMessage) => events.message(msg));
    call.on('error', (err: grpc.ServiceError) => {
      // A cancel of our own at exit is not a failure.
      if (err.code !== grpc.status.CANCELLED || !this.ended) {
        failure = { code: grpc.status[err.code] ?? String(err.code), details: err.details || err.message };
      }
    });
    return null;
  }

  /** The gRPC client of the connection, for the other calls of `pbx.Node` (large files). */
  get rpc(): grpc.Client {
    return this.client;
  }

  /** True while the stream is open. */
  get isOpen(): boolean {
    return this.call !== null && !this.done && !this.ended;
  }

  send(msg: ClientMessage): void {
    if (!this.call || !this.isOpen) {
      throw new Error('the connection to the server is closed');
    }
    this.call.write(msg);
  }

  /** Ends our side of the stream and waits (up to `graceMs`) for the server to end its own. */
  async close(graceMs = 300): Promise<void> {
    if (this.call && !this.done) {
      this.ended = true;
      this.call.end();
      const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
      if ((await Promise.race([this.finished, timer])) === 'timeout') {
        this.call.cancel();
      }
    }
    this.client.close();
  }
}
