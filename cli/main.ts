import { existsSync } from 'node:fs';
import { chalkFor } from '../src/term/output.js';
import { cookiePath, readCookieToken } from './cookie.js';
import { Engine } from './engine.js';
import { runInteractive, TerminalUi } from './interactive.js';
import { loadMacroFile } from './macros.js';
import { CommandError } from './media.js';
import { runScript } from './script.js';
import { scriptUi, type Ui } from './ui.js';

/** `tinode cli`: a scriptable command-line chat client speaking gRPC, like the reference tn-cli. */

export const DEFAULT_API_KEY = 'AQEAAAABAAD_rAp4DJh05a1HAwFT3A6K';

export interface CliOptions {
  host: string;
  webHost: string;
  ssl: boolean;
  sslHost?: string;
  /** Certificates to trust for TLS instead of the system's (`--ca-file`). */
  ca?: Buffer | undefined;
  loginBasic?: string;
  loginToken?: string;
  loginCookie: boolean;
  noLogin: boolean;
  noCookie: boolean;
  apiKey: string;
  loadMacros?: string;
  verbose: boolean;
  /** Undefined: background in scripted mode only. */
  background?: boolean;
  version: string;
}

export interface CliOutcome {
  /** 0 when all went well. */
  code: number;
  /** Why not, when it did not. */
  reason?: string;
}

/** How to log in at the start: from the options, or the cookie file in interactive mode. */
function startLogin(opts: CliOptions, ui: Ui): { scheme: 'basic' | 'token'; secret: string } | { error: string } | null {
  if (opts.noLogin) return null;
  if (opts.loginCookie) {
    const token = readCookieToken();
    return typeof token === 'string' ? { scheme: 'token', secret: token } : { error: token.message };
  }
  if (opts.loginToken) return { scheme: 'token', secret: opts.loginToken };
  if (opts.loginBasic) return { scheme: 'basic', secret: opts.loginBasic };
  if (ui.interactive && existsSync(cookiePath())) {
    const token = readCookieToken();
    if (typeof token === 'string') {
      ui.out('Logging in with the cookie file');
      return { scheme: 'token', secret: token };
    }
    ui.err(token.message);
  }
  return null;
}

export async function runCli(opts: CliOptions): Promise<CliOutcome> {
  const interactive = process.stdin.isTTY === true;
  const c = chalkFor(process.stdout);
  const errC = chalkFor(process.stderr);
  const terminal = interactive ? new TerminalUi(c, errC) : null;
  const ui: Ui = terminal ?? scriptUi(c, errC);

  if (interactive) {
    ui.out(`Tinode command line client, version ${opts.version}. Type a command, or .exit; <command> -h for help.`);
    ui.out(`${opts.ssl ? 'Secure server' : 'Server'} at '${opts.host}'${opts.sslHost ? ` SNI=${opts.sslHost}` : ''}`);
  }

  const engine = new Engine(
    {
      host: opts.host,
      ssl: opts.ssl,
      sslHost: opts.sslHost,
      ca: opts.ca,
      webHost: opts.webHost,
      apiKey: opts.apiKey,
      noCookie: opts.noCookie,
      verbose: opts.verbose,
      background: opts.background ?? !interactive,
      awaitTimeoutMs: 5000,
      version: opts.version,
    },
    ui,
  );
  if (opts.loadMacros) {
    try {
      engine.addMacros(await loadMacroFile(opts.loadMacros));
    } catch (err) {
      return { code: 2, reason: err instanceof CommandError ? err.message : String(err) };
    }
  }

  const login = startLogin(opts, ui);
  if (login && 'error' in login) {
    return { code: 2, reason: login.error };
  }
  if (login?.scheme === 'basic' && !login.secret.includes(':')) {
    const password = await ui.askSecret(`Password for ${login.secret}:`);
    if (password === undefined) {
      return { code: 2, reason: `--login-basic takes login:password${interactive ? '' : ' (no password can be asked for in scripted mode)'}` };
    }
    login.secret = `${login.secret}:${password}`;
  }

  if (!(await engine.connect())) {
    await engine.shutdown();
    return { code: 1, reason: engine.failure ?? 'cannot connect' };
  }
  if (login) {
    await engine.login(login.scheme, login.secret);
  }
  if (engine.alive) {
    if (terminal) {
      await runInteractive(engine, terminal);
    } else {
      await runScript(engine);
    }
  }
  if (interactive) ui.out('Shutting down...');
  await engine.shutdown();
  return engine.failure ? { code: 1, reason: engine.failure } : { code: 0 };
}
