import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Uid } from '../../src/model/uid.js';
import type { FileDef } from '../store/contract/types.js';
import type { HeaderDecision } from './cors.js';

/**
 * Where uploaded files live. A media handler stores and reads bytes; the records of files
 * (`fileuploads`), size limits, type sniffing, authentication and garbage collection are done by
 * the caller ({@link Media}) the same way for every handler. Handlers register by name, as the
 * reference's `store.RegisterMediaHandler`; `media.use_handler` picks one and
 * `media.handlers.<name>` is its config.
 */
export interface MediaHandler {
  /** The registered name (`fs`). */
  readonly name: string;
  /** The path prefix files are served from (`/v0/file/s/`), ending with '/'. */
  readonly serveUrl: string;
  /** `Cache-Control` of served files. */
  readonly cacheControl: string;

  /** Where the bytes of a new file with this id go (a path, an object key). Stored in the record. */
  location(fid: Uid): string;
  /**
   * Writes the stream to `fd.location`. Resolves when every byte is stored, with the count and
   * an ETag. When the stream fails (a size limit, a dropped client) or the write fails, whatever
   * was written is removed before the promise rejects with the stream's error.
   */
  upload(fd: FileDef, data: Readable): Promise<{ size: number; etag: string }>;
  /** Opens a stored file for reading; `not-found` StoreError when its bytes are gone. */
  open(fd: FileDef): Promise<StoredObject>;
  /** Removes stored files by location; missing ones are not an error. */
  delete(locations: readonly string[]): Promise<void>;
  /** The download URL of a file (`/v0/file/s/<id>.<ext>`). */
  urlFor(fd: FileDef): string;
  /**
   * The file id in a download URL: only a path under {@link serveUrl} (or a bare file name), with
   * or without an extension. Null for anything else, other servers' URLs included.
   */
  idFromUrl(url: string): Uid | null;
  /**
   * Answers an authenticated download of a completed file without the server sending its bytes
   * (the reference's `Headers` returning a status): the `s3` handler redirects to a presigned URL
   * of the object. Null, or no such method: the bytes are served from {@link open}.
   */
  serveDirect?(fd: FileDef, req: DirectRequest): Promise<DirectAnswer | null>;
  /** CORS headers for a request, and 204 ending a preflight (`cors_origins`). */
  cors(method: string, reqHeaders: IncomingHttpHeaders, serve: boolean): HeaderDecision;
  /** Releases resources (the server is stopping). */
  close?(): Promise<void>;
}

/** What {@link MediaHandler.serveDirect} knows of a download request. */
export interface DirectRequest {
  method: 'GET' | 'HEAD';
  /**
   * The `Content-Disposition` the download must have (`attachment; filename="…"` or `inline; …`),
   * already safe as a header value: `attachment` for `asatt=1` and any type never shown inline.
   */
  disposition: string;
  /** The request's `If-None-Match`, '' when absent. */
  ifNoneMatch: string;
}

/** A download answered by the handler: the status and headers to send (a GET gets a `{ctrl}` body). */
export interface DirectAnswer {
  status: number;
  headers: Record<string, string>;
}

/** An opened stored file: its size, and streams of its bytes. */
export interface StoredObject {
  readonly size: number;
  /** A stream of bytes `start..end` (inclusive), or of the whole file. */
  read(range?: { start: number; end: number }): Readable;
  close(): Promise<void>;
}

/** Makes a handler from its config object (`media.handlers.<name>`); throws a ConfigError when invalid. */
export type MediaHandlerFactory = (config: Record<string, unknown>, configPath: string) => MediaHandler;

const factories = new Map<string, MediaHandlerFactory>();

/** Registers a handler; registering a name twice is a programming error. */
export function registerMediaHandler(name: string, factory: MediaHandlerFactory): void {
  if (factories.has(name)) {
    throw new Error(`media handler "${name}" is registered twice`);
  }
  factories.set(name, factory);
}

/** The names of the registered handlers. */
export function mediaHandlerNames(): string[] {
  return [...factories.keys()];
}

/** Makes a handler by name; null when no handler has that name. */
export function createMediaHandler(name: string, config: Record<string, unknown>, configPath: string): MediaHandler | null {
  const factory = factories.get(name);
  return factory ? factory(config, configPath) : null;
}
