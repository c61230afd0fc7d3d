import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { silentLogger } from '../../server/log/log.js';
import type { Connection } from '../../server/session/connection.js';
import { createHttpServer, listen } from '../../server/transport/http.js';
import { LongPollTransport } from '../../server/transport/longpoll.js';
import type { HttpReplies, SessionHost } from '../../server/transport/types.js';
import { WebsocketTransport } from '../../server/transport/websocket.js';

/**
 * The transports over real sockets, with a stand-in for the session layer (their neighbour): it
 * echoes every decoded message back as `{"info":{"topic":"echo","what":<its id>}}`, a frame that
 * cannot be decoded as `{"info":{"topic":"malformed","what":<why>}}`, and records connection events.
 */
const KEY = 'good-key';
const replies: HttpReplies = {
  apiKeyRequired: () => '{"ctrl":{"code":403,"text":"valid API key required"}}',
  sessionNotFound: () => '{"ctrl":{"code":403,"text":"invalid or expired session"}}',
  malformed: (id) => JSON.stringify({ ctrl: { id: id || undefined, code: 400, text: 'malformed' } }),
  methodNotAllowed: () => '{"ctrl":{"code":405,"text":"operation or method not allowed"}}',
  notFound: () => '{"ctrl":{"code":404,"text":"not found"}}',
  serviceUnavailable: (id) => JSON.stringify({ ctrl: { id: id || undefined, code: 503, text: 'service unavailable' } }),
  lpCreated: (id, sid) => JSON.stringify({ ctrl: { id: id || undefined, code: 201, text: 'created', params: { sid } } }),
};

const events: string[] = [];
const conns = new Map<string, Connection>();
let counter = 0;
const host: SessionHost = {
  admit: () => null,
  open(conn) {
    const sid = `s${++counter}`;
    conns.set(sid, conn);
    events.push(`open ${sid} ${conn.kind}`);
    return {
      sid,
      handle: (msg) => {
        events.push(`recv ${sid} ${msg.id}`);
        conn.send({ info: { topic: 'echo', what: msg.id } });
      },
      malformed: (reason) => {
        events.push(`malformed ${sid} ${reason}`);
        conn.send({ info: { topic: 'malformed', what: reason } });
      },
      closed: () => events.push(`closed ${sid}`),
    };
  },
};

/** A client message whose echo is `id`. */
const frame = (id: string) => JSON.stringify({ leave: { id, topic: 'grpX' } });

let server: Server;
let base: string;
let ws: WebsocketTransport;
let lp: LongPollTransport;

beforeAll(async () => {
  const common = { host, replies, checkApiKey: (k: string) => k === KEY, maxMessageSize: 1024, useXForwardedFor: true };
  ws = new WebsocketTransport({ ...common, compression: true, pingIntervalMs: 200 }, silentLogger);
  lp = new LongPollTransport({ ...common, pollTimeoutMs: 300, idleMs: 600 }, silentLogger);
  server = createHttpServer({ apiPath: '/', ws, lp, replies, xFrameOptions: 'SAMEORIGIN', hstsMaxAge: 0 }, silentLogger);
  base = (await listen(server, '127.0.0.1:0')).replace('http://', '');
});

afterAll(async () => {
  await ws.close(100);
  lp.close();
  await new Promise((r) => server.close(r));
});

function openWs(query = `apikey=${KEY}`): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const sock = new WebSocket(`ws://${base}/v0/channels?${query}`);
    sock.once('open', () => resolve(sock));
    sock.once('error', reject);
  });
}

function nextMessage(sock: WebSocket): Promise<string> {
  return new Promise((resolve) => sock.once('message', (d) => resolve(d.toString())));
}

describe('websocket', () => {
  it('refuses a missing or wrong API key with HTTP 403 and the reference ctrl', async () => {
    for (const query of ['', 'apikey=bad']) {
      const status = await new Promise<number>((resolve) => {
        const sock = new WebSocket(`ws://${base}/v0/channels?${query}`);
        sock.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        sock.once('error', () => resolve(-1));
      });
      expect(status).toBe(403);
    }
  });

  it('takes the key from the header too, answers the probe, and hands decoded messages and decode failures over in order', async () => {
    const sock = await new Promise<WebSocket>((resolve, reject) => {
      const s = new WebSocket(`ws://${base}/v0/channels`, { headers: { 'X-Tinode-APIKey': KEY } });
      s.once('open', () => resolve(s));
      s.once('error', reject);
    });
    sock.send('1');
    expect(await nextMessage(sock)).toBe('0');
    const got: string[] = [];
    const done = new Promise<void>((resolve) =>
      sock.on('message', (d) => {
        got.push(d.toString());
        if (got.length === 3) resolve();
      }),
    );
    sock.send(frame('a'));
    sock.send('b');
    sock.send(frame('c'));
    await done;
    expect(got).toEqual(['{"info":{"topic":"echo","what":"a"}}', '{"info":{"topic":"malformed","what":"not valid JSON"}}', '{"info":{"topic":"echo","what":"c"}}']);
    sock.close();
  });

  it('closes with 1009 on a frame over max_message_size, and tells the session', async () => {
    const sock = await openWs();
    const code = await new Promise<number>((resolve) => {
      sock.once('close', (c) => resolve(c));
      sock.send('x'.repeat(2000));
    });
    expect(code).toBe(1009);
    await new Promise((r) => setTimeout(r, 50));
    expect(events.at(-1)).toMatch(/^closed s\d+$/);
  });

  it('keeps a responsive client alive across ping sweeps', async () => {
    const sock = await openWs();
    await new Promise((r) => setTimeout(r, 700));
    expect(sock.readyState).toBe(WebSocket.OPEN);
    sock.close();
  });
});

