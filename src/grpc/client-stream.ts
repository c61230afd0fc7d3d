import * as grpc from '@grpc/grpc-js';
import type { ClientMessage } from '../wire/client-messages.js';
import { deserializeServerMsg, serializeClientMsg } from '../wire/codec/proto-codec.js';
import type { ServerMessage } from '../wire/server-messages.js';

/**
 * A chat session with a Tinode server over gRPC, as a client opens it: one `pbx.Node/MessageLoop`
 * bidirectional stream of ClientMsg and ServerMsg (protobuf, with the codec of src/wire), on a
 * channel of its own. Both clients of this package use it: `tinode cli` matches replies to its
 * requests on top of it, `tinode bot` reconnects with a backoff of its own by opening a new one
 * (a fresh channel per attempt, so gRPC's own reconnection backoff never delays the bot's).
 */

/** Where the server's gRPC service is, and how to reach it. */
export interface ServerAddress {
  /** `host:port` of the gRPC service. */
  host: string;
  /** Connect over TLS, checking the server's certificate against the system's roots. */
  ssl: boolean;
  /** TLS server name to use instead of the host's (SNI and certificate check), e.g. when connecting to localhost. */
  sslHost?: string;
  /** PEM certificates to trust instead of the system's roots (a private CA, a self-signed server). */
  ca?: Buffer | undefined;
  /**
   * Ping the server every {@link KEEPALIVE_TIME_MS} to notice a server that vanished without
   * closing the connection; the reference server accepts pings this often when
   * `grpc_keepalive_enabled` is on.
   * @default false
   */
  keepalive?: boolean;
}

/** How often a keepalive ping goes out on an idle connection. */
export const KEEPALIVE_TIME_MS = 60_000;
/** How long an unanswered keepalive ping is waited for before the connection counts as lost. */
export const KEEPALIVE_TIMEOUT_MS = 20_000;

/** Why a stream ended other than by a normal close: the gRPC status name and its details. */
export interface StreamFailure {
  /** The status's name, e.g. `UNAVAILABLE` (its number when gRPC has no name for it). */
  code: string;
  details: string;
}

export interface ClientStreamEvents {
  /** A message from the server, in the order sent; none comes after {@link closed}. */
  message(msg: ServerMessage): void;
  /**
   * The stream is over, called exactly once: the server ended it, the connection broke, or
   * {@link ClientStream.close} ended it. `failure` is null for a normal end, and for the cancel
   * of a close of our own.
   */
  closed(failure: StreamFailure | null): void;
}

/** Why {@link ClientStream.open} made no stream. */
export interface ConnectFailure {
  /** `failed`: the connection was refused or broke (no server, TLS...); `timeout`: none was made in time. */
  reason: 'failed' | 'timeout';
  /** The reason in a few words, e.g. `no connection in 10 s`. */
  text: string;
}

const METHOD = '/pbx.Node/MessageLoop';

export class ClientStream {
  private readonly client: grpc.Client;
  private call: grpc.ClientDuplexStream<ClientMessage, ServerMessage> | null = null;
  /** The stream is over (closed was called). */
  private done = false;
  /** We are ending the stream ourselves. */
  private closing = false;
  private clientClosed = false;
  private finished: Promise<void> = Promise.resolve();

  /** Makes the channel; nothing connects before {@link open}. Throws when gRPC cannot parse `host`. */
  constructor(addr: ServerAddress) {
    const options: grpc.ChannelOptions = {};
    if (addr.keepalive === true) {
      options['grpc.keepalive_time_ms'] = KEEPALIVE_TIME_MS;
      options['grpc.keepalive_timeout_ms'] = KEEPALIVE_TIMEOUT_MS;
    }
    if (addr.ssl && addr.sslHost) {
      options['grpc.ssl_target_name_override'] = addr.sslHost;
      options['grpc.default_authority'] = addr.sslHost;
    }
    const creds = addr.ssl ? grpc.credentials.createSsl(addr.ca ?? null) : grpc.credentials.createInsecure();
    this.client = new grpc.Client(addr.host, creds, options);
  }

