import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeServer, encodeClient, type Reply } from '../fuzz/proto.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * A gRPC message over `max_message_size` ends its stream with RESOURCE_EXHAUSTED, as the
 * reference's gRPC server does, after the answers to what the client sent before it; the client
 * always learns that its stream ended, and the server goes on serving other streams.
 */
let srv: TestServer;

beforeAll(async () => {
  srv = await startTestServer();
});

afterAll(async () => {
  await srv.close();
});

interface Outcome {
  replies: Reply[];
  /** null when the stream was still open after `untilReplies` answers. */
  status: grpc.StatusObject | null;
}

/** Writes the frames (the client paused meanwhile, so that answers queue on the server) and waits for the stream's end. */
function run(frames: Buffer[], pauseMs = 300, untilReplies = Infinity): Promise<Outcome> {
  const client = new grpc.Client(srv.server.grpcAddr!, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  const bytes = (b: Buffer) => b;
  const stream = client.makeBidiStreamRequest('/pbx.Node/MessageLoop', bytes, bytes);
  const replies: Reply[] = [];
  return new Promise<Outcome>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the stream did not end; answers: ${JSON.stringify(replies)}`)), 10_000);
    stream.on('data', (b: Buffer) => {
      replies.push(decodeServer(b));
      if (replies.length >= untilReplies) {
        clearTimeout(timer);
        stream.cancel();
        client.close();
        resolve({ replies, status: null });
      }
    });
    stream.on('error', () => undefined);
    stream.on('status', (status: grpc.StatusObject) => {
      clearTimeout(timer);
      client.close();
      resolve({ replies, status });
    });
    stream.pause();
    for (const f of frames) stream.write(f);
    setTimeout(() => stream.resume(), pauseMs);
  });
}

const hi = (id: string) => encodeClient({ hi: { id, ver: '0.25.3' } });
const big = (bytes: number) => encodeClient({ hi: { id: 'big', ver: '0.25.3', user_agent: 'x'.repeat(bytes) } });

describe('a gRPC message over max_message_size', () => {
  it.each([
    ['just over the limit', 131_072 + 100],
    ['far over the limit', 1_000_000],
  ])('%s: the stream ends with RESOURCE_EXHAUSTED and the client is told', async (_name, size) => {
    const before = Array.from({ length: 40 }, (_, i) => hi(`a${i}`));
    const after = Array.from({ length: 5 }, (_, i) => hi(`b${i}`));
    const { replies, status } = await run([...before, big(size), ...after], 0);
    expect(status?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(status?.details).toMatch(/^Received message larger than max \(\d+ vs \d+\)$/);
    // What came before is answered in order (grpc-js drops what its client had not handed out
    // when a failed status arrives, hence a prefix); nothing from the oversized message on.
    const ids = replies.map((r) => r.id);
    expect(ids).toEqual(before.slice(0, ids.length).map((_, i) => `a${i}`));
  });

  it('leaves the server serving new streams', async () => {
    await run([big(200_000)]);
    const { replies } = await run([hi('after')], 0, 1);
    expect(replies.map((r) => [r.id, r.code])).toEqual([['after', 201]]);
  });
});
