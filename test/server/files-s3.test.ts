import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { GetBucketCorsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { createMediaHandler } from '../../server/media/handler.js';
import '../../server/media/media.js';
import { ROOT } from '../helpers/cli.js';
import { RawClient } from '../helpers/raw.js';
import { DEMO_KEY } from '../helpers/sdk.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The `s3` media handler on a real server, against s3rver (a fake S3 written in JavaScript)
 * listening on loopback: the handler creates its bucket, uploads stream into it (one PutObject,
 * or a multipart upload above 5 MiB), downloads are answered 308 with a presigned URL that
 * serves the bytes, a file over `max_size` is refused with nothing left in the bucket, and
 * garbage collection deletes the objects of unused files.
 */

interface FakeS3App {
  run(): Promise<{ port: number }>;
  httpServer: Server;
}
const S3rver = createRequire(import.meta.url)('s3rver') as new (opts: Record<string, unknown>) => FakeS3App;
// The SDK's notice that its 2027 releases will need Node 22 says nothing about this test.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const MAX_SIZE = 6 * 1024 * 1024;
const PRESIGN_TTL = 90;
const KEYS = { access_key_id: 'S3RVER', secret_access_key: 'S3RVER', region: 'us-east-1' };

let s3dir: string;
let fake: FakeS3App;
let endpoint: string;
/** Every request s3rver received, as "METHOD /path?query". */
const s3log: string[] = [];
let s3: S3Client;

let srv: TestServer;
let dbDir: string;
let token: string;

function s3Config(bucket: string, extra: Record<string, unknown> = {}) {
  return { ...KEYS, bucket, endpoint, force_path_style: true, presign_ttl: PRESIGN_TTL, cors_origins: ['https://app.example.com'], ...extra };
}

async function loginToken(host: string): Promise<{ token: string; client: RawClient }> {
  const client = await RawClient.open(host);
  await client.hello();
  const r = await client.login('alice');
  return { token: String((r.ctrl!.params as { token: string }).token), client };
}

/** Keys in a bucket, straight from the fake S3. */
async function keys(bucket: string): Promise<string[]> {
  const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (res.Contents ?? []).map((o) => o.Key!);
}

function fileRows(dbPath: string): { status: number; size: number; location: string }[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare('SELECT status, size, location FROM fileuploads').all() as { status: number; size: number; location: string }[];
  } finally {
    db.close();
  }
}

/** A PNG-looking file: the signature, then bytes 0..255 repeated. */
function pngBytes(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = i % 256;
  Buffer.from('\x89PNG\x0D\x0A\x1A\x0A', 'latin1').copy(b);
  return b;
}

interface Ctrl {
  code: number;
  text: string;
  params?: Record<string, unknown>;
}

/** Uploads as the SDK does (multipart form, the file first), with API key and token in headers. */
async function upload(host: string, tok: string, data: Buffer, type = 'image/png') {
  const form = new FormData();
  form.append('file', new Blob([data], { type }), 'file.bin');
  form.append('id', '1');
  const res = await fetch(`http://${host}/v0/file/u/`, { method: 'POST', headers: { 'X-Tinode-APIKey': DEMO_KEY, 'X-Tinode-Auth': `Token ${tok}` }, body: form });
  return { status: res.status, ctrl: ((await res.json()) as { ctrl: Ctrl }).ctrl };
}

/** Polls an async condition every 50 ms. */
async function eventually(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const auth = (tok: string) => ({ 'X-Tinode-APIKey': DEMO_KEY, 'X-Tinode-Auth': `Token ${tok}` });

beforeAll(async () => {
  s3dir = mkdtempSync(join(tmpdir(), 'tinode-s3rver-'));
  fake = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3dir, vhostBuckets: false });
  const { port } = await fake.run();
  fake.httpServer.prependListener('request', (req: { method?: string; url?: string }) => s3log.push(`${req.method} ${req.url}`));
  endpoint = `http://127.0.0.1:${port}`;
  s3 = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });

  dbDir = mkdtempSync(join(tmpdir(), 'tinode-files-s3-'));
  srv = await startTestServer(
    { media: { use_handler: 's3', max_size: MAX_SIZE, gc_period: 0, gc_block_size: 100, handlers: { s3: s3Config('tinode-files') } } },
    `sqlite:${join(dbDir, 'tinode.db')}`,
  );
  const login = await loginToken(srv.host);
  token = login.token;
  login.client.close();
});

