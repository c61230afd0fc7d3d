import { readCaFile } from '../src/grpc/ca-file.js';
import type { Command } from 'commander';
import { packageVersion } from '../src/paths.js';
import { CommandFailure } from '../src/term/exit.js';
import { DEFAULT_API_KEY, runCli } from './main.js';

interface CliCommandOptions {
  host: string;
  webHost: string;
  ssl?: boolean;
  sslHost?: string;
  caFile?: string;
  loginBasic?: string;
  loginToken?: string;
  loginCookie?: boolean;
  login: boolean;
  cookie: boolean;
  apiKey: string;
  loadMacros?: string;
  verbose?: boolean;
  background?: boolean;
}

/** `tinode cli`: the scriptable command-line client over gRPC (the reference's tn-cli). */
export function cliCommand(program: Command): void {
  program
    .command('cli')
    .description('command-line chat client over gRPC: interactive at a terminal, or runs a script from standard input')
    .option('--host <host:port>', 'address of the gRPC server', 'localhost:16060')
    .option('--web-host <host:port>', 'address of the web server, for uploads with the upload command (file goes over gRPC)', 'localhost:6060')
    .option('--ssl', 'connect over TLS (gRPC and web host)')
    .option('--ssl-host <name>', 'TLS server name to use instead of the host name (SNI)')
    .option('--ca-file <pem>', 'with --ssl: trust the certificates in this PEM file instead of the system\'s (a private CA, a self-signed server)')
    .option('--login-basic <login:password>', 'log in with a login and password (the password is asked for if left out, interactively)')
    .option('--login-token <token>', 'log in with a token')
    .option('--login-cookie', 'log in with the token saved in .tn-cli-cookie')
    .option('--no-login', 'do not log in, even with a cookie file (scripts never use the cookie unless --login-cookie)')
    .option('--no-cookie', 'do not save the login token to .tn-cli-cookie (scripts never save it)')
    .option('--api-key <key>', 'API key for file transfers', DEFAULT_API_KEY)
    .option('--load-macros <file>', 'load more macros from an ES module (.js/.mjs) exporting an array "macros"')
    .option('--verbose', 'log every message sent and received as JSON')
    .option('--background', 'start the session as a background one (always so in scripted mode)')
    .addHelpText(
      'after',
      `
Commands: acc, login, sub, leave, pub, get, set, del, note, file (upload, download), and the local
.await, .must, .log, .sleep, .use, .verbose, .delmark, .exit. Macros: useradd, userdel, usermod,
passwd, resolve, chacs, chcred, thecard. Type "<command> -h" inside the client for help.
If several logins are given, --login-cookie wins over --login-token, which wins over --login-basic.

Examples:
  tinode cli --login-basic alice:alice123
  tinode cli --no-login < script.txt        with lines such as
      .must $me login alice:alice123
      .must sub grpXYZ
      pub grpXYZ 'Hello, world'
`,
    )
    .action(async (opts: CliCommandOptions) => {
      const outcome = await runCli({
        host: opts.host,
        webHost: opts.webHost,
        ssl: opts.ssl === true,
        sslHost: opts.sslHost,
        ca: readCaFile(opts.caFile),
        loginBasic: opts.loginBasic,
        loginToken: opts.loginToken,
        loginCookie: opts.loginCookie === true,
        noLogin: !opts.login,
        noCookie: !opts.cookie,
        apiKey: opts.apiKey,
        loadMacros: opts.loadMacros,
        verbose: opts.verbose === true,
        background: opts.background,
        version: packageVersion(),
      });
      if (outcome.code !== 0) {
        throw new CommandFailure(outcome.reason ?? 'failed', outcome.code);
      }
    });
}
