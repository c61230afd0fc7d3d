import { describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import type * as grpc from '@grpc/grpc-js';
import { nodeClient, type Pb } from '../helpers/grpc.js';
import { RawClient } from '../helpers/raw.js';
import { serverPerTest } from '../helpers/server.js';

/**
 * A client that stops reading while it keeps asking fills its send queue; past the bound the
 * server drops the session. The client must learn it at once, however the session was doing:
 * the fuzz found a session dropped while its reading was paused (its inbound queue full), whose
 * connection then stayed half-closed for the 30 s of ws's closing handshake, answering nothing.
 */
const servers = serverPerTest();

describe('a client that does not read', () => {
  it('is dropped when its send queue is full, and its connection closes at once, even while the server had stopped reading it', async () => {
    // 128 messages of 4 KiB: the send queue holds 512 KiB beyond what the kernel buffers.
    const srv = await servers.start({ max_message_size: 4096, limits: { inbound_queue: 4, publish_rate: 0 } });
    const alice = await RawClient.open(srv.host, { compress: false });
    servers.track(alice);
    await alice.hello();
    await alice.login('alice');
    const created = await alice.reply({ sub: { id: 'n', topic: 'new', set: { desc: { public: { fn: 'slow reader' } } } } });
    const grp = String(created.ctrl?.topic);
    for (let i = 0; i < 30; i++) {
      expect((await alice.reply({ pub: { id: `p${i}`, topic: grp, noecho: true, content: 'x'.repeat(3500) } })).ctrl?.code).toBe(202);
    }
    const socket = (alice.ws as unknown as { _socket: Socket })._socket;
    const closed = new Promise<void>((resolve) => alice.ws.once('close', () => resolve()));
    let isClosed = false;
    void closed.then(() => (isClosed = true));
    // The client stops reading and asks for pages of ~110 KB, in bursts larger than the inbound
    // queue (so that reading is paused while the bursts are worked through).
    socket.pause();
    for (let burst = 0; burst < 60 && !isClosed; burst++) {
      for (let i = 0; i < 6; i++) alice.send({ get: { id: `g${burst}.${i}`, topic: grp, what: 'data' } });
      await new Promise((r) => setTimeout(r, 25));
    }
    const drops = srv.server.ctx.sessions.all().length;
    // The server dropped the session (only the other sessions are left, none here).
    expect(drops).toBe(0);
    // Reading again, the client finds the connection closed, without waiting out a handshake.
    socket.resume();
    const outcome = await Promise.race([closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('still open after 5 s'), 5000))]);
    expect(outcome).toBe('closed');
  });

  it('over gRPC too: past its send queue the stream ends with RESOURCE_EXHAUSTED "send queue full"', async () => {
    const srv = await servers.start({ max_message_size: 4096, limits: { inbound_queue: 4, publish_rate: 0 } });
    const client = servers.track(nodeClient<grpc.Client & { MessageLoop(): grpc.ClientDuplexStream<Pb, Pb> }>(srv.server.grpcAddr!));
    const stream = client.MessageLoop();
    const answers: Pb[] = [];
    const ended = new Promise<grpc.ServiceError | null>((resolve) => {
      stream.on('error', (err: grpc.ServiceError) => resolve(err));
      stream.on('end', () => resolve(null));
    });
    stream.on('data', (m: Pb) => answers.push(m));
    const json = (v: unknown) => Buffer.from(JSON.stringify(v));
    const until = async (pred: () => boolean) => {
      while (!pred()) await new Promise((r) => setTimeout(r, 5));
    };
    stream.write({ hi: { id: 'h', ver: '0.25.3', user_agent: 'slow-reader' } });
    stream.write({ login: { id: 'l', scheme: 'basic', secret: Buffer.from('alice:alice123') } });
    stream.write({ sub: { id: 'n', topic: 'new' } });
    await until(() => answers.some((m) => (m.ctrl as { id?: string } | undefined)?.id === 'n'));
    const grp = String((answers.find((m) => (m.ctrl as { id?: string } | undefined)?.id === 'n')?.ctrl as { topic: string }).topic);
    for (let i = 0; i < 30; i++) stream.write({ pub: { id: `p${i}`, topic: grp, no_echo: true, content: json('x'.repeat(3500)) } });
    await until(() => answers.filter((m) => String((m.ctrl as { id?: string } | undefined)?.id).startsWith('p')).length === 30);
    // The client stops reading and asks for pages of ~110 KB, a window at a time.
    stream.pause();
    for (let burst = 0; burst < 60; burst++) {
      for (let i = 0; i < 4; i++) stream.write({ get: { id: `g${burst}.${i}`, topic: grp, query: { what: 'data' } } });
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(srv.server.ctx.sessions.all()).toHaveLength(0);
    stream.resume();
    const err = await ended;
    expect(err?.code).toBe(8);
    expect(err?.details).toBe('send queue full');
  });
});
