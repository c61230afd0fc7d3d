import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sdk from 'tinode-sdk';
import WebSocket from 'ws';
import XMLHttpRequest from 'xhr2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runTinode } from '../helpers/cli.js';
import { RawClient } from '../helpers/raw.js';
import { connectSdk, DEMO_KEY, until, type SdkClient } from '../helpers/sdk.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Out-of-band files with the `fs` media handler, on a real server: HTTP upload and download as
 * tinode-sdk and TinodeWeb do them (multipart POST, GET with Range and asatt), authentication,
 * the size limit, CORS preflight, gRPC LargeFileReceive / LargeFileServe, `tinode cli file`, and
 * garbage collection of files no message links to.
 */
const MAX_SIZE = 256 * 1024;

let srv: TestServer;
let dir: string;
let uploads: string;
let dbPath: string;
let token: string;
let base: string;

function mediaConfig(uploadDir: string, extra: Record<string, unknown> = {}) {
  return {
    use_handler: 'fs',
    max_size: MAX_SIZE,
    gc_period: 0,
    gc_block_size: 100,
    handlers: { fs: { upload_dir: uploadDir, cors_origins: ['https://app.example.com', 'https://*.example.org'] } },
    ...extra,
  };
}

async function loginToken(host: string, user = 'alice'): Promise<{ token: string; client: RawClient }> {
  const client = await RawClient.open(host);
  await client.hello();
  const r = await client.login(user);
  return { token: String(r.ctrl!.params && (r.ctrl!.params as { token: string }).token), client };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tinode-files-'));
  uploads = join(dir, 'uploads');
  dbPath = join(dir, 'tinode.db');
  srv = await startTestServer({ media: mediaConfig(uploads) }, `sqlite:${dbPath}`);
  base = `http://${srv.host}`;
  const login = await loginToken(srv.host);
  token = login.token;
  login.client.close();
});