  /**
   * Connects, waiting up to `timeoutMs`, then opens the stream. Resolves to null when the stream
   * is open, or to why not (the channel is then closed). Call it once.
   */
  async open(events: ClientStreamEvents, timeoutMs: number): Promise<ConnectFailure | null> {
    const unreachable = await this.waitReady(timeoutMs);
    if (unreachable) {
      this.closeClient();
      return unreachable;
    }
    const call = this.client.makeBidiStreamRequest<ClientMessage, ServerMessage>(
      METHOD,
      (msg) => serializeClientMsg(msg),
      (buf) => deserializeServerMsg(buf),
      new grpc.Metadata(),
      {},
    );
    this.call = call;
    let failure: StreamFailure | null = null;
    // A cancel of our own (close) is not a failure.
    const ownCancel = (code: grpc.status) => this.closing && code === grpc.status.CANCELLED;
    this.finished = new Promise<void>((resolve) => {
      // 'end' comes after every message has been handed out, and after 'error' and 'status'.
      const finish = () => {
        if (this.done) return;
        this.done = true;
        this.closeClient();
        events.closed(failure);
        resolve();
      };
      call.on('end', finish);
      call.on('close', finish);
    });
    call.on('data', (msg: ServerMessage) => {
      if (!this.done) events.message(msg);
    });
    call.on('error', (err: grpc.ServiceError) => {
      if (!ownCancel(err.code)) failure = { code: grpc.status[err.code] ?? String(err.code), details: err.details || err.message };
    });
    call.on('status', (status: grpc.StatusObject) => {
      if (status.code !== grpc.status.OK && !ownCancel(status.code)) {
        failure ??= { code: grpc.status[status.code] ?? String(status.code), details: status.details };
      }
    });
    return null;
  }

  /** The gRPC client of the stream's channel, for the other calls of `pbx.Node` (large files). */
  get rpc(): grpc.Client {
    return this.client;
  }

  /** True from a successful {@link open} until the stream ends or {@link close} is called. */
  get isOpen(): boolean {
    return this.call !== null && !this.done && !this.closing;
  }

  /** Sends a message; false (and nothing sent) when the stream is not open. */
  send(msg: ClientMessage): boolean {
    if (!this.call || !this.isOpen) return false;
    this.call.write(msg);
    return true;
  }

  /**
   * Ends our side of the stream, waits up to `graceMs` for the server to end its own (the
   * answers still owed arrive meanwhile), then cancels what is left and closes the channel.
   * With the default 0, what the server has not answered yet is dropped at once: everything up
   * to the cancel happens before the first await. Closing twice, or a stream never opened, is fine.
   */
  async close(graceMs = 0): Promise<void> {
    const call = this.call;
    if (call && !this.done && !this.closing) {
      this.closing = true;
      call.end();
      if (graceMs > 0) {
        const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
        await Promise.race([this.finished, timer]);
      }
      if (!this.done) call.cancel();
    }
    this.closeClient();
  }

  private closeClient(): void {
    if (this.clientClosed) return;
    this.clientClosed = true;
    this.client.close();
  }

  /** Waits for the channel to be ready; null when it is, or why it is not. */
  private async waitReady(timeoutMs: number): Promise<ConnectFailure | null> {
    const channel = this.client.getChannel();
    const deadline = Date.now() + timeoutMs;
    let state = channel.getConnectivityState(true);
    while (state !== grpc.connectivityState.READY) {
      if (state === grpc.connectivityState.TRANSIENT_FAILURE || state === grpc.connectivityState.SHUTDOWN) {
        return { reason: 'failed', text: 'connection failed' };
      }
      const before = state;
      const changed = await new Promise<boolean>((resolve) => channel.watchConnectivityState(before, deadline, (err) => resolve(!err)));
      if (!changed) return { reason: 'timeout', text: `no connection in ${Math.round(timeoutMs / 1000)} s` };
      state = channel.getConnectivityState(false);
    }
    return null;
  }
}
