import type { Type } from 'protobufjs';
import { protoRoot } from './proto-codec.js';

/**
 * The messages of `pbx.Node/LargeFileReceive` and `LargeFileServe` (proto/model.proto) as plain
 * objects with the .proto field names, and their codec. The server serves the two calls and
 * `tinode cli file` calls them, as tn-cli does.
 */

/** `pbx.FileMeta`. On an upload answer `name` is the file's URL; on a download, a bare file name. */
export interface FileMeta {
  name?: string;
  mime_type?: string;
  etag?: string;
  size?: number;
}

/** `pbx.Auth`: a scheme and its secret (a token as is, or base64 for basic). */
export interface FileAuth {
  scheme?: string;
  secret?: string;
}

/** `pbx.FileUpReq`: the first piece carries id, auth and meta; every piece may carry bytes. */
export interface FileUpReq {
  id?: string;
  auth?: FileAuth | null;
  topic?: string;
  meta?: FileMeta | null;
  content?: Uint8Array;
}

/** `pbx.FileDownReq`. */
export interface FileDownReq {
  id?: string;
  auth?: FileAuth | null;
  uri?: string;
  if_modified?: string;
}

/**
 * `pbx.FileUpResp` and `pbx.FileDownResp` (only the latter has `content`). Decoded, fields with
 * their zero value are absent (proto3), so `code` and `text` are optional.
 */
export interface FileResp {
  id?: string;
  code?: number;
  text?: string;
  meta?: FileMeta | null;
  redir_url?: string;
  content?: Uint8Array;
}

/** Encodes and decodes one message type; `decode` throws on bytes that are not one. */
export interface FileCodec<T> {
  encode(msg: T): Buffer;
  decode(bytes: Uint8Array): T;
}

interface FileCodecs {
  upReq: FileCodec<FileUpReq>;
  upResp: FileCodec<FileResp>;
  downReq: FileCodec<FileDownReq>;
  downResp: FileCodec<FileResp>;
}

let codecs: FileCodecs | null = null;

function codec<T extends object>(type: Type): FileCodec<T> {
  return {
    encode: (msg) => Buffer.from(type.encode(type.fromObject(msg as Record<string, unknown>)).finish()),
    // int64 sizes as numbers; bytes stay bytes.
    decode: (bytes) => type.toObject(type.decode(bytes), { longs: Number }) as T,
  };
}

/** The codecs of the four file messages. */
export function fileCodecs(): FileCodecs {
  if (!codecs) {
    const r = protoRoot();
    codecs = {
      upReq: codec<FileUpReq>(r.lookupType('pbx.FileUpReq')),
      upResp: codec<FileResp>(r.lookupType('pbx.FileUpResp')),
      downReq: codec<FileDownReq>(r.lookupType('pbx.FileDownReq')),
      downResp: codec<FileResp>(r.lookupType('pbx.FileDownResp')),
    };
  }
  return codecs;
}
