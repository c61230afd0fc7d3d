import { Readable } from 'node:stream';
import type * as ClientS3 from '@aws-sdk/client-s3';
import type * as LibStorage from '@aws-sdk/lib-storage';
import type * as Presigner from '@aws-sdk/s3-request-presigner';
import { ConfigError } from '../../src/config/errors.js';
import { uidToBytes, type Uid } from '../../src/model/uid.js';
import { StoreError } from '../store/contract/errors.js';
import type { FileDef } from '../store/contract/types.js';
import { base32Lower, DEFAULT_SERVE_URL, etagFromPath } from './fs.js';
import { ServedFiles } from './served.js';
import { registerMediaHandler, type DirectAnswer, type DirectRequest, type MediaHandler, type StoredObject } from './handler.js';

/** Defaults of the reference's `s3` handler. */
export const DEFAULT_S3_CACHE_CONTROL = 'no-cache, must-revalidate';
/** Seconds a presigned download URL stays valid. */
export const DEFAULT_PRESIGN_TTL = 120;
/** The longest a SigV4 presigned URL may live (7 days). */
export const MAX_PRESIGN_TTL = 604_800;
/** Size of the parts of a multipart upload (S3's smallest); a smaller file is sent in one PutObject. */
export const S3_PART_SIZE = 5 * 1024 * 1024;
/** Parts of one upload sent at once: with the part being filled, about 15 MiB of memory per upload at most. */
const S3_QUEUE_SIZE = 2;
/** DeleteObjects takes at most this many keys per call. */
const DELETE_BATCH = 1000;

/** `media.handlers.s3`. */
export interface S3Config {
  access_key_id: string;
  secret_access_key: string;
  region: string;
  bucket: string;
  /** With a bare host:port `endpoint`, talk plain HTTP. */
  disable_ssl: boolean;
  /** Bucket in the path (`endpoint/bucket/key`) rather than in the host name. */
  force_path_style: boolean;
  /** An S3-compatible service (`https://minio.example.com:9000`, or a bare host:port); '' for AWS. */
  endpoint: string;
  /** Path prefix of download URLs; downloads are redirected from there to the bucket. */
  serve_url: string;
  /** Seconds a presigned download URL stays valid. */
  presign_ttl: number;
  /** `Cache-Control` of the objects, of the redirects and of the presigned downloads. */
  cache_control: string;
  /** Origins allowed to fetch and upload files from browsers; also the CORS rule of a bucket this handler creates (`*` when empty). */
  cors_origins: string[];
}

/** The code of an S3 error (`NoSuchBucket`, `NotFound`), '' for anything else. */
function s3ErrorCode(err: unknown): string {
  if (typeof err !== 'object' || err === null) return '';
  const e = err as { name?: unknown; Code?: unknown };
  return typeof e.Code === 'string' ? e.Code : typeof e.name === 'string' ? e.name : '';
}

function httpStatusOf(err: unknown): number {
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode ?? 0;
}

const unquote = (etag: string | undefined): string => (etag ?? '').replace(/^"|"$/g, '');

/** The AWS SDK, loaded on the first use of an `s3` handler so that servers without one do not pay for it. */
interface Sdk {
  s3: typeof ClientS3;
  storage: typeof LibStorage;
  presigner: typeof Presigner;
}

let sdkLoad: Promise<Sdk> | null = null;

function loadSdk(): Promise<Sdk> {
  sdkLoad ??= Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage'), import('@aws-sdk/s3-request-presigner')]).then(
    ([s3, storage, presigner]) => ({ s3, storage, presigner }),
    (err: unknown) => {
      sdkLoad = null;
      throw err;
    },
  );
  return sdkLoad;
}

/** A client of the bucket, once the bucket is known to exist. */
interface Connection {
  sdk: Sdk;
  client: ClientS3.S3Client;
}

