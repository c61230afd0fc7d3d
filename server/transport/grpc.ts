import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../log/log.js';
import { serializeServerMsg } from '../../src/wire/codec/proto-codec.js';
import type { ServerMessage } from '../../src/wire/server-messages.js';
import { reply } from '../../src/wire/replies.js';
import { SEND_QUEUE_LIMIT, type Connection } from '../session/connection.js';
import { handProto } from './hand-to-session.js';
import type { SessionHost } from './types.js';

/** `LargeFileReceive` and `LargeFileServe`, when the server stores files. */
export interface GrpcFileService {
  receive(call: grpc.ServerReadableStream<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>, remoteAddr: string): void;
  serve(call: grpc.ServerWritableStream<Buffer, Buffer>, remoteAddr: string): void;
}

export interface GrpcOptions {
  host: SessionHost;
  maxMessageSize: number;
  /** Deepest nesting accepted in the JSON values of a message (`limits.max_json_depth`). */
  maxJsonDepth: number;
  keepalive: boolean;
  /**
   * Serve over TLS with these PEM files (the `tls` section's), read again when they change, as
   * the reference serves gRPC with the same certificate as HTTPS.
   */
  tls?: { certFile: string; keyFile: string; refreshMs: number } | undefined;
  /** Large file transfer; without it the two calls answer UNIMPLEMENTED. */
  files?: GrpcFileService | undefined;
}

/**
 * Tinode's `pbx.Node` service over gRPC: `MessageLoop` is a bidirectional stream of
 * `ClientMsg` and `ServerMsg` and each stream is a session like a websocket connection. Large
 * files go through `LargeFileReceive` / `LargeFileServe` when media storage is configured, and
 * answer UNIMPLEMENTED otherwise.
 */
export class GrpcTransport {
  private readonly server: grpc.Server;
  private readonly calls = new Set<grpc.ServerDuplexStream<unknown, unknown>>();

