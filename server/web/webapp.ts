import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join, posix } from 'node:path';
import serveStatic from 'serve-static';
import type { Logger } from '../log/log.js';
import type { XFrameOptions } from '../transport/security-headers.js';
import { staticHandler, type StaticHandler } from '../transport/static.js';
import { pageApiKeyCookie, type PageCookieOptions } from './apikey-cookie.js';
import { webAppCsp } from './csp.js';

/**
 * TinodeWeb, the official web client, served from the `tinode-webapp` npm package so that
 * `tinode serve` is a complete messenger out of the box, with no request leaving the machine.
 *
 * The package's `index.html` loads React, ReactDOM, react-intl and qrcodejs from a public CDN, an
 * `Intl.Segmenter` polyfill from a polyfill service and its fonts from Google Fonts. The page is
 * rewritten once, when the server starts, to load all of them from `vendor/` beside it, which is
 * served from our own npm dependencies (`react`, `react-dom`, `react-intl`, `qrcodejs`,
 * `@fontsource/roboto`, `@fontsource/material-icons`). The polyfill is dropped: every browser
 * TinodeWeb supports has `Intl.Segmenter`. `firebase-init.js`, which the page expects the server
 * to generate when push notifications go through Firebase, is an empty script: the web app then
 * registers no service worker and loads nothing from Google.
 *
 * The app connects to the server it was loaded from (`location.host`), except that the package's
 * bundle sends a page loaded from `localhost` to `localhost:6060` whatever its port; the bundle is
 * patched to use the page's own host there too, so `--listen :8080` works on localhost.
 *
 * Everything else is the package folder served as static files (content types, `cache_control`
 * caching, ranges, no listings, no path traversal), less `node_modules` and the development page.
 * Every answer under the mount point carries the app's `Content-Security-Policy` ({@link webAppCsp}).
 */
export interface WebApp {
  handler: StaticHandler;
  /** The `tinode-webapp` version served. */
  version: string;
  /** Its folder. */
  dir: string;
}

export interface WebAppOptions {
  /** Where the app is served (`static_mount`), `/` by default. */
  mount: string;
  /** `Cache-Control: max-age` in seconds (`cache_control`). */
  cacheControlSeconds: number;
  /** `x_frame_options`, mirrored by the policy's `frame-ancestors`. */
  xFrameOptions: XFrameOptions;
  /**
   * The app page gives the browser the app's own API key as a cookie for file downloads
   * (`apikey`, see {@link pageApiKeyCookie}), when the key is valid here (`valid`). Absent: no cookie.
   */
  apiKeyCookie?: PageCookieOptions | undefined;
}

/** Finds an installed npm package the way Node resolves one: `node_modules/<name>` upwards. */
export function findPackageDir(name: string, from: string = import.meta.dirname): string | null {
  let dir = from;
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) {
      return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) {
      return null;
    }
    dir = parent;
  }
}

/** A script the page loads from a CDN, and the file of our own npm package that replaces it. */
interface VendorScript {
  pkg: string;
  file: string;
}

/** The CDN scripts by package name (as in `https://cdn.jsdelivr.net/npm/<pkg>@<version>/...`). */
const VENDOR_SCRIPTS: Record<string, VendorScript> = {
  react: { pkg: 'react', file: 'umd/react.production.min.js' },
  'react-dom': { pkg: 'react-dom', file: 'umd/react-dom.production.min.js' },
  // The CDN minifies on the fly; the package ships the same script unminified.
  'react-intl': { pkg: 'react-intl', file: 'react-intl.iife.js' },
  qrcodejs: { pkg: 'qrcodejs', file: 'qrcode.min.js' },
};

/** Route of a vendored script, relative to the page. */
function vendorScriptRoute(name: string): string {
  return `vendor/${name}.js`;
}

/** Route of the stylesheet that replaces the Google Fonts ones. */
const FONTS_CSS_ROUTE = 'vendor/fonts.css';

/** Hosts that only ever serve a polyfill that current browsers do not need. */
const POLYFILL_HOSTS = new Set(['polyfill-fastly.io', 'polyfill.io', 'cdnjs.cloudflare.com']);

/** A font family the page asks Google Fonts for. */
export interface FontRequest {
  family: string;
  /** `@fontsource` CSS file names without `.css`: `400`, `700-italic`. */
  styles: string[];
  /** Material Icons and friends: needs the `.material-icons` class rule Google's CSS carries. */
  icons: boolean;
}

