import { cspOf, frameAncestors, type XFrameOptions } from '../transport/security-headers.js';

/**
 * The `Content-Security-Policy` of TinodeWeb as {@link loadWebApp} serves it, the page rewritten
 * to load everything from this server. Each source is what TinodeWeb 0.25 needs, no more:
 *
 * - scripts, stylesheets and fonts from this origin only (the page has no inline script or
 *   style; React sets styles through the DOM, which the policy does not restrict; the bundle never
 *   evaluates strings);
 * - `connect-src`: the websocket and long-poll endpoints and the file endpoints on this origin
 *   (`'self'` covers `ws:`/`wss:` to the same host in browsers of CSP level 3), and `blob:` and
 *   `data:` URLs the app reads back with `fetch` (a recorded voice message, an image whose
 *   reference is a `data:` URL);
 * - images and media from this origin (the file endpoint, the app's own pictures and sounds) and
 *   from `blob:` and `data:` URLs (previews, inline images, QR codes, avatars), nothing from other
 *   hosts (an image link of another user's message does not reveal the reader to its host);
 * - `worker-src 'self'`: the app's service worker, registered only when push is configured;
 * - no plugins, no `<base>` but ours, forms posting only here, framing as `x_frame_options`.
 *
 * A page loaded from this server can therefore not talk to another Tinode server (TinodeWeb's
 * server setting on the login page): that is a page for that server to serve.
 */
export function webAppCsp(xFrameOptions: XFrameOptions): string {
  return cspOf([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "font-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' data: blob:",
    "connect-src 'self' data: blob:",
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    frameAncestors(xFrameOptions),
  ]);
}
