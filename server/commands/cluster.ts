import type { Command } from 'commander';
import { loadConfig } from '../../src/config/load.js';
import { CommandFailure } from '../../src/term/exit.js';
import { createOutput } from '../../src/term/output.js';
import { readClusterStatus, type NodeStatus } from '../cluster/status.js';

interface StatusOptions {
  config?: string;
  json?: boolean;
}

function ago(ms: number | null): string {
  if (ms === null) return '-';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** `tinode cluster status`: the members of a cluster, as they see each other on NATS. */
export function clusterCommand(program: Command): void {
  const cluster = program.command('cluster').description('look at a cluster of tinode serve nodes');
  cluster
    .command('status')
    .description('list the nodes of the cluster: live or not, their sessions and topics, where and since when they run')
    .option('--config <file>', 'tinode.conf with the cluster_config of the nodes (its nats_url, nats_prefix, nodes, failover)')
    .option('--json', 'print the nodes as JSON')
    .addHelpText(
      'after',
      `
Reads the members' records from NATS (the key-value bucket <nats_prefix>_cluster), the way the
nodes see each other: a node is live while it wrote its record within heartbeat x node_fail_after.
Exits 1 when a configured node is down.`,
    )
    .action(async (opts: StatusOptions) => {
      const { config } = loadConfig(opts.config);
      const out = createOutput();
      let nodes: NodeStatus[];
      try {
        nodes = await readClusterStatus(config);
      } catch (err) {
        throw new CommandFailure(err instanceof Error ? err.message : String(err));
      }
      if (opts.json) {
        out.result(JSON.stringify(nodes, null, 2));
      } else {
        const rows = [['node', 'state', 'heard', 'sessions', 'topics', 'host', 'pid', 'since']];
        for (const n of nodes) {
          const state = n.live ? out.out.green('live') : out.out.red(n.record ? 'down' : 'down (never seen)');
          rows.push([
            n.configured ? n.name : `${n.name} (not configured)`,
            state,
            ago(n.silentMs),
            String(n.record?.load.sessions ?? '-'),
            String(n.record?.load.topics ?? '-'),
            n.record?.host ?? '-',
            String(n.record?.pid ?? '-'),
            n.record?.startedAt ?? '-',
          ]);
        }
        // eslint-disable-next-line no-control-regex
        const plain = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');
        const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => plain(r[i]!).length)));
        for (const r of rows) out.result(r.map((c, i) => c + ' '.repeat(widths[i]! - plain(c).length)).join('  ').trimEnd());
        const live = nodes.filter((n) => n.live).length;
        out.info(`${live} of ${nodes.length} nodes live`);
      }
      const down = nodes.filter((n) => n.configured && !n.live).map((n) => n.name);
      if (down.length > 0) throw new CommandFailure(`configured but not live: ${down.join(', ')}`);
    });
}
