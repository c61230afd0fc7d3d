import type { IncomingMessage } from 'node:http';
import type { Uid } from '../../src/model/uid.js';
import type { AuthSchemes } from '../auth/scheme.js';
import { StoreError } from '../store/contract/errors.js';
import { cookieOf } from '../http/apikey.js';

/**
 * Who makes a file request, as the reference's `authFileRequest` decides: an auth scheme and its
 * base64 secret (a token, or basic `login:password`), or else the id of a live session.
 */
export interface FileCredentials {
  /** Auth scheme name as clients use it (`token`, `basic`), or ''. */
  method: string;
  /** The scheme's secret in standard base64. */
  secret: string;
  /** Session id (long polling, websocket) to borrow the user from when no scheme is given. */
  sid: string;
}

/** Where a file request's user comes from: sessions by id. */
export interface SessionLookup {
  get(sid: string): { readonly uid: Uid } | undefined;
}

/** The outcome: the user (zero when nobody authenticated), or a challenge the scheme asks back. */
export interface FileAuthResult {
  uid: Uid;
  challenge?: Buffer | undefined;
}

function headerOf(req: IncomingMessage, name: string): string {
  const v = req.headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

/**
 * The reference's `getHttpAuth` order: `X-Tinode-Auth: <scheme> <secret>`, then
 * `Authorization: <scheme> <secret>`, then the `auth`/`secret` query (URL-safe base64 accepted),
 * then `auth`/`secret` form fields, then `auth`/`secret` cookies. `sid` from the form or query.
 */
export function httpCredentials(req: IncomingMessage, url: URL, form?: URLSearchParams): FileCredentials {
  const sid = form?.get('sid') || url.searchParams.get('sid') || '';
  for (const name of ['x-tinode-auth', 'authorization']) {
    const parts = headerOf(req, name).split(' ');
    if (parts.length === 2) return { method: parts[0]!, secret: parts[1]!, sid };
  }
  const queryMethod = url.searchParams.get('auth');
  if (queryMethod) {
    const secret = (url.searchParams.get('secret') ?? '').replace(/-/g, '+').replace(/_/g, '/');
    return { method: queryMethod, secret, sid };
  }
  const formMethod = form?.get('auth');
  if (formMethod) return { method: formMethod, secret: form?.get('secret') ?? '', sid };
  const cookieMethod = cookieOf(req, 'auth');
  const cookieSecret = cookieOf(req, 'secret');
  if (cookieMethod && cookieSecret) return { method: cookieMethod, secret: cookieSecret, sid };
  return { method: '', secret: '', sid };
}

/** Standard padded base64 as Go's `base64.StdEncoding` reads it, or null when it is not. */
function decodeStdBase64(s: string): Buffer | null {
  const text = s.replace(/[\r\n]/g, '');
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  return Buffer.from(text, 'base64');
}

/**
 * Authenticates a file request. A scheme's secret that is not base64, or an unknown scheme, is
 * `malformed`; a secret the scheme refuses throws the scheme's error (`failed`, `expired`...).
 * Without a scheme, the user of the live session `sid` (zero when there is none).
 */
export async function authenticateFile(schemes: AuthSchemes, sessions: SessionLookup | null, cred: FileCredentials, remoteAddr: string): Promise<FileAuthResult> {
  if (!cred.method) {
    return { uid: (cred.sid && sessions?.get(cred.sid)?.uid) || 0n };
  }
  const secret = decodeStdBase64(cred.secret);
  if (!secret) throw new StoreError('malformed', 'the auth secret is not base64');
  const scheme = schemes.get(cred.method);
  if (!scheme) throw new StoreError('malformed', `unknown auth method "${cred.method}"`);
  const { rec, challenge } = await scheme.authenticate(secret, remoteAddr);
  return challenge ? { uid: 0n, challenge } : { uid: rec.uid };
}
