/**
 * The type of uploaded content, decided as the reference server decides it: Go's
 * `http.DetectContentType` (the WHATWG MIME sniffing algorithm over the first 512 bytes), and only
 * when that finds nothing more specific than `application/octet-stream`, the type the client
 * declared, if it names an ordinary top-level type.
 */

/** How many leading bytes the algorithm looks at. */
export const SNIFF_LEN = 512;

const OCTET_STREAM = 'application/octet-stream';

/** Client-declared types are accepted only under these top-level types (the reference's list). */
const ALLOWED_DECLARED = ['application/', 'audio/', 'font/', 'image/', 'text/', 'video/'];

type Sig = (data: Buffer, firstNonWs: number) => string;

const bytes = (s: string) => Buffer.from(s, 'latin1');

function exact(sig: string, ct: string): Sig {
  const pat = bytes(sig);
  return (data) => (data.length >= pat.length && data.subarray(0, pat.length).equals(pat) ? ct : '');
}

function masked(mask: string, pattern: string, ct: string, skipWs = false): Sig {
  const m = bytes(mask);
  const p = bytes(pattern);
  return (data, firstNonWs) => {
    const d = skipWs ? data.subarray(firstNonWs) : data;
    if (m.length !== p.length || d.length < p.length) return '';
    for (let i = 0; i < p.length; i++) {
      if ((d[i]! & m[i]!) !== p[i]) return '';
    }
    return ct;
  };
}

function html(tag: string): Sig {
  const h = bytes(tag);
  return (data, firstNonWs) => {
    const d = data.subarray(firstNonWs);
    if (d.length < h.length + 1) return '';
    for (let i = 0; i < h.length; i++) {
      let db = d[i]!;
      const b = h[i]!;
      if (b >= 0x41 && b <= 0x5a) db &= 0xdf;
      if (b !== db) return '';
    }
    const tt = d[h.length];
    return tt === 0x20 || tt === 0x3e ? 'text/html; charset=utf-8' : '';
  };
}

const mp4: Sig = (data) => {
  if (data.length < 12) return '';
  const boxSize = data.readUInt32BE(0);
  if (data.length < boxSize || boxSize % 4 !== 0) return '';
  if (data.toString('latin1', 4, 8) !== 'ftyp') return '';
  for (let st = 8; st < boxSize; st += 4) {
    // Bytes 12..15 are the major brand's version.
    if (st === 12) continue;
    if (data.toString('latin1', st, st + 3) === 'mp4') return 'video/mp4';
  }
  return '';
};

const text: Sig = (data, firstNonWs) => {
  for (let i = firstNonWs; i < data.length; i++) {
    const b = data[i]!;
    if (b <= 0x08 || b === 0x0b || (b >= 0x0e && b <= 0x1a) || (b >= 0x1c && b <= 0x1f)) return '';
  }
  return 'text/plain; charset=utf-8';
};

const FF4_00_FF4 = '\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF';
const NUL34 = '\x00'.repeat(34);

