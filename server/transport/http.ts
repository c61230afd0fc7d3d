import { readFileSync } from 'node:fs';
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/log.js';
import type { LongPollTransport } from './longpoll.js';
import { applyCommonSecurityHeaders, type XFrameOptions } from './security-headers.js';
import type { StaticHandler } from './static.js';
import type { HttpReplies } from './types.js';
import type { WebsocketTransport } from './websocket.js';

/**
 * The HTTP server: routes the websocket and long-poll endpoints under `api_path`, optional
 * static files, optional extra handlers (files, stats), and answers anything else with the
 * reference's JSON 404. Every answer carries `X-Frame-Options` (unless `-`),
 * `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin` and, over TLS,
 * `Strict-Transport-Security`; routes add their own `Content-Security-Policy`.
 */
export interface HttpRoutes {
  apiPath: string;
  ws: WebsocketTransport;
  lp: LongPollTransport;
  replies: HttpReplies;
  static?: StaticHandler | undefined;
  /** Extra handlers by exact path prefix, tried before static files (`/debug/vars`, `/v0/file/`). */
  extra?: Map<string, (req: IncomingMessage, res: ServerResponse, url: URL) => void>;
  /** `X-Frame-Options` value, or '-' for none. */
  xFrameOptions: XFrameOptions;
  /** `Strict-Transport-Security` max-age in seconds when serving TLS; 0 for none. */
  hstsMaxAge: number;
  tls?: { certFile: string; keyFile: string } | undefined;
}

export function createHttpServer(routes: HttpRoutes, log: Logger): Server {
  const wsPath = `${routes.apiPath}v0/channels`;
  const lpPath = `${routes.apiPath}v0/channels/lp`;
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    applyCommonSecurityHeaders(res);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      res.statusCode = 400;
      res.end();
      return;
    }
    if (routes.xFrameOptions !== '-') {
      res.setHeader('X-Frame-Options', routes.xFrameOptions);
    }
    if (routes.hstsMaxAge > 0) {
      res.setHeader('Strict-Transport-Security', `max-age=${routes.hstsMaxAge}`);
    }
    const path = url.pathname;
    if (path === lpPath) {
      routes.lp.handle(req, res, url);
      return;
    }
    if (path === wsPath) {
      // A plain request to the websocket endpoint: not a handshake.
      res.statusCode = req.method === 'GET' ? 400 : 405;
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.end(req.method === 'GET' ? 'Bad Request' : routes.replies.methodNotAllowed());
      return;
    }
    for (const [prefix, handler] of routes.extra ?? []) {
      if (path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : prefix + '/')) {
        handler(req, res, url);
        return;
      }
    }
    const notFound = () => {
      res.statusCode = 404;
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.end(routes.replies.notFound());
    };
    if (routes.static && (req.method === 'GET' || req.method === 'HEAD')) {
      routes.static(req, res, notFound);
      return;
    }
    notFound();
  };
  const server = routes.tls
    ? createHttps({ cert: readFileSync(routes.tls.certFile), key: readFileSync(routes.tls.keyFile) }, onRequest)
    : createHttp(onRequest);
  server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      socket.destroy();
      return;
    }
    if (url.pathname !== wsPath) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    routes.ws.upgrade(req, socket, head, url);
  });
  server.on('clientError', (err, socket) => {
    log.debug(`http: client error: ${err.message}`);
    if (socket.writable) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    }
  });
  return server;
}

/** Parses `[host]:port`, `:port` or `unix:/path` into what `server.listen` takes. */
export function parseListen(addr: string): { path: string } | { host: string | undefined; port: number } {
  if (addr.startsWith('unix:')) {
    return { path: addr.slice('unix:'.length) };
  }
  const at = addr.lastIndexOf(':');
  const host = at > 0 ? addr.slice(0, at).replace(/^\[|\]$/g, '') : undefined;
  const portText = at >= 0 ? addr.slice(at + 1) : addr;
  const named: Record<string, number> = { http: 80, https: 443 };
  const port = named[portText] ?? Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`"${addr}" is not an address: expected [host]:port or unix:/path`);
  }
  return { host: host || undefined, port };
}

/** Starts listening; resolves with a printable address (`http://0.0.0.0:6060`). */
export function listen(server: Server, addr: string, scheme = 'http'): Promise<string> {
  const target = parseListen(addr);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.off('error', reject);
      const a = server.address();
      if (typeof a === 'string') {
        resolve(`unix:${a}`);
      } else {
        const info = a as AddressInfo;
        const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
        resolve(`${scheme}://${host}:${info.port}`);
      }
    };
    if ('path' in target) {
      server.listen(target.path, done);
    } else {
      server.listen(target.port, target.host, done);
    }
  });
}

/**
 * A plain-HTTP server that sends every request to the same host and path over HTTPS on
 * `httpsPort()` (307, as the reference's `tls.http_redirect`; port 443 is left out of the URL),
 * 503 while that is 0 (HTTPS not listening yet). `answer` sees each request first and may answer
 * it itself, returning true (ACME's HTTP-01 challenges).
 */
export function createRedirectServer(httpsPort: () => number, answer?: (req: IncomingMessage, res: ServerResponse) => boolean): Server {
  return createHttp((req, res) => {
    applyCommonSecurityHeaders(res);
    if (answer?.(req, res)) {
      return;
    }
    const port = httpsPort();
    if (port === 0) {
      res.statusCode = 503;
      res.setHeader('Retry-After', '5');
      res.end();
      return;
    }
    const hostHeader = req.headers.host ?? '';
    // The host without its port (an IPv6 literal keeps its brackets).
    const host = /^\[[^\]]*\]/.exec(hostHeader)?.[0] ?? hostHeader.replace(/:\d*$/, '');
    if (host === '' || /[\s/\\@]/.test(host)) {
      res.statusCode = 400;
      res.end();
      return;
    }
    const path = (req.url ?? '/').startsWith('/') ? (req.url ?? '/') : '/';
    res.statusCode = 307;
    res.setHeader('Location', `https://${host}${port === 443 ? '' : `:${port}`}${path}`);
    res.end();
  });
}
