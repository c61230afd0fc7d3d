import { crc32 } from 'node:zlib';

/**
 * The consistent-hash ring that gives every topic one master node, placed as the reference server
 * places it (its `ringhash` package with the cluster's 20 points per node), so a topic lives on the
 * node a Tinode operator would expect from the same node names:
 *
 * - each node has `replicas` points on the ring, the CRC-32 (IEEE) of the decimal index followed
 *   by the node's name (`"0node1"`, `"1node1"`, ...);
 * - the points are ordered by hash, and by node name where two hashes are equal;
 * - a key belongs to the node of the first point whose hash is greater than the key's CRC-32, or
 *   equal to it with a node name not less than the key; past the last point it wraps to the first.
 *
 * Removing a node moves only the keys that were on its points; adding one takes only keys that
 * fall on its points.
 */
export const RING_REPLICAS = 20;

interface Point {
  readonly hash: number;
  readonly node: string;
}

export class Ring {
  readonly #points: Point[];
  readonly nodes: readonly string[];

  constructor(nodes: Iterable<string>, replicas = RING_REPLICAS) {
    this.nodes = [...new Set(nodes)].sort();
    const points: Point[] = [];
    for (const node of this.nodes) {
      for (let i = 0; i < replicas; i++) {
        points.push({ hash: crc32(`${i}${node}`), node });
      }
    }
    points.sort((a, b) => a.hash - b.hash || compare(a.node, b.node));
    this.#points = points;
  }

  /** The node a key belongs to; '' on an empty ring. */
  get(key: string): string {
    const points = this.#points;
    if (points.length === 0) {
      return '';
    }
    const hash = crc32(key);
    // The first point at or past (hash, key), by binary search.
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const p = points[mid]!;
      if (p.hash > hash || (p.hash === hash && compare(p.node, key) >= 0)) hi = mid;
      else lo = mid + 1;
    }
    return points[lo === points.length ? 0 : lo]!.node;
  }
}

/** Byte-wise comparison of two strings, as Go compares them (UTF-8 bytes, not UTF-16 units). */
function compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
