import { release, type } from 'node:os';
import { ClientStream, type ClientStreamEvents, type ServerAddress } from '../src/grpc/client-stream.js';
import { Backoff } from './backoff.js';
import { QuoteBot } from './bot.js';
import { chooseCredentials, saveTokenCookie, tokenCredentials, type Credentials } from './credentials.js';
import type { BotLog } from './log.js';
import { startPluginServer, type PluginServer } from './plugin.js';
import { defaultQuotesPath, loadQuotes, QuotePicker } from './quotes.js';

/**
 * The bot's life: load the quotes, open the Plugin service, then keep a session with the server
 * going: connect, log in, serve; when the connection drops (a server restart), reconnect with
 * exponential backoff and log in with the token of the last login.
 */
export interface BotOptions extends Pick<ServerAddress, 'host' | 'ssl' | 'sslHost' | 'ca'> {
  /** Where the Plugin service listens: `host:port` or `unix:/path`. */
  listen: string;
  loginBasic?: string;
  loginToken?: string;
  /** Cookie file: read for credentials when no other is given; the token is saved there. */
  loginCookie: string;
  /** Quotes file (default: the bundled chatbot/quotes.txt). */
  quotes?: string;
  version: string;
  /** Backoff between reconnections (tests shorten it). */
  backoff?: { initialMs: number; maxMs: number };
}

export interface RunningBot {
  /** Where the Plugin service listens (with the port bound, when 0 was asked). */
  readonly pluginAddress: string;
  /** Resolves when the bot stops after {@link RunningBot.stop}; rejects with {@link BotFailure} when it cannot go on. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/** The bot gave up: the reason says why and what to do. */
export class BotFailure extends Error {
  override readonly name = 'BotFailure';
}

/** The Plugin service could not listen where asked. */
export class ListenError extends Error {
  override readonly name = 'ListenError';
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** How long a connection attempt may take. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Opens a stream on a fresh channel, so that the backoff between attempts is the bot's, not
 * gRPC's; with keepalive pings, to notice a server that vanished. The reason as text when the
 * server cannot be reached (or the address cannot be parsed).
 */
async function openStream(addr: BotOptions, events: ClientStreamEvents): Promise<ClientStream | string> {
  try {
    const stream = new ClientStream({ host: addr.host, ssl: addr.ssl, sslHost: addr.sslHost, ca: addr.ca, keepalive: true });
    const unreachable = await stream.open(events, CONNECT_TIMEOUT_MS);
    return unreachable ? unreachable.text : stream;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * Starts the bot. Throws at once for bad options ({@link QuotesError}, {@link CredentialsError},
 * {@link ListenError}); later failures reject {@link RunningBot.done}.
 */
export async function startBot(opts: BotOptions, log: BotLog): Promise<RunningBot> {
  const original = chooseCredentials(opts);
  const quotesPath = opts.quotes ?? defaultQuotesPath();
  const quotes = new QuotePicker(loadQuotes(quotesPath));
  log.info(`loaded ${quotes.size} quotes from ${quotesPath}`);

  const bot = new QuoteBot({
    quotes,
    log,
    userAgent: `Tinode-bot/${opts.version} (${type()}/${release()}); gRPC-node/${process.versions.node}`,
  });

  let plugin: PluginServer;
  try {
    plugin = await startPluginServer(opts.listen, {
      account: (ev) => {
        log.info(`account ${ev.action.toLowerCase()}d: ${ev.userId}${ev.public && typeof ev.public === 'object' && 'fn' in ev.public ? ` (${String(ev.public.fn)})` : ''}`);
        if (ev.action === 'CREATE') bot.newUser(ev.userId);
      },
    });
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    const why = text.includes('EADDRINUSE') ? 'the address is in use (is another bot running? choose another with --listen)' : text;
    throw new ListenError(`cannot listen for plugin calls on ${opts.listen}: ${why}`);
  }
  log.info(`plugin service listening on ${plugin.address}`);

  let stopped = false;
  let stream: ClientStream | null = null;
  let wakeUp: () => void = () => undefined;
  const stopSignal = new Promise<void>((resolve) => (wakeUp = resolve));
  const pause = (ms: number) =>
    Promise.race([stopSignal, new Promise<void>((resolve) => setTimeout(resolve, ms).unref())]);
  const backoff = new Backoff(opts.backoff?.initialMs ?? 500, opts.backoff?.maxMs ?? 30_000);

  // The password to fall back on when a token is refused (expired), and whether the cookie file
  // had it already (then it stays there; a password given on the command line is not written).
  const password = original.scheme === 'basic' ? original : original.fallback;
  const keepInCookie = original.fromCookie ? password : undefined;

  const loop = async (): Promise<void> => {
    let creds: Credentials = original;
    log.info(`connecting to ${opts.ssl ? 'secure ' : ''}server at ${opts.host}${opts.sslHost ? ` (TLS name ${opts.sslHost})` : ''}; logging in with ${creds.source}`);
    while (!stopped) {
      let closed: (reason: string | null) => void = () => undefined;
      const whenClosed = new Promise<string | null>((resolve) => (closed = resolve));
      const opened = await openStream(opts, {
        message: (msg) => bot.onMessage(msg),
        closed: (failure) => {
          bot.disconnected();
          closed(failure && `${failure.code}: ${failure.details}`);
        },
      });
      if (typeof opened === 'string') {
        const delay = backoff.next();
        log.warn(`cannot connect to ${opts.host} (${opened}); trying again in ${secs(delay)}`);
        await pause(delay);
        continue;
      }
      stream = opened;
      if (stopped) break;
      const outcome = await bot.start(stream, creds);
      if (outcome.kind !== 'ok') {
        void stream.close();
        await Promise.race([whenClosed, pause(2000)]);
        if (outcome.kind === 'fatal') throw new BotFailure(outcome.reason);
        if (outcome.kind === 'refused') {
          if (password && creds !== password) {
            log.warn(`the token was refused (${outcome.code} ${outcome.text}): logging in with ${password.source}`);
            creds = password;
            continue;
          }
          throw new BotFailure(`login refused with ${creds.source}: ${outcome.code} ${outcome.text}`);
        }
        if (stopped) break;
        const delay = backoff.next();
        log.warn(`${outcome.reason}; trying again in ${secs(delay)}`);
        await pause(delay);
        continue;
      }
      const since = Date.now();
      log.info(`logged in as ${outcome.user}; answering messages`);
      const token = outcome.params.token;
      if (typeof token === 'string' && token) {
        creds = tokenCredentials(token, 'the token of the last login');
        try {
          saveTokenCookie(opts.loginCookie, outcome.params, keepInCookie);
        } catch (err) {
          log.warn(`cannot save the token to ${opts.loginCookie}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      const reason = await whenClosed;
      if (stopped) break;
      // A session that lasted is a success: start the backoff over.
      if (Date.now() - since > 10_000) backoff.reset();
      const delay = backoff.next();
      log.warn(`disconnected from the server${reason ? ` (${reason})` : ''}; reconnecting in ${secs(delay)}`);
      await pause(delay);
    }
  };

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    wakeUp();
    void stream?.close();
    await plugin.close();
  };

  const done = loop().then(
    () => undefined,
    async (err: unknown) => {
      await stop();
      throw err;
    },
  );

  return {
    pluginAddress: plugin.address,
    done,
    stop: async () => {
      await stop();
      await done.catch(() => undefined);
    },
  };
}
