import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Ring, RING_REPLICAS } from '../../../server/cluster/ring.js';

/** Topic-like keys: `grp` and a random base64url id, as the server makes them. */
function keys(n: number): string[] {
  return Array.from({ length: n }, () => `grp${randomBytes(8).toString('base64url').slice(0, 11)}`);
}

/** The reference's placement written out plainly: every point, sorted, the first at or past the key. */
function placeByDefinition(nodes: string[], key: string): string {
  const points = nodes.flatMap((node) => Array.from({ length: RING_REPLICAS }, (_, i) => ({ hash: crc32(`${i}${node}`), node })));
  points.sort((a, b) => a.hash - b.hash || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  const h = crc32(key);
  const at = points.find((p) => p.hash > h || (p.hash === h && p.node >= key));
  return (at ?? points[0]!).node;
}

describe('the cluster ring (which node is a topic master)', () => {
  it('places every key as the reference ring does: 20 CRC-32 points per node, the first point past the key', () => {
    const nodes = ['one', 'two', 'three'];
    const ring = new Ring(nodes);
    for (const key of [...keys(2000), 'usrAbCdEf123', 'sys', 'fndXyz', 'p2pAbCdEfGhIjKlMnOp']) {
      expect(ring.get(key)).toBe(placeByDefinition(nodes, key));
    }
  });

  it('is the same whatever order the nodes are given in, and empty gives no node', () => {
    const a = new Ring(['n1', 'n2', 'n3']);
    const b = new Ring(['n3', 'n1', 'n2', 'n1']);
    for (const key of keys(500)) expect(b.get(key)).toBe(a.get(key));
    expect(new Ring([]).get('grpX')).toBe('');
    expect(new Ring(['solo']).get('grpX')).toBe('solo');
  });

  it('moves only the keys of a node that leaves, and spreads keys over every node', () => {
    const all = keys(20_000);
    const three = new Ring(['node1', 'node2', 'node3']);
    const two = new Ring(['node1', 'node3']);
    const share = new Map<string, number>();
    for (const key of all) {
      const before = three.get(key);
      share.set(before, (share.get(before) ?? 0) + 1);
      if (before !== 'node2') expect(two.get(key)).toBe(before);
      else expect(two.get(key)).not.toBe('node2');
    }
    expect([...share.keys()].sort()).toEqual(['node1', 'node2', 'node3']);
    for (const n of share.values()) expect(n / all.length).toBeGreaterThan(0.15);
  });
});
