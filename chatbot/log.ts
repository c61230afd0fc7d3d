import { chalkFor } from '../src/term/output.js';

/**
 * The bot's log: timestamped lines on stderr, as for any long-running process. Colour only on a
 * terminal (see src/term/output.ts); `debug` lines only with `--verbose`.
 */
export interface BotLog {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  /** Details (every message in and out): shown only when verbose. */
  debug(msg: string): void;
  readonly verbose: boolean;
}

function stamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

export function createBotLog(opts: { verbose?: boolean; stream?: NodeJS.WriteStream } = {}): BotLog {
  const stream = opts.stream ?? process.stderr;
  const c = chalkFor(stream);
  const write = (prefix: string, msg: string) => stream.write(`${c.dim(stamp(new Date()))} ${prefix}${msg}\n`);
  const verbose = opts.verbose === true;
  return {
    info: (msg) => write('', msg),
    warn: (msg) => write(c.yellow('warning: '), msg),
    error: (msg) => write(c.red('error: '), msg),
    debug: (msg) => {
      if (verbose) write(c.dim('· '), msg);
    },
    verbose,
  };
}

/** A value for the log, with long strings (tokens, big contents) shortened. */
export function clip(value: unknown, max = 64): string {
  const seen = (v: unknown): unknown => {
    if (typeof v === 'string') return v.length > max ? `<${v.length} chars: ${v.slice(0, 12)}…${v.slice(-12)}>` : v;
    if (Buffer.isBuffer(v)) return `<${v.length} bytes>`;
    if (v instanceof Date) return v.toISOString();
    if (Array.isArray(v)) return v.map(seen);
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, seen(x)]));
    return v;
  };
  return JSON.stringify(seen(value));
}
