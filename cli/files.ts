import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { mimeOf } from './media.js';

/**
 * Uploads out of band over HTTP(S), as tn-cli's `upload` command and Tinode's web and mobile
 * clients send them: a form POSTed to `/v0/file/u/` of the web server with the API key and the
 * session's token. (`file` goes over gRPC: see grpc-files.ts.)
 */
export interface WebOptions {
  webHost: string;
  ssl: boolean;
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

/** The server's answer: its {ctrl} when the body is one, else the HTTP status. */
async function answerOf(res: Response): Promise<FileResult> {
  const text = await res.text();
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
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return { code: 503, text: `cannot reach ${url}: ${cause?.code ?? cause?.message ?? (err as Error).message}` };
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
    const res = await fetch(url, { method: 'POST', headers: headers(opts), body: form });
    return await answerOf(res);
  } catch (err) {
    return failure(err, url);
  }
}
