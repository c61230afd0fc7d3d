import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import type { TinodeConfig } from '../../src/config/schema.js';
import type { MemberRecord } from './membership.js';
import { natsAuth, natsLink } from './config.js';

/** A node of the cluster as `tinode cluster status` shows it. */
export interface NodeStatus {
  name: string;
  /** Listed in cluster_config.nodes. */
  configured: boolean;
  /** Its record was written within the failure period. */
  live: boolean;
  /** Milliseconds since its record was written; null without a record. */
  silentMs: number | null;
  record: MemberRecord | null;
}

/**
 * Reads the members of a cluster from its NATS key-value bucket, as the nodes see each other:
 * every configured node (down when it has no record or a stale one) and any other that wrote one.
 */
export async function readClusterStatus(config: TinodeConfig): Promise<NodeStatus[]> {
  const cc = config.cluster_config;
  const link = natsLink(config);
  let nc: NatsConnection;
  try {
    nc = await connect({
      ...natsAuth(link),
      name: 'tinode cluster status',
      timeout: 5000,
    });
  } catch (err) {
    throw new Error(`cannot reach NATS at ${link.servers.join(', ')} (cluster_config.nats_url): ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    const bucket = `${cc.nats_prefix}_cluster`;
    const kv = await new Kvm(nc).open(bucket).catch((err: unknown) => {
      throw new Error(`no cluster bucket "${bucket}" on NATS (has a node with nats_prefix "${cc.nats_prefix}" ever run?): ${err instanceof Error ? err.message : String(err)}`);
    });
    const failAfter = cc.failover.heartbeat * cc.failover.node_fail_after;
    const found = new Map<string, NodeStatus>();
    for await (const key of await kv.keys('node.>')) {
      const e = await kv.get(key);
      if (!e || e.operation !== 'PUT' || e.length === 0) continue;
      const record = e.json<MemberRecord>();
      const silentMs = Math.max(0, Date.now() - e.created.getTime());
      found.set(record.name, { name: record.name, configured: false, live: silentMs < failAfter, silentMs, record });
    }
    const out: NodeStatus[] = cc.nodes.map((n) => {
      const f = found.get(n.name);
      found.delete(n.name);
      return f ? { ...f, configured: true } : { name: n.name, configured: true, live: false, silentMs: null, record: null };
    });
    return [...out, ...found.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } finally {
    await nc.close().catch(() => undefined);
  }
}
