import { extensions } from 'mime-types';

/**
 * `Content-Security-Policy` of every answer of the file endpoints. Uploaded files are other
 * users' content: opened directly, an HTML page or an SVG with a script loads nothing, runs
 * nothing, and lives in a sandbox with an opaque origin, so it never acts as a page of the
 * server's origin (its cookies, its storage, its API). Browsers ignore the policy of a
 * subresource: `<img>`, `<video>` and `<audio>` in the web client embed files as before.
 */
export const UPLOADED_FILE_CSP = "default-src 'none'; sandbox";

/** The longest download name sent, in characters, extension included. */
export const MAX_DOWNLOAD_NAME = 128;

const OCTET_STREAM = 'application/octet-stream';

/** `type/subtype` of a media type, lowercase, without parameters. */
function essence(mimeType: string): string {
  return (mimeType.split(';')[0] ?? '').trim().toLowerCase();
}

/**
 * Whether a file of this type may be shown by the browser (`Content-Disposition: inline`) rather
 * than saved: only images, audio and video, never SVG or anything else of XML or HTML, which
 * carry scripts. Everything else (HTML, XML, JavaScript, PDF, text, fonts, `application/*`,
 * unknown or malformed types) is always an attachment. This allows a subset of what the
 * reference shows inline (it also shows `font/*`), so a download is never more active than there.
 */
export function shownInline(mimeType: string): boolean {
  const type = essence(mimeType);
  return /^(image|audio|video)\/[a-z0-9!#$&^_.+-]+$/.test(type) && !/html|xml|svg/.test(type);
}

/** Characters a file name must not carry: path separators, Windows' reserved ones, quotes. */
const RESERVED = /[\\/:*?"<>|]/g;
/** Control characters, line and paragraph separators, lone surrogates: each becomes '_'. */
const CONTROLS = /[\p{Cc}\p{Zl}\p{Zp}\p{Cs}]/gu;
/** Invisible format characters (bidi overrides that disguise an extension, zero-width joiners): dropped. */
const FORMAT = /\p{Cf}/gu;

/**
 * The name a browser is to save a download as. `requested` (the `filename` query parameter, ''
 * when absent) is cleaned: normalized to NFC, without controls, line breaks, bidi overrides or
 * other invisible characters, path separators, quotes or `: * ? < > |` (replaced by `_`), without
 * leading or trailing dots and spaces, at most {@link MAX_DOWNLOAD_NAME} characters. Its extension
 * always names the file's type: one the type is known by is kept, any other gets the type's usual
 * extension appended (`.bin` for `application/octet-stream` and for types without one), so a
 * link cannot make a stored file save as something else (`setup.exe` of bytes saves as
 * `setup.exe.bin`). An empty result, or no `requested`, gives `fallback` (`<id>.<ext>`, the last
 * part of the download URL).
 */
export function downloadName(requested: string, fallback: string, mimeType: string): string {
  const cleaned = requested
    .normalize('NFC')
    .replace(FORMAT, '')
    .replace(CONTROLS, '_')
    .replace(RESERVED, '_')
    .replace(/^[\s.]+|[\s.]+$/gu, '');
  if (!cleaned) {
    return fallback;
  }
  const type = essence(mimeType);
  // mime-db lists `.exe` and `.dll` for octet-stream: bytes of no known type are `.bin` only.
  const known = (type === OCTET_STREAM ? undefined : extensions[type]) ?? ['bin'];
  const dot = cleaned.lastIndexOf('.');
  const own = dot > 0 ? cleaned.slice(dot + 1) : '';
  const keepOwn = own !== '' && known.includes(own.toLowerCase());
  const suffix = `.${keepOwn ? own : (known[0] ?? 'bin')}`;
  const stem = keepOwn ? cleaned.slice(0, dot) : cleaned;
  const room = Math.max(1, MAX_DOWNLOAD_NAME - suffix.length);
  const short = [...stem].slice(0, room).join('').replace(/[\s.]+$/u, '');
  return short ? short + suffix : fallback;
}

/** RFC 5987 `value-chars`: everything but `attr-char` percent-encoded as UTF-8. */
function encodeExtValue(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * A `Content-Disposition` value (RFC 6266) for a name made by {@link downloadName}:
 * `attachment; filename="report.pdf"`. A name with characters outside printable ASCII, or with
 * `%` (which some browsers decode in `filename`), also gets `filename*=UTF-8''…` with the exact
 * name, after a `filename` where each such character is `_` for clients that do not read it.
 */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|[%"\\]/gu, '_');
  const plain = `${kind}; filename="${ascii}"`;
  return ascii === name ? plain : `${plain}; filename*=UTF-8''${encodeExtValue(name)}`;
}
