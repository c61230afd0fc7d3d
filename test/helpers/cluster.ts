import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { resolveCluster, type ClusterSettings } from '../../server/cluster/config.js';
import { Membership } from '../../server/cluster/membership.js';
import { loadConfig } from '../../src/config/load.js';
import { natsServerAvailable, TestNats } from './nats.js';

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
export function memberProcess(url: string, self: string, nodes: readonly string[], onStart?: (proc: ChildProcess) => void): Promise<{ proc: ChildProcess; said: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/member-process.ts', url, self, nodes.join(','), String(HEARTBEAT), String(FAIL_AFTER)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  onStart?.(proc);
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve({ proc, said: out.split('\n')[0]! });
    });
    proc.once('exit', (code) => reject(new Error(`member process exited with ${code}: ${out}`)));
  });
}

/**
 * Whether the cluster tests can run: nats-server is installed. In CI its absence is a failure
 * (CI must test the cluster), elsewhere the tests skip.
 */
export function natsForTests(): boolean {
  if (!natsServerAvailable() && process.env.CI) {
    throw new Error('nats-server is missing at /usr/sbin/nats-server, and CI must test the cluster (apt install nats-server)');
  }
  return natsServerAvailable();
}

/**
 * For a describe block of cluster tests: a nats-server of its own (started before the tests,
 * stopped after them), and the members and member processes each test starts (stopped and
 * killed after each test). Call at the top of the describe block.
 */
export function clusterFixture(nodes: readonly string[]): {
  nats(): TestNats;
  /** A member in this process with node `self`'s settings. */
  join(self: string, failover?: boolean): Promise<{ settings: ClusterSettings; m: Membership }>;
  /** A member in a process of its own ({@link memberProcess}), killed after the test. */
  spawn(self: string): Promise<{ proc: ChildProcess; said: string }>;
  /** Forgets a member the test stopped itself. */
  forget(m: Membership): void;
} {
  let nats: TestNats | undefined;
  const started: Membership[] = [];
  const procs: ChildProcess[] = [];
  beforeAll(async () => {
    nats = await TestNats.start();
  });
  afterEach(async () => {
    for (const m of started.splice(0)) await m.stop();
    for (const p of procs.splice(0)) p.kill('SIGKILL');
  });
  afterAll(async () => {
    await nats?.stop();
  });
  const running = (): TestNats => {
    if (!nats) throw new Error('nats-server is not started yet');
    return nats;
  };
  return {
    nats: running,
    async join(self, failover = true) {
      const settings = clusterSettings(running().url, self, nodes, failover);
      const m = await Membership.start(settings);
      started.push(m);
      return { settings, m };
    },
    spawn: (self) => memberProcess(running().url, self, nodes, (proc) => procs.push(proc)),
    forget(m) {
      const at = started.indexOf(m);
      if (at >= 0) started.splice(at, 1);
    },
  };
}
