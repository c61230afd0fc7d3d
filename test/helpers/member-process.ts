/**
 * A cluster member in a process of its own, for tests that kill it (`kill -9`): started with the
 * NATS URL, its name and the node names, it joins and prints "ready", then waits to be killed.
 */
import { resolveCluster } from '../../server/cluster/config.js';
import { Membership } from '../../server/cluster/membership.js';
import { loadConfig } from '../../src/config/load.js';

const [url, self, nodes, heartbeat, failAfter] = process.argv.slice(2);
const { config } = loadConfig(undefined, {
  db: 'mysql://root@127.0.0.1:3306/tinode',
  set: {
    cluster_config: {
      self,
      nodes: nodes!.split(',').map((name) => ({ name })),
      failover: { enabled: true, heartbeat: Number(heartbeat), node_fail_after: Number(failAfter) },
      nats_url: url,
    },
  },
});
try {
  await Membership.start(resolveCluster(config)!);
  console.log('ready');
} catch (err) {
  console.log(`refused: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(3);
}
setInterval(() => undefined, 1 << 30);
