import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEMO_KEY } from '../helpers/sdk.js';
import { startTestServer } from '../helpers/server.js';

/**
 * The TinodeWeb page served by the server gives the browser the app's own API key as the
 * `apikey` cookie for the file path, so the bare avatar requests the app makes carry it. Other
 * answers set no cookie, and a key this server refuses is never handed out.
 */
describe('the API key cookie of the web app page', () => {
  it('is set by the page (/ and /index.html) for <api_path>v0/file/s/ only, HttpOnly and SameSite=Strict', async () => {
    const srv = await startTestServer();
    try {
      for (const path of ['/', '/index.html']) {
        const res = await fetch(`http://${srv.host}${path}`);
        expect(res.status, path).toBe(200);
        expect(res.headers.get('set-cookie'), path).toBe(`apikey=${DEMO_KEY}; Path=/v0/file/s/; SameSite=Strict; HttpOnly`);
      }
      // A revalidated page renews it too.
      const first = await fetch(`http://${srv.host}/`);
      const again = await fetch(`http://${srv.host}/`, { headers: { 'If-None-Match': first.headers.get('etag')! } });
      expect(again.status).toBe(304);
      expect(again.headers.get('set-cookie')).toContain('apikey=');
      for (const path of ['/umd/index.prod.js', '/vendor/react.js', '/v0/channels', '/v0/file/s/AAAAAAAAAAA.png']) {
        expect((await fetch(`http://${srv.host}${path}`)).headers.get('set-cookie'), path).toBeNull();
      }
    } finally {
      await srv.close();
    }
  });

  it('follows api_path', async () => {
    const srv = await startTestServer({ api_path: '/api/' });
    try {
      expect((await fetch(`http://${srv.host}/`)).headers.get('set-cookie')).toBe(`apikey=${DEMO_KEY}; Path=/api/v0/file/s/; SameSite=Strict; HttpOnly`);
    } finally {
      await srv.close();
    }
  });

  it('is not set when the app key is not valid on this server (its own api_key_salt)', async () => {
    const srv = await startTestServer({ api_key_salt: randomBytes(32).toString('base64') });
    try {
      const res = await fetch(`http://${srv.host}/`);
      expect(res.status).toBe(200);
      expect(res.headers.get('set-cookie')).toBeNull();
    } finally {
      await srv.close();
    }
  });
});