  constructor(
    private readonly opts: GrpcOptions,
    private readonly log: Logger,
  ) {
    // Bytes in and out: the transport decodes each message as it arrives (a bad one is answered
    // 400 in the session's turn, without ending the stream) and encodes each server message once
    // for all recipients.
    const bytes = (b: unknown) => (Buffer.isBuffer(b) ? b : Buffer.from(b as Uint8Array));
    const definition: grpc.ServiceDefinition = {
      MessageLoop: {
        path: '/pbx.Node/MessageLoop',
        requestStream: true,
        responseStream: true,
        requestSerialize: bytes,
        requestDeserialize: bytes,
        responseSerialize: bytes,
        responseDeserialize: bytes,
      },
      LargeFileReceive: bytesMethod('/pbx.Node/LargeFileReceive', true, false),
      LargeFileServe: bytesMethod('/pbx.Node/LargeFileServe', false, true),
    };
    const options: grpc.ServerOptions = {
      // Twice max_message_size: a message over the limit but under this one is refused by the
      // session's own check below, which ends the stream in order (replies already queued, then
      // RESOURCE_EXHAUSTED, as the reference does). grpc-js refuses larger ones itself, dropping
      // what the same read held and, under load, leaving the client's stream open without a status.
      'grpc.max_receive_message_length': 2 * Math.max(opts.maxMessageSize, 1 << 16),
    };
    if (opts.keepalive) {
      // As the reference: ping idle clients, let clients ping every few seconds.
      Object.assign(options, {
        'grpc.keepalive_time_ms': 60_000,
        'grpc.keepalive_timeout_ms': 20_000,
        'grpc.http2.min_ping_interval_without_data_ms': 5_000,
        'grpc.keepalive_permit_without_calls': 1,
      });
    }
    this.server = new grpc.Server(options);
    const unimplemented = (_call: unknown, callback?: (err: grpc.ServiceError) => void) => {
      const err = Object.assign(new Error('file storage is not available'), { code: grpc.status.UNIMPLEMENTED, details: 'not implemented', metadata: new grpc.Metadata() });
      if (callback) callback(err);
      else (_call as { emit(e: string, v: unknown): void }).emit('error', err);
    };
    const files = opts.files;
    this.server.addService(definition, {
      MessageLoop: (call: grpc.ServerDuplexStream<unknown, unknown>) => this.accept(call),
      LargeFileReceive: files
        ? (call: grpc.ServerReadableStream<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => files.receive(call, callback, peerAddress(call.getPeer()))
        : unimplemented,
      LargeFileServe: files ? (call: grpc.ServerWritableStream<Buffer, Buffer>) => files.serve(call, peerAddress(call.getPeer())) : unimplemented,
    });
  }

  private credentials(): grpc.ServerCredentials {
    const tls = this.opts.tls;
    if (!tls) {
      return grpc.ServerCredentials.createInsecure();
    }
    const files = new grpc.experimental.FileWatcherCertificateProvider({ certificateFile: tls.certFile, privateKeyFile: tls.keyFile, refreshIntervalMs: tls.refreshMs });
    // The identity (our certificate) only: no client certificates asked for.
    return grpc.experimental.createCertificateProviderServerCredentials(files, null, false);
  }

  /** Starts listening; resolves to the bound `host:port`. */
  listen(addr: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(addr, this.credentials(), (err, port) => {
        if (err) {
          reject(err);
          return;
        }
        const host = addr.slice(0, addr.lastIndexOf(':')) || '0.0.0.0';
        resolve(`${host}:${port}`);
      });
    });
  }

  private accept(call: grpc.ServerDuplexStream<unknown, unknown>): void {
    const remoteAddr = peerAddress(call.getPeer());
    const refused = this.opts.host.admit(remoteAddr, 'grpc');
    if (refused !== null) {
      this.log.warn(`grpc: refused a session: ${refused}`);
      call.write(serializeServerMsg(reply('serviceUnavailable', '', '', new Date())));
      call.end();
      return;
    }
    this.calls.add(call);
    let open = true;
    const limit = SEND_QUEUE_LIMIT * this.opts.maxMessageSize;
    let queued = 0;
    const end = () => {
      if (!open) return;
      open = false;
      call.end();
    };
    const conn: Connection = {
      kind: 'grpc',
      remoteAddr,
      send: (msg: ServerMessage) => {
        if (!open) return true;
        // Bytes handed to the stream and not yet taken by HTTP/2 (the stream's own length counts
        // messages, not bytes): a client that does not read holds them back by flow control.
        if (queued > limit) return false;
        const data = serializeServerMsg(msg);
        queued += data.length;
        call.write(data, () => (queued -= data.length));
        return true;
      },
      close: (last?: ServerMessage) => {
        if (!open) return;
        if (last) call.write(serializeServerMsg(last));
        end();
      },
      abort: () => {
        if (!open) return;
        open = false;
        // HTTP/2 ends a stream after the messages already queued on it; the status says why.
        call.emit('error', Object.assign(new Error('send queue full'), { code: grpc.status.RESOURCE_EXHAUSTED, details: 'send queue full' }));
      },
      // The stream stops being read: HTTP/2 flow control makes the client wait.
      pause: () => call.pause(),
      resume: () => call.resume(),
    };
    const session = this.opts.host.open(conn);
    this.log.info(`grpc: session started ${session.sid} ${remoteAddr} (${this.calls.size} connected)`);
    call.on('data', (data: Buffer) => {
      if (!open) return;
      if (data.length > this.opts.maxMessageSize) {
        this.log.warn(`grpc: ${session.sid}: a message of ${data.length} bytes, over max_message_size (${this.opts.maxMessageSize}): ending the stream`);
        open = false;
        call.pause();
        const details = `Received message larger than max (${data.length} vs ${this.opts.maxMessageSize})`;
        // grpc-js ends a server stream that emits an error with that status, after the writes queued.
        call.emit('error', Object.assign(new Error(details), { code: grpc.status.RESOURCE_EXHAUSTED, details }));
        return;
      }
      handProto(session, data, this.opts.maxJsonDepth);
    });
    const gone = () => {
      if (!this.calls.delete(call)) return;
      open = false;
      this.log.info(`grpc: session ended ${session.sid} ${remoteAddr} (${this.calls.size} connected)`);
      session.closed();
    };
    call.on('end', () => {
      // The client half-closed: end our side too, then let the session go.
      end();
      gone();
    });
    call.on('cancelled', gone);
    call.on('error', (err: Error) => {
      this.log.debug(`grpc: ${session.sid}: ${err.message}`);
      gone();
    });
    call.on('close', gone);
  }

  /** Stops accepting streams and ends the open ones (sessions got their goodbye already). */
  async close(graceMs = 1000): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      timer.unref();
      for (const call of this.calls) call.end();
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** A method whose messages stay bytes: the file service decodes them itself. */
function bytesMethod(path: string, requestStream: boolean, responseStream: boolean): grpc.MethodDefinition<unknown, unknown> {
  const passthrough = (v: unknown) => (Buffer.isBuffer(v) ? v : Buffer.alloc(0));
  return { path, requestStream, responseStream, requestSerialize: passthrough, requestDeserialize: (b: Buffer) => b, responseSerialize: passthrough, responseDeserialize: (b: Buffer) => b };
}

/** `ipv4:1.2.3.4:5678` or `ipv6:[::1]:5678` → the address without the port. */
function peerAddress(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, '');
  const m = /^\[(.*)\]:\d+$/.exec(bare) ?? /^(.*):\d+$/.exec(bare);
  return m?.[1] ?? bare;
}
