/**
 * XTEA block cipher (64-bit block, 128-bit key, 32 cycles), big-endian word order as in the
 * reference implementation, so that object ids encrypted by a Tinode server with the same
 * `uid_key` decrypt to the same values here.
 */

const DELTA = 0x9e3779b9;
const CYCLES = 32;

/** An XTEA cipher bound to one 16-byte key. */
export class Xtea {
  private readonly key: Uint32Array;

  /** @param key exactly 16 bytes; throws RangeError otherwise. */
  constructor(key: Uint8Array) {
    if (key.length !== 16) {
      throw new RangeError(`XTEA key must be 16 bytes, got ${key.length}`);
    }
    const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
    this.key = new Uint32Array([view.getUint32(0), view.getUint32(4), view.getUint32(8), view.getUint32(12)]);
  }

  /** Encrypts one 8-byte block from `src` into a new array. */
  encrypt(src: Uint8Array): Uint8Array {
    const [a, b] = readBlock(src);
    let v0 = a;
    let v1 = b;
    let sum = 0;
    const k = this.key;
    for (let i = 0; i < CYCLES; i++) {
      v0 = (v0 + ((((v1 << 4) ^ (v1 >>> 5)) + v1) ^ (sum + k[sum & 3]!))) >>> 0;
      sum = (sum + DELTA) >>> 0;
      v1 = (v1 + ((((v0 << 4) ^ (v0 >>> 5)) + v0) ^ (sum + k[(sum >>> 11) & 3]!))) >>> 0;
    }
    return writeBlock(v0, v1);
  }

  /** Decrypts one 8-byte block from `src` into a new array. */
  decrypt(src: Uint8Array): Uint8Array {
    const [a, b] = readBlock(src);
    let v0 = a;
    let v1 = b;
    let sum = Math.imul(DELTA, CYCLES) >>> 0;
    const k = this.key;
    for (let i = 0; i < CYCLES; i++) {
      v1 = (v1 - ((((v0 << 4) ^ (v0 >>> 5)) + v0) ^ (sum + k[(sum >>> 11) & 3]!))) >>> 0;
      sum = (sum - DELTA) >>> 0;
      v0 = (v0 - ((((v1 << 4) ^ (v1 >>> 5)) + v1) ^ (sum + k[sum & 3]!))) >>> 0;
    }
    return writeBlock(v0, v1);
  }
}

function readBlock(src: Uint8Array): [number, number] {
  if (src.length !== 8) {
    throw new RangeError(`XTEA block must be 8 bytes, got ${src.length}`);
  }
  const view = new DataView(src.buffer, src.byteOffset, 8);
  return [view.getUint32(0), view.getUint32(4)];
}

function writeBlock(v0: number, v1: number): Uint8Array {
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, v0);
  view.setUint32(4, v1);
  return out;
}
