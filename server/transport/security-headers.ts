import type { ServerResponse } from 'node:http';

/** `x_frame_options`: the `X-Frame-Options` header, or `-` for none. */
export type XFrameOptions = 'SAMEORIGIN' | 'DENY' | '-';

/**
 * Headers the HTTP server adds to every answer, whatever the route: no content-type sniffing (an
 * uploaded file or a JSON reply is never taken for HTML or a script), and no `Referer` to other
 * origins (nothing of the server's address, or of a file link's credentials, leaves with a link).
 */
export const COMMON_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
});

/** Adds {@link COMMON_SECURITY_HEADERS} to a response. */
export function applyCommonSecurityHeaders(res: ServerResponse): void {
  for (const [name, value] of Object.entries(COMMON_SECURITY_HEADERS)) {
    res.setHeader(name, value);
  }
}

/**
 * The CSP `frame-ancestors` directive saying what `X-Frame-Options` says (browsers that know CSP
 * follow it rather than the older header): `'self'` for SAMEORIGIN, `'none'` for DENY, null for
 * `-` (framing left unrestricted).
 */
export function frameAncestors(xFrameOptions: XFrameOptions): string | null {
  switch (xFrameOptions) {
    case 'SAMEORIGIN':
      return "frame-ancestors 'self'";
    case 'DENY':
      return "frame-ancestors 'none'";
    case '-':
      return null;
  }
}

/** Joins CSP directives, leaving out the absent ones. */
export function cspOf(directives: readonly (string | null)[]): string {
  return directives.filter((d): d is string => d !== null).join('; ');
}

/**
 * The `Content-Security-Policy` of a static folder (`--static-mount`): only what cannot break a
 * page we have not seen (no plugins, no `<base>` elsewhere, framing as `x_frame_options`). A
 * script or connection policy is left to the folder's owner: the stock TinodeWeb build, for one,
 * loads React from a CDN and its fonts from Google.
 */
export function staticFolderCsp(xFrameOptions: XFrameOptions): string {
  return cspOf(["object-src 'none'", "base-uri 'self'", frameAncestors(xFrameOptions)]);
}
