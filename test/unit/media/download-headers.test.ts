import { describe, expect, it } from 'vitest';
import { contentDisposition, downloadName, MAX_DOWNLOAD_NAME, shownInline } from '../../../server/media/download-headers.js';

/** The edges of the download headers; test/server/files.test.ts shows them on a real server. */
describe('shownInline', () => {
  it('shows images, audio and video, and nothing that can carry a script', () => {
    for (const t of ['image/png', 'image/jpeg', 'IMAGE/GIF', 'image/webp; q=1', 'audio/ogg', 'video/mp4']) {
      expect(shownInline(t), t).toBe(true);
    }
    for (const t of [
      'image/svg+xml',
      'image/svg',
      'image/x-thing+xml',
      'text/html; charset=utf-8',
      'application/xhtml+xml',
      'text/xml',
      'application/xml',
      'text/javascript',
      'application/javascript',
      'application/pdf',
      'text/plain; charset=utf-8',
      'font/woff2',
      'application/octet-stream',
      'multipart/related',
      'image/',
      'image',
      '',
    ]) {
      expect(shownInline(t), t).toBe(false);
    }
  });
});

describe('downloadName', () => {
  it('gives the fallback for no name or a name of dots and blanks', () => {
    for (const name of ['', ' ', '...', ' .\u200F. ']) {
      expect(downloadName(name, 'abc.png', 'image/png'), JSON.stringify(name)).toBe('abc.png');
    }
  });

  it('makes the extension name the type, .bin for bytes of no known type', () => {
    expect(downloadName('photo.JPEG', 'x', 'image/jpeg')).toBe('photo.JPEG');
    expect(downloadName('photo', 'x', 'image/jpeg')).toBe('photo.jpg');
    expect(downloadName('setup.exe', 'x', 'application/octet-stream')).toBe('setup.exe.bin');
    expect(downloadName('setup.bin', 'x', 'application/octet-stream')).toBe('setup.bin');
    expect(downloadName('a.thing', 'x', 'application/x-unheard-of')).toBe('a.thing.bin');
    expect(downloadName('a.bin', 'x', 'application/x-unheard-of')).toBe('a.bin');
    expect(downloadName('page.html', 'x', 'text/html; charset=utf-8')).toBe('page.html');
    expect(downloadName('.htaccess', 'x', 'text/plain; charset=utf-8')).toBe('htaccess.txt');
  });

  it('cuts a long name to the limit, keeping the extension', () => {
    const long = downloadName(`${'é'.repeat(300)}.png`, 'x', 'image/png');
    expect([...long]).toHaveLength(MAX_DOWNLOAD_NAME);
    expect(long.endsWith('é.png')).toBe(true);
    expect(downloadName('name. .png', 'x', 'image/png')).toBe('name.png');
  });

  it('normalizes to NFC and drops lone surrogates and invisible characters', () => {
    expect(downloadName('cafe\u0301.txt', 'x', 'text/plain')).toBe('caf\u00e9.txt');
    expect(downloadName('a\uD800b\u200D\u2066c\u2028.txt', 'x', 'text/plain')).toBe('a_bc_.txt');
    expect(downloadName('😀.png', 'x', 'image/png')).toBe('😀.png');
  });
});

describe('contentDisposition', () => {
  it('quotes a printable ASCII name as it is', () => {
    expect(contentDisposition('inline', "a b;c,d'e.png")).toBe(`inline; filename="a b;c,d'e.png"`);
  });

  it('adds the exact name as RFC 5987 when it has other characters, or a percent sign', () => {
    expect(contentDisposition('attachment', '😀 50%.png')).toBe(`attachment; filename="_ 50_.png"; filename*=UTF-8''%F0%9F%98%80%2050%25.png`);
    expect(contentDisposition('attachment', 'x*(1).png')).toBe(`attachment; filename="x*(1).png"`);
    expect(contentDisposition('attachment', 'é*(1).png')).toBe(`attachment; filename="_*(1).png"; filename*=UTF-8''%C3%A9%2A%281%29.png`);
  });
});
