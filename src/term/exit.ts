/** Exit codes of every command. */
export const EXIT_OK = 0;
/** The work failed (database unreachable, data refused...). */
export const EXIT_FAILURE = 1;
/** The command line or the config is wrong. */
export const EXIT_USAGE = 2;

/** A failure that has been explained to the user already, with the exit code to use. */
export class CommandFailure extends Error {
  override readonly name = 'CommandFailure';
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
  }
}
