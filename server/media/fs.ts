import { createWriteStream } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { join, relative, resolve, isAbsolute } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ConfigError } from '../../src/config/errors.js';
import { uidToBytes, type Uid } from '../../src/model/uid.js';
import { StoreError } from '../store/contract/errors.js';
import type { FileDef } from '../store/contract/types.js';
import { registerMediaHandler, type MediaHandler, type StoredObject } from './handler.js';
import { ServedFiles } from './served.js';

export { idFromServeUrl } from './served.js';

/** Defaults of the reference's `fs` handler. */
export const DEFAULT_SERVE_URL = '/v0/file/s/';
export const DEFAULT_CACHE_CONTROL = 'max-age=86400';
export const DEFAULT_UPLOAD_DIR = 'uploads';

/** `media.handlers.fs`. */
export interface FsConfig {
  /** Folder of the files (relative to the working directory); created on the first upload. */
  upload_dir: string;
  /** Path prefix of download URLs. */
  serve_url: string;
  /** `Cache-Control` of downloads. */
  cache_control: string;
  /** Origins allowed to fetch and upload files from browsers (see {@link parseCorsAllow}). */
  cors_origins: string[];
}

/**
 * The reference's `fs` media handler: every file in one folder, named by its id in lowercase
 * unpadded base32 (safe on case-insensitive file systems), served under `serve_url` as
 * `<id>.<ext>` with the extension of its type. ETags are derived from the file's path, which is
 * unique and never reused.
 */
export class FsHandler extends ServedFiles implements MediaHandler {
  readonly name = 'fs';
  private readonly uploadDir: string;

  constructor(cfg: FsConfig, configPath = 'media.handlers.fs') {
    super(cfg, configPath);
    this.uploadDir = cfg.upload_dir;
  }

  /** Builds the handler from its raw config section, naming the key at fault. */
  static fromConfig(raw: Record<string, unknown>, path: string): FsHandler {
    const str = (key: keyof FsConfig, def: string): string => {
      const v = raw[key];
      if (v === undefined || v === null || v === '') return def;
      if (typeof v !== 'string') throw new ConfigError(`${path}.${key}`, `${JSON.stringify(v)} is not a string`, 'a string');
      return v;
    };
    const serveUrl = str('serve_url', DEFAULT_SERVE_URL);
    if (!serveUrl.startsWith('/') || !serveUrl.endsWith('/')) {
      throw new ConfigError(`${path}.serve_url`, `"${serveUrl}" is not a path`, 'a path starting and ending with "/", such as "/v0/file/s/"');
    }
    const origins = raw.cors_origins ?? [];
    if (!Array.isArray(origins) || origins.some((o) => typeof o !== 'string')) {
      throw new ConfigError(`${path}.cors_origins`, 'not a list of strings', 'a list of origins');
    }
    return new FsHandler(
      { upload_dir: str('upload_dir', DEFAULT_UPLOAD_DIR), serve_url: serveUrl, cache_control: str('cache_control', DEFAULT_CACHE_CONTROL), cors_origins: origins as string[] },
      path,
    );
  }

  location(fid: Uid): string {
    return join(this.uploadDir, base32Lower(uidToBytes(fid)));
  }

  async upload(fd: FileDef, data: Readable): Promise<{ size: number; etag: string }> {
    await mkdir(this.uploadDir, { recursive: true });
    const out = createWriteStream(fd.location, { flags: 'wx' });
    try {
      await pipeline(data, out);
    } catch (err) {
      await rm(fd.location, { force: true });
      throw err;
    }
    return { size: out.bytesWritten, etag: etagFromPath(fd.location) };
  }

  async open(fd: FileDef): Promise<StoredObject> {
    let handle;
    try {
      handle = await open(fd.location, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new StoreError('not-found', `file ${fd.location} is gone`);
      throw err;
    }
    const { size } = await handle.stat();
    return {
      size,
      read: (range) => handle.createReadStream({ autoClose: false, ...(range ? { start: range.start, end: range.end } : { start: 0 }) }),
      close: () => handle.close(),
    };
  }

  async delete(locations: readonly string[]): Promise<void> {
    const root = resolve(this.uploadDir);
    let firstError: unknown = null;
    for (const loc of locations) {
      // Only files of this folder: a record written by another handler names no local file.
      const rel = relative(root, resolve(loc));
      if (!rel || rel.startsWith('..') || isAbsolute(rel)) continue;
      await rm(loc, { force: true }).catch((err: unknown) => (firstError ??= err));
    }
    if (firstError) throw firstError;
  }

}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** RFC 4648 base32 without padding, in lowercase (the reference's `Uid.String32`). */
export function base32Lower(data: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

const FNV128_OFFSET = 0x6c62272e07bb014262b821756295c58dn;
const FNV128_PRIME = 0x0000000001000000000000000000013bn;
const MASK128 = (1n << 128n) - 1n;

/** The reference's ETag of a stored file: FNV-1 128-bit hash of its path, lowercase base32. */
export function etagFromPath(path: string): string {
  let hash = FNV128_OFFSET;
  for (const byte of Buffer.from(path, 'utf8')) {
    hash = ((hash * FNV128_PRIME) & MASK128) ^ BigInt(byte);
  }
  const sum = Buffer.alloc(16);
  sum.writeBigUInt64BE(hash >> 64n, 0);
  sum.writeBigUInt64BE(hash & ((1n << 64n) - 1n), 8);
  return base32Lower(sum);
}

registerMediaHandler('fs', (config, path) => FsHandler.fromConfig(config, path));
