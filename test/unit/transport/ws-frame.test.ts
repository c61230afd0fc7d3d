import { describe, expect, it } from 'vitest';
import * as wsModule from 'ws';
import { wsTextFrame } from '../../../server/transport/ws-frame.js';
import { encodeServerJson } from '../../../src/wire/codec/json-encode.js';
import type { ServerMessage } from '../../../src/wire/server-messages.js';

/**
 * The frame built once per broadcast message is what a websocket client (here `ws`'s own frame
 * parser, as a client uses it) reads as one text message with the message's JSON, at every length
 * form of the header (7-bit, 16-bit, 64-bit) and with multi-byte characters.
 */
/** `ws`'s frame parser, which its package exports but its types do not declare. */
interface FrameParser {
  on(event: 'message', fn: (data: Buffer, isBinary: boolean) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  write(chunk: Buffer): void;
}
const { Receiver } = wsModule as unknown as { Receiver: new (opts: { isServer: boolean; maxPayload: number }) => FrameParser };

function read(frame: Buffer): Promise<{ text: string; binary: boolean }> {
  return new Promise((resolve, reject) => {
    const r = new Receiver({ isServer: false, maxPayload: 0 });
    r.on('message', (data, isBinary) => resolve({ text: data.toString('utf8'), binary: isBinary }));
    r.on('error', reject);
    r.write(frame);
  });
}

const data = (content: string): ServerMessage => ({ data: { topic: 'grpX', from: 'usrA', seq: 1, ts: new Date(0), content } });

describe('websocket text frames built once', () => {
  for (const size of [0, 40, 125, 126, 1000, 65_535, 65_536, 200_000]) {
    it(`reads back as the message's JSON with content of ${size} characters`, async () => {
      const msg = data('ж'.repeat(size / 2) + 'x'.repeat(size - Math.floor(size / 2)));
      const got = await read(wsTextFrame(msg));
      expect(got).toEqual({ text: encodeServerJson(msg), binary: false });
    });
  }

  it('is the same bytes for the same message object', () => {
    const msg = data('hi');
    expect(wsTextFrame(msg)).toBe(wsTextFrame(msg));
  });
});
