import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { remoteAddrOf } from '../../server/http/remote-addr.js';
import { staticHandler } from '../../server/transport/static.js';

function req(headers: Record<string, string>, addr = '127.0.0.1'): IncomingMessage {
  return { headers, socket: { remoteAddress: addr } } as unknown as IncomingMessage;
}

describe('client address', () => {
  it('takes the last public address of X-Forwarded-For when enabled', () => {
    expect(remoteAddrOf(req({ 'x-forwarded-for': '203.0.113.9, 10.0.0.1' }), true)).toBe('203.0.113.9');
    expect(remoteAddrOf(req({ 'x-forwarded-for': '10.1.2.3' }), true)).toBe('127.0.0.1');
    expect(remoteAddrOf(req({ 'x-forwarded-for': '203.0.113.9' }), false)).toBe('127.0.0.1');
    // What the client wrote comes first; the proxy appends the address it saw.
    expect(remoteAddrOf(req({ 'x-forwarded-for': '198.51.100.7, 203.0.113.9' }), true)).toBe('203.0.113.9');
    expect(remoteAddrOf(req({}, '::ffff:198.51.100.7'), true)).toBe('198.51.100.7');
  });
});

describe('static files', () => {
  it('serves a folder with content types and caching, without listings or traversal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tinode-static-'));
    writeFileSync(join(dir, 'index.html'), '<h1>hi</h1>');
    writeFileSync(join(dir, 'app.js'), 'console.log(1)');
    const handler = staticHandler(dir, '/', 3600);
    const server = createServer((rq, rs) =>
      handler(rq, rs, () => {
        rs.statusCode = 404;
        rs.end('nope');
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const index = await fetch(`${base}/`);
      expect(index.status).toBe(200);
      expect(index.headers.get('content-type')).toMatch(/text\/html/);
      expect(index.headers.get('cache-control')).toBe('public, max-age=3600');
      expect((await fetch(`${base}/app.js`)).headers.get('content-type')).toMatch(/javascript/);
      expect((await fetch(`${base}/../../etc/passwd`)).status).not.toBe(200);
      expect((await fetch(`${base}/%2e%2e/%2e%2e/etc/passwd`)).status).not.toBe(200);
      expect((await fetch(`${base}/missing.txt`)).status).toBe(404);
    } finally {
      server.close();
    }
  });
});