afterAll(async () => {
  await srv?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Rows of the files table, straight from the database. */
function fileRows(path = dbPath): { id: unknown; status: number; size: number; location: string }[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT id, status, size, location FROM fileuploads').all() as { id: unknown; status: number; size: number; location: string }[];
  } finally {
    db.close();
  }
}

const stored = (folder = uploads) => (existsSync(folder) ? readdirSync(folder) : []);

/** A PNG-looking file: the signature, then bytes 0..255 repeated. */
function pngBytes(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = i % 256;
  Buffer.from('\x89PNG\x0D\x0A\x1A\x0A', 'latin1').copy(b);
  return b;
}

interface Ctrl {
  id?: string;
  code: number;
  text: string;
  params?: Record<string, unknown>;
  ts: string;
}

/** Uploads as the SDK does: the file first, then the id; API key and token in headers. */
async function upload(data: Buffer, opts: { type?: string; name?: string; headers?: Record<string, string>; fields?: Record<string, string>; host?: string } = {}) {
  const form = new FormData();
  form.append('file', new Blob([data], { type: opts.type ?? 'application/octet-stream' }), opts.name ?? 'file.bin');
  form.append('id', '12345');
  for (const [k, v] of Object.entries(opts.fields ?? {})) form.append(k, v);
  const headers = opts.headers ?? { 'X-Tinode-APIKey': DEMO_KEY, 'X-Tinode-Auth': `Token ${token}` };
  const res = await fetch(`http://${opts.host ?? srv.host}/v0/file/u/`, { method: 'POST', headers, body: form });
  return { status: res.status, type: res.headers.get('content-type'), headers: res.headers, body: (await res.json()) as { ctrl: Ctrl } };
}

function download(path: string, headers: Record<string, string> = {}, auth = true) {
  const h: Record<string, string> = { 'X-Tinode-APIKey': DEMO_KEY, ...headers };
  if (auth) h['X-Tinode-Auth'] = `Token ${token}`;
  return fetch(`${base}${path}`, { headers: h });
}

describe('HTTP upload and download', () => {
  it('stores a multipart upload and serves it back with its type, cache headers and ETag', async () => {
    const data = pngBytes(40_000);
    const up = await upload(data, { type: 'image/png', name: 'pic.png' });
    expect(up.status).toBe(200);
    expect(up.type).toBe('application/json; charset=utf-8');
    expect(up.body.ctrl).toMatchObject({ id: '12345', code: 200, text: 'ok', params: { url: expect.stringMatching(/^\/v0\/file\/s\/[A-Za-z0-9_-]{11}\.png$/) as string } });
    expect(up.body.ctrl.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$/);
    // No garbage collection configured: no expiry.
    expect(up.body.ctrl.params).not.toHaveProperty('expires');
    const url = String(up.body.ctrl.params!.url);

    // One file named by its id in lowercase base32, and a completed record.
    expect(stored()).toContainEqual(expect.stringMatching(/^[a-z2-7]{13}$/));
    expect(fileRows().some((r) => r.status === 1 && r.size === data.length)).toBe(true);

    const res = await download(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('cache-control')).toBe('max-age=86400');
    expect(res.headers.get('etag')).toMatch(/^"[a-z2-7]{26}"$/);
    expect(res.headers.get('last-modified')).toMatch(/GMT$/);
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('content-length')).toBe(String(data.length));
    const name = url.slice('/v0/file/s/'.length);
    expect(res.headers.get('content-disposition')).toBe(`inline; filename="${name}"`);
    expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);

    // asatt=1 makes it an attachment; the ETag gives 304.
    const att = await download(`${url}?asatt=1`);
    expect(att.headers.get('content-disposition')).toBe(`attachment; filename="${name}"`);
    await att.arrayBuffer();
    const again = await download(url, { 'If-None-Match': res.headers.get('etag')! });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('sniffs the type like the reference, falls back to an acceptable declared type, forces text to download', async () => {
    const txt = await upload(Buffer.from('just some text\n'), { type: 'application/x-whatever' });
    expect(String(txt.body.ctrl.params!.url)).toMatch(/\.txt$/);
    const res = await download(String(txt.body.ctrl.params!.url));
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="[A-Za-z0-9_-]{11}\.txt"$/);
    expect(await res.text()).toBe('just some text\n');

    const binary = Buffer.from([0x00, 0x01, 0x02, 0x03, 0xfe, 0xff, 0x10]);
    const declared = await upload(binary, { type: 'audio/ogg' });
    const d = await download(String(declared.body.ctrl.params!.url));
    expect(d.headers.get('content-type')).toBe('audio/ogg');
    await d.arrayBuffer();
    const refused = await upload(binary, { type: 'x-evil/thing' });
    const r = await download(String(refused.body.ctrl.params!.url));
    expect(r.headers.get('content-type')).toBe('application/octet-stream');
    await r.arrayBuffer();
  });

  it('answers Range requests: one range, a suffix, several ranges, and 416', async () => {
    const data = pngBytes(10_000);
    const url = String((await upload(data)).body.ctrl.params!.url);
    const one = await download(url, { Range: 'bytes=100-199' });
    expect(one.status).toBe(206);
    expect(one.headers.get('content-range')).toBe(`bytes 100-199/${data.length}`);
    expect(Buffer.from(await one.arrayBuffer()).equals(data.subarray(100, 200))).toBe(true);

    const suffix = await download(url, { Range: 'bytes=-10' });
    expect(suffix.headers.get('content-range')).toBe(`bytes 9990-9999/${data.length}`);
    expect(Buffer.from(await suffix.arrayBuffer()).equals(data.subarray(9990))).toBe(true);

    const multi = await download(url, { Range: 'bytes=0-9,20-29' });
    expect(multi.status).toBe(206);
    const ctype = multi.headers.get('content-type') ?? '';
    expect(ctype).toMatch(/^multipart\/byteranges; boundary=[0-9a-f]{60}$/);
    const body = Buffer.from(await multi.arrayBuffer());
    expect(Number(multi.headers.get('content-length'))).toBe(body.length);
    const text = body.toString('latin1');
    expect(text).toContain(`Content-Range: bytes 0-9/${data.length}`);
    expect(text).toContain(`Content-Range: bytes 20-29/${data.length}`);
    expect(text).toContain(data.subarray(20, 30).toString('latin1'));

    const bad = await download(url, { Range: 'bytes=20000-' });
    expect(bad.status).toBe(416);
    expect(bad.headers.get('content-range')).toBe(`bytes */${data.length}`);
    await bad.text();
  });

  it('refuses missing or wrong credentials, and accepts the other places the reference reads them from', async () => {
    const before = stored().length;
    const rowsBefore = fileRows().length;
    const noAuth = await upload(pngBytes(5000), { headers: { 'X-Tinode-APIKey': DEMO_KEY } });
    expect(noAuth.status).toBe(401);
    expect(noAuth.body.ctrl).toMatchObject({ id: '12345', code: 401, text: 'authentication required' });
    const badKey = await upload(pngBytes(5000), { headers: { 'X-Tinode-APIKey': 'AQAAAAABAAAAAAAAAAAAAAAA', 'X-Tinode-Auth': `Token ${token}` } });
    expect(badKey.status).toBe(403);
    expect(badKey.body.ctrl).toMatchObject({ code: 403, text: 'valid API key required' });
    const forged = Buffer.from(token, 'base64');
    forged[20] = forged[20]! ^ 1;
    const badToken = await upload(pngBytes(5000), { headers: { 'X-Tinode-APIKey': DEMO_KEY, 'X-Tinode-Auth': `Token ${forged.toString('base64')}` } });
    expect(badToken.body.ctrl).toMatchObject({ code: 401, text: 'authentication failed' });
    const notBase64 = await upload(pngBytes(10), { headers: { 'X-Tinode-APIKey': DEMO_KEY, Authorization: 'Token ***' } });
    expect(notBase64.body.ctrl).toMatchObject({ code: 400, text: 'malformed' });
    // Nothing of the refused uploads stays.
    expect(stored().length).toBe(before);
    expect(fileRows().length).toBe(rowsBefore);

    // Basic auth in the Authorization header; API key and token as form fields.
    const basic = await upload(pngBytes(100), { headers: { 'X-Tinode-APIKey': DEMO_KEY, Authorization: `Basic ${Buffer.from('bob:bob123').toString('base64')}` } });
    expect(basic.body.ctrl.code).toBe(200);
    const form = await upload(pngBytes(100), { headers: {}, fields: { apikey: DEMO_KEY, auth: 'token', secret: token } });
    expect(form.body.ctrl.code).toBe(200);
    const url = String(form.body.ctrl.params!.url);

    const anon = await download(url, {}, false);
    expect(anon.status).toBe(401);
    expect(((await anon.json()) as { ctrl: Ctrl }).ctrl).toMatchObject({ code: 401, text: 'authentication required' });
    const noKey = await fetch(`${base}${url}`, { headers: { 'X-Tinode-Auth': `Token ${token}` } });
    expect(noKey.status).toBe(403);
    await noKey.text();
    // Query auth with URL-safe base64, as links are made; cookies.
    const q = new URLSearchParams({ apikey: DEMO_KEY, auth: 'token', secret: token.replace(/\+/g, '-').replace(/\//g, '_') });
    const byQuery = await fetch(`${base}${url}?${q.toString()}`);
    expect(byQuery.status).toBe(200);
    await byQuery.arrayBuffer();
    const byCookie = await fetch(`${base}${url}`, { headers: { Cookie: `apikey=${DEMO_KEY}; auth=token; secret=${encodeURIComponent(token)}` } });
    expect(byCookie.status).toBe(200);
    await byCookie.arrayBuffer();
  });

  it('lets a signing-up client upload its avatar without credentials (topic newacc)', async () => {
    const up = await upload(pngBytes(300), { headers: { 'X-Tinode-APIKey': DEMO_KEY }, fields: { topic: 'newacc' } });
    expect(up.body.ctrl.code).toBe(200);
  });

  it('refuses a file over media.max_size while it streams, leaving nothing behind', async () => {
    const before = stored().length;
    const rowsBefore = fileRows().length;
    // Within the request size the form may have: the limit is found while the file streams.
    const big = await upload(pngBytes(MAX_SIZE + 20_000));
    expect(big.status).toBe(413);
    expect(big.body.ctrl).toMatchObject({ code: 413, text: 'too large' });
    // Far over: refused by its Content-Length before any byte is read.
    const huge = await upload(pngBytes(4 * MAX_SIZE));
    expect(huge.status).toBe(413);
    expect(stored().length).toBe(before);
    expect(fileRows().length).toBe(rowsBefore);
    // Exactly the limit passes.
    expect((await upload(pngBytes(MAX_SIZE))).status).toBe(200);
  });

  it('records an upload before writing it, and removes both when the client goes away mid-upload', async () => {
    const before = stored().length;
    const rowsBefore = fileRows().length;
    const [hostname, port] = srv.host.split(':');
    const boundary = 'test-boundary-42';
    const req = request({
      hostname,
      port: Number(port),
      path: '/v0/file/u/',
      method: 'POST',
      headers: {
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
        'Content-Length': 200_000,
        'X-Tinode-APIKey': DEMO_KEY,
        'X-Tinode-Auth': `Token ${token}`,
      },
    });
    req.on('error', () => undefined);
    req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`);
    req.write(pngBytes(50_000));
    await until(() => stored().length === before + 1, 3000, 'the upload to start');
    expect(fileRows().filter((r) => r.status === 0)).toHaveLength(1);
    req.destroy();
    await until(() => stored().length === before && fileRows().length === rowsBefore, 3000, 'the partial upload to be removed');
  });

  it('serves nothing outside the serve path and no unknown ids', async () => {
    for (const path of ['/v0/file/s/../../../etc/passwd', '/v0/file/s/%2e%2e/%2e%2e/etc/passwd', '/v0/file/s/sub/AAAAAAAAAAA.png', '/v0/file/s/AAAAAAAAAAA.png', '/v0/file/s/', '/v0/file/s/..%2F..%2Fetc%2Fpasswd']) {
      const res = await download(path);
      expect(res.status, path).toBe(404);
      await res.text();
    }
    const post = await fetch(`${base}/v0/file/s/AAAAAAAAAAA.png`, { method: 'POST', headers: { 'X-Tinode-APIKey': DEMO_KEY } });
    expect(post.status).toBe(405);
    await post.text();
    const get = await fetch(`${base}/v0/file/u/`, { headers: { 'X-Tinode-APIKey': DEMO_KEY } });
    expect(get.status).toBe(405);
    await get.text();
    // Not a form, or a form without a file: malformed.
    const headers = { 'X-Tinode-APIKey': DEMO_KEY, 'X-Tinode-Auth': `Token ${token}` };
    const json = await fetch(`${base}/v0/file/u/`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(400);
    expect(((await json.json()) as { ctrl: Ctrl }).ctrl).toMatchObject({ code: 400, text: 'malformed' });
    const form = new FormData();
    form.append('id', '7');
    const noFile = await fetch(`${base}/v0/file/u/`, { method: 'POST', headers, body: form });
    expect(((await noFile.json()) as { ctrl: Ctrl }).ctrl).toMatchObject({ id: '7', code: 400, text: 'malformed' });
    // HEAD checks the credentials only.
    expect((await fetch(`${base}/v0/file/u/`, { method: 'HEAD', headers })).status).toBe(200);
  });

  it('answers CORS preflights for the configured origins only', async () => {
    const pre = (path: string, origin: string, method: string) =>
      fetch(`${base}${path}`, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': method } });
    const ok = await pre('/v0/file/u/', 'https://app.example.com', 'POST');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(ok.headers.get('access-control-allow-methods')).toBe('POST, PUT, HEAD, OPTIONS');
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    expect(ok.headers.get('access-control-max-age')).toBe('86400');
    const wild = await pre('/v0/file/s/x.png', 'https://cdn.example.org', 'GET');
    expect(wild.headers.get('access-control-allow-origin')).toBe('https://cdn.example.org');
    expect(wild.headers.get('access-control-allow-methods')).toBe('GET, HEAD, OPTIONS');
    const other = await pre('/v0/file/u/', 'https://evil.example.net', 'POST');
    expect(other.status).toBe(204);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const wrongMethod = await pre('/v0/file/s/x.png', 'https://app.example.com', 'DELETE');
    expect(wrongMethod.headers.get('access-control-allow-origin')).toBeNull();
    // The actual request carries the allowed origin too.
    const url = String((await upload(pngBytes(100))).body.ctrl.params!.url);
    const res = await download(url, { Origin: 'https://app.example.com' });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    await res.arrayBuffer();
  });
});

const FILE_CSP = "default-src 'none'; sandbox";

/** The headers that keep a file from acting as a page of the server, and the stored type. */
async function served(url: string, method = 'GET') {
  const res = await fetch(`${base}${url}`, { method, headers: { 'X-Tinode-APIKey': DEMO_KEY, 'X-Tinode-Auth': `Token ${token}` } });
  await res.arrayBuffer();
  expect(res.status, url).toBe(200);
  expect(res.headers.get('x-content-type-options'), url).toBe('nosniff');
  expect(res.headers.get('content-security-policy'), url).toBe(FILE_CSP);
  return { type: res.headers.get('content-type'), disposition: res.headers.get('content-disposition') };
}

describe('safe headers of uploaded files', () => {
  const uploadedUrl = async (data: Buffer, type: string) => {
    const up = await upload(data, { type });
    expect(up.status).toBe(200);
    return String(up.body.ctrl.params!.url);
  };
  const fileName = (url: string) => url.slice('/v0/file/s/'.length);

  it('sends HTML, SVG and text as attachments whatever asatt says, with nosniff and a sandbox policy', async () => {
    const page = Buffer.from('<!DOCTYPE html><html><body><script>document.title = document.cookie</script></body></html>');
    const svgXml = Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>');
    // A binary byte keeps the sniffer from calling it text: the declared type is stored.
    const svgDeclared = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><!-- \x01 --><script>alert(1)</script></svg>', 'latin1');
    const text = Buffer.from('plain words\n');
    const cases: [Buffer, string, string][] = [
      [page, 'text/html', 'text/html; charset=utf-8'],
      [svgXml, 'image/svg+xml', 'text/xml; charset=utf-8'],
      [svgDeclared, 'image/svg+xml', 'image/svg+xml'],
      [text, 'text/plain', 'text/plain; charset=utf-8'],
    ];
    for (const [data, declared, stored] of cases) {
      const url = await uploadedUrl(data, declared);
      for (const query of ['', '?asatt=0', '?asatt=false', '?asatt=1']) {
        const got = await served(url + query);
        expect(got.type, url).toBe(stored);
        expect(got.disposition, url + query).toBe(`attachment; filename="${fileName(url)}"`);
      }
      expect((await served(url, 'HEAD')).disposition).toBe(`attachment; filename="${fileName(url)}"`);
    }
  });

  it('shows a PNG inline unless asatt=1, with nosniff and the same policy', async () => {
    const url = await uploadedUrl(pngBytes(500), 'image/png');
    expect(await served(url)).toEqual({ type: 'image/png', disposition: `inline; filename="${fileName(url)}"` });
    expect((await served(`${url}?asatt=0`)).disposition).toBe(`inline; filename="${fileName(url)}"`);
    expect((await served(`${url}?asatt=1`)).disposition).toBe(`attachment; filename="${fileName(url)}"`);
    expect((await served(`${url}?asatt=t`, 'HEAD')).disposition).toBe(`attachment; filename="${fileName(url)}"`);
  });

  it('cleans the filename a link asks for and keeps its extension true to the type', async () => {
    const png = await uploadedUrl(pngBytes(500), 'image/png');
    const txt = await uploadedUrl(Buffer.from('notes\n'), 'text/plain');
    const named = async (url: string, name: string, asatt = false) => {
      const q = new URLSearchParams({ filename: name });
      if (asatt) q.set('asatt', '1');
      return (await served(`${url}?${q.toString()}`)).disposition;
    };
    // Quotes, CR/LF, path separators and a right-to-left override that would show "gpj.exe" as "exe.jpg".
    expect(await named(png, 'he said "hi"\r\nSet-Cookie: a=b/../..\\x\u202Egpj.exe')).toBe(
      'inline; filename="he said _hi___Set-Cookie_ a=b_.._.._xgpj.exe.png"',
    );
    // Non-ASCII: an ASCII fallback and the exact name in RFC 5987 form.
    expect(await named(png, 'Grüße 写真.PNG', true)).toBe(
      `attachment; filename="Gr__e __.PNG"; filename*=UTF-8''Gr%C3%BC%C3%9Fe%20%E5%86%99%E7%9C%9F.PNG`,
    );
    expect(await named(txt, "l'été (100%).html")).toBe(`attachment; filename="l'_t_ (100_).html.txt"; filename*=UTF-8''l%27%C3%A9t%C3%A9%20%28100%25%29.html.txt`);
    expect(await named(txt, 'log.TXT')).toBe('attachment; filename="log.TXT"');
    // Nothing left of the name: the file's own.
    expect(await named(txt, ' ... \u200B. ')).toBe(`attachment; filename="${fileName(txt)}"`);
  });

  it('sends nosniff and the policy on uploads and on refusals too', async () => {
    const up = await upload(pngBytes(100));
    expect(up.headers.get('x-content-type-options')).toBe('nosniff');
    expect(up.headers.get('content-security-policy')).toBe(FILE_CSP);
    const refused = await upload(pngBytes(100), { headers: { 'X-Tinode-APIKey': DEMO_KEY } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('x-content-type-options')).toBe('nosniff');
    const missing = await download('/v0/file/s/AAAAAAAAAAA.png');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-content-type-options')).toBe('nosniff');
    expect(missing.headers.get('content-security-policy')).toBe(FILE_CSP);
    await missing.text();
  });
});

describe('tinode-sdk LargeFileHelper', () => {
  it('uploads with the SDK (its FormData sent through xhr2) and downloads through authorizeURL', async () => {
    /** xhr2 cannot send FormData: encode it the way a browser does, then send the bytes. */
    class FormDataXhr extends (XMLHttpRequest as unknown as { new (): { send(body?: unknown): void; setRequestHeader(k: string, v: string): void } }) {
      override send(body?: unknown): void {
        if (!(body instanceof FormData)) {
          super.send(body);
          return;
        }
        const encoded = new Response(body);
        void encoded.arrayBuffer().then((buf) => {
          this.setRequestHeader('Content-Type', encoded.headers.get('content-type')!);
          super.send(Buffer.from(buf));
        });
      }
    }
    const { Tinode } = sdk as unknown as { Tinode: { setNetworkProviders(ws: unknown, xhr: unknown): void } };
    Tinode.setNetworkProviders(WebSocket, FormDataXhr);
    let client: SdkClient | null = null;
    try {
      client = await connectSdk(srv.host, 'ws');
      await client.loginBasic('carol', 'carol123');
      const helper = (client.getLargeFileHelper as () => { upload(data: Blob): Promise<string> })();
      const data = pngBytes(3000);
      const url = await helper.upload(new Blob([data], { type: 'image/png' }));
      expect(url).toMatch(/^\/v0\/file\/s\/[A-Za-z0-9_-]{11}\.png$/);
      const link = (client.authorizeURL as (u: string) => string)(url);
      expect(link).toMatch(/apikey=.*&auth=token&secret=/);
      const res = await fetch(`${base}${link}`);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);
    } finally {
      client?.disconnect();
      Tinode.setNetworkProviders(WebSocket, XMLHttpRequest);
    }
  });
});

type Pb = Record<string, unknown>;

interface FileClient extends grpc.Client {
  LargeFileReceive(cb: (err: grpc.ServiceError | null, resp: Pb) => void): grpc.ClientWritableStream<Pb>;
  LargeFileServe(req: Pb): grpc.ClientReadableStream<Pb>;
}

function fileClient(addr: string): FileClient {
  const def = protoLoader.loadSync(join(ROOT, 'proto', 'model.proto'), { keepCase: true, longs: Number, enums: String, defaults: false, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { pbx: { Node: new (addr: string, creds: grpc.ChannelCredentials) => FileClient } };
  return new pkg.pbx.Node(addr, grpc.credentials.createInsecure());
}

function grpcUpload(client: FileClient, pieces: Pb[]): Promise<Pb> {
  return new Promise((resolve, reject) => {
    const call = client.LargeFileReceive((err, resp) => (err ? reject(err) : resolve(resp)));
    for (const p of pieces) call.write(p);
    call.end();
  });
}

function grpcDownload(client: FileClient, req: Pb): Promise<Pb[]> {
  return new Promise((resolve, reject) => {
    const out: Pb[] = [];
    const call = client.LargeFileServe(req);
    call.on('data', (m: Pb) => out.push(m));
    call.on('end', () => resolve(out));
    call.on('error', reject);
  });
}

describe('gRPC LargeFileReceive and LargeFileServe', () => {
  it('uploads in pieces and downloads in pieces, on the same files as HTTP', async () => {
    const client = fileClient(srv.server.grpcAddr!);
    try {
      const auth = { scheme: 'token', secret: token };
      const data = pngBytes(100_000);
      const pieces = [0, 30_000, 60_000, 90_000].map((at, i) => ({
        ...(i === 0 ? { id: 'g1', auth, meta: { name: 'pic.png', mime_type: 'image/png' } } : {}),
        content: data.subarray(at, Math.min(at + 30_000, data.length)),
      }));
      const up = await grpcUpload(client, pieces);
      expect(up).toMatchObject({ id: 'g1', code: 200, text: 'OK', meta: { mime_type: 'image/png', size: data.length } });
      const url = String((up.meta as Pb).name);
      expect(url).toMatch(/^\/v0\/file\/s\/[A-Za-z0-9_-]{11}\.png$/);

      const http = await download(url);
      expect(Buffer.from(await http.arrayBuffer()).equals(data)).toBe(true);

      const parts = await grpcDownload(client, { id: 'd1', auth, uri: url });
      expect(parts.length).toBeGreaterThan(0);
      expect(parts[0]).toMatchObject({ id: 'd1', code: 200, meta: { mime_type: 'image/png', size: data.length } });
      const content = Buffer.concat(parts.map((p) => p.content as Buffer));
      expect(content.equals(data)).toBe(true);
      // The name is the stored file's, without the server's folder: tn-cli opens it for writing
      // in its current folder, which works only for a bare name.
      const name = String((parts[0]!.meta as Pb).name);
      expect(stored()).toContain(name);
      expect(name).not.toMatch(/[/\\]/);
      const saveDir = mkdtempSync(join(dir, 'tn-cli-'));
      writeFileSync(join(saveDir, name), content, { flag: 'wx' });
      expect(readdirSync(saveDir)).toEqual([name]);

      // Refusals are answers with a code, as the reference sends them.
      const noAuth = await grpcUpload(client, [{ id: 'g2', content: data.subarray(0, 10) }]);
      expect(noAuth).toMatchObject({ id: 'g2', code: 401, text: 'authentication required' });
      const tooBig = await grpcUpload(client, [
        { id: 'g3', auth, content: data },
        { content: data },
        { content: data },
      ]);
      expect(tooBig).toMatchObject({ id: 'g3', code: 413, text: 'too large' });
      const elsewhere = await grpcDownload(client, { id: 'd2', auth, uri: `https://other.example.com${url}` });
      expect(elsewhere).toEqual([expect.objectContaining({ id: 'd2', code: 404 })]);
      const anon = await grpcDownload(client, { id: 'd3', uri: url });
      expect(anon).toEqual([expect.objectContaining({ code: 401 })]);
    } finally {
      client.close();
    }
  });
});

describe('tinode cli file', () => {
  it('uploads and downloads over gRPC, saving under the name the server gives, and uploads over HTTP', async () => {
    const work = mkdtempSync(join(dir, 'cli-'));
    const src = join(work, 'note.txt');
    writeFileSync(src, 'a note for the file store\n');
    const script = `.must login alice:alice123
.must $up file --what up ${src}
.log $up.params[url]
.must $down file $up.params[url]
.log $down.params[file]
.must file --what down $up.params[url] -o ${join(work, 'back.txt')}
.must $http upload ${src}
.log $http.params[url]
`;
    const r = await runTinode(['cli', '--host', srv.server.grpcAddr!, '--web-host', srv.host, '--no-login'], { cwd: work, input: script });
    expect(r.code, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/Upload: <= 200 OK/);
    expect(r.stdout).toMatch(/Upload: <= 200 ok/);
    const urls = r.stdout.match(/^\/v0\/file\/s\/[A-Za-z0-9_-]{11}\.txt$/gm) ?? [];
    expect(urls).toHaveLength(2);
    // As tn-cli: the download lands in the current folder under the stored file's name.
    const saved = r.stdout.match(/^([a-z2-7]+)$/m)?.[1] ?? '';
    expect(stored()).toContain(saved);
    expect(readFileSync(join(work, saved), 'utf8')).toBe('a note for the file store\n');
    expect(readFileSync(join(work, 'back.txt'), 'utf8')).toBe('a note for the file store\n');
  });
});

describe('attachments and garbage collection', () => {
  it("keeps a file a message links to and a user's avatar, and collects an old unused one", async () => {
    const gcDir = mkdtempSync(join(tmpdir(), 'tinode-gc-'));
    const gcUploads = join(gcDir, 'uploads');
    const gc = await startTestServer({ media: mediaConfig(gcUploads, { gc_period: 1 }) }, `sqlite:${join(gcDir, 'tinode.db')}`, { mediaGcGraceMs: 1500 });
    try {
      const { token: gcToken, client } = await loginToken(gc.host);
      const headers = { 'X-Tinode-APIKey': DEMO_KEY, 'X-Tinode-Auth': `Token ${gcToken}` };
      const kept = await upload(pngBytes(2000), { headers, host: gc.host });
      const dropped = await upload(pngBytes(3000), { headers, host: gc.host });
      const avatar = await upload(pngBytes(2500), { headers, host: gc.host });
      // With collection on, the reply says until when an unused upload is kept.
      expect(Date.parse(String(kept.body.ctrl.params!.expires))).toBeGreaterThan(Date.now());
      expect(stored(gcUploads)).toHaveLength(3);
      const avatarUrl = String(avatar.body.ctrl.params!.url);
      await client.reply({ sub: { id: 'me', topic: 'me' } });
      const setMe = await client.reply({ set: { id: 'a', topic: 'me', desc: { public: { fn: 'Alice', photo: { ref: avatarUrl } } } }, extra: { attachments: [avatarUrl] } });
      expect(setMe.ctrl!.code).toBe(200);

      const sub = await client.reply({ sub: { id: 's', topic: 'new', set: { desc: { public: { fn: 'files' } } } } });
      const topic = String(sub.ctrl!.topic);
      const keptUrl = String(kept.body.ctrl.params!.url);
      const pub = await client.reply({ pub: { id: 'p', topic, content: 'see attached' }, extra: { attachments: [keptUrl] } });
      expect(pub.ctrl!.code).toBe(202);

      await until(() => stored(gcUploads).length === 2, 8000, 'the unused file to be collected');
      const rows = fileRows(join(gcDir, 'tinode.db'));
      expect(rows).toHaveLength(2);
      const res = await fetch(`http://${gc.host}${keptUrl}`, { headers });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      const gone = await fetch(`http://${gc.host}${String(dropped.body.ctrl.params!.url)}`, { headers });
      expect(gone.status).toBe(404);
      await gone.text();
      client.close();
    } finally {
      await gc.close();
      rmSync(gcDir, { recursive: true, force: true });
    }
  });
});
