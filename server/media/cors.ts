import type { IncomingHttpHeaders } from 'node:http';

/**
 * CORS for the file endpoints, as the reference's media handlers do it (`media.CORSHandler`):
 * allowed origins come from a handler's `cors_origins` (`["*"]`, exact origins, or origins with
 * `*` host labels such as `https://*.example.com`); a preflight is answered 204 with the allow
 * headers only when the origin and the requested method are allowed.
 */

/** One pre-parsed entry of `cors_origins`. */
export interface AllowedOrigin {
  origin: string;
  url: URL | null;
  hostParts: string[];
  hasWildcard: boolean;
}

/** Headers to add and a status that ends the request (0: go on). */
export interface HeaderDecision {
  headers: Record<string, string>;
  status: number;
}

/** Parses `cors_origins`; throws with the reason on an entry that is not an origin. */
export function parseCorsAllow(allowed: readonly string[]): AllowedOrigin[] {
  return allowed.map((val) => {
    if (val === '*' || val === '') {
      if (allowed.length > 1) {
        throw new Error(`${val === '*' ? "wildcard origin '*'" : "empty origin ''"} must be the only entry`);
      }
      return { origin: val, url: null, hostParts: [], hasWildcard: val === '*' };
    }
    let url: URL;
    try {
      // A '*' label is not a valid host: parse with a placeholder, keep the labels.
      url = new URL(val.replace(/\*/g, 'wildcard-label'));
    } catch {
      throw new Error(`"${val}" is not an origin URL`);
    }
    const hostParts = url.hostname.split('.').map((p) => (p === 'wildcard-label' ? '*' : p));
    return { origin: val, url, hostParts, hasWildcard: hostParts.includes('*') };
  });
}

/** The value of `Access-Control-Allow-Origin` for a request's origin, or '' when not allowed. */
export function matchCorsOrigin(allowed: readonly AllowedOrigin[], origin: string): string {
  const first = allowed[0];
  if (!first) return '';
  if (first.origin === '*') return origin || '*';
  if (!origin || first.origin === '') return '';
  let originUrl: URL;
  try {
    originUrl = new URL(origin);
  } catch {
    return '';
  }
  const parts = originUrl.hostname.split('.');
  for (const val of allowed) {
    if (val.origin === origin) return origin;
    if (!val.hasWildcard || !val.url || originUrl.protocol !== val.url.protocol || originUrl.port !== val.url.port || parts.length !== val.hostParts.length) {
      continue;
    }
    if (val.hostParts.every((p, i) => p === '*' || p === parts[i])) return origin;
  }
  return '';
}

function header(headers: IncomingHttpHeaders, name: string): string {
  const v = headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

/**
 * The reference's CORS decision: a preflight (OPTIONS with `Access-Control-Request-Method`) is
 * ended with 204, carrying the allow headers when origin and method are allowed; any other
 * request goes on, with `Access-Control-Allow-Origin` when its origin is allowed. `serve` selects
 * the download methods (GET, HEAD) over the upload ones (POST, PUT, HEAD).
 */
export function corsDecision(allowed: readonly AllowedOrigin[], method: string, reqHeaders: IncomingHttpHeaders, serve: boolean): HeaderDecision {
  const headers: Record<string, string> = { Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers' };
  const origin = header(reqHeaders, 'origin');
  const allowedOrigin = matchCorsOrigin(allowed, origin);
  const requested = header(reqHeaders, 'access-control-request-method').toUpperCase();
  if (method === 'OPTIONS' && requested) {
    const methods = serve ? ['GET', 'HEAD', 'OPTIONS'] : ['POST', 'PUT', 'HEAD', 'OPTIONS'];
    if (allowedOrigin && methods.includes(requested)) {
      Object.assign(headers, {
        'Access-Control-Allow-Headers': '*',
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Allow-Methods': methods.join(', '),
        'Access-Control-Max-Age': '86400',
        'Access-Control-Allow-Origin': allowedOrigin,
      });
    }
    return { headers, status: 204 };
  }
  if (allowedOrigin) {
    headers['Access-Control-Allow-Origin'] = origin || allowedOrigin;
  }
  return { headers, status: 0 };
}