export interface RewrittenPage {
  html: string;
  /** Package names of the CDN scripts replaced, in page order. */
  scripts: string[];
  /** Font families asked for. */
  fonts: FontRequest[];
  /** External scripts or stylesheets left as they were (unknown: the page may need them). */
  external: string[];
}

/** Reads `family=Roboto:300,400,400i` (one or more `|`-separated families) of a Google Fonts URL. */
export function parseGoogleFonts(url: URL): FontRequest[] {
  const icons = url.pathname === '/icon';
  const out: FontRequest[] = [];
  for (const spec of url.searchParams.getAll('family').flatMap((f) => f.split('|'))) {
    const [family = '', variants = ''] = spec.split(':');
    if (!family) {
      continue;
    }
    const styles = variants
      ? variants
          .split(',')
          .map((v) => v.trim())
          .filter((v) => /^\d{3}i?$|^(regular|italic)$/.test(v))
          .map((v) => (v === 'regular' ? '400' : v === 'italic' ? '400-italic' : v.endsWith('i') ? `${v.slice(0, -1)}-italic` : v))
      : ['400'];
    out.push({ family, styles: styles.length ? styles : ['400'], icons });
  }
  return out;
}

/** The `@fontsource` package of a family: `Material Icons` → `@fontsource/material-icons`. */
export function fontsourcePackage(family: string): string {
  return `@fontsource/${family.trim().toLowerCase().replace(/\s+/g, '-')}`;
}

/**
 * Rewrites TinodeWeb's `index.html`: CDN scripts of known packages point at `vendor/`, Google Fonts
 * stylesheets become one local `vendor/fonts.css`, the polyfill service script is dropped.
 */
export function rewriteIndexHtml(html: string): RewrittenPage {
  const scripts: string[] = [];
  const fonts: FontRequest[] = [];
  const external: string[] = [];
  let fontsLinked = false;
  const absolute = (src: string): URL | null => {
    try {
      return /^(https?:)?\/\//i.test(src) ? new URL(src, 'https://cdn.invalid/') : null;
    } catch {
      return null;
    }
  };
  let out = html.replace(/<script\b([^>]*)>\s*<\/script>[ \t]*\r?\n?/gi, (tag, attrs: string) => {
    const src = /\bsrc\s*=\s*["']([^"']+)["']/i.exec(attrs)?.[1];
    const url = src ? absolute(src) : null;
    if (!src || !url) {
      return tag;
    }
    if (POLYFILL_HOSTS.has(url.hostname) && url.pathname.includes('polyfill')) {
      return '';
    }
    const m = /^\/npm\/((?:@[^/]+\/)?[^@/]+)@[^/]+\//.exec(url.pathname);
    const name = m?.[1];
    if (url.hostname === 'cdn.jsdelivr.net' && name && VENDOR_SCRIPTS[name]) {
      scripts.push(name);
      return `<script src="${vendorScriptRoute(name)}"></script>\n`;
    }
    external.push(src);
    return tag;
  });
  out = out.replace(/<link\b([^>]*)>[ \t]*\r?\n?/gi, (tag, attrs: string) => {
    const rel = /\brel\s*=\s*["']([^"']+)["']/i.exec(attrs)?.[1]?.toLowerCase() ?? '';
    const href = /\bhref\s*=\s*["']([^"']+)["']/i.exec(attrs)?.[1];
    const url = href ? absolute(href) : null;
    // Only links the browser fetches: canonical, alternate and the like are mere addresses.
    if (!href || !url || !/\b(stylesheet|preload|preconnect|dns-prefetch|modulepreload|prefetch|icon)\b/.test(rel)) {
      return tag;
    }
    if (url.hostname === 'fonts.googleapis.com' || url.hostname === 'fonts.gstatic.com') {
      if (rel.includes('stylesheet')) {
        fonts.push(...parseGoogleFonts(url));
      }
      if (fontsLinked || !rel.includes('stylesheet')) {
        return '';
      }
      fontsLinked = true;
      return `<link rel="stylesheet" href="${FONTS_CSS_ROUTE}" />\n`;
    }
    external.push(href);
    return tag;
  });
  return { html: out, scripts, fonts, external };
}

/** Google's companion rule for the icon font (ligatures turn `send` into the icon). */
const MATERIAL_ICONS_CLASS = (family: string, cls: string) => `
.${cls} {
  font-family: '${family}';
  font-weight: normal;
  font-style: normal;
  font-size: 24px;
  line-height: 1;
  letter-spacing: normal;
  text-transform: none;
  display: inline-block;
  white-space: nowrap;
  word-wrap: normal;
  direction: ltr;
  -webkit-font-feature-settings: 'liga';
  font-feature-settings: 'liga';
  -webkit-font-smoothing: antialiased;
  text-rendering: optimizeLegibility;
}
`;

