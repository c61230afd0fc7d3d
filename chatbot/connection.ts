import * as grpc from '@grpc/grpc-js';
import type { ClientMessage } from '../src/wire/client-messages.js';
import { deserializeServerMsg, serializeClientMsg } from '../src/wire/proto-codec.js';
import type { ServerMessage } from '../src/wire/server-messages.js';

/**
 * One chat session with the server: the `pbx.Node/MessageLoop` bidirectional stream, on a channel
 * of its own (a fresh channel per attempt, so gRPC's own reconnection backoff never delays ours).
 */
export interface ServerAddress {
  /** `host:port` of the server's gRPC service. */
  host: string;
  ssl: boolean;
  /** TLS server name to check instead of the host's (e.g. when connecting to localhost). */
  sslHost?: string;
}

export interface StreamEvents {
  message(msg: ServerMessage): void;
  /** The stream is over; `reason` says why when it failed rather than closed. */
  closed(reason: string | null): void;
}

/** The server could not be reached. */
export class ConnectError extends Error {
  override readonly name = 'ConnectError';
}

const METHOD = '/pbx.Node/MessageLoop';

export class NodeStream {
  private done = false;
  private closing = false;

  private constructor(
    private readonly client: grpc.Client,
    private readonly call: grpc.ClientDuplexStream<ClientMessage, ServerMessage>,
  ) {}

  /** Connects and opens the stream; {@link ConnectError} when the server is not there in time. */
  static async open(addr: ServerAddress, events: StreamEvents, timeoutMs = 10_000): Promise<NodeStream> {
    const options: grpc.ChannelOptions = {
      // Notice a server that vanished without closing the connection; the reference server
      // accepts pings this often (grpc_keepalive_enabled).
      'grpc.keepalive_time_ms': 60_000,
      'grpc.keepalive_timeout_ms': 20_000,
    };
    if (addr.ssl && addr.sslHost) {
      options['grpc.ssl_target_name_override'] = addr.sslHost;
      options['grpc.default_authority'] = addr.sslHost;
    }
    const creds = addr.ssl ? grpc.credentials.createSsl() : grpc.credentials.createInsecure();
    const client = new grpc.Client(addr.host, creds, options);
    try {
      await waitReady(client, timeoutMs);
    } catch (err) {
      client.close();
      throw err;
    }
    const call = client.makeBidiStreamRequest<ClientMessage, ServerMessage>(
      METHOD,
      (msg) => serializeClientMsg(msg),
      (buf) => deserializeServerMsg(buf),
      new grpc.Metadata(),
      {},
    );
    const stream = new NodeStream(client, call);
    let failure: string | null = null;
    const finish = () => {
      if (stream.done) return;
      stream.done = true;
      client.close();
      events.closed(failure);
    };
    call.on('data', (msg: ServerMessage) => {
      if (!stream.done) events.message(msg);
    });
    call.on('error', (err: grpc.ServiceError) => {
      if (!(stream.closing && err.code === grpc.status.CANCELLED)) {
        failure = `${grpc.status[err.code] ?? err.code}: ${err.details || err.message}`;
      }
      finish();
    });
    call.on('status', (status: grpc.StatusObject) => {
      if (status.code !== grpc.status.OK && !(stream.closing && status.code === grpc.status.CANCELLED)) {
        failure ??= `${grpc.status[status.code] ?? status.code}: ${status.details}`;
      }
      finish();
    });
    call.on('end', finish);
    return stream;
  }

  get isOpen(): boolean {
    return !this.done && !this.closing;
  }

  /** Sends a message; false when the stream is already closed. */
  send(msg: ClientMessage): boolean {
    if (!this.isOpen) return false;
    this.call.write(msg);
    return true;
  }

  /** Ends the stream from our side: what the server has not answered yet is dropped. */
  close(): void {
    if (this.done || this.closing) return;
    this.closing = true;
    this.call.end();
    this.call.cancel();
  }
}

async function waitReady(client: grpc.Client, timeoutMs: number): Promise<void> {
  const channel = client.getChannel();
  const deadline = Date.now() + timeoutMs;
  let state = channel.getConnectivityState(true);
  while (state !== grpc.connectivityState.READY) {
    if (state === grpc.connectivityState.TRANSIENT_FAILURE || state === grpc.connectivityState.SHUTDOWN) {
      throw new ConnectError('connection failed');
    }
    const before = state;
    const changed = await new Promise<boolean>((resolve) => channel.watchConnectivityState(before, deadline, (err) => resolve(!err)));
    if (!changed) throw new ConnectError(`no connection in ${Math.round(timeoutMs / 1000)} s`);
    state = channel.getConnectivityState(false);
  }
}
