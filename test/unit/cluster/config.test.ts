import { describe, expect, it } from 'vitest';
import { resolveCluster } from '../../../server/cluster/config.js';
import { loadConfig } from '../../../src/config/load.js';
import { configError } from '../../helpers/config-error.js';

const NODES = [
  { name: 'one', addr: 'localhost:12001' },
  { name: 'two', addr: 'localhost:12002' },
  { name: 'three', addr: 'localhost:12003' },
];

function config(cluster: Record<string, unknown>, db = 'mysql://root@127.0.0.1:3306/tinode') {
  return loadConfig(undefined, { db, set: { cluster_config: cluster } }).config;
}


describe('cluster_config', () => {
  it('is a standalone server without a name for this node, as in the reference', () => {
    expect(resolveCluster(config({}))).toBeNull();
    expect(resolveCluster(config({ self: '', nodes: NODES }))).toBeNull();
  });

  it("takes the reference's tinode.conf section as it is: worker ids by sorted name, failover timings, NATS defaults", () => {
    const c = resolveCluster(config({ self: 'two', nodes: NODES, failover: { enabled: true, heartbeat: 100, vote_after: 8, node_fail_after: 16 } }))!;
    expect(c.self).toBe('two');
    expect(c.nodes).toEqual(['one', 'three', 'two']);
    expect(c.workerId).toBe(3);
    expect(c.failover).toBe(true);
    expect(c.failAfterMs).toBe(1600);
    expect(c.nats).toEqual({ servers: ['nats://127.0.0.1:4222'], prefix: 'tinode' });
    const ids = NODES.map((n) => resolveCluster(config({ self: n.name, nodes: NODES }))!.workerId);
    expect(new Set(ids).size).toBe(3);
  });

  it('lets --cluster-self name this node, as the reference\'s -cluster_self', () => {
    expect(resolveCluster(config({ self: 'one', nodes: NODES }), 'three')!.self).toBe('three');
    expect(configError(() => resolveCluster(config({ nodes: NODES }), 'four')).key).toBe('--cluster-self');
  });

  it('reads several NATS servers and credentials', () => {
    const c = resolveCluster(config({ self: 'one', nodes: NODES, nats_url: 'nats://a:4222, nats://b:4222', nats_user: 'u', nats_password: 'p', nats_prefix: 'chat_eu' }))!;
    expect(c.nats).toEqual({ servers: ['nats://a:4222', 'nats://b:4222'], user: 'u', password: 'p', prefix: 'chat_eu' });
  });

  it('refuses what cannot work, naming the key and the fix', () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ self: 'four', nodes: NODES }, 'cluster_config.self', /not among cluster_config.nodes/],
      [{ self: 'one', nodes: [NODES[0]] }, 'cluster_config.nodes', /at least two nodes/],
      [{ self: 'one', nodes: [...NODES, { name: 'one' }] }, 'cluster_config.nodes[3].name', /listed twice/],
      [{ self: 'one', nodes: [...NODES, { name: 'bad.name' }] }, 'cluster_config.nodes[3].name', /NATS key/],
      [{ self: 'one', nodes: [...NODES, { name: '' }] }, 'cluster_config.nodes[3].name', /empty/],
      [{ self: 'one', nodes: NODES, nats_url: ' , ' }, 'cluster_config.nats_url', /no NATS server/],
      [{ self: 'one', nodes: NODES, nats_url: 'http://x/y' }, 'cluster_config.nats_url', /not a NATS server URL/],
    ];
    for (const [cc, key, text] of cases) {
      const err = configError(() => resolveCluster(config(cc)));
      expect(err.key).toBe(key);
      expect(err.message).toMatch(text);
    }
    expect(configError(() => config({ self: 'one', nodes: NODES, nats_prefix: 'a.b' })).key).toBe('cluster_config.nats_prefix');
  });

  it('refuses SQLite: the nodes need one database they all reach', () => {
    const err = configError(() => resolveCluster(config({ self: 'one', nodes: NODES }, 'sqlite:/tmp/x.db')));
    expect(err.key).toBe('store_config.use_adapter');
    expect(err.message).toMatch(/"mysql" or "postgres"/);
  });
});