interface FontFile {
  /** Folder the font files are served from (`<package>/files`). */
  dir: string;
  serve: ReturnType<typeof serveStatic>;
  /** File names the stylesheet refers to: the only ones served. */
  names: Set<string>;
}

/**
 * Builds `vendor/fonts.css` from the `@fontsource` packages of the families asked for, with their
 * `url(./files/x.woff2)` pointing at `vendor/fonts/<family>/x.woff2`.
 */
function buildFonts(requests: FontRequest[], cacheSeconds: number, log: Logger): { css: string; files: Map<string, FontFile> } {
  const files = new Map<string, FontFile>();
  const parts: string[] = ['/* Fonts from local @fontsource packages in place of Google Fonts. */\n'];
  for (const req of requests) {
    const pkg = fontsourcePackage(req.family);
    const dir = findPackageDir(pkg);
    if (!dir) {
      log.warn(`web app: font "${req.family}" is not installed (npm package ${pkg}): the browser falls back to another font`);
      continue;
    }
    const short = pkg.slice('@fontsource/'.length);
    const entry: FontFile = {
      dir: join(dir, 'files'),
      serve: serveStatic(join(dir, 'files'), { index: false, maxAge: cacheSeconds * 1000, dotfiles: 'ignore', fallthrough: true, redirect: false }),
      names: files.get(short)?.names ?? new Set(),
    };
    files.set(short, entry);
    for (const style of req.styles) {
      const cssFile = join(dir, `${style}.css`);
      if (!existsSync(cssFile)) {
        log.warn(`web app: ${pkg} has no ${style}.css`);
        continue;
      }
      const css = readFileSync(cssFile, 'utf8').replace(/url\((['"]?)\.\/files\/([^)'"]+)\1\)/g, (_m, _q: string, name: string) => {
        entry.names.add(name);
        return `url(fonts/${short}/${name})`;
      });
      parts.push(css.trimEnd() + '\n');
    }
    if (req.icons) {
      parts.push(MATERIAL_ICONS_CLASS(req.family, short));
    }
  }
  return { css: parts.join('\n'), files };
}

/** A file kept in memory (rewritten or generated) with its headers. */
interface MemoryFile {
  body: Buffer;
  type: string;
  etag: string;
  lastModified: string;
}

function memoryFile(body: string | Buffer, type: string, modified: Date): MemoryFile {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const etag = `"${createHash('sha1').update(buf).digest('base64url').slice(0, 27)}"`;
  return { body: buf, type, etag, lastModified: modified.toUTCString() };
}

function sendMemory(req: IncomingMessage, res: ServerResponse, file: MemoryFile, cacheSeconds: number): void {
  res.setHeader('Content-Type', file.type);
  res.setHeader('Cache-Control', `public, max-age=${cacheSeconds}`);
  res.setHeader('ETag', file.etag);
  res.setHeader('Last-Modified', file.lastModified);
  const match = req.headers['if-none-match'];
  if (match && match.split(',').some((t) => t.trim() === file.etag || t.trim() === '*')) {
    res.statusCode = 304;
    res.end();
    return;
  }
  res.statusCode = 200;
  res.setHeader('Content-Length', file.body.length);
  res.end(req.method === 'HEAD' ? undefined : file.body);
}

/** Points a page loaded from `localhost` at its own port instead of always `localhost:6060`. */
const LOCAL_HOST_LITERAL = 'local:"localhost:6060"';
const LOCAL_HOST_PATCHED = 'local:(typeof self=="object"&&self.location&&self.location.host||"localhost:6060")';

export function patchBundle(js: string): string | null {
  const at = js.indexOf(LOCAL_HOST_LITERAL);
  if (at < 0 || js.indexOf(LOCAL_HOST_LITERAL, at + 1) >= 0) {
    return null;
  }
  return js.slice(0, at) + LOCAL_HOST_PATCHED + js.slice(at + LOCAL_HOST_LITERAL.length);
}

/** Paths of the package never served. */
function hidden(rel: string): boolean {
  return rel.split('/').includes('node_modules') || rel === 'index-dev.html' || rel === 'package.json';
}

/**
 * Loads TinodeWeb from the installed `tinode-webapp` package; null (with a warning) when the
 * package is not installed.
 */
export function loadWebApp(opts: WebAppOptions, log: Logger): WebApp | null {
  const dir = findPackageDir('tinode-webapp');
  if (!dir || !existsSync(join(dir, 'index.html'))) {
    log.warn('web app: the tinode-webapp package is not installed: TinodeWeb is not served (npm install tinode-webapp, or give --static-mount)');
    return null;
  }
  const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string }).version ?? '?';
  const cache = opts.cacheControlSeconds;
  const indexPath = join(dir, 'index.html');
  const page = rewriteIndexHtml(readFileSync(indexPath, 'utf8'));
  for (const src of page.external) {
    log.warn(`web app: index.html loads ${src} from outside this server`);
  }
  const memory = new Map<string, MemoryFile>();
  const index = memoryFile(page.html, 'text/html; charset=utf-8', statSync(indexPath).mtime);
  memory.set('', index);
  memory.set('index.html', index);
  for (const name of page.scripts) {
    const spec = VENDOR_SCRIPTS[name];
    const pkgDir = spec ? findPackageDir(spec.pkg) : null;
    const file = pkgDir && spec ? join(pkgDir, spec.file) : null;
    if (!file || !existsSync(file)) {
      log.warn(`web app: ${name} is not installed (${spec?.pkg ?? name}/${spec?.file ?? ''}): TinodeWeb cannot start without it`);
      continue;
    }
    memory.set(vendorScriptRoute(name), memoryFile(readFileSync(file), 'text/javascript; charset=utf-8', statSync(file).mtime));
  }
  const fonts = buildFonts(page.fonts, cache, log);
  memory.set(FONTS_CSS_ROUTE, memoryFile(fonts.css, 'text/css; charset=utf-8', statSync(indexPath).mtime));
  memory.set(
    'firebase-init.js',
    memoryFile('// Push notifications through Firebase are not configured on this server.\n', 'text/javascript; charset=utf-8', statSync(indexPath).mtime),
  );
  const bundlePath = join(dir, 'umd', 'index.prod.js');
  let pageCookie: string | null = null;
  if (existsSync(bundlePath)) {
    const bundle = readFileSync(bundlePath, 'utf8');
    pageCookie = opts.apiKeyCookie ? pageApiKeyCookie(bundle, opts.apiKeyCookie, log) : null;
    const patched = patchBundle(bundle);
    if (patched) {
      memory.set('umd/index.prod.js', memoryFile(patched, 'text/javascript; charset=utf-8', statSync(bundlePath).mtime));
    } else {
      log.debug('web app: the bundle does not name localhost:6060 once: served as it is (pages on localhost connect to port 6060)');
    }
  }
  const prefix = opts.mount.endsWith('/') ? opts.mount : opts.mount + '/';
  const files = staticHandler(dir, prefix, cache);
  const csp = webAppCsp(opts.xFrameOptions);
  const handler: StaticHandler = (req, res, next) => {
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      next();
      return;
    }
    if (prefix !== '/' && pathname === prefix.slice(0, -1)) {
      res.statusCode = 301;
      res.setHeader('Location', prefix);
      res.end();
      return;
    }
    if (!pathname.startsWith(prefix) || pathname.includes('\0')) {
      next();
      return;
    }
    res.setHeader('Content-Security-Policy', csp);
    const rel = posix.normalize('/' + pathname.slice(prefix.length)).replace(/^\/+/, '');
    if (rel.startsWith('..')) {
      next();
      return;
    }
    const mem = memory.get(rel);
    if (mem === index && pageCookie) res.setHeader('Set-Cookie', pageCookie);
    if (mem) {
      sendMemory(req, res, mem, cache);
      return;
    }
    const font = /^vendor\/fonts\/([a-z0-9-]+)\/([A-Za-z0-9._-]+)$/.exec(rel);
    const fontDir = font ? fonts.files.get(font[1]!) : undefined;
    if (font && fontDir?.names.has(font[2]!)) {
      const original = req.url;
      req.url = '/' + font[2]!;
      fontDir.serve(req, res, () => {
        req.url = original;
        next();
      });
      return;
    }
    if (rel.startsWith('vendor/') || hidden(rel)) {
      next();
      return;
    }
    // The package folder, by the normalized path: `//index.html` must not reach the original page.
    const original = req.url;
    req.url = prefix + rel.split('/').map(encodeURIComponent).join('/');
    files(req, res, () => {
      req.url = original;
      next();
    });
  };
  return { handler, version, dir };
}
