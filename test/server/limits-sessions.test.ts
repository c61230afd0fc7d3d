import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createLogger } from '../../server/log/log.js';
import { parseUid, uidToString } from '../../src/model/uid.js';
import { UidGenerator } from '../../src/model/uidgen.js';
import { nodeClient } from '../helpers/grpc.js';
import { RawClient, type Json } from '../helpers/raw.js';
import { DEMO_KEY } from '../helpers/sdk.js';
import { serverPerTest } from '../helpers/server.js';

/**
 * Limits on sessions, tried as an attacker would: connections that never say `{hi}`, too many
 * sessions from one address or by long polling, and floods of pipelined messages. Each is
 * refused or absorbed while another user's session goes on being served.
 */
const servers = serverPerTest();

async function raw(host: string, compress = true): Promise<RawClient> {
  const c = await RawClient.open(host, { compress });
  servers.track(c);
  return c;
}

/** Opens a websocket and reports how the upgrade ended: 'open', or the HTTP status and body. */
function tryWs(host: string): Promise<{ status: number; body: string; ws?: WebSocket }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${host}/v0/channels?apikey=${DEMO_KEY}`);
    ws.once('open', () => {
      servers.track(ws);
      resolve({ status: 101, body: '', ws });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', (err) => reject(err));
  });
}

async function lpOpen(host: string): Promise<{ status: number; json: Json }> {
  const res = await fetch(`http://${host}/v0/channels/lp?apikey=${DEMO_KEY}`, { method: 'POST' });
  return { status: res.status, json: (await res.json()) as Json };
}

type Pb = Record<string, Record<string, unknown> | undefined>;

function grpcStream(addr: string): { stream: grpc.ClientDuplexStream<Pb, Pb>; first: Promise<Pb>; close(): void } {
  const client = nodeClient<grpc.Client & { MessageLoop(): grpc.ClientDuplexStream<Pb, Pb> }>(addr);
  const stream = client.MessageLoop();
  stream.on('error', () => undefined);
  const first = new Promise<Pb>((resolve) => stream.once('data', resolve));
  const s = { stream, first, close: () => (stream.end(), client.close()) };
  servers.track(s);
  return s;
}

describe('session limits', () => {
  it('closes a connection that never says {hi}, and keeps one that did', async () => {
    const srv = await servers.start({ limits: { handshake_timeout: 1 } });
    const silent = await raw(srv.host);
    const polite = await raw(srv.host);
    await polite.hello();
    await new Promise((r) => setTimeout(r, 2500));
    expect(silent.closeCode).not.toBeNull();
    expect(polite.closeCode).toBeNull();
    expect((await polite.ask({ login: { id: 'l', scheme: 'basic', secret: Buffer.from('alice:alice123').toString('base64') } })).ctrl?.code).toBe(200);
  });

  it('refuses sessions past max_sessions_per_address on every transport, and takes them again when one closes', async () => {
    const srv = await servers.start({ limits: { max_sessions_per_address: 3 } });
    const host = srv.host;
    const first = await tryWs(host);
    const lp = await lpOpen(host);
    expect(lp.status).toBe(201);
    const g = grpcStream(srv.server.grpcAddr ?? '');
    g.stream.write({ hi: { id: 'h', ver: '0.25.3' } });
    expect((await g.first).ctrl).toMatchObject({ code: 201 });

    // Three open: each transport's fourth is refused with the reference's 503.
    const ws4 = await tryWs(host);
    expect(ws4.status).toBe(503);
    expect(JSON.parse(ws4.body)).toMatchObject({ ctrl: { code: 503, text: 'service unavailable' } });
    const lp4 = await lpOpen(host);
    expect(lp4.status).toBe(503);
    expect(lp4.json.ctrl).toMatchObject({ code: 503 });
    const g4 = grpcStream(srv.server.grpcAddr ?? '');
    expect((await g4.first).ctrl).toMatchObject({ code: 503, text: 'service unavailable' });

    first.ws?.close();
    await new Promise((r) => setTimeout(r, 200));
    expect((await tryWs(host)).status).toBe(101);
  });

  it('refuses long-poll sessions past max_lp_sessions', async () => {
    const srv = await servers.start({ limits: { max_lp_sessions: 2 } });
    expect((await lpOpen(srv.host)).status).toBe(201);
    expect((await lpOpen(srv.host)).status).toBe(201);
    const third = await lpOpen(srv.host);
    expect(third.status).toBe(503);
    expect(third.json.ctrl).toMatchObject({ code: 503, text: 'service unavailable' });
    // Websocket sessions are not long-poll sessions.
    expect((await tryWs(srv.host)).status).toBe(101);
  });
});