/**
 * The reference's `s3` media handler: files are objects of one bucket, keyed by the file id in
 * lowercase unpadded base32 (as the `fs` handler names its files), on AWS or on an S3-compatible
 * service (`endpoint`, `force_path_style`, `disable_ssl`).
 *
 * Uploads stream into the bucket: a file smaller than {@link S3_PART_SIZE} goes in one
 * PutObject, a larger one as a multipart upload, at most {@link S3_QUEUE_SIZE} parts in flight.
 * When the incoming stream fails (the size limit crossed, the client gone), the multipart upload
 * is aborted and the key deleted, so nothing is left in the bucket, and the stream's error is
 * what the upload rejects with.
 *
 * Downloads are not sent through the server: an authenticated GET or HEAD of the serve URL is
 * answered 308 with a URL of the object presigned for `presign_ttl` seconds (the reference's
 * `Headers`), and `If-None-Match` with the file's ETag 304. {@link open} streams an object for
 * the callers that need the bytes (gRPC `LargeFileServe`).
 *
 * As the reference, the bucket is created when missing, and a new bucket gets a CORS rule
 * letting `cors_origins` GET and HEAD its objects. That happens on the first use rather than
 * when the handler is made (a factory is synchronous); a failed check is retried on the next use.
 */
export class S3Handler extends ServedFiles implements MediaHandler {
  readonly name = 's3';
  private readonly cfg: S3Config;
  private readonly clientOptions: ClientS3.S3ClientConfig;
  private connection: Promise<Connection> | null = null;

  constructor(cfg: S3Config, configPath = 'media.handlers.s3') {
    super(cfg, configPath);
    this.cfg = cfg;
    this.clientOptions = {
      region: cfg.region,
      credentials: { accessKeyId: cfg.access_key_id, secretAccessKey: cfg.secret_access_key },
      forcePathStyle: cfg.force_path_style,
      // Checksums only where S3 requires them: many S3-compatible services reject the SDK's
      // default checksum headers and trailers, and every request is signed anyway.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    };
    if (cfg.endpoint) {
      this.clientOptions.endpoint = cfg.endpoint.includes('://') ? cfg.endpoint : `${cfg.disable_ssl ? 'http' : 'https'}://${cfg.endpoint}`;
    }
  }

  /** Builds the handler from its raw config section, naming the key at fault. */
  static fromConfig(raw: Record<string, unknown>, path: string): S3Handler {
    const str = (key: keyof S3Config, def: string | null): string => {
      const v = raw[key];
      if (v === undefined || v === null || v === '') {
        if (def === null) throw new ConfigError(`${path}.${key}`, 'missing', 'a non-empty string');
        return def;
      }
      if (typeof v !== 'string') throw new ConfigError(`${path}.${key}`, `${JSON.stringify(v)} is not a string`, 'a string');
      return v;
    };
    const bool = (key: keyof S3Config): boolean => {
      const v = raw[key] ?? false;
      if (typeof v !== 'boolean') throw new ConfigError(`${path}.${key}`, `${JSON.stringify(v)} is not a boolean`, 'true or false');
      return v;
    };
    const serveUrl = str('serve_url', DEFAULT_SERVE_URL);
    if (!serveUrl.startsWith('/') || !serveUrl.endsWith('/')) {
      throw new ConfigError(`${path}.serve_url`, `"${serveUrl}" is not a path`, 'a path starting and ending with "/", such as "/v0/file/s/"');
    }
    const ttl = raw.presign_ttl ?? 0;
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl > MAX_PRESIGN_TTL) {
      throw new ConfigError(`${path}.presign_ttl`, `${JSON.stringify(ttl)} is not a valid number of seconds`, `a whole number of seconds up to ${MAX_PRESIGN_TTL}, or 0 for ${DEFAULT_PRESIGN_TTL}`);
    }
    const origins = raw.cors_origins ?? [];
    if (!Array.isArray(origins) || origins.some((o) => typeof o !== 'string')) {
      throw new ConfigError(`${path}.cors_origins`, 'not a list of strings', 'a list of origins');
    }
    const endpoint = str('endpoint', '');
    if (endpoint && !URL.canParse(endpoint.includes('://') ? endpoint : `http://${endpoint}`)) {
      throw new ConfigError(`${path}.endpoint`, `"${endpoint}" is not a URL`, 'a URL such as "https://s3.example.com:9000", or a host:port');
    }
    return new S3Handler(
      {
        access_key_id: str('access_key_id', null),
        secret_access_key: str('secret_access_key', null),
        region: str('region', null),
        bucket: str('bucket', null),
        disable_ssl: bool('disable_ssl'),
        force_path_style: bool('force_path_style'),
        endpoint,
        serve_url: serveUrl,
        presign_ttl: ttl > 0 ? ttl : DEFAULT_PRESIGN_TTL,
        cache_control: str('cache_control', DEFAULT_S3_CACHE_CONTROL),
        cors_origins: origins as string[],
      },
      path,
    );
  }

