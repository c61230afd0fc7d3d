import { readFileSync } from 'node:fs';
import { credsAuthenticator } from '@nats-io/transport-node';
import { ConfigError } from '../../src/config/errors.js';
import type { TinodeConfig } from '../../src/config/schema.js';

/**
 * The cluster settings of one node, resolved from `cluster_config` and `--cluster-self` and checked
 * as a whole: what the reference checks (this node among the nodes, at least two of them) and what
 * NATS and the shared database need.
 */
export interface ClusterSettings {
  /** This node's name. */
  readonly self: string;
  /** Every node's name, sorted. */
  readonly nodes: readonly string[];
  /** The id generator's worker id: 1 + this node's index among the sorted names (the reference's). */
  readonly workerId: number;
  /** With failover the ring holds the live nodes; without, every configured node, live or not. */
  readonly failover: boolean;
  readonly heartbeatMs: number;
  /** How long a node may stay silent before it counts as gone: heartbeat × node_fail_after. */
  readonly failAfterMs: number;
  readonly nats: NatsLink;
}

/** How a node (or `tinode cluster status`) reaches the cluster's NATS. */
export interface NatsLink {
  readonly servers: readonly string[];
  readonly user?: string;
  readonly password?: string;
  readonly token?: string;
  readonly credsFile?: string;
  /** Prefix of subjects and the key-value bucket. */
  readonly prefix: string;
}

/** Most nodes the id generator's 10 bits of worker id can tell apart. */
const MAX_NODES = 1023;

/**
 * The cluster settings, or null for a standalone server (no `self`, as in the reference). Throws a
 * {@link ConfigError} naming the key and the fix.
 */
export function resolveCluster(config: TinodeConfig, selfFlag?: string): ClusterSettings | null {
  const cc = config.cluster_config;
  const self = selfFlag ?? cc.self;
  if (self === '') {
    return null;
  }
  const names = cc.nodes.map((n, i) => {
    if (n.name === '') {
      throw new ConfigError(`cluster_config.nodes[${i}].name`, 'the name is empty', 'a name for every node');
    }
    return n.name;
  });
  const seen = new Set<string>();
  for (const [i, name] of names.entries()) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
      throw new ConfigError(`cluster_config.nodes[${i}].name`, `"${name}" has characters a NATS key cannot hold`, 'letters, digits, "_" and "-", at most 64');
    }
    if (seen.has(name)) {
      throw new ConfigError(`cluster_config.nodes[${i}].name`, `"${name}" is listed twice`, 'a different name for every node');
    }
    seen.add(name);
  }
  if (!seen.has(self)) {
    throw new ConfigError(
      selfFlag === undefined ? 'cluster_config.self' : '--cluster-self',
      `"${self}" is not among cluster_config.nodes (${names.map((n) => `"${n}"`).join(', ') || 'none'})`,
      'the name of one of the nodes, or add this node to cluster_config.nodes',
    );
  }
  if (names.length < 2) {
    throw new ConfigError('cluster_config.nodes', 'a cluster of one node', 'at least two nodes (for a single server leave cluster_config.self empty)');
  }
  if (names.length > MAX_NODES) {
    throw new ConfigError('cluster_config.nodes', `${names.length} nodes`, `at most ${MAX_NODES}`);
  }
  if (config.store_config.use_adapter === 'sqlite') {
    throw new ConfigError(
      'store_config.use_adapter',
      'the nodes of a cluster need one database they all reach, and SQLite is a file of one process',
      '"mysql" or "postgres" (tinode serve --db mysql://... or postgres://...)',
    );
  }
  const sorted = [...names].sort();
  const fo = cc.failover;
  return {
    self,
    nodes: sorted,
    workerId: sorted.indexOf(self) + 1,
    failover: fo.enabled,
    heartbeatMs: fo.heartbeat,
    failAfterMs: fo.heartbeat * fo.node_fail_after,
    nats: natsLink(config),
  };
}

/** The NATS servers and credentials of `cluster_config`, checked; a {@link ConfigError} names the key. */
export function natsLink(config: TinodeConfig): NatsLink {
  const cc = config.cluster_config;
  const servers = cc.nats_url
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (servers.length === 0) {
    throw new ConfigError('cluster_config.nats_url', 'no NATS server', 'one or more URLs such as "nats://127.0.0.1:4222", comma-separated');
  }
  for (const url of servers) {
    if (!/^(nats|tls|wss?):\/\/[^\s/]+$|^[^\s/:]+:\d+$/.test(url)) {
      throw new ConfigError('cluster_config.nats_url', `"${url}" is not a NATS server URL`, 'URLs such as "nats://host:4222", comma-separated');
    }
  }
  return {
    servers,
    ...(cc.nats_user ? { user: cc.nats_user } : {}),
    ...(cc.nats_password ? { password: cc.nats_password } : {}),
    ...(cc.nats_token ? { token: cc.nats_token } : {}),
    ...(cc.nats_creds_file ? { credsFile: cc.nats_creds_file } : {}),
    prefix: cc.nats_prefix,
  };
}

/** NATS connection options for a link: servers and credentials (the caller adds its own). */
export function natsAuth(link: NatsLink): { servers: string[]; user?: string; pass?: string; token?: string; authenticator?: ReturnType<typeof credsAuthenticator> } {
  return {
    servers: [...link.servers],
    ...(link.user ? { user: link.user, pass: link.password ?? '' } : {}),
    ...(link.token ? { token: link.token } : {}),
    ...(link.credsFile ? { authenticator: credsAuthenticator(readFileSync(link.credsFile)) } : {}),
  };
}
