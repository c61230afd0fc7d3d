import type { IncomingMessage, ServerResponse } from 'node:http';

/** Where a CA asks for an HTTP-01 challenge's answer (RFC 8555, section 8.3). */
export const HTTP01_PATH = '/.well-known/acme-challenge/';

/**
 * The HTTP-01 challenges being validated: for each token, the key authorization the CA expects at
 * `http://<domain>/.well-known/acme-challenge/<token>` (port 80). Tokens come and go while an order
 * is in progress; the plain-HTTP listener (`tls.http_redirect`) answers them before redirecting.
 */
export class Http01Challenges {
  readonly #answers = new Map<string, string>();

  add(token: string, keyAuthorization: string): void {
    this.#answers.set(token, keyAuthorization);
  }

  remove(token: string): void {
    this.#answers.delete(token);
  }

  /**
   * Answers a request for a challenge: 200 with the key authorization for a known token, 404 for
   * another token. Returns false, having written nothing, for any other path.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (!path.startsWith(HTTP01_PATH) || (req.method !== 'GET' && req.method !== 'HEAD')) {
      return false;
    }
    const answer = this.#answers.get(path.slice(HTTP01_PATH.length));
    res.statusCode = answer === undefined ? 404 : 200;
    res.setHeader('Content-Type', 'text/plain');
    res.setHeader('Cache-Control', 'no-store');
    res.end(req.method === 'GET' ? (answer ?? '') : undefined);
    return true;
  }
}
