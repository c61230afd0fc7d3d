import type { Logger } from '../log/log.js';

/**
 * TinodeWeb loads avatars with bare `<img src="/v0/file/s/<id>.png">` requests, which carry
 * neither the API key nor credentials. The file endpoint reads the API key from the `apikey`
 * cookie (as the reference's `getAPIKey` does), so the page that serves the app hands the app's
 * own key to the browser as that cookie, scoped to the file path only.
 */

/** The cookie name the file endpoint reads the API key from (the reference's `apikey`). */
export const API_KEY_COOKIE = 'apikey';

/** A Tinode API key: version 1, 24 bytes in URL-safe base64 (`AQ…`, 32 characters). */
const API_KEY_LITERAL = /["'](AQ[A-Za-z0-9_-]{30})["']/g;

/**
 * The API key a client bundle is built with: the one key-shaped string literal in it. Null when
 * there is none, or more than one distinct (which one the app uses cannot be told).
 */
export function bundleApiKey(js: string): string | null {
  const keys = new Set<string>();
  for (const m of js.matchAll(API_KEY_LITERAL)) keys.add(m[1]!);
  return keys.size === 1 ? [...keys][0]! : null;
}

/** Where and how the cookie is set. */
export interface ApiKeyCookieOptions {
  /** `api_path`, starting and ending with '/': the cookie is sent to `<api_path>v0/file/s/` only. */
  apiPath: string;
  /** The page is served over TLS: the cookie is `Secure`. */
  secure: boolean;
}

/**
 * The `Set-Cookie` value giving `key` to the browser for file downloads: `HttpOnly` (scripts
 * never need it), `SameSite=Strict` (other sites' pages cannot make the browser send it), no
 * expiry (a session cookie, renewed by every page load), `Secure` over TLS.
 */
export function apiKeyCookie(key: string, opts: ApiKeyCookieOptions): string {
  const parts = [`${API_KEY_COOKIE}=${encodeURIComponent(key)}`, `Path=${opts.apiPath}v0/file/s/`, 'SameSite=Strict', 'HttpOnly'];
  if (opts.secure) parts.push('Secure');
  return parts.join('; ');
}

/** {@link ApiKeyCookieOptions}, and which keys this server accepts. */
export interface PageCookieOptions extends ApiKeyCookieOptions {
  valid(key: string): boolean;
}

/**
 * The `Set-Cookie` of the app page: the API key the bundle is built with, if this server accepts
 * it. Null (with a warning) when the bundle names no single key or the key is not valid here:
 * the app could not connect with it either.
 */
export function pageApiKeyCookie(bundle: string, opts: PageCookieOptions, log: Logger): string | null {
  const key = bundleApiKey(bundle);
  if (!key || !opts.valid(key)) {
    log.warn('web app: its API key is not valid on this server: no API key cookie for the avatars it loads');
    return null;
  }
  return apiKeyCookie(key, opts);
}
