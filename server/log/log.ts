import pino from 'pino';
import { chalkFor } from '../../src/term/output.js';

/**
 * The server's log: one line per event on stderr, with a UTC timestamp and level. Colours only
 * on a terminal (and never with NO_COLOR). `level` filters: debug < info < warn < error. Every
 * message goes through {@link logSafe}, so text a client wrote cannot forge a line.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Facts of an entry beside its message (the session, the topic): `key=value` in text, properties in JSON. */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** A logger whose level can change while it runs (`SIGHUP` re-reads it). */
export interface ServerLogger extends Logger {
  setLevel(level: LogLevel): void;
  readonly level: LogLevel;
}

export type LogFormat = 'text' | 'json';

export interface LoggerOptions {
  level?: LogLevel;
  /** `text` (default): one readable line per entry; `json`: one JSON object per line (pino). */
  format?: LogFormat;
  /** Where lines go; stderr by default. */
  write?: (line: string) => void;
  /** Colour lines (default: when stderr is a terminal and NO_COLOR is unset; never in JSON). */
  color?: boolean;
}

/** Control and invisible formatting characters (bidi overrides, zero-width), and line separators. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\p{Cf}\u2028\u2029]/gu;

/**
 * A message made safe for one log entry, whatever a client put in it (error texts name fields and
 * keys it wrote): control characters, bidi overrides and other invisible formatting characters
 * become `\uXXXX`, and each newline (of a stack trace, say) is followed by an indent, so no part
 * of a message can pass for an entry of its own or reorder what a terminal shows.
 */
export function logSafe(msg: string): string {
  return msg.replace(UNSAFE, (ch) => {
    const code = ch.codePointAt(0) ?? 0;
    return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
  }).replace(/\n/g, '\n    ');
}

export function createLogger(opts: LoggerOptions = {}): ServerLogger {
  return opts.format === 'json' ? jsonLogger(opts) : textLogger(opts);
}

/** `key=value` pairs after a text entry; values with spaces or quotes are JSON strings. */
function textFields(fields: LogFields | undefined): string {
  if (!fields) return '';
  let out = '';
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    const text = String(v);
    out += ` ${k}=${/^[^\s"=]+$/.test(text) ? text : JSON.stringify(text)}`;
  }
  return out;
}

function textLogger(opts: LoggerOptions): ServerLogger {
  let level: LogLevel = opts.level ?? 'info';
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const c = chalkFor(process.stderr);
  const paint: Record<LogLevel, (s: string) => string> =
    opts.color === false || (opts.color === undefined && c.level === 0)
      ? { debug: (s) => s, info: (s) => s, warn: (s) => s, error: (s) => s }
      : { debug: c.gray, info: (s) => s, warn: c.yellow, error: c.red };
  const line = (at: LogLevel, msg: string, fields?: LogFields) => {
    if (ORDER[at] >= ORDER[level]) {
      write(paint[at](`${new Date().toISOString()} ${at.toUpperCase().padEnd(5)} ${logSafe(msg + textFields(fields))}`));
    }
  };
  return {
    debug: (m, f) => line('debug', m, f),
    info: (m, f) => line('info', m, f),
    warn: (m, f) => line('warn', m, f),
    error: (m, f) => line('error', m, f),
    setLevel: (l) => (level = l),
    get level() {
      return level;
    },
  };
}

/**
 * One JSON object per line, for log collectors (Loki, Elasticsearch, CloudWatch): `time` (ISO
 * 8601 UTC), `level` (`debug`…`error`), `msg`, and the entry's fields as properties. Written by
 * pino, synchronously to stderr so that nothing is lost when the process ends.
 */
function jsonLogger(opts: LoggerOptions): ServerLogger {
  const stream = opts.write ? { write: (s: string) => opts.write!(s.replace(/\n$/, '')) } : pino.destination({ dest: 2, sync: true });
  const p = pino(
    {
      level: opts.level ?? 'info',
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
  const at = (l: LogLevel) => (m: string, f?: LogFields) => (f ? p[l](f, m) : p[l](m));
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    setLevel: (l) => (p.level = l),
    get level() {
      return p.level as LogLevel;
    },
  };
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