  /** The object key of a file: its id in lowercase base32, as the reference. */
  location(fid: Uid): string {
    return base32Lower(uidToBytes(fid));
  }

  async upload(fd: FileDef, data: Readable): Promise<{ size: number; etag: string }> {
    const { sdk, client } = await this.connect();
    let size = 0;
    let sourceError: unknown = null;
    async function* counted(): AsyncGenerator<Buffer> {
      try {
        for await (const chunk of data) {
          const buf = chunk as Buffer;
          size += buf.length;
          yield buf;
        }
      } catch (err) {
        sourceError = err;
        throw err;
      }
    }
    const body = Readable.from(counted(), { objectMode: false });
    const upload = new sdk.storage.Upload({
      client,
      params: { Bucket: this.cfg.bucket, Key: fd.location, Body: body, ContentType: fd.mimeType, CacheControl: this.cfg.cache_control },
      partSize: S3_PART_SIZE,
      queueSize: S3_QUEUE_SIZE,
      leavePartsOnError: false,
    });
    try {
      const out = await upload.done();
      return { size, etag: unquote(out.ETag) || etagFromPath(fd.location) };
    } catch (err) {
      // Upload has aborted its multipart upload by now (when the service can: the stream's error
      // wins over a failed abort). The key is deleted too, in case a PutObject got through.
      body.destroy();
      data.destroy();
      await client.send(new sdk.s3.DeleteObjectCommand({ Bucket: this.cfg.bucket, Key: fd.location })).catch(() => undefined);
      throw sourceError ?? err;
    }
  }

  async open(fd: FileDef): Promise<StoredObject> {
    const { sdk, client } = await this.connect();
    const Bucket = this.cfg.bucket;
    // By id, as the redirects: the key of every file this handler stored.
    const Key = this.location(fd.id);
    let size: number;
    try {
      const head = await client.send(new sdk.s3.HeadObjectCommand({ Bucket, Key }));
      size = head.ContentLength ?? 0;
    } catch (err) {
      if (httpStatusOf(err) === 404 || ['NotFound', 'NoSuchKey'].includes(s3ErrorCode(err))) {
        throw new StoreError('not-found', `object ${Key} is gone`);
      }
      throw err;
    }
    const streams = new Set<Readable>();
    return {
      size,
      read: (range) => {
        async function* bytes(): AsyncGenerator<Buffer> {
          const res = await client.send(new sdk.s3.GetObjectCommand({ Bucket, Key, Range: range ? `bytes=${range.start}-${range.end}` : undefined }));
          const stream = res.Body as Readable;
          streams.add(stream);
          try {
            for await (const chunk of stream) yield chunk as Buffer;
          } finally {
            streams.delete(stream);
            stream.destroy();
          }
        }
        return Readable.from(bytes(), { objectMode: false });
      },
      close: () => {
        for (const s of streams) s.destroy();
        streams.clear();
        return Promise.resolve();
      },
    };
  }

