import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type { Uid } from '../../src/model/uid.js';
import { reply } from '../../src/wire/replies.js';
import type { ServerMessage } from '../../src/wire/server-messages.js';
import { errorReply } from '../request/error-reply.js';
import { apiKeyOf } from '../http/apikey.js';
import { remoteAddrOf } from '../http/remote-addr.js';
import { authenticateFile, httpCredentials } from './auth.js';
import { applyHeaders, sendCtrl, type FileHttpOptions } from './http-common.js';
import type { PendingUpload } from './media.js';

/** Room for the form's other fields and multipart framing on top of `max_size`. */
const BODY_OVERHEAD = 64 * 1024;
/** After an early answer, at most this much of the rest of the body is read and dropped before the connection is cut. */
const DRAIN_LIMIT = 8 * 1024 * 1024;

type Gate = { kind: 'ok'; uid: Uid } | { kind: 'reject'; msg: ServerMessage } | { kind: 'defer' };

/**
 * `POST|PUT /v0/file/u/`: a multipart form with the file in `file`, the request id in `id` and,
 * for a new account's avatar, `topic: "newacc"`. As the reference: the API key and the user come
 * from headers, query, form fields or cookies (see {@link httpCredentials}); the answer is a JSON
 * `{ctrl}` with `params.url` (and `params.expires` when unused files are collected).
 *
 * The file is streamed into the media handler as it arrives. Credentials known when the file
 * starts are checked before a byte is stored; credentials that could still follow it in the form
 * (the SDK sends `id` and `topic` after the file) are checked once the form is complete, and a
 * refused upload is removed then.
 */
export class HttpUpload {
  private readonly fields = new URLSearchParams();
  private readonly now = new Date();
  private readonly remoteAddr: string;
  private parser: busboy.Busboy | null = null;
  private fileStream: Readable | null = null;
  private receiving: Promise<void> | null = null;
  private pending: PendingUpload | null = null;
  private deferred = false;
  /** Why the request stopped early; answered once the file's cleanup is done. */
  private failure: ServerMessage | null = null;
  private answered = false;
  private bodyBytes = 0;

  constructor(
    private readonly opts: FileHttpOptions,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly url: URL,
  ) {
    this.remoteAddr = remoteAddrOf(req, opts.useXForwardedFor);
  }

  private get id(): string {
    return this.fields.get('id') ?? '';
  }

