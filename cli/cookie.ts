import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The cookie file: after a login in interactive mode the client saves the login's result
 * (user, token, expiry) to `.tn-cli-cookie` in the current folder, and the next interactive
 * start logs in with its token, as the reference client does.
 */
export const COOKIE_FILE = '.tn-cli-cookie';

export function cookiePath(dir = process.cwd()): string {
  return join(dir, COOKIE_FILE);
}

/** The token saved in the cookie file; an Error saying what is wrong when there is none. */
export function readCookieToken(path = cookiePath()): string | Error {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return new Error(`cannot read the cookie file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    const params = JSON.parse(text) as { token?: unknown };
    if (typeof params.token === 'string' && params.token) {
      return params.token;
    }
  } catch {
    // Reported below.
  }
  return new Error(`the cookie file ${path} holds no token`);
}

/** Saves the login parameters (readable by the owner only: the token is a secret). */
export function saveCookie(params: Record<string, unknown>, path = cookiePath()): void {
  writeFileSync(path, JSON.stringify(params) + '\n', { mode: 0o600 });
}
