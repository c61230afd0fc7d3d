import { encodeServerJson } from '../../src/wire/codec/json-encode.js';
import { wsTextFrame } from './ws-frame.js';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../log/log.js';
import { SEND_QUEUE_LIMIT, type Connection } from '../session/connection.js';
import { DEFAULT_MAX_JSON_DEPTH } from '../../src/wire/codec/json-depth.js';
import { apiKeyOf } from '../http/apikey.js';
import { handJson } from './hand-to-session.js';
import { remoteAddrOf } from '../http/remote-addr.js';
import type { TransportOptions } from './types.js';

/**
 * Websocket transport at `/v0/channels`: one JSON message per text frame. The API key is checked
 * before the upgrade (HTTP 403 with the reference's ctrl otherwise). Frames larger than
 * `max_message_size` close the connection with code 1009 ("message too big"), as the reference's
 * read limit does. The probe frame "1" is answered "0". Pings keep the connection alive; a client
 * that misses a whole ping period is dropped.
 */
export class WebsocketTransport {
  private readonly wss: WebSocketServer;
  private readonly alive = new WeakMap<WebSocket, boolean>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly opts: TransportOptions & { compression: boolean; pingIntervalMs: number },
    private readonly log: Logger,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: opts.maxMessageSize,
      perMessageDeflate: opts.compression ? { threshold: 1024 } : false,
      clientTracking: true,
    });
    // One sweep for every connection instead of a timer per socket.
    this.timer = setInterval(() => this.sweep(), opts.pingIntervalMs);
    this.timer.unref();
  }

  /** Number of open websocket connections. */
  get size(): number {
    return this.wss.clients.size;
  }

  /** Handles an HTTP upgrade request for the websocket endpoint. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    if (!this.opts.checkApiKey(apiKeyOf(req, url))) {
      const body = this.opts.replies.apiKeyRequired();
      socket.end(
        `HTTP/1.1 403 Forbidden\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      this.log.warn(`ws: missing or invalid API key from ${remoteAddrOf(req, this.opts.useXForwardedFor)}`);
      return;
    }
    const remoteAddr = remoteAddrOf(req, this.opts.useXForwardedFor);
    const refused = this.opts.host.admit(remoteAddr, 'ws');
    if (refused !== null) {
      const body = this.opts.replies.serviceUnavailable('');
      socket.end(
        `HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      this.log.warn(`ws: refused a connection: ${refused}`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req, socket));
  }

  private accept(ws: WebSocket, req: IncomingMessage, socket: Duplex): void {
    const remoteAddr = remoteAddrOf(req, this.opts.useXForwardedFor);
    const cork = corkForTurn(socket);
    // Without permessage-deflate `ws` writes a text frame to the socket at once, so a frame built
    // once per message can go to the socket directly, in the same order; with it, frames may wait
    // for compression of earlier ones and go through `ws`.
    const plain = ws.extensions === '';
    let open = true;
    const conn: Connection = {
      kind: 'ws',
      remoteAddr,
      send: (msg) => {
        if (!open) {
          return true;
        }
        // bufferedAmount counts bytes not yet handed to the OS: a client that reads slower than we
        // write grows it; past the limit the session is dropped instead of growing memory.
        if (ws.bufferedAmount > SEND_QUEUE_LIMIT * this.opts.maxMessageSize) {
          return false;
        }
        cork();
        if (!plain) {
          ws.send(encodeServerJson(msg));
        } else if (ws.readyState === ws.OPEN) {
          socket.write(wsTextFrame(msg));
        }
        return true;
      },
      close: (last) => {
        if (!open) {
          return;
        }
        open = false;
        if (last !== undefined) {
          ws.send(encodeServerJson(last), () => ws.close(1000));
        } else {
          ws.close(1000);
        }
      },
      abort: () => {
        open = false;
        ws.terminate();
      },
      // The socket stops being read: TCP flow control makes the client wait.
      pause: () => ws.pause(),
      resume: () => ws.resume(),
    };
    const session = this.opts.host.open(conn);
    this.alive.set(ws, true);
    this.log.info(`ws: session started ${session.sid} ${remoteAddr} (${this.wss.clients.size} connected)`);
    ws.on('pong', () => this.alive.set(ws, true));
    ws.on('message', (data, isBinary) => {
      this.alive.set(ws, true);
      const text = isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString();
      if (text === '1') {
        // Network probe.
        ws.send('0');
        return;
      }
      handJson(session, text, this.opts.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH);
    });
    ws.on('error', (err) => this.log.debug(`ws: ${session.sid}: ${err.message}`));
    ws.on('close', (code) => {
      open = false;
      // The server has stopped tracking the socket by now: the count is of the others.
      this.log.info(`ws: session ended ${session.sid} ${remoteAddr} (${this.wss.clients.size} connected): close code ${code}`);
      session.closed();
    });
  }

  private sweep(): void {
    for (const ws of this.wss.clients) {
      if (this.alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      this.alive.set(ws, false);
      ws.ping();
    }
  }

  /**
   * Stops accepting and closes every connection. Connections that sessions are closing (after a
   * last message) get `graceMs` to finish; the rest are cut.
   */
  async close(graceMs = 1000): Promise<void> {
    clearInterval(this.timer);
    const open = [...this.wss.clients];
    await Promise.race([
      Promise.all(
        open.map(
          (ws) =>
            new Promise<void>((resolve) => {
              if (ws.readyState === ws.CLOSED) {
                resolve();
                return;
              }
              ws.once('close', () => resolve());
              if (ws.readyState === ws.OPEN) {
                ws.close(1001);
              }
            }),
        ),
      ),
      new Promise((r) => setTimeout(r, graceMs).unref()),
    ]);
    for (const ws of this.wss.clients) {
      ws.terminate();
    }
    this.wss.close();
  }
}

/**
 * Returns a function that corks `socket` until the end of the current event-loop turn: the
 * frames written to one socket in one turn (a burst of broadcasts, a reply and its presence) go
 * to the kernel in one write instead of one syscall and TCP segment each. Order is kept (corking
 * only delays the flush) and nothing is held past the turn: the socket is uncorked in the check
 * phase of the same loop iteration. Corked bytes still count in the socket's `writableLength`,
 * so `bufferedAmount` and the send queue limit see them as before.
 */
function corkForTurn(socket: Duplex): () => void {
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  return () => {
    if (!corked && !socket.destroyed) {
      corked = true;
      socket.cork();
      setImmediate(uncork);
    }
  };
}
