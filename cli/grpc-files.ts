import * as grpc from '@grpc/grpc-js';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileCodecs, type FileDownReq, type FileResp, type FileUpReq } from '../src/wire/codec/file-messages.js';
import type { FileResult } from './files.js';
import { mimeOf } from './media.js';

/**
 * Large files over gRPC, as tn-cli's `file` command moves them: an upload streams the file in
 * pieces to `pbx.Node/LargeFileReceive` (the first piece with the token and the file's name and
 * type); a download streams from `LargeFileServe` into the current folder, under the name the
 * server gives (its own name for the stored file), unless an output path is given.
 */
export interface GrpcFileOptions {
  /** The session's token: each call carries its own credentials. */
  token: string;
  /** Request id. */
  id: string;
}

/** Bytes per upload piece, as tn-cli sends them. */
const PIECE = 1024 * 1024;

/** A failed call (the server has no file storage, the connection broke) as a code and text. */
function callFailure(err: unknown): FileResult {
  const e = err as Partial<grpc.ServiceError>;
  if (e.code === grpc.status.UNIMPLEMENTED) return { code: 501, text: 'not implemented' };
  return { code: 503, text: `gRPC failed with ${e.code === undefined ? 'an error' : grpc.status[e.code]}: ${e.details || e.message || String(err)}` };
}

/** A `{ctrl}`-like outcome of a response that is not a success. */
function refusal(resp: FileResp): FileResult {
  const code = resp.code ?? 0;
  if (code >= 300 && code < 400) {
    return { code, text: `use HTTP to download from ${resp.redir_url ?? ''}`, params: { url: resp.redir_url ?? '' } };
  }
  return { code, text: resp.text ?? '' };
}

/** What `file <name>` asks for: a URL or server path as given; a bare name is a stored file's. */
export function downloadUri(name: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(name) || name.startsWith('/') ? name : `/v0/file/s/${name}`;
}

async function* pieces(path: string, opts: GrpcFileOptions): AsyncGenerator<FileUpReq> {
  const first: FileUpReq = { id: opts.id, auth: { scheme: 'token', secret: opts.token }, meta: { name: basename(path), mime_type: mimeOf(path) ?? '' } };
  yield first;
  for await (const chunk of createReadStream(path, { highWaterMark: PIECE })) {
    yield { content: chunk as Buffer };
  }
}

/** Uploads a file; the result's `params.url` is where it is served. */
export async function grpcUploadFile(client: grpc.Client, path: string, opts: GrpcFileOptions): Promise<FileResult> {
  try {
    await stat(path);
  } catch (err) {
    return { code: 400, text: `cannot read "${path}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  const { upReq, upResp } = fileCodecs();
  return new Promise<FileResult>((resolve) => {
    const call = client.makeClientStreamRequest<FileUpReq, FileResp>(
      '/pbx.Node/LargeFileReceive',
      (m) => upReq.encode(m),
      (b) => upResp.decode(b),
      (err, resp) => {
        if (err || !resp) {
          resolve(callFailure(err));
        } else if ((resp.code ?? 0) >= 300) {
          resolve(refusal(resp));
        } else {
          resolve({ code: resp.code ?? 200, text: resp.text ?? '', params: { url: resp.meta?.name ?? '', mime: resp.meta?.mime_type ?? '', size: resp.meta?.size ?? 0 } });
        }
      },
    );
    void (async () => {
      try {
        for await (const piece of pieces(path, opts)) {
          if (!call.write(piece)) await new Promise((r) => call.once('drain', r));
        }
        call.end();
      } catch (err) {
        call.cancel();
        resolve({ code: 400, text: `cannot read "${path}": ${(err as Error).message}` });
      }
    })();
  });
}

/**
 * Downloads a file by its URL, server path or stored name into `output`, or else into the
 * current folder under the name the server gives (only its last part: a server cannot make the
 * client write elsewhere).
 */
export async function grpcDownloadFile(client: grpc.Client, name: string, output: string | undefined, opts: GrpcFileOptions): Promise<FileResult> {
  const { downReq, downResp } = fileCodecs();
  const req: FileDownReq = { id: opts.id, auth: { scheme: 'token', secret: opts.token }, uri: downloadUri(name), if_modified: '' };
  const call = client.makeServerStreamRequest<FileDownReq, FileResp>('/pbx.Node/LargeFileServe', (m) => downReq.encode(m), (b) => downResp.decode(b), req);
  let file: Awaited<ReturnType<typeof open>> | null = null;
  let target = '';
  let size = 0;
  let mime = '';
  try {
    for await (const resp of call as AsyncIterable<FileResp>) {
      if ((resp.code ?? 0) >= 300) return refusal(resp);
      if (!file) {
        target = output ?? (basename(resp.meta?.name ?? '') || 'download');
        mime = resp.meta?.mime_type ?? '';
        try {
          file = await open(target, 'w');
        } catch (err) {
          call.cancel();
          return { code: 500, text: `cannot write "${target}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
        }
      }
      if (resp.content?.length) {
        await file.write(resp.content);
        size += resp.content.length;
      }
    }
  } catch (err) {
    return callFailure(err);
  } finally {
    await file?.close();
  }
  if (!file) return { code: 503, text: 'the server sent nothing' };
  return { code: 200, text: `saved ${size} bytes to ${target}`, params: { file: target, size, mime } };
}
