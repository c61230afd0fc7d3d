import type { ServerResponse } from 'node:http';
import { encodeServerJson } from '../../src/wire/codec/json-encode.js';
import type { ServerMessage } from '../../src/wire/server-messages.js';
import type { Logger } from '../log/log.js';
import type { AuthSchemes } from '../auth/scheme.js';
import type { SessionLookup } from './auth.js';
import type { PublicAvatars } from './avatars.js';
import type { Media } from './media.js';

/** What the HTTP file endpoints need from the server. */
export interface FileHttpOptions {
  media: Media;
  schemes: AuthSchemes;
  /** Live sessions, for requests authenticated by `sid`. */
  sessions: SessionLookup;
  checkApiKey(key: string): boolean;
  useXForwardedFor: boolean;
  /** `api_path`, starting and ending with '/'. */
  apiPath: string;
  /**
   * Which files are public avatars, served to a request with the API key and no credentials.
   * Absent: every download needs credentials (the reference's rule).
   */
  avatars?: PublicAvatars | undefined;
  log: Logger;
  /** Counts transfers for the server's statistics (`FileUploadsTotal`, `FileDownloadsTotal`). */
  stats?: { fileUploaded(bytes: number): void; fileDownloaded(bytes: number): void } | undefined;
}

/** Adds headers to a response. */
export function applyHeaders(res: ServerResponse, headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
}

/** Answers with a `{ctrl}` as JSON, its code as the HTTP status (the reference's `writeHttpResponse`). */
export function sendCtrl(res: ServerResponse, msg: ServerMessage): void {
  if (res.headersSent || res.destroyed) {
    res.end();
    return;
  }
  res.statusCode = 'ctrl' in msg ? msg.ctrl.code : 500;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(encodeServerJson(msg) + '\n');
}
