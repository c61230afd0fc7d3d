import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../server/log/log.js';
import { staticFolderCsp } from '../../server/transport/security-headers.js';
import { staticHandler } from '../../server/transport/static.js';
import { webAppCsp } from '../../server/web/csp.js';
import { findPackageDir, fontsourcePackage, loadWebApp, parseGoogleFonts, patchBundle, rewriteIndexHtml, type WebApp } from '../../server/web/webapp.js';
import { startTestServer } from '../helpers/server.js';

/**
 * TinodeWeb served from the tinode-webapp package: the page rewritten to load nothing from a CDN
 * or a font service, the files with their types and caching, and nothing outside the app.
 */
const webappDir = findPackageDir('tinode-webapp');

describe('index.html rewriting', () => {
  it('points the CDN scripts and Google Fonts of the real page at local routes', () => {
    expect(webappDir).not.toBeNull();
    const page = rewriteIndexHtml(readFileSync(join(webappDir!, 'index.html'), 'utf8'));
    expect(page.scripts).toEqual(['react', 'react-dom', 'react-intl', 'qrcodejs']);
    expect(page.external).toEqual([]);
    expect(page.fonts.map((f) => f.family)).toEqual(['Roboto', 'Material Icons']);
    // Nothing the browser fetches is absolute any more (canonical and og: addresses are no requests).
    expect(page.html).not.toMatch(/<script[^>]*src="https?:/);
    expect(page.html).not.toMatch(/<link[^>]*rel="stylesheet"[^>]*href="https?:/);
    expect(page.html).not.toMatch(/polyfill|jsdelivr|googleapis/);
    expect(page.html).toContain('<script src="vendor/react.js"></script>');
    expect(page.html.match(/vendor\/fonts\.css/g)).toHaveLength(1);
    expect(page.html).toContain('<script src="umd/index.prod.js"></script>');
  });

  it('keeps unknown external resources and says so', () => {
    const page = rewriteIndexHtml(
      [
        '<link rel="canonical" href="https://example.org/" />',
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto:300,400i|Roboto+Mono" />',
        '<script src="https://cdn.jsdelivr.net/npm/react@18.3.1/umd/react.production.min.js"></script>',
        '<script src="https://polyfill-fastly.io/v3/polyfill.min.js?features=Intl.Segmenter"></script>',
        '<script src="https://cdn.example.com/other.js"></script>',
        '<script src="local.js"></script>',
      ].join('\n'),
    );
    expect(page.external).toEqual(['https://cdn.example.com/other.js']);
    expect(page.html).toContain('https://example.org/');
    expect(page.html).toContain('local.js');
    expect(page.fonts).toEqual([
      { family: 'Roboto', styles: ['300', '400-italic'], icons: false },
      { family: 'Roboto Mono', styles: ['400'], icons: false },
    ]);
  });

  it('maps Google Fonts requests to @fontsource packages', () => {
    expect(parseGoogleFonts(new URL('https://fonts.googleapis.com/icon?family=Material+Icons'))).toEqual([{ family: 'Material Icons', styles: ['400'], icons: true }]);
    expect(parseGoogleFonts(new URL('https://fonts.googleapis.com/css?family=Roboto:300,400,400i,500,700,700i'))[0]?.styles).toEqual([
      '300',
      '400',
      '400-italic',
      '500',
      '700',
      '700-italic',
    ]);
    expect(fontsourcePackage('Material Icons')).toBe('@fontsource/material-icons');
  });

  it('patches the bundle to connect a page on localhost to its own port', () => {
    const js = readFileSync(join(webappDir!, 'umd', 'index.prod.js'), 'utf8');
    const patched = patchBundle(js);
    expect(patched).not.toBeNull();
    expect(patched).not.toContain('local:"localhost:6060"');
    expect(patchBundle('a={local:"localhost:6060"},b={local:"localhost:6060"}')).toBeNull();
    expect(patchBundle('nothing here')).toBeNull();
  });
});

/** A plain HTTP server around the app's handler, answering 404 where it passes. */
async function serve(app: WebApp): Promise<{ base: string; server: Server }> {
  const server = createServer((req, res) =>
    app.handler(req, res, () => {
      res.statusCode = 404;
      res.end('passed');
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { base: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

/** Fetches a path as given (no normalization of `..` by the URL parser). */
async function raw(base: string, path: string): Promise<{ status: number; text: string }> {
  const { request } = await import('node:http');
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    request({ host: url.hostname, port: url.port, path, method: 'GET' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    })
      .on('error', reject)
      .end();
  });
}

describe('the app at /', () => {
  let base: string;
  let server: Server;

  beforeAll(async () => {
    const app = loadWebApp({ mount: '/', cacheControlSeconds: 3600, xFrameOptions: 'SAMEORIGIN' }, silentLogger);
    expect(app).not.toBeNull();
    expect(app!.version).toMatch(/^0\.25\./);
    ({ base, server } = await serve(app!));
  });

  afterAll(() => {
    server.close();
  });

  it('serves the rewritten page with its type, caching and validators', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=3600');
    const etag = res.headers.get('etag')!;
    const html = await res.text();
    expect(html).toContain('vendor/react-dom.js');
    expect(html).not.toContain('jsdelivr');
    expect(await (await fetch(`${base}/index.html`)).text()).toBe(html);
    expect((await fetch(`${base}/`, { headers: { 'If-None-Match': etag } })).status).toBe(304);
    const head = await fetch(`${base}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(html)));
    // Other spellings of the page reach the rewritten one too.
    expect((await raw(base, '//index.html')).text).toBe(html);
    expect((await raw(base, '/umd/../index%2Ehtml')).text).toBe(html);
  });

  it('serves the scripts and fonts the page used to take from a CDN', async () => {
    for (const name of ['react', 'react-dom', 'react-intl', 'qrcodejs']) {
      const res = await fetch(`${base}/vendor/${name}.js`);
      expect(res.status, name).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('public, max-age=3600');
    }
    expect(await (await fetch(`${base}/vendor/react.js`)).text()).toContain('React');
    const css = await fetch(`${base}/vendor/fonts.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const text = await css.text();
    expect(text).toContain("font-family: 'Roboto'");
    expect(text).toContain("font-family: 'Material Icons'");
    expect(text).toMatch(/\.material-icons \{[^}]*font-feature-settings: 'liga'/);
    const urls = [...text.matchAll(/url\(([^)]+)\)/g)].map((m) => m[1]!);
    expect(urls.length).toBeGreaterThan(10);
    expect(urls.every((u) => u.startsWith('fonts/'))).toBe(true);
    for (const u of urls.filter((x) => x.includes('latin-400-normal'))) {
      const res = await fetch(`${base}/vendor/${u}`);
      expect(res.status, u).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^font\/woff2?$/);
      expect(res.headers.get('cache-control')).toBe('public, max-age=3600');
    }
    const empty = await fetch(`${base}/firebase-init.js`);
    expect(empty.status).toBe(200);
    expect(await empty.text()).not.toContain('FIREBASE_INIT');
  });

  it("serves the package's files with their types", async () => {
    const cases: [string, RegExp][] = [
      ['/umd/index.prod.js', /javascript/],
      ['/umd/tinode.prod.js', /javascript/],
      ['/css/base.min.css', /text\/css/],
      ['/img/logo.svg', /image\/svg\+xml/],
      ['/img/bkg/index.json', /application\/json/],
      ['/audio/msg.m4a', /audio\//],
    ];
    for (const [path, type] of cases) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toMatch(type);
      expect(res.headers.get('cache-control'), path).toBe('public, max-age=3600');
    }
    expect(await (await fetch(`${base}/umd/index.prod.js`)).text()).not.toContain('local:"localhost:6060"');
  });

  it('sends its content security policy with everything it serves', async () => {
    const csp = webAppCsp('SAMEORIGIN');
    for (const path of ['/', '/index.html', '/vendor/react.js', '/vendor/fonts.css', '/firebase-init.js', '/umd/index.prod.js', '/umd/tinode.prod.js', '/css/base.min.css', '/img/logo.svg', '/manifest.json']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-security-policy'), path).toBe(csp);
      await res.arrayBuffer();
    }
    const css = await (await fetch(`${base}/vendor/fonts.css`)).text();
    const font = /url\((fonts\/roboto\/[^)]+latin-400-normal\.woff2)\)/.exec(css)![1]!;
    expect((await fetch(`${base}/vendor/${font}`)).headers.get('content-security-policy')).toBe(csp);
  });

  it('allows in its policy what the page needs, and nothing from another origin', async () => {
    const csp = webAppCsp('SAMEORIGIN');
    const directives = new Map(csp.split('; ').map((d) => [d.split(' ')[0]!, d.split(' ').slice(1)]));
    expect(Object.fromEntries(directives)).toEqual({
      'default-src': ["'self'"],
      'script-src': ["'self'"],
      'style-src': ["'self'"],
      'font-src': ["'self'"],
      'img-src': ["'self'", 'data:', 'blob:'],
      'media-src': ["'self'", 'data:', 'blob:'],
      'connect-src': ["'self'", 'data:', 'blob:'],
      'worker-src': ["'self'"],
      'manifest-src': ["'self'"],
      'object-src': ["'none'"],
      'base-uri': ["'self'"],
      'form-action': ["'self'"],
      'frame-ancestors': ["'self'"],
    });
    expect(webAppCsp('-')).not.toContain('frame-ancestors');
    // The page has no inline script, style or handler for the policy to block (nothing absolute: above).
    const html = await (await fetch(`${base}/`)).text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
  });

  it('lists no folders, leaves the app for nothing, hides what is not the app', async () => {
    for (const path of [
      '/img/',
      '/umd/',
      '/vendor/',
      '/../../../etc/passwd',
      '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/..%2f..%2f..%2fetc%2fpasswd',
      '/vendor/fonts/roboto/../../../package.json',
      '/vendor/fonts/roboto/LICENSE',
      '/vendor/fonts/roboto/nothing.woff2',
      '/vendor/../package.json',
      '/package.json',
      '/index-dev.html',
      '/node_modules/',
      '/missing.js',
      '/%00',
    ]) {
      const res = await raw(base, path);
      expect(res.status, path).toBe(404);
      expect(res.text, path).not.toContain('root:');
    }
    // A folder without its slash is redirected, as serve-static does.
    expect((await fetch(`${base}/img`, { redirect: 'manual' })).status).toBe(301);
  });
});

describe('the app at another mount point', () => {
  it('serves under the prefix only', async () => {
    const app = loadWebApp({ mount: '/web', cacheControlSeconds: 60, xFrameOptions: 'DENY' }, silentLogger)!;
    const { base, server } = await serve(app);
    try {
      const moved = await fetch(`${base}/web`, { redirect: 'manual' });
      expect(moved.status).toBe(301);
      expect(moved.headers.get('location')).toBe('/web/');
      const page = await fetch(`${base}/web/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('cache-control')).toBe('public, max-age=60');
      expect(page.headers.get('content-security-policy')).toBe(webAppCsp('DENY'));
      expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(await page.text()).toContain('vendor/fonts.css');
      expect((await fetch(`${base}/web/vendor/qrcodejs.js`)).status).toBe(200);
      expect((await fetch(`${base}/web/css/base.min.css`)).status).toBe(200);
      expect((await fetch(`${base}/`)).status).toBe(404);
      expect((await fetch(`${base}/css/base.min.css`)).status).toBe(404);
      expect((await fetch(`${base}/webx/`)).status).toBe(404);
    } finally {
      server.close();
    }
  });
});

describe('a static folder', () => {
  it('gets only the policy that cannot break a page we have not seen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tinode-static-'));
    writeFileSync(join(dir, 'index.html'), '<!DOCTYPE html><script src="https://cdn.example.com/app.js"></script>');
    const csp = staticFolderCsp('SAMEORIGIN');
    expect(csp).toBe("object-src 'none'; base-uri 'self'; frame-ancestors 'self'");
    expect(staticFolderCsp('DENY')).toBe("object-src 'none'; base-uri 'self'; frame-ancestors 'none'");
    expect(staticFolderCsp('-')).toBe("object-src 'none'; base-uri 'self'");
    const handler = staticHandler(dir, '/', 60, { 'Content-Security-Policy': csp });
    const server = createServer((req, res) =>
      handler(req, res, () => {
        res.statusCode = 404;
        res.end();
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const page = await fetch(`${base}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toBe(csp);
      expect(await page.text()).toContain('cdn.example.com');
      const missing = await fetch(`${base}/nothing.js`);
      expect(missing.status).toBe(404);
      expect(missing.headers.get('content-security-policy')).toBe(csp);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tinode serve', () => {
  it('sends nosniff, a referrer policy and the app policy, framing as x_frame_options says', async () => {
    for (const [xfo, ancestors] of [
      ['SAMEORIGIN', "frame-ancestors 'self'"],
      ['DENY', "frame-ancestors 'none'"],
      ['-', null],
    ] as const) {
      const srv = await startTestServer({ x_frame_options: xfo });
      try {
        for (const path of ['/', '/umd/index.prod.js', '/vendor/react.js']) {
          const res = await fetch(`http://${srv.host}${path}`);
          expect(res.status, path).toBe(200);
          expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
          expect(res.headers.get('referrer-policy'), path).toBe('same-origin');
          expect(res.headers.get('x-frame-options'), path).toBe(xfo === '-' ? null : xfo);
          const csp = res.headers.get('content-security-policy') ?? '';
          expect(csp, path).toBe(webAppCsp(xfo));
          if (ancestors) expect(csp).toContain(ancestors);
          else expect(csp).not.toContain('frame-ancestors');
          await res.arrayBuffer();
        }
        // The API's answers get the headers every answer gets, and no page policy.
        const api = await fetch(`http://${srv.host}/v0/nothing`);
        expect(api.status).toBe(404);
        expect(api.headers.get('x-content-type-options')).toBe('nosniff');
        expect(api.headers.get('referrer-policy')).toBe('same-origin');
        await api.text();
      } finally {
        await srv.close();
      }
    }
  });

  it('serves TinodeWeb by default, and not with "webapp": false', async () => {
    const on = await startTestServer();
    try {
      const res = await fetch(`http://${on.host}/`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=39600');
      expect(await res.text()).toContain('vendor/react.js');
      // The server's own routes still come first.
      expect((await fetch(`http://${on.host}/v0/channels`)).status).toBe(400);
    } finally {
      await on.close();
    }
    const off = await startTestServer({ webapp: false });
    try {
      const res = await fetch(`http://${off.host}/`);
      expect(res.status).toBe(404);
      expect(await res.text()).toMatch(/"code":404/);
    } finally {
      await off.close();
    }
  });
});
