import type { Uid } from '../../../src/model/uid.js';
import type { UidGenerator } from '../../../src/model/uidgen.js';
import type { UidCodec } from './adapter.js';

/** The adapter's id codec: refuses to work until the uid key of the database is resolved. */
export class KeyedIds implements UidCodec {
  gen: UidGenerator | null = null;

  get current(): UidGenerator {
    if (!this.gen) {
      throw new Error('an id was made, encoded or decoded before the uid key of the database was resolved: call Store.unlock() first');
    }
    return this.gen;
  }

  encode(stored: bigint): Uid {
    return this.current.encode(stored);
  }

  decode(uid: Uid): bigint {
    return this.current.decode(uid);
  }

  get key(): Uint8Array | null {
    return this.gen?.key ?? null;
  }
}