/** Signatures in the order Go checks them. */
const SIGNATURES: Sig[] = [
  ...['<!DOCTYPE HTML', '<HTML', '<HEAD', '<SCRIPT', '<IFRAME', '<H1', '<DIV', '<FONT', '<TABLE', '<A', '<STYLE', '<TITLE', '<B', '<BODY', '<BR', '<P', '<!--'].map(html),
  masked('\xFF\xFF\xFF\xFF\xFF', '<?xml', 'text/xml; charset=utf-8', true),
  exact('%PDF-', 'application/pdf'),
  exact('%!PS-Adobe-', 'application/postscript'),
  masked('\xFF\xFF\x00\x00', '\xFE\xFF\x00\x00', 'text/plain; charset=utf-16be'),
  masked('\xFF\xFF\x00\x00', '\xFF\xFE\x00\x00', 'text/plain; charset=utf-16le'),
  masked('\xFF\xFF\xFF\x00', '\xEF\xBB\xBF\x00', 'text/plain; charset=utf-8'),
  exact('\x00\x00\x01\x00', 'image/x-icon'),
  exact('\x00\x00\x02\x00', 'image/x-icon'),
  exact('BM', 'image/bmp'),
  exact('GIF87a', 'image/gif'),
  exact('GIF89a', 'image/gif'),
  masked('\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF\xFF\xFF', 'RIFF\x00\x00\x00\x00WEBPVP', 'image/webp'),
  exact('\x89PNG\x0D\x0A\x1A\x0A', 'image/png'),
  exact('\xFF\xD8\xFF', 'image/jpeg'),
  masked(FF4_00_FF4, 'FORM\x00\x00\x00\x00AIFF', 'audio/aiff'),
  masked('\xFF\xFF\xFF', 'ID3', 'audio/mpeg'),
  masked('\xFF\xFF\xFF\xFF\xFF', 'OggS\x00', 'application/ogg'),
  masked('\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF', 'MThd\x00\x00\x00\x06', 'audio/midi'),
  masked(FF4_00_FF4, 'RIFF\x00\x00\x00\x00AVI ', 'video/avi'),
  masked(FF4_00_FF4, 'RIFF\x00\x00\x00\x00WAVE', 'audio/wave'),
  mp4,
  exact('\x1A\x45\xDF\xA3', 'video/webm'),
  masked(NUL34 + '\xFF\xFF', NUL34 + 'LP', 'application/vnd.ms-fontobject'),
  exact('\x00\x01\x00\x00', 'font/ttf'),
  exact('OTTO', 'font/otf'),
  exact('ttcf', 'font/collection'),
  exact('wOFF', 'font/woff'),
  exact('wOF2', 'font/woff2'),
  exact('\x1F\x8B\x08', 'application/x-gzip'),
  exact('PK\x03\x04', 'application/zip'),
  exact('Rar!\x1A\x07\x00', 'application/x-rar-compressed'),
  exact('Rar!\x1A\x07\x01\x00', 'application/x-rar-compressed'),
  exact('\x00\x61\x73\x6D', 'application/wasm'),
  text,
];

/**
 * Go's `http.DetectContentType`: the type of content from at most its first 512 bytes, always a
 * valid MIME type (`application/octet-stream` when nothing more specific matches).
 */
export function detectContentType(head: Uint8Array): string {
  const data = Buffer.from(head.buffer, head.byteOffset, Math.min(head.byteLength, SNIFF_LEN));
  let firstNonWs = 0;
  while (firstNonWs < data.length && [0x09, 0x0a, 0x0c, 0x0d, 0x20].includes(data[firstNonWs]!)) firstNonWs++;
  for (const sig of SIGNATURES) {
    const ct = sig(data, firstNonWs);
    if (ct) return ct;
  }
  return OCTET_STREAM;
}

/**
 * Normalizes a declared `type/subtype; params` (lowercase type and parameter names, parameters
 * kept), or returns '' when it does not parse.
 */
function normalizeMediaType(declared: string): string {
  const [typePart = '', ...params] = declared.split(';');
  const type = typePart.trim().toLowerCase();
  if (!/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(type)) return '';
  const out = [type];
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq <= 0) {
      if (p.trim() === '') continue;
      return '';
    }
    const name = p.slice(0, eq).trim().toLowerCase();
    const value = p.slice(eq + 1).trim();
    if (!/^[a-z0-9!#$&^_.+-]+$/.test(name) || value === '') return '';
    out.push(`${name}=${value}`);
  }
  return out.join('; ');
}

/**
 * The type an upload is stored with: sniffed from its first bytes; when that gives only
 * `application/octet-stream`, the client's declared type if it is a well-formed type under
 * application/, audio/, font/, image/, text/ or video/.
 */
export function uploadMimeType(head: Uint8Array, declared: string | undefined): string {
  const sniffed = detectContentType(head);
  if (sniffed !== OCTET_STREAM || !declared) return sniffed;
  const normalized = normalizeMediaType(declared);
  return normalized && ALLOWED_DECLARED.some((p) => normalized.startsWith(p)) ? normalized : sniffed;
}