  async run(): Promise<void> {
    const { req, res, opts } = this;
    const method = req.method ?? '';
    if (method === 'OPTIONS') {
      const cors = opts.media.handler.cors(method, req.headers, false);
      applyHeaders(res, cors.headers);
      res.statusCode = cors.status || 204;
      res.end();
      return;
    }
    if (method !== 'POST' && method !== 'PUT' && method !== 'HEAD') {
      this.answer(reply('operationNotAllowed', '', '', this.now));
      return;
    }
    applyHeaders(res, opts.media.handler.cors(method, req.headers, false).headers);
    if (method === 'HEAD') {
      const gate = await this.gate(true);
      if (gate.kind === 'reject') this.answer(gate.msg);
      else res.end();
      return;
    }
    const limit = opts.media.opts.maxSize;
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (limit > 0 && declared > limit + BODY_OVERHEAD) {
      this.answer(reply('tooLarge', '', '', this.now));
      return;
    }
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, defParamCharset: 'utf8', limits: { files: 1, fields: 32, fieldSize: 16 * 1024, parts: 40 } });
    } catch {
      this.answer(reply('malformed', '', '', this.now));
      return;
    }
    this.parser = parser;
    parser.on('field', (name, value, info) => {
      if (!info.nameTruncated && !info.valueTruncated) this.fields.append(name, value);
    });
    parser.on('file', (name, stream, info) => this.onFile(name, stream, info.mimeType));
    parser.on('error', () => this.stop(reply('malformed', this.id, '', this.now)));
    parser.on('close', () => void this.onFormEnd());
    req.on('data', (chunk: Buffer) => {
      this.bodyBytes += chunk.length;
      if (this.answered && this.bodyBytes > DRAIN_LIMIT) {
        req.destroy();
      } else if (limit > 0 && this.bodyBytes > limit + BODY_OVERHEAD) {
        this.stop(reply('tooLarge', this.id, '', this.now));
      }
    });
    req.on('close', () => {
      if (!req.complete) this.stop(reply('disconnected', this.id, '', this.now));
    });
    req.pipe(parser);
  }

  /**
   * Whether the request may upload, from what is known so far. `final` means the form is
   * complete: nothing can be deferred any more.
   */
  private async gate(final: boolean): Promise<Gate> {
    const { opts, req, url, fields } = this;
    const key = apiKeyOf(req, url, fields);
    if (!key) return final ? { kind: 'reject', msg: reply('apiKeyRequired', '', '', this.now) } : { kind: 'defer' };
    if (!opts.checkApiKey(key)) return { kind: 'reject', msg: reply('apiKeyRequired', '', '', this.now) };
    try {
      const auth = await authenticateFile(opts.schemes, opts.sessions, httpCredentials(req, url, fields), this.remoteAddr);
      if (auth.challenge) return { kind: 'reject', msg: reply('challenge', this.id, '', this.now, { challenge: auth.challenge.toString('base64') }) };
      if (auth.uid !== 0n) return { kind: 'ok', uid: auth.uid };
    } catch (err) {
      return { kind: 'reject', msg: errorReply(err, this.id, '', this.now) };
    }
    // Signing up: the avatar of an account not created yet.
    if (fields.get('topic') === 'newacc') return { kind: 'ok', uid: 0n };
    return final ? { kind: 'reject', msg: reply('authRequired', this.id, '', this.now) } : { kind: 'defer' };
  }

  private onFile(name: string, stream: Readable, declaredType: string): void {
    if (name !== 'file' || this.receiving || this.failure || this.answered) {
      stream.resume();
      return;
    }
    // Stopping an upload destroys the stream with an error: the upload's own handling reports it.
    stream.on('error', () => undefined);
    this.fileStream = stream;
    this.receiving = this.receive(stream, declaredType);
  }

  private async receive(stream: Readable, declaredType: string): Promise<void> {
    try {
      const gate = await this.gate(false);
      if (gate.kind === 'reject') {
        this.stop(gate.msg);
        return;
      }
      this.deferred = gate.kind === 'defer';
      const user = gate.kind === 'ok' ? gate.uid : 0n;
      this.pending = await this.opts.media.receive({ user, declaredType, chunks: stream });
    } catch (err) {
      this.stop(this.failure ?? errorReply(err, this.id, '', this.now));
    }
  }

  /** The whole form was read (the file's bytes included): check what was deferred and answer. */
  private async onFormEnd(): Promise<void> {
    if (this.failure || this.answered) return;
    if (!this.receiving) {
      this.answer(reply('malformed', this.id, '', this.now));
      return;
    }
    await this.receiving;
    const pending = this.pending;
    if (this.failure || this.answered || !pending) return;
    if (this.deferred) {
      const gate = await this.gate(true);
      if (gate.kind === 'reject') {
        await pending.abort();
        this.answer(gate.msg);
        return;
      }
    }
    try {
      const file = await pending.commit();
      const params: Record<string, unknown> = { url: file.url };
      const expires = this.opts.media.expiresAt(this.now);
      if (expires) params.expires = expires;
      this.answer(reply('ok', this.id, '', this.now, params));
      this.opts.stats?.fileUploaded(file.size);
      this.opts.log.info(`media upload: ok ${file.url} (${file.size} bytes, ${file.mimeType})`);
    } catch (err) {
      this.answer(errorReply(err, this.id, '', this.now));
    }
  }

  /**
   * Stops reading the form. A file being received is aborted (its handler removes what was
   * written, its record is dropped) and the answer waits for that; otherwise it goes at once.
   */
  private stop(msg: ServerMessage): void {
    if (this.failure || this.answered) return;
    this.failure = msg;
    if (this.parser) {
      this.req.unpipe(this.parser);
      this.parser.removeAllListeners('close');
      this.parser.on('error', () => undefined);
    }
    const stream = this.fileStream;
    if (stream && !this.pending && !stream.destroyed) {
      const running = this.receiving;
      stream.destroy(new Error('upload stopped'));
      void running?.then(() => this.answer(msg));
      return;
    }
    if (this.pending) void this.pending.abort();
    this.answer(msg);
  }

  /** Sends the one answer, then lets the rest of the body drain (up to a limit). */
  private answer(msg: ServerMessage): void {
    if (this.answered) return;
    this.answered = true;
    sendCtrl(this.res, msg);
    if (!this.req.complete) {
      if (this.parser) this.req.unpipe(this.parser);
      if (this.bodyBytes > DRAIN_LIMIT) this.req.destroy();
      else this.req.resume();
    }
  }
}
