import { encodeServerJson } from '../../src/wire/codec/json-encode.js';
import type { ServerMessage } from '../../src/wire/server-messages.js';

const frames = new WeakMap<ServerMessage, Buffer>();

/**
 * A server message as a whole websocket text frame (RFC 6455: FIN, opcode 1, unmasked as frames
 * from a server are, uncompressed), built once per message object: a broadcast to a thousand
 * sockets without permessage-deflate writes the same bytes to each, instead of converting the
 * text and framing it again for every one of them.
 */
export function wsTextFrame(msg: ServerMessage): Buffer {
  let frame = frames.get(msg);
  if (frame === undefined) {
    const text = encodeServerJson(msg);
    const n = Buffer.byteLength(text);
    const head = n < 126 ? 2 : n < 65_536 ? 4 : 10;
    frame = Buffer.allocUnsafe(head + n);
    frame[0] = 0x81;
    if (n < 126) {
      frame[1] = n;
    } else if (n < 65_536) {
      frame[1] = 126;
      frame.writeUInt16BE(n, 2);
    } else {
      frame[1] = 127;
      frame.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
      frame.writeUInt32BE(n >>> 0, 6);
    }
    frame.write(text, head, 'utf8');
    frames.set(msg, frame);
  }
  return frame;
}