describe('inbound queue', () => {
  it('stops reading a flooding client and still answers every one of its messages in order, while others are served', async () => {
    const srv = await servers.start({ limits: { inbound_queue: 4, login_failures: 1000, login_failures_per_address: 1000 } });
    // Uncompressed, each frame arrives in its own reads: pausing the socket holds the rest back.
    const flood = await raw(srv.host, false);
    await flood.hello();
    const other = await raw(srv.host);
    await other.hello();
    await other.login('bob');
    // Wrong passwords: each costs the server a password hash, far slower than the frames arrive.
    const n = 30;
    const big = 'x'.repeat(100_000);
    for (let i = 0; i < n; i++) {
      flood.send({ login: { id: `g${i}`, scheme: 'basic', secret: Buffer.from(`alice:wrong${i}`).toString('base64') }, pad: big });
    }
    // Bob is answered while alice's frames wait in her socket.
    expect((await other.reply({ get: { id: 'b1', topic: 'me', what: 'desc' } })).meta?.id).toBe('b1');
    const answers: string[] = [];
    while (answers.length < n) {
      const m = await flood.next(10_000);
      if (m.ctrl) answers.push(`${String(m.ctrl.id)}: ${String(m.ctrl.code)}`);
    }
    // Every one tried and answered in order: reading paused, nothing was refused with 503.
    expect(answers).toEqual(Array.from({ length: n }, (_, i) => `g${i}: 401`));
  });

  it('answers 503 to what a compressed flood packs past twice the queue, and every message gets one answer', async () => {
    const srv = await servers.start({ limits: { inbound_queue: 4, login_failures: 1000, login_failures_per_address: 1000 } });
    // Compressed, hundreds of frames fit in one read: they are read before the socket pauses.
    const flood = await raw(srv.host, true);
    await flood.hello();
    const n = 200;
    for (let i = 0; i < n; i++) {
      flood.send({ login: { id: `g${i}`, scheme: 'basic', secret: Buffer.from(`alice:wrong${i}`).toString('base64') }, pad: 'x'.repeat(50_000) });
    }
    const codes = new Map<string, number>();
    while (codes.size < n) {
      const m = await flood.next(20_000);
      if (m.ctrl) codes.set(String(m.ctrl.id), Number(m.ctrl.code));
    }
    const counts = [...codes.values()].reduce<Record<number, number>>((a, c) => ({ ...a, [c]: (a[c] ?? 0) + 1 }), {});
    expect(Object.keys(counts).sort()).toEqual(['401', '503']);
    expect(counts[401]).toBeGreaterThanOrEqual(8);
    // The session carries on.
    expect((await flood.ask({ login: { id: 'ok', scheme: 'basic', secret: Buffer.from('alice:alice123').toString('base64') } })).ctrl).toMatchObject({ id: 'ok', code: 200 });
  });

  it('drops the queued work of a session that went away', async () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', write: (line: string) => lines.push(line) });
    const srv = await servers.start({ limits: { inbound_queue: 1000, login_failures: 100_000, login_failures_per_address: 100_000 } }, undefined, {}, log);
    const c = await raw(srv.host);
    await c.hello();
    const n = 400;
    for (let i = 0; i < n; i++) {
      c.send({ login: { id: `l${i}`, scheme: 'basic', secret: Buffer.from(`alice:wrong${i}`).toString('base64') } });
    }
    await c.next(5000);
    c.close();
    await new Promise((r) => setTimeout(r, 300));
    const tried = lines.filter((l) => l.includes('failed login')).length;
    await new Promise((r) => setTimeout(r, 1500));
    const later = lines.filter((l) => l.includes('failed login')).length;
    // Once the session ended, at most the login in progress finished: the rest never ran.
    expect(later - tried).toBeLessThanOrEqual(1);
    expect(later).toBeLessThan(n);
  });
});

