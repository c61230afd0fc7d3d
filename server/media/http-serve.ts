import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { posix } from 'node:path';
import { encodeServerJson } from '../../src/wire/codec/json-encode.js';
import { reply } from '../../src/wire/replies.js';
import type { ServerMessage } from '../../src/wire/server-messages.js';
import { errorReply } from '../request/error-reply.js';
import { apiKeyOf } from '../http/apikey.js';
import { remoteAddrOf } from '../http/remote-addr.js';
import { authenticateFile, httpCredentials } from './auth.js';
import { contentDisposition, downloadName, shownInline, UPLOADED_FILE_CSP } from './download-headers.js';
import { applyHeaders, sendCtrl, type FileHttpOptions } from './http-common.js';
import { HttpUpload } from './http-upload.js';
import { serveContent } from './serve-content.js';

/** A route of the HTTP server: request, response, parsed URL. */
export type FileRoute = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

function isTrue(v: string | null): boolean {
  return v !== null && ['1', 't', 'true'].includes(v.toLowerCase());
}

/**
 * `Cache-Control` of a public avatar. A file id never names other bytes, so browsers and shared
 * caches may keep it for a year without revalidating: a contact list does not refetch its photos.
 */
export const AVATAR_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/**
 * Who may download: `user` (credentials were given and accepted), `avatar` (no credentials, but
 * the file is a public avatar), or the `{ctrl}` refusing the request. Without credentials the
 * refusal is `authRequired` whether the file exists or not, so ids cannot be probed.
 */
async function authorize(opts: FileHttpOptions, req: IncomingMessage, url: URL, now: Date): Promise<'user' | 'avatar' | ServerMessage> {
  const auth = await authenticateFile(opts.schemes, opts.sessions, httpCredentials(req, url), remoteAddrOf(req, opts.useXForwardedFor));
  if (auth.challenge) {
    return reply('challenge', '', '', now, { challenge: auth.challenge.toString('base64') });
  }
  if (auth.uid !== 0n) {
    return 'user';
  }
  const fid = opts.avatars ? opts.media.handler.idFromUrl('/' + url.pathname.slice(opts.apiPath.length)) : null;
  if (fid !== null && (await opts.avatars?.isPublic(fid))) {
    return 'avatar';
  }
  return reply('authRequired', '', '', now);
}

/**
 * `GET|HEAD /v0/file/s/<id>.<ext>`: the API key and an authenticated user are required (token or
 * basic, in headers, query or cookies, or a live session's `sid`), except for a public avatar
 * (`PublicAvatars`), which the API key alone reads, with {@link AVATAR_CACHE_CONTROL}.
 * The file is served with its type, `Cache-Control`, `ETag` and `Last-Modified`, honouring
 * conditional and Range requests.
 * `Content-Disposition` is `inline` for images (not SVG), audio and video, `attachment` for any
 * other type and whenever `asatt=1`; it names the file `<id>.<ext>`, or the cleaned `filename`
 * query parameter (see {@link downloadName}). Paths not directly under the serve URL, unknown ids
 * and unfinished uploads are 404. A handler that keeps files elsewhere answers the download
 * itself (`MediaHandler.serveDirect`: the `s3` handler redirects to a presigned URL).
 */
export async function serveFile(opts: FileHttpOptions, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const now = new Date();
  const method = req.method ?? '';
  const { handler } = opts.media;
  if (method === 'OPTIONS') {
    const cors = handler.cors(method, req.headers, true);
    applyHeaders(res, cors.headers);
    res.statusCode = cors.status || 204;
    res.end();
    return;
  }
  if (method !== 'GET' && method !== 'HEAD') {
    sendCtrl(res, reply('operationNotAllowed', '', '', now));
    return;
  }
  applyHeaders(res, handler.cors(method, req.headers, true).headers);
  if (!opts.checkApiKey(apiKeyOf(req, url))) {
    sendCtrl(res, reply('apiKeyRequired', '', '', now));
    return;
  }
  try {
    const who = await authorize(opts, req, url, now);
    if (typeof who !== 'string') {
      sendCtrl(res, who);
      return;
    }
    // Download URLs are relative to api_path.
    const fd = await opts.media.find('/' + url.pathname.slice(opts.apiPath.length));
    const attachment = isTrue(url.searchParams.get('asatt')) || !shownInline(fd.mimeType);
    const name = downloadName(url.searchParams.get('filename') ?? '', posix.basename(handler.urlFor(fd)), fd.mimeType);
    const disposition = contentDisposition(attachment ? 'attachment' : 'inline', name);
    const direct = await handler.serveDirect?.(fd, { method: method === 'HEAD' ? 'HEAD' : 'GET', disposition, ifNoneMatch: req.headers['if-none-match'] ?? '' });
    if (direct) {
      if (direct.status === 200 || direct.status === 307 || direct.status === 302) opts.stats?.fileDownloaded(0);
      // As the reference: the handler's status and headers; a GET also gets a {ctrl} with the status.
      applyHeaders(res, direct.headers);
      res.statusCode = direct.status;
      const body = method === 'GET' && direct.status !== 304 ? encodeServerJson({ ctrl: { code: direct.status, text: STATUS_CODES[direct.status] ?? '', ts: now } }) + '\n' : undefined;
      res.end(body);
      return;
    }
    const stored = await handler.open(fd);
    opts.stats?.fileDownloaded(method === 'GET' ? stored.size : 0);
    try {
      res.setHeader('Content-Type', fd.mimeType);
      res.setHeader('Cache-Control', who === 'avatar' ? AVATAR_CACHE_CONTROL : handler.cacheControl);
      if (fd.etag) res.setHeader('ETag', `"${fd.etag}"`);
      res.setHeader('Content-Disposition', disposition);
      await serveContent(req, res, { size: stored.size, modified: fd.updatedAt, read: stored.read });
    } finally {
      await stored.close();
    }
  } catch (err) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendCtrl(res, errorReply(err, '', '', now));
  }
}

/**
 * The two file routes by path prefix, for the HTTP server's extra handlers. Every answer of
 * either carries {@link UPLOADED_FILE_CSP} (the HTTP server adds `X-Content-Type-Options:
 * nosniff` to all of its answers).
 */
export function fileRoutes(opts: FileHttpOptions): Map<string, FileRoute> {
  const guard = (what: string, run: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>): FileRoute => {
    return (req, res, url) => {
      res.setHeader('Content-Security-Policy', UPLOADED_FILE_CSP);
      run(req, res, url).catch((err: unknown) => {
        opts.log.error(`media ${what}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        if (!res.headersSent) sendCtrl(res, reply('unknown', '', '', new Date()));
        else res.destroy();
      });
    };
  };
  return new Map([
    [`${opts.apiPath}v0/file/u/`, guard('upload', (req, res, url) => new HttpUpload(opts, req, res, url).run())],
    [`${opts.apiPath}v0/file/s/`, guard('serve', (req, res, url) => serveFile(opts, req, res, url))],
  ]);
}