afterAll(async () => {
  await srv?.close();
  s3?.destroy();
  fake?.httpServer.closeAllConnections();
  await new Promise((resolve) => (fake ? fake.httpServer.close(resolve) : resolve(undefined)));
  rmSync(dbDir, { recursive: true, force: true });
  rmSync(s3dir, { recursive: true, force: true });
});

describe('s3 media handler', () => {
  it('refuses a config without its required keys, naming the key', () => {
    expect(() => createMediaHandler('s3', { ...KEYS }, 'media.handlers.s3')).toThrow(ConfigError);
    expect(() => createMediaHandler('s3', { ...KEYS }, 'media.handlers.s3')).toThrow(/media\.handlers\.s3\.bucket/);
    expect(() => createMediaHandler('s3', { ...KEYS, bucket: 'b', presign_ttl: 700_000 }, 'media.handlers.s3')).toThrow(/presign_ttl/);
    expect(() => createMediaHandler('s3', { ...KEYS, bucket: 'b', disable_ssl: 'yes' }, 'media.handlers.s3')).toThrow(/disable_ssl/);
    expect(createMediaHandler('s3', { ...KEYS, bucket: 'b', endpoint: 'minio.local:9000', disable_ssl: true }, 'media.handlers.s3')?.name).toBe('s3');
  });

  it('creates the bucket with a CORS rule, stores an upload under its id, and redirects downloads to a presigned URL', async () => {
    const data = pngBytes(40_000);
    const up = await upload(srv.host, token, data);
    expect(up.status).toBe(200);
    expect(up.ctrl).toMatchObject({ code: 200, params: { url: expect.stringMatching(/^\/v0\/file\/s\/[A-Za-z0-9_-]{11}\.png$/) as string } });
    const url = String(up.ctrl.params!.url);
    // The bucket was made on the first use, with CORS for the configured origins.
    expect(s3log).toContain('HEAD /tinode-files/');
    expect(s3log).toContain('PUT /tinode-files/');
    const cors = await s3.send(new GetBucketCorsCommand({ Bucket: 'tinode-files' }));
    expect(cors.CORSRules).toEqual([expect.objectContaining({ AllowedOrigins: ['https://app.example.com'], AllowedMethods: ['GET', 'HEAD'], AllowedHeaders: ['*'] })]);
    const stored = await keys('tinode-files');
    expect(stored).toEqual([expect.stringMatching(/^[a-z2-7]{13}$/)]);
    const rows = fileRows(join(dbDir, 'tinode.db'));
    expect(rows).toEqual([expect.objectContaining({ status: 1, size: data.length, location: stored[0] })]);

    // The server answers 308 with the presigned URL and a {ctrl}, as the reference.
    const res = await fetch(`http://${srv.host}${url}`, { headers: auth(token), redirect: 'manual' });
    expect(res.status).toBe(308);
    expect(res.headers.get('cache-control')).toBe('no-cache, must-revalidate');
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(((await res.json()) as { ctrl: Ctrl }).ctrl).toMatchObject({ code: 308, text: 'Permanent Redirect' });
    const location = new URL(res.headers.get('location')!);
    expect(location.origin).toBe(endpoint);
    expect(location.pathname).toBe(`/tinode-files/${stored[0]}`);
    expect(location.searchParams.get('X-Amz-Expires')).toBe(String(PRESIGN_TTL));
    expect(location.searchParams.get('X-Amz-Credential')).toMatch(/^S3RVER\/\d{8}\/us-east-1\/s3\/aws4_request$/);
    expect(location.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(location.searchParams.get('response-content-type')).toBe('image/png');
    const name = url.slice('/v0/file/s/'.length);
    expect(location.searchParams.get('response-content-disposition')).toBe(`inline; filename="${name}"`);
    // The redirect itself is the server's answer: its headers as every file answer's.
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");

    // Following it gives the bytes, with the type, cache and disposition headers the URL asks for.
    const got = await fetch(location);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('image/png');
    expect(got.headers.get('cache-control')).toBe('no-cache, must-revalidate');
    expect(got.headers.get('content-disposition')).toBe(`inline; filename="${name}"`);
    expect(Buffer.from(await got.arrayBuffer()).equals(data)).toBe(true);
    // fetch follows the redirect by itself too.
    const followed = await fetch(`http://${srv.host}${url}?asatt=1&filename=${encodeURIComponent('Ünïcode "pic".png')}`, { headers: auth(token) });
    expect(followed.status).toBe(200);
    expect(followed.headers.get('content-disposition')).toBe(`attachment; filename="_n_code _pic_.png"; filename*=UTF-8''%C3%9Cn%C3%AFcode%20_pic_.png`);
    expect(Buffer.from(await followed.arrayBuffer()).equals(data)).toBe(true);

    // HEAD is redirected to a presigned HEAD with the same headers; the ETag gives 304; no credentials, no redirect.
    const head = await fetch(`http://${srv.host}${url}`, { method: 'HEAD', headers: auth(token), redirect: 'manual' });
    expect(head.status).toBe(308);
    const headed = await fetch(head.headers.get('location')!, { method: 'HEAD' });
    expect(headed.status).toBe(200);
    expect(headed.headers.get('content-length')).toBe(String(data.length));
    expect(headed.headers.get('content-disposition')).toBe(`inline; filename="${name}"`);
    const again = await fetch(`http://${srv.host}${url}`, { headers: { ...auth(token), 'If-None-Match': etag! }, redirect: 'manual' });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    await again.text();
    const anon = await fetch(`http://${srv.host}${url}`, { headers: { 'X-Tinode-APIKey': DEMO_KEY }, redirect: 'manual' });
    expect(anon.status).toBe(401);
    expect(anon.headers.get('location')).toBeNull();
    await anon.text();
    const unknown = await fetch(`http://${srv.host}/v0/file/s/AAAAAAAAAAA.png`, { headers: auth(token), redirect: 'manual' });
    expect(unknown.status).toBe(404);
    await unknown.text();

    // Active content is an attachment in the bucket's answer too, whatever asatt says.
    const page = await upload(srv.host, token, Buffer.from('<html><script>alert(document.domain)</script></html>'), 'text/html');
    const pageUrl = String(page.ctrl.params!.url);
    const toPage = await fetch(`http://${srv.host}${pageUrl}?asatt=0`, { headers: auth(token), redirect: 'manual' });
    await toPage.text();
    const fromBucket = await fetch(toPage.headers.get('location')!);
    expect(fromBucket.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(fromBucket.headers.get('content-disposition')).toBe(`attachment; filename="${pageUrl.slice('/v0/file/s/'.length)}"`);
    await fromBucket.text();
  });

  it('sends a file over 5 MiB as a multipart upload, and gRPC LargeFileServe reads it from the bucket', async () => {
    const data = pngBytes(5 * 1024 * 1024 + 300_000);
    const up = await upload(srv.host, token, data);
    expect(up.status).toBe(200);
    expect(s3log.some((l) => /^POST \/tinode-files\/[a-z2-7]{13}\?uploads/.test(l))).toBe(true);
    expect(s3log.filter((l) => /^PUT \/tinode-files\/[a-z2-7]{13}\?.*partNumber=/.test(l))).toHaveLength(2);
    const url = String(up.ctrl.params!.url);
    const res = await fetch(`http://${srv.host}${url}`, { headers: auth(token) });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);

    const def = protoLoader.loadSync(join(ROOT, 'proto', 'model.proto'), { keepCase: true, longs: Number, enums: String, defaults: false, oneofs: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      pbx: { Node: new (addr: string, creds: grpc.ChannelCredentials) => grpc.Client & { LargeFileServe(req: object): grpc.ClientReadableStream<Record<string, unknown>> } };
    };
    const client = new pkg.pbx.Node(srv.server.grpcAddr!, grpc.credentials.createInsecure());
    try {
      const parts = await new Promise<Record<string, unknown>[]>((resolve, reject) => {
        const out: Record<string, unknown>[] = [];
        const call = client.LargeFileServe({ id: 'd1', auth: { scheme: 'token', secret: token }, uri: url });
        call.on('data', (m: Record<string, unknown>) => out.push(m));
        call.on('end', () => resolve(out));
        call.on('error', reject);
      });
      // The name is the object's key, as the reference sends it (tn-cli saves the download under it).
      const key = /^POST \/tinode-files\/([a-z2-7]{13})\?uploads/.exec(s3log.findLast((l) => l.includes('?uploads')) ?? '')?.[1];
      expect(key).toMatch(/^[a-z2-7]{13}$/);
      expect(parts[0]).toMatchObject({ id: 'd1', code: 200, meta: { name: key, mime_type: 'image/png', size: data.length } });
      expect(Buffer.concat(parts.map((p) => p.content as Buffer)).equals(data)).toBe(true);
    } finally {
      client.close();
    }
  });

  it('refuses a file over max_size while it streams, aborting the multipart upload and leaving nothing in the bucket', async () => {
    const before = await keys('tinode-files');
    const rowsBefore = fileRows(join(dbDir, 'tinode.db')).length;
    const logFrom = s3log.length;
    // Within the request size the form may have: found while streaming, after the first part went up.
    const big = await upload(srv.host, token, pngBytes(MAX_SIZE + 30_000));
    expect(big.status).toBe(413);
    expect(big.ctrl).toMatchObject({ code: 413, text: 'too large' });
    const sent = s3log.slice(logFrom);
    expect(sent.some((l) => /^PUT \/tinode-files\/[a-z2-7]{13}\?.*partNumber=1/.test(l))).toBe(true);
    // The multipart upload is aborted (s3rver does not implement the abort and answers 405;
    // the parts it keeps are not objects), and the key deleted.
    expect(sent.some((l) => /^DELETE \/tinode-files\/[a-z2-7]{13}\?.*uploadId=/.test(l))).toBe(true);
    expect(await keys('tinode-files')).toEqual(before);
    expect(fileRows(join(dbDir, 'tinode.db'))).toHaveLength(rowsBefore);
  });
});

describe('s3 garbage collection', () => {
  it('deletes the object of an unused upload, keeps an attached one, and presigned URLs expire', async () => {
    const gcDir = mkdtempSync(join(tmpdir(), 'tinode-s3-gc-'));
    const gcDb = join(gcDir, 'tinode.db');
    const gc = await startTestServer(
      { media: { use_handler: 's3', max_size: 64 * 1024, gc_period: 1, gc_block_size: 100, handlers: { s3: s3Config('tinode-gc', { presign_ttl: 1 }) } } },
      `sqlite:${gcDb}`,
      { mediaGcGraceMs: 1500 },
    );
    try {
      const { token: tok, client } = await loginToken(gc.host);
      const kept = await upload(gc.host, tok, pngBytes(2000));
      const dropped = await upload(gc.host, tok, pngBytes(3000));
      expect(await keys('tinode-gc')).toHaveLength(2);

      // Over this server's small limit: refused before any byte reached the bucket.
      const logFrom = s3log.length;
      const big = await upload(gc.host, tok, pngBytes(64 * 1024 + 10_000));
      expect(big.status).toBe(413);
      expect(s3log.slice(logFrom).filter((l) => l.startsWith('PUT '))).toEqual([]);
      expect(await keys('tinode-gc')).toHaveLength(2);

      const keptUrl = String(kept.ctrl.params!.url);
      const sub = await client.reply({ sub: { id: 's', topic: 'new', set: { desc: { public: { fn: 'files' } } } } });
      const pub = await client.reply({ pub: { id: 'p', topic: String(sub.ctrl!.topic), content: 'see attached' }, extra: { attachments: [keptUrl] } });
      expect(pub.ctrl!.code).toBe(202);
      const redirect = await fetch(`http://${gc.host}${keptUrl}`, { headers: auth(tok), redirect: 'manual' });
      expect(redirect.status).toBe(308);
      await redirect.text();
      const presigned = redirect.headers.get('location')!;
      expect(new URL(presigned).searchParams.get('X-Amz-Expires')).toBe('1');

      await eventually(async () => (await keys('tinode-gc')).length === 1, 8000, 'the unused object to be deleted');
      expect(s3log.some((l) => l.startsWith('POST /tinode-gc/?delete'))).toBe(true);
      expect(fileRows(gcDb)).toHaveLength(1);
      const gone = await fetch(`http://${gc.host}${String(dropped.ctrl.params!.url)}`, { headers: auth(tok), redirect: 'manual' });
      expect(gone.status).toBe(404);
      await gone.text();
      const still = await fetch(`http://${gc.host}${keptUrl}`, { headers: auth(tok) });
      expect(still.status).toBe(200);
      await still.arrayBuffer();
      // The first presigned URL has lived past its second by now.
      const expired = await fetch(presigned);
      expect(expired.status).toBe(403);
      expect(await expired.text()).toContain('Request has expired');
      client.close();
    } finally {
      await gc.close();
      rmSync(gcDir, { recursive: true, force: true });
    }
  });
});
