import { readCaFile } from '../src/grpc/ca-file.js';
import * as grpc from '@grpc/grpc-js';
import type { Command } from 'commander';
import { packageVersion } from '../src/paths.js';
import { CommandFailure, EXIT_FAILURE, EXIT_USAGE } from '../src/term/exit.js';
import { CredentialsError } from './credentials.js';
import { createBotLog } from './log.js';
import { QuotesError } from './quotes.js';
import { BotFailure, ListenError, startBot } from './run.js';

interface BotCommandOptions {
  host: string;
  ssl?: boolean;
  sslHost?: string;
  caFile?: string;
  listen: string;
  loginBasic?: string;
  loginToken?: string;
  loginCookie: string;
  quotes?: string;
  verbose?: boolean;
}

/** `tinode bot`: the quote chatbot (the reference's chatbot.py), over gRPC. Runs until SIGINT or SIGTERM. */
export function botCommand(program: Command): void {
  program
    .command('bot')
    .description('run the chatbot: answers every message with a random quote, and starts a conversation with each new user (plugin API)')
    .option('--host <host:port>', 'address of the server\'s gRPC service', 'localhost:16060')
    .option('--ssl', 'connect over TLS')
    .option('--ssl-host <name>', 'TLS server name to use instead of the host name (useful when connecting to localhost)')
    .option('--ca-file <pem>', 'with --ssl: trust the certificates in this PEM file instead of the system\'s (a private CA, a self-signed server)')
    .option('--listen <host:port>', 'address of the bot\'s Plugin service, where the server sends account events (or unix:/path)', '0.0.0.0:40051')
    .option('--login-basic <login:password>', 'log in with a login and password')
    .option('--login-token <token>', 'log in with a token')
    .option('--login-cookie <file>', 'cookie file: credentials to log in with when neither option above is given; the token of each login is saved there', '.tn-cookie')
    .option('--quotes <file>', 'quotes to answer with: one per line, or separated by lines of "%" as fortune files (default: the bundled chatbot/quotes.txt)')
    .option('--verbose', 'log every message sent and received')
    .addHelpText(
      'after',
      `
The server must list the bot under "plugins" in tinode.conf to tell it about new accounts
(timeout in microseconds):
  "plugins": [{"enabled": true, "name": "bot", "timeout": 1000000,
               "filters": {"account": "C"}, "service_addr": "tcp://localhost:40051"}]
Without it the bot still answers messages, but does not start conversations with new users.

Examples:
  tinode bot --login-basic quotebot:PASSWORD    the sample's bot user (init-db prints its password)
  tinode bot                                    later runs: logs in with the token saved in .tn-cookie
  tinode bot --host chat.example.com:16060 --ssl --quotes /usr/share/games/fortunes/fortunes
`,
    )
    .action(async (opts: BotCommandOptions) => {
      const log = createBotLog({ verbose: opts.verbose === true });
      // gRPC's own error lines duplicate what the bot explains; keep them for --verbose.
      if (opts.verbose !== true) grpc.setLogVerbosity(grpc.logVerbosity.NONE);
      let bot;
      try {
        bot = await startBot(
          {
            host: opts.host,
            ssl: opts.ssl === true,
            sslHost: opts.sslHost,
            ca: readCaFile(opts.caFile),
            listen: opts.listen,
            loginBasic: opts.loginBasic,
            loginToken: opts.loginToken,
            loginCookie: opts.loginCookie,
            quotes: opts.quotes,
            version: packageVersion(),
          },
          log,
        );
      } catch (err) {
        if (err instanceof QuotesError || err instanceof CredentialsError) throw new CommandFailure(err.message, EXIT_USAGE);
        if (err instanceof ListenError) throw new CommandFailure(err.message, EXIT_FAILURE);
        throw err;
      }
      const running = bot;
      let signalled = 0;
      const onSignal = (signal: string) => {
        signalled++;
        if (signalled > 1) {
          log.warn(`${signal} again: exiting now`);
          process.exit(EXIT_FAILURE);
        }
        log.info(`${signal}: stopping`);
        void running.stop();
      };
      const onInt = () => onSignal('SIGINT');
      const onTerm = () => onSignal('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      try {
        await running.done;
      } catch (err) {
        if (err instanceof BotFailure) throw new CommandFailure(err.message, EXIT_FAILURE);
        throw err;
      } finally {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
      }
    });
}
