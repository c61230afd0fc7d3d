import { chalkFor } from '../../src/term/output.js';

/**
 * The server's log: one line per event on stderr, with a UTC timestamp and level. Colours only
 * on a terminal (and never with NO_COLOR). `level` filters: debug < info < warn < error.
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
      write(paint[level](`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${msg}`));
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
