import type * as grpc from '@grpc/grpc-js';
import type { Readable, Writable } from 'node:stream';
import { basename } from 'node:path';
import { fileCodecs, type FileAuth, type FileCodec, type FileMeta, type FileResp, type FileUpReq } from '../../src/wire/codec/file-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import { reply, type ReplyKind } from '../../src/wire/replies.js';
import type { Logger } from '../log/log.js';
import { errorKind } from '../request/error-reply.js';
import type { AuthSchemes } from '../auth/scheme.js';
import { authenticateFile } from './auth.js';
import type { Media } from './media.js';

/** Decodes a request; bytes that are not one are a malformed request. */
function decode<T>(codec: FileCodec<T>, bytes: Buffer): T {
  try {
    return codec.decode(bytes);
  } catch {
    throw new ProtocolError('malformed');
  }
}

/** The {ctrl} code and text of an error, as the HTTP endpoints answer it. */
function failure(id: string, err: unknown): FileResp {
  const kind: ReplyKind = errorKind(err);
  const ctrl = (reply(kind, id, '', new Date()) as { ctrl: { code: number; text?: string } }).ctrl;
  return { id, code: ctrl.code, text: ctrl.text ?? '' };
}

/** Waits until the stream takes more, or is gone. */
function drained(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}

/**
 * `LargeFileReceive` and `LargeFileServe` of the `pbx.Node` service, on the same files as the
 * HTTP endpoints. As the reference, each call carries its own credentials (`auth` of the first
 * upload piece, or of the download request; scheme and base64 secret, no session) and errors are
 * answered in the response message (`code`, `text`) rather than as gRPC statuses.
 */
export class GrpcFiles {
  constructor(
    private readonly media: Media,
    private readonly schemes: AuthSchemes,
    private readonly log: Logger,
  ) {}

  private async user(auth: FileAuth | null | undefined, remoteAddr: string): Promise<bigint> {
    const res = await authenticateFile(this.schemes, null, { method: auth?.scheme ?? '', secret: auth?.secret ?? '', sid: '' }, remoteAddr);
    if (res.challenge || res.uid === 0n) throw new ProtocolError('authRequired');
    return res.uid;
  }

  /** Client-streamed upload: pieces of `FileUpReq`; the first carries id, auth and meta. One `FileUpResp` answers. */
  receive(call: grpc.ServerReadableStream<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>, remoteAddr: string): void {
    const { upReq, upResp } = fileCodecs();
    let id = '';
    const run = async (): Promise<FileResp> => {
      const source = (call as Readable)[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      const first = await source.next();
      if (first.done) return failure('', new ProtocolError('disconnected'));
      const req: FileUpReq = decode(upReq, first.value);
      id = req.id ?? '';
      const uid = await this.user(req.auth, remoteAddr).catch(async (err: unknown) => {
        await source.return?.();
        throw err;
      });
      async function* chunks(): AsyncGenerator<Uint8Array> {
        if (req.content?.length) yield req.content;
        for await (const raw of { [Symbol.asyncIterator]: () => source }) {
          const piece = decode(upReq, raw);
          if (piece.content?.length) yield piece.content;
        }
      }
      const pending = await this.media.receive({ user: uid, declaredType: req.meta?.mime_type, chunks: chunks() });
      const file = await pending.commit();
      this.log.info(`media upload over gRPC: ok ${file.url} (${file.size} bytes)`);
      return { id, code: 200, text: 'OK', meta: { name: file.url, mime_type: file.mimeType, etag: file.etag, size: file.size } };
    };
    run()
      .catch((err: unknown) => failure(id, err))
      .then((resp) => callback(null, upResp.encode(resp)))
      .catch((err: unknown) => this.log.debug(`media upload over gRPC: ${String(err)}`));
  }

  /** Server-streamed download: `FileDownResp` pieces, each with the code and meta, the bytes in order. */
  serve(call: grpc.ServerWritableStream<Buffer, Buffer>, remoteAddr: string): void {
    const { downReq, downResp } = fileCodecs();
    let id = '';
    const run = async (): Promise<void> => {
      const req = decode(downReq, call.request);
      id = req.id ?? '';
      await this.user(req.auth, remoteAddr);
      const fd = await this.media.find(req.uri ?? '');
      if (req.if_modified && fd.etag && req.if_modified.replace(/"/g, '') === fd.etag) {
        call.write(downResp.encode({ id, code: 304, text: 'Not Modified' }));
        return;
      }
      const stored = await this.media.handler.open(fd);
      try {
        // As the reference, the file's storage name, which tn-cli writes the download to; without
        // the server's folder (the reference sends its whole path, naming a folder the client lacks).
        const meta: FileMeta = { name: basename(fd.location), mime_type: fd.mimeType, etag: fd.etag, size: stored.size };
        let sent = false;
        for await (const chunk of stored.read()) {
          if (call.cancelled || call.destroyed) break;
          sent = true;
          if (!call.write(downResp.encode({ id, code: 200, text: 'OK', meta, content: chunk as Buffer }))) await drained(call);
        }
        if (!sent && !call.cancelled) call.write(downResp.encode({ id, code: 200, text: 'OK', meta }));
      } finally {
        await stored.close();
      }
    };
    run()
      .catch((err: unknown) => {
        if (!call.cancelled && !call.destroyed) call.write(downResp.encode(failure(id, err)));
      })
      .finally(() => {
        if (!call.destroyed) call.end();
      })
      .catch((err: unknown) => this.log.debug(`media download over gRPC: ${String(err)}`));
  }
}
