/**
 * The server under test, in its own process: what `tinode serve --config FILE` does, from the
 * sources (the compiled `bin/tinode` may lag behind them), so that the harness can read its RSS and
 * profile it. Prints `READY <ws host:port> <grpc addr|->` once listening; stops on SIGTERM/SIGINT.
 *
 * With NODE, it runs as that node of the config's cluster (`tinode serve --cluster-self NODE`) and
 * says READY only once it sees every node of `cluster_config.nodes` in the cluster.
 *
 *   node --import tsx test/bench/server-main.ts CONFIG_FILE [NODE]
 */
import { loadConfig } from '../../src/config/load.js';
import { startServer } from '../../server/index.js';
import { createLogger } from '../../server/log/log.js';

const configFile = process.argv[2];
const node = process.argv[3];
if (!configFile) {
  console.error('usage: server-main.ts CONFIG_FILE');
  process.exit(2);
}
const { config, warnings } = loadConfig(configFile, {});
const log = createLogger({ level: (process.env.BENCH_SERVER_LOG as 'warn' | undefined) ?? 'warn' });
warnings.forEach((w) => log.warn(w));
const server = await startServer(config, { log, autoInitSqlite: false, clusterSelf: node });
if (node) {
  const want = config.cluster_config.nodes.length;
  const until = Date.now() + 60_000;
  while (server.ctx.clusterSize() < want) {
    if (Date.now() > until) {
      log.error(`node ${node} sees ${server.ctx.clusterSize()} of ${want} nodes after 60 s`);
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
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
