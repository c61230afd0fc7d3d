import { Readable } from 'node:stream';
import { ConfigError } from '../../src/config/errors.js';
import type { TinodeConfig } from '../../src/config/schema.js';
import type { Uid } from '../../src/model/uid.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import type { Logger } from '../log/log.js';
import { StoreError } from '../store/contract/errors.js';
import type { Store } from '../store/store.js';
import { UploadStatus, type FileDef } from '../store/contract/types.js';
import { createMediaHandler, mediaHandlerNames, type MediaHandler } from './handler.js';
import { SNIFF_LEN, uploadMimeType } from './sniff.js';
// Built-in handlers register themselves.
import './fs.js';
import './s3.js';

/** Unlinked uploads younger than this survive garbage collection (the reference's one hour). */
export const DEFAULT_GC_GRACE_MS = 3_600_000;

export interface MediaOptions {
  /** Largest accepted file, bytes (`media.max_size`); 0 for no limit. */
  maxSize: number;
  /** Seconds between garbage collections (`media.gc_period`); 0 for none. */
  gcPeriod: number;
  /** Unused files deleted in one collection (`media.gc_block_size`); 0 for no collection. */
  gcBlockSize: number;
  /** How old an unlinked upload must be to be collected, ms. */
  gcGraceMs: number;
}

/** What an upload brings: who sends it, the type the client declared, and the bytes. */
export interface IncomingFile {
  /** The uploader; zero for a new account's avatar. */
  user: Uid;
  /** The client's Content-Type for the file, used when sniffing finds nothing specific. */
  declaredType: string | undefined;
  chunks: AsyncIterable<Uint8Array>;
}

/** A stored file whose record is not final yet: commit it, or abort to remove it. */
export interface PendingUpload {
  readonly fd: FileDef;
  /** Marks the record completed; resolves with the file's download URL. */
  commit(): Promise<StoredFile>;
  /** Removes the bytes and the record. */
  abort(): Promise<void>;
}

export interface StoredFile {
  id: Uid;
  url: string;
  size: number;
  mimeType: string;
  etag: string;
}

/**
 * Out-of-band files, whatever the transport: receives uploads into the configured handler with
 * their `fileuploads` records (started before the first byte is written, completed or dropped
 * after), enforces `media.max_size` while the bytes stream (the upload is aborted and its partial
 * file removed the moment the limit is crossed; nothing is held in memory beyond the first 512
 * bytes used to sniff the type), finds files by download URL, and collects unused files every
 * `gc_period` seconds.
 */
export class Media {
  private gcTimer: NodeJS.Timeout | null = null;
  private gcRun: Promise<void> | null = null;

  constructor(
    readonly handler: MediaHandler,
    private readonly store: Store,
    private readonly log: Logger,
    readonly opts: MediaOptions,
  ) {}

  /** The media service of a config, or null when `media.use_handler` is empty (files are off). */
  static create(cfg: TinodeConfig['media'], store: Store, log: Logger, gcGraceMs = DEFAULT_GC_GRACE_MS): Media | null {
    const name = cfg.use_handler;
    if (!name) return null;
    const raw = cfg.handlers[name];
    const section = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
    const handler = createMediaHandler(name, section, `media.handlers.${name}`);
    if (!handler) {
      throw new ConfigError('media.use_handler', `unknown media handler "${name}"`, `one of ${mediaHandlerNames().join(', ')}, or "" for no file uploads`);
    }
    return new Media(handler, store, log, { maxSize: cfg.max_size, gcPeriod: cfg.gc_period, gcBlockSize: cfg.gc_block_size, gcGraceMs });
  }

  /** Whether unused uploads are collected (both `gc_period` and `gc_block_size` set, as the reference requires). */
  get gcEnabled(): boolean {
    return this.opts.gcPeriod > 0 && this.opts.gcBlockSize > 0;
  }

  /** Until when a new upload is kept without being attached (`params.expires`), or null without collection. */
  expiresAt(now: Date): Date | null {
    return this.gcEnabled ? new Date(now.getTime() + this.opts.gcPeriod * 1000) : null;
  }

