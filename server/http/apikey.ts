import type { IncomingMessage } from 'node:http';

/**
 * Where a request carries its API key, in the reference's order: the `X-Tinode-APIKey` header,
 * the `apikey` query or form value, then the `apikey` cookie. Returns '' when absent.
 */
export function apiKeyOf(req: IncomingMessage, url: URL, form?: URLSearchParams): string {
  const header = req.headers['x-tinode-apikey'];
  if (typeof header === 'string' && header) {
    return header;
  }
  const query = url.searchParams.get('apikey');
  if (query) {
    return query;
  }
  const fromForm = form?.get('apikey');
  if (fromForm) {
    return fromForm;
  }
  return cookieOf(req, 'apikey');
}

/** A cookie's value from the request, or ''. */
export function cookieOf(req: IncomingMessage, name: string): string {
  const header = req.headers.cookie;
  if (!header) {
    return '';
  }
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return part.slice(eq + 1).trim();
      }
    }
  }
  return '';
}
