import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** Private, loopback and link-local addresses: not a client's public address. */
function isRoutable(ip: string): boolean {
  const v = isIP(ip);
  if (v === 4) {
    const [a, b] = ip.split('.').map(Number) as [number, number];
    return !(a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254));
  }
  if (v === 6) {
    const low = ip.toLowerCase();
    return !(low === '::1' || low.startsWith('fe8') || low.startsWith('fe9') || low.startsWith('fea') || low.startsWith('feb') || low.startsWith('fc') || low.startsWith('fd'));
  }
  return false;
}

/**
 * The client's address: with `useForwarded` (behind a proxy), the last routable address of
 * `X-Forwarded-For`, which is the one the nearest public-facing proxy added (what a client writes
 * in the header itself comes before it, so it cannot choose its address); else, or when the
 * header has none, the socket's peer address.
 */
export function remoteAddrOf(req: IncomingMessage, useForwarded: boolean): string {
  if (useForwarded) {
    const fwd = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(fwd) ? fwd.join(',') : (fwd ?? '')).split(',').map((h) => h.trim());
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!;
      if (isRoutable(hop)) {
        return hop;
      }
    }
  }
  const addr = req.socket.remoteAddress ?? '';
  return addr.startsWith('::ffff:') ? addr.slice(7) : addr;
}
