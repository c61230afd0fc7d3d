import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Go's `http.ServeContent` for stored files: conditional requests (If-Match, If-Unmodified-Since,
 * If-None-Match, If-Modified-Since, If-Range), byte ranges (206 with Content-Range for one range,
 * `multipart/byteranges` for several, 416 when none can be served), Accept-Ranges, Last-Modified
 * and Content-Length. The caller sets Content-Type, ETag and caching headers first.
 */
export interface Content {
  size: number;
  /** Last change; the epoch for unknown. */
  modified: Date;
  /** Bytes `start..end` inclusive, or everything. */
  read(range?: { start: number; end: number }): Readable;
}

interface ByteRange {
  start: number;
  length: number;
}

type Cond = 'none' | 'true' | 'false';

function header(req: IncomingMessage, name: string): string {
  const v = req.headers[name];
  return (Array.isArray(v) ? v.join(', ') : v) ?? '';
}

/** Entity tags of an If-Match / If-None-Match list; '*' as itself. */
function etagList(value: string): { tag: string; weak: boolean }[] {
  const out: { tag: string; weak: boolean }[] = [];
  const re = /\s*(\*|(W\/)?"[^"]*")\s*(,|$)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < value.length && (m = re.exec(value))) {
    const raw = m[1]!;
    out.push(raw === '*' ? { tag: '*', weak: false } : { tag: raw.replace(/^W\//, ''), weak: !!m[2] });
    if (!m[3]) break;
  }
  return out;
}

function parseDate(value: string): number | null {
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : t;
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000) * 1000;

function checkPreconditions(req: IncomingMessage, etag: string, modified: Date): { status: 0 | 304 | 412; range: string } {
  const getOrHead = req.method === 'GET' || req.method === 'HEAD';
  const hasTime = modified.getTime() > 0;
  let ch: Cond = 'none';
  const ifMatch = header(req, 'if-match');
  if (ifMatch) {
    ch = etagList(ifMatch).some((e) => e.tag === '*' || (!e.weak && etag !== '' && !etag.startsWith('W/') && e.tag === etag)) ? 'true' : 'false';
  } else {
    const ius = parseDate(header(req, 'if-unmodified-since'));
    if (ius !== null && hasTime) ch = seconds(modified) <= ius ? 'true' : 'false';
  }
  if (ch === 'false') return { status: 412, range: '' };
  const ifNoneMatch = header(req, 'if-none-match');
  if (ifNoneMatch) {
    const matched = etagList(ifNoneMatch).some((e) => e.tag === '*' || (etag !== '' && e.tag === etag.replace(/^W\//, '')));
    if (matched) return { status: getOrHead ? 304 : 412, range: '' };
  } else if (getOrHead && hasTime) {
    const ims = parseDate(header(req, 'if-modified-since'));
    if (ims !== null && seconds(modified) <= ims) return { status: 304, range: '' };
  }
  let range = header(req, 'range');
  const ifRange = header(req, 'if-range');
  if (range && ifRange && getOrHead) {
    let ok: boolean;
    if (ifRange.startsWith('"') || ifRange.startsWith('W/')) {
      ok = !ifRange.startsWith('W/') && etag !== '' && ifRange === etag;
    } else {
      const t = parseDate(ifRange);
      ok = hasTime && t !== null && seconds(modified) === t;
    }
    if (!ok) range = '';
  }
  return { status: 0, range };
}

class RangeError416 extends Error {
  constructor(readonly noOverlap: boolean) {
    super(noOverlap ? 'invalid range: failed to overlap' : 'invalid range');
  }
}

/** Go's `parseRange`: the ranges of a Range header within `size` bytes. */
export function parseRange(value: string, size: number): ByteRange[] {
  if (!value) return [];
  if (!value.startsWith('bytes=')) throw new RangeError416(false);
  const ranges: ByteRange[] = [];
  let noOverlap = false;
  for (const part of value.slice('bytes='.length).split(',')) {
    const ra = part.trim();
    if (!ra) continue;
    const dash = ra.indexOf('-');
    if (dash < 0) throw new RangeError416(false);
    const startText = ra.slice(0, dash).trim();
    const endText = ra.slice(dash + 1).trim();
    const num = (s: string) => (/^\d+$/.test(s) ? Number(s) : NaN);
    if (startText === '') {
      const n = num(endText);
      if (Number.isNaN(n)) throw new RangeError416(false);
      const suffix = Math.min(n, size);
      ranges.push({ start: size - suffix, length: suffix });
      continue;
    }
    const start = num(startText);
    if (Number.isNaN(start)) throw new RangeError416(false);
    if (start >= size) {
      noOverlap = true;
      continue;
    }
    if (endText === '') {
      ranges.push({ start, length: size - start });
      continue;
    }
    let end = num(endText);
    if (Number.isNaN(end) || start > end) throw new RangeError416(false);
    if (end >= size) end = size - 1;
    ranges.push({ start, length: end - start + 1 });
  }
  if (noOverlap && ranges.length === 0) throw new RangeError416(true);
  return ranges;
}

function notModified(res: ServerResponse): void {
  res.removeHeader('Content-Type');
  res.removeHeader('Content-Length');
  res.removeHeader('Content-Encoding');
  if (res.hasHeader('ETag')) res.removeHeader('Last-Modified');
  res.statusCode = 304;
  res.end();
}

function readRange(content: Content, r: ByteRange): Readable {
  return r.length === 0 ? Readable.from([]) : content.read({ start: r.start, end: r.start + r.length - 1 });
}

/** Writes the response; resolves when it is sent or the client went away. */
export async function serveContent(req: IncomingMessage, res: ServerResponse, content: Content): Promise<void> {
  const { size, modified } = content;
  if (modified.getTime() > 0) res.setHeader('Last-Modified', modified.toUTCString());
  const etag = String(res.getHeader('ETag') ?? '');
  const pre = checkPreconditions(req, etag, modified);
  if (pre.status === 304) {
    notModified(res);
    return;
  }
  if (pre.status === 412) {
    res.statusCode = 412;
    res.end();
    return;
  }
  let ranges: ByteRange[];
  try {
    ranges = parseRange(pre.range, size);
  } catch (err) {
    const e = err as RangeError416;
    if (e.noOverlap) res.setHeader('Content-Range', `bytes */${size}`);
    res.statusCode = 416;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.end(`${e.message}\n`);
    return;
  }
  if (ranges.reduce((n, r) => n + r.length, 0) > size) ranges = [];
  let body: () => Readable = () => content.read();
  let length = size;
  if (ranges.length === 1) {
    const r = ranges[0]!;
    res.statusCode = 206;
    res.setHeader('Content-Range', `bytes ${r.start}-${r.start + r.length - 1}/${size}`);
    length = r.length;
    body = () => readRange(content, r);
  } else if (ranges.length > 1) {
    const boundary = randomBytes(30).toString('hex');
    const ctype = String(res.getHeader('Content-Type') ?? '');
    const partHead = (r: ByteRange, i: number) =>
      `${i === 0 ? '' : '\r\n'}--${boundary}\r\nContent-Range: bytes ${r.start}-${r.start + r.length - 1}/${size}\r\n${ctype ? `Content-Type: ${ctype}\r\n` : ''}\r\n`;
    const tail = `\r\n--${boundary}--\r\n`;
    length = ranges.reduce((n, r, i) => n + Buffer.byteLength(partHead(r, i)) + r.length, Buffer.byteLength(tail));
    res.statusCode = 206;
    res.setHeader('Content-Type', `multipart/byteranges; boundary=${boundary}`);
    body = () =>
      Readable.from(
        (async function* () {
          for (const [i, r] of ranges.entries()) {
            yield Buffer.from(partHead(r, i));
            for await (const chunk of readRange(content, r)) yield chunk as Buffer;
          }
          yield Buffer.from(tail);
        })(),
        { objectMode: false },
      );
  }
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Content-Length', length);
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    return;
  }
  try {
    await pipeline(body(), res);
  } catch {
    // The client went away; nothing to answer.
  }
}
