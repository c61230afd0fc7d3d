import type { IncomingHttpHeaders } from 'node:http';
import { extension } from 'mime-types';
import { ConfigError } from '../../src/config/errors.js';
import { posix } from 'node:path';
import { parseUid, uidToString, type Uid } from '../../src/model/uid.js';
import type { FileDef } from '../store/contract/types.js';
import { corsDecision, parseCorsAllow, type AllowedOrigin, type HeaderDecision } from './cors.js';

/** What every handler's config has: where files are served, their cache header, CORS origins. */
export interface ServedConfig {
  serve_url: string;
  cache_control: string;
  cors_origins: string[];
}

/**
 * What the media handlers share: download URLs under `serve_url` (`<id>.<ext>`), ids read back
 * from such URLs, and the CORS decision for browsers.
 */
export abstract class ServedFiles {
  readonly serveUrl: string;
  readonly cacheControl: string;
  private readonly corsOrigins: AllowedOrigin[];

  protected constructor(cfg: ServedConfig, configPath: string) {
    this.serveUrl = cfg.serve_url;
    this.cacheControl = cfg.cache_control;
    try {
      this.corsOrigins = parseCorsAllow(cfg.cors_origins);
    } catch (err) {
      throw new ConfigError(`${configPath}.cors_origins`, (err as Error).message, 'origins such as "https://example.com" or "https://*.example.com", or ["*"]');
    }
  }

  urlFor(fd: FileDef): string {
    const ext = extension(fd.mimeType);
    return `${this.serveUrl}${uidToString(fd.id)}${ext ? `.${ext}` : ''}`;
  }

  idFromUrl(url: string): Uid | null {
    return idFromServeUrl(url, this.serveUrl);
  }

  cors(method: string, reqHeaders: IncomingHttpHeaders, serve: boolean): HeaderDecision {
    return corsDecision(this.corsOrigins, method, reqHeaders, serve);
  }
}

/**
 * The reference's `media.GetIdFromUrl`: the URL, cleaned as a path, must be a bare file name or
 * a file directly under `serveUrl`; the id is the file name's leading `[-_A-Za-z0-9]` run.
 */
export function idFromServeUrl(url: string, serveUrl: string): Uid | null {
  let clean = posix.normalize(url);
  if (clean.length > 1 && clean.endsWith('/')) clean = clean.slice(0, -1);
  const slash = clean.lastIndexOf('/');
  const dir = clean.slice(0, slash + 1);
  if (dir !== '' && dir !== serveUrl) return null;
  const name = /^[-_A-Za-z0-9]+/.exec(clean.slice(slash + 1))?.[0] ?? '';
  const id = parseUid(name);
  return id === 0n ? null : id;
}

