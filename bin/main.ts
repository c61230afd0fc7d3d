import { Command, CommanderError } from 'commander';
import { botCommand } from '../chatbot/command.js';
import { cliCommand } from '../cli/command.js';
import { clusterCommand } from '../server/commands/cluster.js';
import { initDbCommand } from '../server/commands/init-db.js';
import { keygenCommand } from '../server/commands/keygen.js';
import { serveCommand } from '../server/commands/serve.js';
import { DataFileError } from '../server/store/init/data-file.js';
import { ConfigError } from '../src/config/errors.js';
import { packageVersion } from '../src/paths.js';
import { CommandFailure, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../src/term/exit.js';
import { createOutput } from '../src/term/output.js';

/**
 * The `tinode` program: each part brings its own command (the server's serve, init-db, keygen
 * and cluster; the cli; the bot), and this file puts them together and turns every failure into
 * a message and an exit code. `bin/tinode` runs its compiled form.
 */

/** Builds the `tinode` program with every command. */
export function buildProgram(): Command {
  const program = new Command('tinode')
    .description('Tinode instant messaging: server, database tool, command-line client and chatbot')
    .version(packageVersion(), '-v, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  serveCommand(program);
  initDbCommand(program);
  keygenCommand(program);
  clusterCommand(program);
  cliCommand(program);
  botCommand(program);
  for (const cmd of program.commands) {
    cmd.exitOverride().showHelpAfterError('(run with --help for usage)');
  }
  return program;
}

/** Explains a failure in one or two lines and gives the exit code. */
function explain(err: unknown): number {
  const out = createOutput();
  if (err instanceof CommanderError) {
    // Commander printed the message already; help and version are successes.
    return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? EXIT_OK : EXIT_USAGE;
  }
  if (err instanceof ConfigError) {
    out.error(`${err.message}`);
    return EXIT_USAGE;
  }
  if (err instanceof CommandFailure) {
    out.error(err.message);
    return err.exitCode;
  }
  if (err instanceof DataFileError) {
    out.error(`bad data file: ${err.message}`);
    return EXIT_FAILURE;
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ER_ACCESS_DENIED_ERROR' || code === '28P01' || code === '28000') {
    out.error(`cannot connect to the database (${String(code)}): ${(err as Error).message}. Check --db or store_config, and that the server runs.`);
    return EXIT_FAILURE;
  }
  out.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  return EXIT_FAILURE;
}

/** Runs the program on `argv` (as process.argv) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return EXIT_OK;
  } catch (err) {
    return explain(err);
  }
}
