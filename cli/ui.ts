import type { ChalkInstance } from 'chalk';

/** Where the client talks to its user: a terminal session, or the output of a script run. */
export interface Ui {
  /** True when a person types at a terminal (stdin is a TTY). */
  readonly interactive: boolean;
  /** Colours (no-ops when colour is off). */
  readonly c: ChalkInstance;
  /** A line of output (stdout). */
  out(line: string): void;
  /** A problem (stderr). */
  err(line: string): void;
  /** Asks for a secret without echoing it; undefined when nobody can answer or it was cancelled. */
  askSecret(message: string): Promise<string | undefined>;
  /** Asks for a line of text; undefined when nobody can answer or it was cancelled. */
  askText(message: string): Promise<string | undefined>;
}

/** The output side of a script run: no questions can be asked. */
export function scriptUi(c: ChalkInstance, errC: ChalkInstance): Ui {
  return {
    interactive: false,
    c,
    out: (line) => process.stdout.write(line + '\n'),
    err: (line) => process.stderr.write(errC.red(line) + '\n'),
    askSecret: () => Promise.resolve(undefined),
    askText: () => Promise.resolve(undefined),
  };
}
