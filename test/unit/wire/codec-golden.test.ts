import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeClientJson } from '../../../src/wire/codec/json-decode.js';
import { encodeServerJson } from '../../../src/wire/codec/json-encode.js';
import { deserializeClientMsg, deserializeServerMsg, serializeClientMsg, serializeServerMsg } from '../../../src/wire/codec/proto-codec.js';
import { CLIENT_SAMPLES, render, SERVER_SAMPLES } from './golden/samples.js';

/**
 * The codecs' output for a fixed set of messages, recorded from the codecs as they were before
 * they were rebuilt on one field description: any change in bytes, text, decoded values or error
 * texts is a wire change. `TINODE_WRITE_GOLDENS=1` rewrites the file (only when a change is meant).
 */
const FILE = fileURLToPath(new URL('./golden/codec-goldens.json', import.meta.url));
const received = new Date('2025-03-04T05:06:07.890Z');

/** Proto bytes a client may send that are not a valid ClientMsg, or nest too deep. */
const BAD_PROTO: Record<string, string> = {
  truncated: '0a05',
  wrongWire: '0d01020304',
  garbage: 'ffffffffffffffffffff',
};

function errorOf(f: () => unknown): unknown {
  try {
    return { ok: render(f()) };
  } catch (err) {
    return { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

function compute(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, msg] of Object.entries(SERVER_SAMPLES)) {
    const bytes = serializeServerMsg(msg);
    out[`server.${name}`] = { json: encodeServerJson(msg), proto: bytes.toString('hex'), protoBack: render(deserializeServerMsg(bytes, received)) };
  }
  for (const [name, text] of Object.entries(CLIENT_SAMPLES)) {
    const json = errorOf(() => decodeClientJson(text));
    const entry: Record<string, unknown> = { json, jsonDepth8: errorOf(() => decodeClientJson(text, 8)) };
    try {
      const bytes = serializeClientMsg(decodeClientJson(text));
      entry.proto = bytes.toString('hex');
      entry.protoBack = errorOf(() => deserializeClientMsg(bytes));
      entry.protoDepth8 = errorOf(() => deserializeClientMsg(bytes, 8));
    } catch {
      // Not decodable from JSON: nothing to encode.
    }
    out[`client.${name}`] = entry;
  }
  for (const [name, hex] of Object.entries(BAD_PROTO)) {
    out[`badProto.${name}`] = errorOf(() => deserializeClientMsg(Buffer.from(hex, 'hex')));
  }
  return out;
}

describe('codec goldens', () => {
  it('encode and decode every sample exactly as recorded', () => {
    const now = compute();
    if (process.env.TINODE_WRITE_GOLDENS === '1') {
      writeFileSync(FILE, `${JSON.stringify(now, null, 1)}\n`);
    }
    const recorded = JSON.parse(readFileSync(FILE, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(now).sort()).toEqual(Object.keys(recorded).sort());
    for (const key of Object.keys(recorded)) {
      expect(now[key], key).toEqual(recorded[key]);
    }
  });
});