async function post(path: string, body = '', headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://${base}${path}`, { method: 'POST', body, headers: { 'Content-Type': 'text/plain;charset=UTF-8', ...headers } });
  return { status: res.status, text: await res.text() };
}

describe('long polling', () => {
  it('opens a session with 201 and its sid, sends as separate POSTs, answers one message per poll', async () => {
    const hs = await post(`/v0/channels/lp?apikey=${KEY}`);
    expect(hs.status).toBe(201);
    const sid = (JSON.parse(hs.text) as { ctrl: { params: { sid: string } } }).ctrl.params.sid;
    expect(sid).toMatch(/^s\d+$/);
    const url = `/v0/channels/lp?apikey=${KEY}&sid=${sid}`;
    expect(await post(url, frame('first'))).toEqual({ status: 200, text: '' });
    expect(await post(url, frame('second'))).toEqual({ status: 200, text: '' });
    expect((await post(url)).text).toBe('{"info":{"topic":"echo","what":"first"}}');
    expect((await post(url)).text).toBe('{"info":{"topic":"echo","what":"second"}}');
    const waiting = post(url);
    await new Promise((r) => setTimeout(r, 50));
    await post(url, frame('later'));
    expect((await waiting).text).toBe('{"info":{"topic":"echo","what":"later"}}');
  });

  it('hands a message that cannot be decoded to the session as malformed, in its place', async () => {
    const hs = await post(`/v0/channels/lp?apikey=${KEY}`);
    const sid = (JSON.parse(hs.text) as { ctrl: { params: { sid: string } } }).ctrl.params.sid;
    const url = `/v0/channels/lp?apikey=${KEY}&sid=${sid}`;
    expect(await post(url, '{"pub":{"id":1}}')).toEqual({ status: 200, text: '' });
    expect(await post(url, frame('after'))).toEqual({ status: 200, text: '' });
    expect((await post(url)).text).toBe('{"info":{"topic":"malformed","what":"pub.id: expected a string"}}');
    expect((await post(url)).text).toBe('{"info":{"topic":"echo","what":"after"}}');
  });

  it('answers an empty body when nothing arrives before the poll timeout', async () => {
    const hs = await post(`/v0/channels/lp?apikey=${KEY}`);
    const sid = (JSON.parse(hs.text) as { ctrl: { params: { sid: string } } }).ctrl.params.sid;
    const r = await post(`/v0/channels/lp?apikey=${KEY}&sid=${sid}`);
    expect(r).toEqual({ status: 200, text: '' });
  });

  it('refuses bad keys, unknown sids and oversize messages', async () => {
    expect((await post('/v0/channels/lp')).status).toBe(403);
    const unknown = await post(`/v0/channels/lp?apikey=${KEY}&sid=nope`);
    expect(unknown.status).toBe(403);
    expect(unknown.text).toMatch(/invalid or expired session/);
    const hs = await post(`/v0/channels/lp`, '', { 'X-Tinode-APIKey': KEY });
    const sid = (JSON.parse(hs.text) as { ctrl: { params: { sid: string } } }).ctrl.params.sid;
    const big = await post(`/v0/channels/lp?apikey=${KEY}&sid=${sid}&id=77`, 'y'.repeat(2000));
    expect(big.status).toBe(417);
    expect(big.text).toMatch(/"id":"77".*"code":400/);
  });

  it('expires sessions that stop polling and tells the session', async () => {
    const hs = await post(`/v0/channels/lp?apikey=${KEY}`);
    const sid = (JSON.parse(hs.text) as { ctrl: { params: { sid: string } } }).ctrl.params.sid;
    await new Promise((r) => setTimeout(r, 1500));
    expect(events).toContain(`closed ${sid}`);
    expect((await post(`/v0/channels/lp?apikey=${KEY}&sid=${sid}`)).status).toBe(403);
  });

  it('delivers the final message of a closed session on the next poll', async () => {
    const hs = await post(`/v0/channels/lp?apikey=${KEY}`);
    const sid = (JSON.parse(hs.text) as { ctrl: { params: { sid: string } } }).ctrl.params.sid;
    conns.get(sid)!.close({ ctrl: { code: 205, text: 'server shutdown', ts: new Date() } });
    expect((await post(`/v0/channels/lp?apikey=${KEY}&sid=${sid}`)).text).toMatch(/server shutdown/);
    expect((await post(`/v0/channels/lp?apikey=${KEY}&sid=${sid}`)).status).toBe(403);
  });
});

describe('other URLs', () => {
  it('answer the reference JSON 404 with X-Frame-Options', async () => {
    const res = await fetch(`http://${base}/nothing/here`);
    expect(res.status).toBe(404);
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(await res.text()).toMatch(/"code":404/);
  });
});