describe('long-poll session ids', () => {
  it('cannot be predicted from another, even knowing the uid key: a guessed id reads nothing', async () => {
    const srv = await servers.start();
    const base = `http://${srv.host}/v0/channels/lp?apikey=${DEMO_KEY}`;
    const sids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const { json } = await lpOpen(srv.host);
      sids.push(String((json.ctrl?.params as { sid: string }).sid));
    }
    // The attack that worked on ids made by the id generator: decrypt one, step, encrypt.
    const ids = new UidGenerator(1, srv.server.ctx.store.keys.uidKey);
    for (let i = 0; i + 1 < sids.length; i++) {
      const stored = ids.decode(parseUid(sids[i]!));
      for (const step of [1n, 2n, 1n << 12n, 1n << 22n]) {
        const guess = uidToString(ids.encode(stored + step));
        expect(sids).not.toContain(guess);
      }
    }
    expect(new Set(sids).size).toBe(sids.length);
    const guessed = await fetch(`${base}&sid=${uidToString(ids.encode(ids.decode(parseUid(sids[0]!)) + 1n))}`);
    expect(guessed.status).toBe(403);
    expect(((await guessed.json()) as Json).ctrl).toMatchObject({ code: 403, text: 'invalid or expired session' });
  });

  it('hold messages posted one after another past the inbound queue until the session catches up: none refused, each answered once, in order', async () => {
    const srv = await servers.start({ limits: { inbound_queue: 2, login_failures: 1000, login_failures_per_address: 1000 } });
    const base = `http://${srv.host}/v0/channels/lp?apikey=${DEMO_KEY}`;
    const sid = String(((await lpOpen(srv.host)).json.ctrl?.params as { sid: string }).sid);
    const post = (body: unknown) => fetch(`${base}&sid=${sid}`, { method: 'POST', body: JSON.stringify(body) });
    const statuses = [(await post({ hi: { id: 'h', ver: '0.25.3' } })).status];
    // Slow requests (a password hash each), each posted when the previous POST is answered, as
    // a client on one connection does: the POST waits while the session is behind.
    for (let i = 0; i < 8; i++) {
      statuses.push((await post({ login: { id: `l${i}`, scheme: 'basic', secret: Buffer.from(`alice:wrong${i}`).toString('base64') } })).status);
    }
    expect(statuses).toEqual(Array(9).fill(200));
    const ids: string[] = [];
    while (ids.length < 9) {
      const m = (await (await fetch(`${base}&sid=${sid}`)).json()) as Json;
      if (m.ctrl?.id) ids.push(String(m.ctrl.id));
    }
    expect(ids).toEqual(['h', ...Array.from({ length: 8 }, (_, i) => `l${i}`)]);
  });

  it('answer 503 to messages posted at once past the inbound queue and as many held, and every other message once', async () => {
    const srv = await servers.start({ limits: { inbound_queue: 2, login_failures: 1000, login_failures_per_address: 1000 } });
    const base = `http://${srv.host}/v0/channels/lp?apikey=${DEMO_KEY}`;
    const sid = String(((await lpOpen(srv.host)).json.ctrl?.params as { sid: string }).sid);
    const post = (body: unknown) => fetch(`${base}&sid=${sid}`, { method: 'POST', body: JSON.stringify(body) });
    expect((await post({ hi: { id: 'h', ver: '0.25.3' } })).status).toBe(200);
    // Slow requests (a password hash each), all at once.
    const statuses = await Promise.all(
      Array.from({ length: 12 }, (_, i) => post({ login: { id: `l${i}`, scheme: 'basic', secret: Buffer.from(`alice:wrong${i}`).toString('base64') } }).then((r) => r.status)),
    );
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
    const taken = statuses.filter((s) => s === 200).length;
    const answered = new Set<string>();
    while (answered.size < taken + 1) {
      const m = (await (await fetch(`${base}&sid=${sid}`)).json()) as Json;
      if (m.ctrl?.id) answered.add(String(m.ctrl.id));
    }
    expect(answered.size).toBe(taken + 1);
  });
});
