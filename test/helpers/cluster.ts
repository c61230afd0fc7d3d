import { spawn, type ChildProcess } from 'node:child_process';
import { resolveCluster, type ClusterSettings } from '../../server/cluster/config.js';
import { loadConfig } from '../../src/config/load.js';

/** Cluster tests' timings: a heartbeat every 100 ms, a node gone after 20 missed (2 s). */
export const HEARTBEAT = 100;
export const FAIL_AFTER = 20;

/** The settings of node `self` of a cluster of `nodes` on the NATS at `url`. */
export function clusterSettings(url: string, self: string, nodes: readonly string[], failover = true): ClusterSettings {
  const { config } = loadConfig(undefined, {
    db: 'mysql://root@127.0.0.1:3306/tinode',
    set: {
      cluster_config: {
        self,
        nodes: nodes.map((name) => ({ name })),
        failover: { enabled: failover, heartbeat: HEARTBEAT, node_fail_after: FAIL_AFTER },
        nats_url: url,
      },
    },
  });
  return resolveCluster(config)!;
}

/** Waits until `cond` holds, polling; fails after `ms`. */
export async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A member in a process of its own (test/helpers/member-process.ts), for tests that kill it;
 * resolves with the first line it says ("ready", or "refused: …").
 */
export function memberProcess(url: string, self: string, nodes: readonly string[]): Promise<{ proc: ChildProcess; said: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/member-process.ts', url, self, nodes.join(','), String(HEARTBEAT), String(FAIL_AFTER)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve({ proc, said: out.split('\n')[0]! });
    });
    proc.once('exit', (code) => reject(new Error(`member process exited with ${code}: ${out}`)));
  });
}
