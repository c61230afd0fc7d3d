import type { Command } from 'commander';
import { loadConfig } from '../../src/config/load.js';
import { CommandFailure, EXIT_USAGE } from '../../src/term/exit.js';
import { ConfigError } from '../../src/config/errors.js';
import { startServer } from '../index.js';
import { createLogger, type LogFormat, type LogLevel } from '../log/log.js';

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

interface ServeOptions {
  config?: string;
  listen?: string;
  grpcListen?: string;
  db?: string;
  staticMount?: string;
  webapp: boolean;
  logLevel?: string;
  logFormat?: string;
  clusterSelf?: string;
}

/** `tinode serve`: the chat server. Runs until SIGINT or SIGTERM, then stops gracefully. */
export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('run the chat server: websocket, long polling and gRPC clients, file uploads and downloads, and the TinodeWeb client')
    .option('--config <file>', 'tinode.conf to read (default: built-in defaults)')
    .option('--listen <[host]:port>', 'address for websocket and long-poll clients (default :6060)')
    .option('--grpc-listen <[host]:port>', 'address for gRPC clients (default :16060; "" turns gRPC off)')
    .option('--db <url>', 'the database: sqlite:PATH (default sqlite:./data/tinode.db), mysql://... or postgres://...')
    .option('--static-mount <dir>', 'serve this folder of static files at static_mount (default /) instead of the bundled TinodeWeb')
    .option('--no-webapp', 'do not serve TinodeWeb, the bundled web client (config "webapp": false)')
    .option('--log-level <level>', 'debug, info, warn or error (default: "log_level" of the config, info)')
    .option('--log-format <format>', 'text, or json: one JSON object per line (default: "log_format" of the config, text)')
    .option('--cluster-self <name>', 'run as this node of the cluster in cluster_config.nodes (default: cluster_config.self; none: a single server)')
    .addHelpText(
      'after',
      `
On first start with the default SQLite database, the database is created with the sample users
(alice/alice123, bob/bob123, ...). Clients connect to ws://HOST:6060/v0/channels (long polling:
http://HOST:6060/v0/channels/lp) with the API key AQEAAAABAAD_rAp4DJh05a1HAwFT3A6K (valid with the
default api_key_salt), and gRPC clients (tn-cli, tinode cli, chatbots, Tindroid) to HOST:16060.
Files are uploaded to http://HOST:6060/v0/file/u/ (or over gRPC) and kept by the media handler
("fs" in ./uploads by default, or "s3").
TinodeWeb, the official web client, is served at http://HOST:6060/ from the tinode-webapp npm
package, with its scripts and fonts from local packages (no CDN).
`,
    )
    .action(async (opts: ServeOptions) => {
      if (opts.logLevel !== undefined && !LEVELS.includes(opts.logLevel as LogLevel)) {
        throw new CommandFailure(`--log-level must be debug, info, warn or error, not "${opts.logLevel}"`, EXIT_USAGE);
      }
      if (opts.logFormat !== undefined && opts.logFormat !== 'text' && opts.logFormat !== 'json') {
        throw new CommandFailure(`--log-format must be text or json, not "${opts.logFormat}"`, EXIT_USAGE);
      }
      const set: Record<string, unknown> = {};
      if (opts.listen !== undefined) set.listen = opts.listen;
      if (opts.grpcListen !== undefined) set.grpc_listen = opts.grpcListen;
      if (!opts.webapp) set.webapp = false;
      const { config, warnings, source } = loadConfig(opts.config, { db: opts.db, set });
      const log = createLogger({ level: (opts.logLevel as LogLevel | undefined) ?? config.log_level, format: (opts.logFormat as LogFormat | undefined) ?? config.log_format });
      warnings.forEach((w) => log.warn(w));
      log.info(`config: ${source}`);
      let server;
      try {
        server = await startServer(config, { log, autoInitSqlite: true, staticDir: opts.staticMount, clusterSelf: opts.clusterSelf });
      } catch (err) {
        if (err instanceof ConfigError) {
          throw err;
        }
        throw new CommandFailure(err instanceof Error ? err.message : String(err));
      }
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) {
            log.warn(`${signal} again: exiting now`);
            process.exit(1);
          }
          stopping = true;
          log.info(`${signal}: shutting down`);
          void server.close().then(resolve);
        };
        process.on('SIGINT', () => stop('SIGINT'));
        process.on('SIGTERM', () => stop('SIGTERM'));
        // SIGHUP: the log level from the config file again (unless --log-level fixed it), and the certificate.
        process.on('SIGHUP', () => {
          if (opts.logLevel === undefined) {
            try {
              const level = loadConfig(opts.config, { db: opts.db, set }).config.log_level;
              log.setLevel(level);
              log.info(`SIGHUP: log level ${level}`);
            } catch (err) {
              log.warn(`SIGHUP: cannot read the config again (${err instanceof Error ? err.message : String(err)}); log level stays ${log.level}`);
            }
          } else {
            log.info(`SIGHUP: log level stays ${log.level} (set by --log-level)`);
          }
          server.reloadTls();
        });
      });
    });
}
