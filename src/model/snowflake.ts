/**
 * Snowflake id generator in Tinode's layout: 41 bits of milliseconds since Tinode's epoch,
 * 10 bits of worker id (one per cluster node), 12 bits of sequence within the millisecond.
 * Ids from one generator strictly increase; generators with different worker ids never collide.
 */

/** Tinode's custom epoch: 2014-10-25T05:06:02.373Z. */
export const SNOWFLAKE_EPOCH_MS = 1414213562373n;
const WORKER_BITS = 10n;
const SEQUENCE_BITS = 12n;
/** Largest valid worker id. */
export const MAX_WORKER_ID = (1 << Number(WORKER_BITS)) - 1;
const MAX_SEQUENCE = (1n << SEQUENCE_BITS) - 1n;

/** Generates unique 63-bit ids for one worker. */
export class Snowflake {
  private lastMs = -1n;
  private sequence = 0n;
  private readonly worker: bigint;

  /**
   * @param workerId 0..1023, unique per node of a cluster.
   * @param clock milliseconds since the Unix epoch; injectable for tests.
   */
  constructor(
    workerId: number,
    private readonly clock: () => number = Date.now,
  ) {
    if (!Number.isInteger(workerId) || workerId < 0 || workerId > MAX_WORKER_ID) {
      throw new RangeError(`snowflake worker id must be an integer 0..${MAX_WORKER_ID}, got ${workerId}`);
    }
    this.worker = BigInt(workerId);
  }

  /** Returns the next id. Waits (spins) for the next millisecond when 4096 ids were made in one. */
  next(): bigint {
    let ms = this.now();
    if (ms < this.lastMs) {
      // The wall clock went back (NTP step): keep counting from the last timestamp seen,
      // which keeps ids unique and increasing instead of failing.
      ms = this.lastMs;
    }
    if (ms === this.lastMs) {
      this.sequence = (this.sequence + 1n) & MAX_SEQUENCE;
      if (this.sequence === 0n) {
        while (ms <= this.lastMs) {
          ms = this.now();
        }
      }
    } else {
      this.sequence = 0n;
    }
    this.lastMs = ms;
    return (ms << (WORKER_BITS + SEQUENCE_BITS)) | (this.worker << SEQUENCE_BITS) | this.sequence;
  }

  private now(): bigint {
    return BigInt(Math.floor(this.clock())) - SNOWFLAKE_EPOCH_MS;
  }
}
