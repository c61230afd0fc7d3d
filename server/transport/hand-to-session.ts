import type { ClientMessage } from '../../src/wire/client-messages.js';
import { decodeClientJson, DecodeError } from '../../src/wire/codec/json-decode.js';
import { deserializeClientMsg } from '../../src/wire/codec/proto-codec.js';

/**
 * The session as a transport sees it: it takes decoded client messages, in arrival order, and
 * never a raw frame. Every transport decodes what it receives through {@link handJson} or
 * {@link handProto}, so a message that cannot be read gets the same answer whichever way it came.
 */
export interface SessionSink {
  readonly sid: string;
  /** A decoded client message, queued by the session for processing in order. */
  handle(msg: ClientMessage): void;
  /**
   * A message that could not be decoded (`reason` says why, for the log): the session answers
   * 400 "malformed" in its turn, so the reply keeps its place among the replies.
   */
  malformed(reason: string): void;
  /** The connection is gone; the session cleans up. */
  closed(): void;
}

/**
 * Decodes one JSON text frame and hands the message, or the decode failure, to the session.
 * `maxJsonDepth` bounds the nesting of the whole packet (`limits.max_json_depth`).
 */
export function handJson(sink: SessionSink, text: string, maxJsonDepth: number): void {
  let msg: ClientMessage;
  try {
    msg = decodeClientJson(text, maxJsonDepth);
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    sink.malformed(err.message);
    return;
  }
  sink.handle(msg);
}

/**
 * Decodes one protobuf `ClientMsg` and hands the message, or the decode failure, to the session.
 * `maxJsonDepth` bounds the nesting of the JSON values the message carries.
 */
export function handProto(sink: SessionSink, data: Uint8Array, maxJsonDepth: number): void {
  let msg: ClientMessage;
  try {
    msg = deserializeClientMsg(data, maxJsonDepth);
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    sink.malformed(err.message);
    return;
  }
  sink.handle(msg);
}
