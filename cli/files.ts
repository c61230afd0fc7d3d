import { readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { basename } from 'node:path';
import { mimeOf } from './media.js';

/**
 * Uploads out of band over HTTP(S), as tn-cli's `upload` command and Tinode's web and mobile
 * clients send them: a form POSTed to `/v0/file/u/` of the web server with the API key and the
 * session's token. (`file` goes over gRPC: see grpc-files.ts.) Over HTTPS the server's
 * certificate is checked against `ca` when given (`--ca-file`), as the gRPC connection's is.
 */
export interface WebOptions {
  webHost: string;
  ssl: boolean;
  /** PEM certificates to trust instead of the system's (a private CA, a self-signed server). */
  ca?: Buffer | undefined;
  apiKey: string;
  token: string;
  userAgent: string;
  /** Request id sent with the upload. */
  id: string;
}

/** The outcome of a transfer, as a {ctrl}-like code and text. */
export interface FileResult {
  code: number;
  text: string;
  params?: Record<string, unknown>;
}

function headers(opts: WebOptions): Record<string, string> {
  const h: Record<string, string> = { 'X-Tinode-APIKey': opts.apiKey, 'User-Agent': opts.userAgent };
  if (opts.token) h['X-Tinode-Auth'] = `Token ${opts.token}`;
  return h;
}

function base(opts: WebOptions): string {
  return `${opts.ssl ? 'https' : 'http'}://${opts.webHost}`;
}

/** An HTTP answer read to its end. */
interface Answer {
  status: number;
  statusText: string;
  text: string;
}

/** The server's answer: its {ctrl} when the body is one, else the HTTP status. */
function answerOf(res: Answer): FileResult {
  const text = res.text;
  try {
    const body = JSON.parse(text) as { ctrl?: { code?: unknown; text?: unknown; params?: unknown } };
    if (body.ctrl && typeof body.ctrl.code === 'number') {
      const out: FileResult = { code: body.ctrl.code, text: typeof body.ctrl.text === 'string' ? body.ctrl.text : '' };
      if (typeof body.ctrl.params === 'object' && body.ctrl.params !== null) out.params = body.ctrl.params as Record<string, unknown>;
      return out;
    }
  } catch {
    // Not JSON: the status says it.
  }
  const snippet = text.trim().split('\n')[0]?.slice(0, 120) ?? '';
  return { code: res.status, text: [res.statusText, snippet].filter(Boolean).join(': ') || 'no answer' };
}

function failure(err: unknown, url: string): FileResult {
  const e = err as NodeJS.ErrnoException;
  return { code: 503, text: `cannot reach ${url}: ${e.code ?? e.message}` };
}

/**
 * POSTs a form with node:http(s) rather than fetch, whose TLS trusts only the system's CAs: the
 * form is encoded as multipart by the platform (a Response of it), then sent with the CA given.
 */
async function postForm(url: string, form: FormData, headers: Record<string, string>, ca: Buffer | undefined): Promise<Answer> {
  const encoded = new Response(form);
  const body = Buffer.from(await encoded.arrayBuffer());
  const all = { ...headers, 'Content-Type': encoded.headers.get('content-type') ?? 'multipart/form-data', 'Content-Length': String(body.length) };
  return new Promise((resolve, reject) => {
    const done = (res: IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', text }));
      res.on('error', reject);
    };
    const req = url.startsWith('https:') ? httpsRequest(url, { method: 'POST', headers: all, ...(ca ? { ca } : {}) }, done) : httpRequest(url, { method: 'POST', headers: all }, done);
    req.on('error', reject);
    req.end(body);
  });
}

export async function uploadFile(path: string, opts: WebOptions): Promise<FileResult> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (err) {
    return { code: 400, text: `cannot read "${path}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  const form = new FormData();
  form.append('id', opts.id);
  form.append('file', new Blob([data], { type: mimeOf(path) ?? 'application/octet-stream' }), basename(path));
  const url = `${base(opts)}/v0/file/u/`;
  try {
    return answerOf(await postForm(url, form, headers(opts), opts.ca));
  } catch (err) {
    return failure(err, url);
  }
}
