import { chalkFor } from '../../src/term/output.js';

/**
 * The server's log: one line per event on stderr, with a UTC timestamp and level. Colours only
 * on a terminal (and never with NO_COLOR). `level` filters: debug < info < warn < error. Every
 * message goes through {@link logSafe}, so text a client wrote cannot forge a line.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; stderr by default. */
  write?: (line: string) => void;
  /** Colour lines (default: when stderr is a terminal and NO_COLOR is unset). */
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

export function createLogger(opts: LoggerOptions = {}): Logger {
  const min = ORDER[opts.level ?? 'info'];
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const c = chalkFor(process.stderr);
  const paint: Record<LogLevel, (s: string) => string> =
    opts.color === false || (opts.color === undefined && c.level === 0)
      ? { debug: (s) => s, info: (s) => s, warn: (s) => s, error: (s) => s }
      : { debug: c.gray, info: (s) => s, warn: c.yellow, error: c.red };
  const line = (level: LogLevel, msg: string) => {
    if (ORDER[level] >= min) {
      write(paint[level](`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${logSafe(msg)}`));
    }
  };
  return {
    debug: (m) => line('debug', m),
    info: (m) => line('info', m),
    warn: (m) => line('warn', m),
    error: (m) => line('error', m),
  };
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