  async delete(locations: readonly string[]): Promise<void> {
    if (locations.length === 0) return;
    const { sdk, client } = await this.connect();
    for (let i = 0; i < locations.length; i += DELETE_BATCH) {
      const batch = locations.slice(i, i + DELETE_BATCH);
      const res = await client.send(new sdk.s3.DeleteObjectsCommand({ Bucket: this.cfg.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
      // Missing keys are not errors to S3; anything it lists is.
      const failed = res.Errors?.[0];
      if (failed) throw new Error(`s3: cannot delete ${failed.Key ?? '?'}: ${failed.Code ?? ''} ${failed.Message ?? ''}`.trim());
    }
  }

  /**
   * The reference's redirect: 304 when `If-None-Match` names the file's ETag, otherwise 308 to the
   * object presigned for `presign_ttl` seconds, the bucket told to answer with the file's type,
   * `cache_control` and the request's `Content-Disposition` (the reference sets the disposition
   * for `asatt=1` only, and nothing on HEAD).
   *
   * A presigned URL can override only those response headers (and Content-Encoding, -Language,
   * Expires): the bucket's answer has no `X-Content-Type-Options` or `Content-Security-Policy`.
   * What keeps an uploaded HTML or SVG from running is the forced `attachment`, and the bucket's
   * origin: a page shown from there is not a page of the server's origin (unless the bucket is
   * served under the server's own host name, which is then the operator's to protect).
   */
  async serveDirect(fd: FileDef, req: DirectRequest): Promise<DirectAnswer> {
    const etag = fd.etag ? `"${fd.etag}"` : '';
    if (etag && req.ifNoneMatch === etag) {
      return { status: 304, headers: { ETag: etag, 'Cache-Control': this.cfg.cache_control } };
    }
    const { sdk, client } = await this.connect();
    const Bucket = this.cfg.bucket;
    // The reference presigns the key made from the id, whatever the record's location.
    const Key = this.location(fd.id);
    const overrides = { ResponseCacheControl: this.cfg.cache_control, ResponseContentType: fd.mimeType, ResponseContentDisposition: req.disposition };
    const command = req.method === 'GET' ? new sdk.s3.GetObjectCommand({ Bucket, Key, ...overrides }) : new sdk.s3.HeadObjectCommand({ Bucket, Key, ...overrides });
    const url = await sdk.presigner.getSignedUrl(client, command, { expiresIn: this.cfg.presign_ttl });
    const headers: Record<string, string> = { Location: url, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': this.cfg.cache_control };
    if (etag) headers.ETag = etag;
    return { status: 308, headers };
  }

  async close(): Promise<void> {
    const conn = this.connection;
    this.connection = null;
    const c = await conn?.catch(() => null);
    c?.client.destroy();
  }

  /** The client, made and the bucket checked once; a failure is retried on the next call. */
  private connect(): Promise<Connection> {
    this.connection ??= (async () => {
      const sdk = await loadSdk();
      const client = new sdk.s3.S3Client(this.clientOptions);
      try {
        await this.ensureBucket(sdk, client);
      } catch (err) {
        client.destroy();
        throw err;
      }
      return { sdk, client };
    })().catch((err: unknown) => {
      this.connection = null;
      throw err;
    });
    return this.connection;
  }

  private async ensureBucket({ s3 }: Sdk, client: ClientS3.S3Client): Promise<void> {
    const Bucket = this.cfg.bucket;
    try {
      await client.send(new s3.HeadBucketCommand({ Bucket }));
      return;
    } catch (err) {
      if (!(['NoSuchBucket', 'NotFound'].includes(s3ErrorCode(err)) || httpStatusOf(err) === 404)) throw err;
    }
    try {
      // Outside us-east-1, S3 wants the bucket's region named.
      const region = this.cfg.region;
      const where = region !== 'us-east-1' ? { CreateBucketConfiguration: { LocationConstraint: region as ClientS3.BucketLocationConstraint } } : {};
      await client.send(new s3.CreateBucketCommand({ Bucket, ...where }));
    } catch (err) {
      // Another server of a cluster made it first.
      if (['BucketAlreadyExists', 'BucketAlreadyOwnedByYou', 'OperationAborted'].includes(s3ErrorCode(err))) return;
      throw err;
    }
    // A new bucket: let browsers fetch its objects (the redirects' targets) from the allowed origins.
    const origins = this.cfg.cors_origins.length > 0 ? this.cfg.cors_origins : ['*'];
    await client.send(
      new s3.PutBucketCorsCommand({
        Bucket,
        CORSConfiguration: { CORSRules: [{ AllowedMethods: ['GET', 'HEAD'], AllowedOrigins: origins, AllowedHeaders: ['*'] }] },
      }),
    );
  }
}

registerMediaHandler('s3', (config, path) => S3Handler.fromConfig(config, path));
