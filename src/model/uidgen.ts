import { Snowflake } from './snowflake.js';
import type { Uid } from './uid.js';
import { uidFromBytes, uidToBytes, ZERO_UID } from './uid.js';
import { Xtea } from './xtea.js';

/**
 * Makes ids that do not look sequential: a snowflake value encrypted with XTEA under the
 * database's uid key (`store_config.uid_key`, or the key the database keeps: see
 * server/store/secrets.ts). SQL databases store the decrypted (sequential, positive) value, so the
 * same key must be used by every node and by `init-db` for ids to round-trip.
 */
export class UidGenerator {
  private readonly cipher: Xtea;
  private readonly snowflake: Snowflake;

  /**
   * @param workerId snowflake worker id, 0..1023, unique per node.
   * @param key the 16-byte XTEA key (`uid_key`).
   */
  constructor(
    workerId: number,
    /** The key ids are encrypted with. */
    readonly key: Uint8Array,
  ) {
    this.snowflake = new Snowflake(workerId);
    this.cipher = new Xtea(key);
  }

  /** A new unique id. */
  next(): Uid {
    return this.encode(this.snowflake.next());
  }

  /** Encrypts a stored (positive int64) value into a client-visible id; 0 stays 0. */
  encode(stored: bigint): Uid {
    if (stored === 0n) {
      return ZERO_UID;
    }
    return uidFromBytes(this.cipher.encrypt(uidToBytes(stored)));
  }

  /** Decrypts a client-visible id into the value stored in SQL; 0 stays 0. */
  decode(uid: Uid): bigint {
    if (uid === ZERO_UID) {
      return 0n;
    }
    return BigInt.asIntN(64, uidFromBytes(this.cipher.decrypt(uidToBytes(uid))));
  }
}