  /**
   * Stores an incoming file. Rejects with `tooLarge` (ProtocolError) as soon as more than
   * `max_size` bytes arrived, or with the stream's error; either way the partial file and its
   * record are gone by then.
   */
  async receive(file: IncomingFile): Promise<PendingUpload> {
    const source = file.chunks[Symbol.asyncIterator]();
    const max = this.opts.maxSize;
    let received = 0;
    const take = (chunk: Uint8Array): Buffer => {
      received += chunk.byteLength;
      if (max > 0 && received > max) throw new ProtocolError('tooLarge');
      return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    };
    // The first bytes decide the type, before the record is made.
    const head: Buffer[] = [];
    let ended = false;
    try {
      while (received < SNIFF_LEN) {
        const r = await source.next();
        if (r.done) {
          ended = true;
          break;
        }
        head.push(take(r.value));
      }
    } catch (err) {
      await source.return?.();
      throw err;
    }
    const now = new Date();
    const id = this.store.newUid();
    const fd: FileDef = {
      id,
      createdAt: now,
      updatedAt: now,
      status: UploadStatus.STARTED,
      user: file.user,
      mimeType: uploadMimeType(Buffer.concat(head), file.declaredType),
      size: 0,
      location: this.handler.location(id),
      etag: '',
    };
    try {
      await this.store.files.startUpload(fd);
    } catch (err) {
      await source.return?.();
      throw err;
    }
    const rest = { [Symbol.asyncIterator]: () => source };
    async function* all(): AsyncGenerator<Buffer> {
      yield* head;
      if (ended) return;
      for await (const chunk of rest) yield take(chunk);
    }
    let stored: { size: number; etag: string };
    try {
      stored = await this.handler.upload(fd, Readable.from(all(), { objectMode: false }));
    } catch (err) {
      await this.dropRecord(fd);
      throw err;
    }
    const done = { ...fd, etag: stored.etag };
    return {
      fd: done,
      commit: async () => {
        let rec: FileDef;
        try {
          rec = await this.store.files.finishUpload(done, true, stored.size);
        } catch (err) {
          await this.handler.delete([fd.location]).catch(() => undefined);
          throw err;
        }
        return { id, url: this.handler.urlFor(rec), size: stored.size, mimeType: rec.mimeType, etag: rec.etag };
      },
      abort: async () => {
        await this.dropRecord(fd);
        await this.handler.delete([fd.location]).catch((err: unknown) => this.log.warn(`media: cannot remove ${fd.location}: ${String(err)}`));
      },
    };
  }

  private async dropRecord(fd: FileDef): Promise<void> {
    await this.store.files.finishUpload(fd, false, 0).catch((err: unknown) => this.log.warn(`media: cannot drop the record of a failed upload: ${String(err)}`));
  }

  /** The completed file a download URL names; `not-found` StoreError otherwise. */
  async find(url: string): Promise<FileDef> {
    const fid = this.handler.idFromUrl(url);
    if (fid === null) throw new StoreError('not-found', 'not a file URL of this server');
    const fd = await this.store.files.get(fid);
    if (!fd || fd.status !== UploadStatus.COMPLETED) throw new StoreError('not-found', 'no such file');
    return fd;
  }

  /**
   * One garbage collection: up to `gc_block_size` uploads nobody links to and older than the
   * grace period lose their records, then their bytes. Resolves to how many were removed.
   */
  async collect(): Promise<number> {
    const olderThan = new Date(Date.now() - this.opts.gcGraceMs);
    const locations = await this.store.files.deleteUnused(olderThan, this.opts.gcBlockSize);
    if (locations.length > 0) {
      this.log.info(`media gc: deleting ${locations.length} unused file(s)`);
      await this.handler.delete(locations);
    }
    return locations.length;
  }

  /**
   * Starts the periodic collection when configured. As the reference, the period is randomized
   * to 0.75..1.25 of `gc_period` so that servers sharing a store do not run in step.
   */
  startGc(): void {
    if (!this.gcEnabled || this.gcTimer) return;
    const period = this.opts.gcPeriod * 1000;
    const every = Math.max(1, Math.round(period * 0.75 + Math.random() * period * 0.5));
    this.gcTimer = setInterval(() => {
      if (this.gcRun) return;
      this.gcRun = this.collect()
        .then(() => undefined)
        .catch((err: unknown) => this.log.warn(`media gc: ${err instanceof Error ? err.message : String(err)}`))
        .finally(() => (this.gcRun = null));
    }, every);
    this.gcTimer.unref();
  }

  /** Stops the collection, waiting for a pass under way, and releases the handler. */
  async stop(): Promise<void> {
    if (this.gcTimer) clearInterval(this.gcTimer);
    this.gcTimer = null;
    await this.gcRun;
    await this.handler.close?.();
  }
}
