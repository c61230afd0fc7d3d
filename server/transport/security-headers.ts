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
