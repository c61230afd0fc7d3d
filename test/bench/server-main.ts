/**
 * The server under test, in its own process: what `tinode serve --config FILE` does, from the
 * sources (the compiled `bin/tinode` may lag behind them), so that the harness can read its RSS and
 * profile it. Prints `READY <ws host:port> <grpc addr|->` once listening; stops on SIGTERM/SIGINT.
 *
 *   node --import tsx test/bench/server-main.ts CONFIG_FILE
 */
import { loadConfig } from '../../src/config/load.js';
import { startServer } from '../../server/index.js';
import { createLogger } from '../../server/log/log.js';

const configFile = process.argv[2];
if (!configFile) {
  console.error('usage: server-main.ts CONFIG_FILE');
  process.exit(2);
}
const { config, warnings } = loadConfig(configFile, {});
const log = createLogger({ level: (process.env.BENCH_SERVER_LOG as 'warn' | undefined) ?? 'warn' });
warnings.forEach((w) => log.warn(w));
const server = await startServer(config, { log, autoInitSqlite: false });
process.stdout.write(`READY ${server.url.replace(/^https?:\/\//, '')} ${server.grpcAddr ?? '-'}\n`);
let stopping = false;
const stop = () => {
  if (stopping) {
    process.exit(1);
  }
  stopping = true;
  void server.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
