import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';

/** Files put into messages and cards: avatars, inline images and in-band attachments. */

/** What fits into a 256 KiB message after base64 and some overhead, as in the reference client. */
export const MAX_INBAND_ATTACHMENT_SIZE = 195_840;

/** A failure explained to the user; the command is not sent. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
}

const MIME: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.bmp': 'image/bmp',
  '.txt': 'text/plain',
  '.html': 'text/html',
  '.json': 'application/json',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
};

/** The MIME type of a file from its extension; undefined when unknown. */
export function mimeOf(path: string): string | undefined {
  return MIME[extname(path).toLowerCase()];
}

function readFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new CommandError(`cannot read ${what} "${path}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** An avatar for a card: `{data, type}` with the MIME subtype, as the reference client sends. */
export function avatar(path: string): { data: string; type: string } {
  const data = readFile(path, 'the avatar file');
  return { data: data.toString('base64'), type: (mimeOf(path) ?? 'image/jpeg').split('/')[1]! };
}

/** Width and height of a PNG, GIF or JPEG image from its header; zeros when unknown. */
export function imageSize(buf: Buffer): { width: number; height: number; mime?: string } {
  if (buf.length >= 24 && buf.readUInt32BE(0) === 0x89504e47) {
    return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20), mime: 'image/png' };
  }
  if (buf.length >= 10 && buf.toString('latin1', 0, 3) === 'GIF') {
    return { width: buf.readUInt16LE(6), height: buf.readUInt16LE(8), mime: 'image/gif' };
  }
  if (buf.length >= 4 && buf[0] === 0xff && buf[1] === 0xd8) {
    let i = 2;
    while (i + 9 < buf.length) {
      if (buf[i] !== 0xff) {
        i++;
        continue;
      }
      const marker = buf[i + 1]!;
      const len = buf.readUInt16BE(i + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { height: buf.readUInt16BE(i + 5), width: buf.readUInt16BE(i + 7), mime: 'image/jpeg' };
      }
      i += 2 + len;
    }
    return { width: 0, height: 0, mime: 'image/jpeg' };
  }
  if (buf.length >= 12 && buf.toString('latin1', 0, 4) === 'RIFF' && buf.toString('latin1', 8, 12) === 'WEBP') {
    return { width: 0, height: 0, mime: 'image/webp' };
  }
  return { width: 0, height: 0 };
}

function checkSize(buf: Buffer, path: string): void {
  if (buf.length > MAX_INBAND_ATTACHMENT_SIZE) {
    throw new CommandError(`"${path}" is ${buf.length} bytes, more than fits into a message (${MAX_INBAND_ATTACHMENT_SIZE}): upload it with "file --what up" instead`);
  }
}

/** A Drafty message holding one inline image (sent as it is, not scaled). */
export function inlineImage(path: string): Record<string, unknown> {
  const buf = readFile(path, 'the image');
  checkSize(buf, path);
  const { width, height, mime } = imageSize(buf);
  return {
    txt: ' ',
    fmt: [{ len: 1 }],
    ent: [{ tp: 'IM', data: { val: buf.toString('base64'), mime: mime ?? mimeOf(path) ?? 'image/jpeg', width, height, name: basename(path) } }],
  };
}

/** A Drafty message holding one in-band attachment. */
export function attachment(path: string): Record<string, unknown> {
  const buf = readFile(path, 'the attachment');
  checkSize(buf, path);
  return {
    fmt: [{ at: -1 }],
    ent: [{ tp: 'EX', data: { val: buf.toString('base64'), mime: mimeOf(path) ?? 'application/octet-stream', name: basename(path) } }],
  };
}
