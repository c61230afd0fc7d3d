import type { Hub } from '../hub/hub.js';
import type { Logger } from '../log/log.js';
import type { TopicRouter } from '../request/router.js';
import type { ClusterSettings } from './config.js';
import { Membership, type MemberView } from './membership.js';
import { Placement } from './placement.js';
import { ClusterRouter, type LocalSessions } from './router.js';

/** A node of a running cluster, as the composition root uses it. */
export interface RunningCluster {
  /** How requests reach topics: their master, here or on another node. */
  readonly router: TopicRouter;
  /** Live nodes. */
  size(): number;
  /** Configured and live nodes (expvar's TotalClusterNodes, LiveClusterNodes). */
  counts(): { total: number; live: number };
  /** Every node with a record: name, live or not, load (for `cluster status`). */
  members(): MemberView[];
  /** 'ok' while this node may serve (linked to NATS, its name its own), else why not. */
  status(): string;
  /**
   * Leaves the cluster: the topics served here stop and their sessions (of other nodes) attach
   * where the ring now says, then this node's record goes, then its link to NATS.
   */
  stop(): Promise<void>;
}

/** Joins the cluster: membership on NATS, the ring over the live nodes, the router. */
export async function startCluster(s: ClusterSettings, hub: Hub, sessions: LocalSessions & { readonly size: number }, log: Logger): Promise<RunningCluster> {
  const membership = await Membership.start(s, { load: () => ({ sessions: sessions.size, topics: hub.size }), log });
  const placement = new Placement(s, membership);
  const router = new ClusterRouter(s, hub, membership, placement, sessions, log);
  log.info(`cluster: node "${s.self}" (worker id ${s.workerId}) of ${s.nodes.join(', ')} on NATS ${s.nats.servers.join(', ')}; live: ${membership.live.join(', ')}${s.failover ? '' : ' (failover off)'}`);
  membership.onReady((ready, why) => {
    if (ready) log.info('cluster: ready again, serving topics');
    else log.warn(`cluster: not ready (${why}): refusing topic requests with 503`);
  });
  let stopping: Promise<void> | null = null;
  return {
    router,
    size: () => router.size,
    counts: () => ({ total: s.nodes.length, live: membership.live.length }),
    members: () => membership.members(),
    status: () => membership.notReady ?? 'ok',
    stop: () =>
      (stopping ??= (async () => {
        await router.leaveCluster();
        await router.close();
        await membership.stop();
      })()),
  };
}
