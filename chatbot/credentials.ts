import { readFileSync, renameSync, writeFileSync } from 'node:fs';

/**
 * How the bot logs in, and the cookie file that keeps its token between runs. The file has the
 * reference chatbot's layout, so the two can share it:
 *
 *     {"schema": "basic", "secret": "login:password"}
 *     {"schema": "token", "secret": "<base64 token>", "expires": "...", "user": "usr..."}
 *
 * After each login the bot saves its token there (readable by the owner only). When the file
 * held a password, the token cookie keeps it as `"basic": "login:password"`, and the bot falls
 * back to it once the token has expired (the reference loses it).
 */

export interface Credentials {
  scheme: string;
  /** The secret as the wire carries it: `login:password` for basic, the decoded token bytes. */
  secret: Buffer;
  /** Where they come from, for the log (never the secret itself). */
  source: string;
  /** The password kept in a token cookie, for when the token is refused. */
  fallback?: Credentials;
  /** Read from the cookie file. */
  fromCookie?: boolean;
}

/** A problem with the given credentials, explained. */
export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
}

/** Basic credentials from `login:password`. */
export function basicCredentials(loginPassword: string, source = '--login-basic'): Credentials {
  const i = loginPassword.indexOf(':');
  if (i <= 0 || i === loginPassword.length - 1) {
    throw new CredentialsError(`${source} takes login:password, e.g. quotebot:secret123`);
  }
  return { scheme: 'basic', secret: Buffer.from(loginPassword, 'utf8'), source: `${source} (${loginPassword.slice(0, i)})` };
}

/** Token credentials from the token as the server hands it out (base64). */
export function tokenCredentials(token: string, source = '--login-token'): Credentials {
  const trimmed = token.trim();
  const secret = Buffer.from(trimmed, 'base64');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed) || secret.length === 0) {
    throw new CredentialsError(`${source}: the token is not base64`);
  }
  return { scheme: 'token', secret, source };
}

/** The credentials in a cookie file; {@link CredentialsError} saying why there are none. */
export function readCookie(path: string): Credentials {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CredentialsError(`cannot read the cookie file ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? (err as Error).message)}`);
  }
  let params: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    params = parsed as Record<string, unknown>;
  } catch {
    throw new CredentialsError(`the cookie file ${path} is not a JSON object`);
  }
  const source = `cookie file ${path}`;
  const schema = params.schema ?? (typeof params.token === 'string' ? 'token' : undefined);
  const secret = params.secret ?? params.token;
  if (typeof schema !== 'string' || typeof secret !== 'string' || secret === '') {
    throw new CredentialsError(`the cookie file ${path} has no "schema" and "secret"`);
  }
  if (schema === 'token') {
    const creds: Credentials = { ...tokenCredentials(secret, source), fromCookie: true };
    if (typeof params.basic === 'string') creds.fallback = basicCredentials(params.basic, `the password in ${path}`);
    return creds;
  }
  if (schema === 'basic') return { ...basicCredentials(secret, source), fromCookie: true };
  return { scheme: schema, secret: Buffer.from(secret, 'utf8'), source, fromCookie: true };
}

/**
 * Saves the parameters of a successful login (`token`, `expires`, `user`...) as a token cookie,
 * with the password to keep (`login:password`) if any.
 */
export function saveTokenCookie(path: string, params: Record<string, unknown>, keepBasic?: Credentials): void {
  const cookie: Record<string, unknown> = { schema: 'token' };
  for (const [k, v] of Object.entries(params)) {
    if (k === 'token') cookie.secret = v;
    else cookie[k] = v instanceof Date ? v.toISOString() : v;
  }
  if (keepBasic?.scheme === 'basic') cookie.basic = keepBasic.secret.toString('utf8');
  writeCookie(path, cookie);
}

/**
 * Saves a login and password as a basic cookie, for the bot's first run (e.g. by whatever
 * generated the bot user's password). The bot replaces it with a token cookie once logged in.
 */
export function saveBasicCookie(path: string, login: string, password: string, user?: string): void {
  writeCookie(path, { schema: 'basic', secret: `${login}:${password}`, ...(user ? { user } : {}) });
}

/** Writes a temporary file first, so that a crash never leaves half a cookie; owner-only. */
function writeCookie(path: string, cookie: Record<string, unknown>): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(cookie) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}

/**
 * The credentials to start with, in the reference's order: `--login-token`, else
 * `--login-basic`, else the cookie file.
 */
export function chooseCredentials(opts: { loginToken?: string; loginBasic?: string; loginCookie: string }): Credentials {
  if (opts.loginToken !== undefined) return tokenCredentials(opts.loginToken);
  if (opts.loginBasic !== undefined) return basicCredentials(opts.loginBasic);
  try {
    return readCookie(opts.loginCookie);
  } catch (err) {
    if (err instanceof CredentialsError) {
      throw new CredentialsError(`${err.message}; give --login-basic login:password or --login-token TOKEN (the bot then saves its token to ${opts.loginCookie})`);
    }
    throw err;
  }
}
