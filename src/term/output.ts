import { Chalk, type ChalkInstance } from 'chalk';

/**
 * Terminal output for the commands: colour only when the stream is a terminal and `NO_COLOR`
 * is not set (https://no-color.org); `FORCE_COLOR` turns it on regardless.
 */
export function colorEnabled(stream: NodeJS.WriteStream): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') {
    return false;
  }
  const force = process.env.FORCE_COLOR;
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') {
    return true;
  }
  return Boolean(stream.isTTY);
}

/** A chalk instance for the stream, honouring {@link colorEnabled}. */
export function chalkFor(stream: NodeJS.WriteStream): ChalkInstance {
  return new Chalk({ level: colorEnabled(stream) ? 1 : 0 });
}

/** Messages for people: progress and problems to stderr, results to stdout. */
export interface Output {
  /** A line of progress or information (stderr). */
  info(msg: string): void;
  /** Something worth attention (stderr, yellow). */
  warn(msg: string): void;
  /** A failure, with what to do about it (stderr, red). */
  error(msg: string): void;
  /** A result line (stdout). */
  result(msg: string): void;
  /** Colours for building result lines. */
  readonly out: ChalkInstance;
}

export function createOutput(): Output {
  const err = chalkFor(process.stderr);
  const out = chalkFor(process.stdout);
  return {
    info: (msg) => process.stderr.write(msg + '\n'),
    warn: (msg) => process.stderr.write(err.yellow('warning: ') + msg + '\n'),
    error: (msg) => process.stderr.write(err.red('error: ') + msg + '\n'),
    result: (msg) => process.stdout.write(msg + '\n'),
    out,
  };
}
