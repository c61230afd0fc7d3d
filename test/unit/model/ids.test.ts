import { describe, expect, it } from 'vitest';
import { Snowflake } from '../../../src/model/snowflake.js';
import {
  chnToGrp,
  grpToChn,
  p2pName,
  p2pNameForUser,
  parseP2P,
  parseUid,
  parseUserId,
  uidToString,
  userId,
} from '../../../src/model/uid.js';
import { UidGenerator } from '../../../src/model/uidgen.js';
import { Xtea } from '../../../src/model/xtea.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

describe('XTEA', () => {
  it('matches the published test vector', () => {
    const cipher = new Xtea(hex('000102030405060708090a0b0c0d0e0f'));
    expect(Buffer.from(cipher.encrypt(hex('4142434445464748'))).toString('hex')).toBe('497df3d072612cb5');
    expect(Buffer.from(cipher.decrypt(hex('497df3d072612cb5'))).toString('hex')).toBe('4142434445464748');
  });

  it('refuses keys and blocks of the wrong size', () => {
    expect(() => new Xtea(new Uint8Array(15))).toThrow(RangeError);
    expect(() => new Xtea(new Uint8Array(16)).encrypt(new Uint8Array(7))).toThrow(RangeError);
  });
});

describe('object ids', () => {
  it('writes 64-bit ids as 11 base64url characters, little-endian', () => {
    expect(uidToString(1n)).toBe('AQAAAAAAAAA');
    expect(parseUid('AQAAAAAAAAA')).toBe(1n);
    const big = (1n << 64n) - 2n;
    expect(parseUid(uidToString(big))).toBe(big);
    expect(uidToString(0n)).toBe('');
  });

  it('gives zero for malformed ids', () => {
    expect(parseUid('short')).toBe(0n);
    expect(parseUid('AQAAAAAAAA!')).toBe(0n);
    expect(parseUserId('grpAQAAAAAAAAA')).toBe(0n);
    expect(parseUserId(userId(42n))).toBe(42n);
  });

  it('names a p2p topic the same way from both sides, smaller id first', () => {
    const name = p2pName(5n, 3n);
    expect(name).toBe(p2pName(3n, 5n));
    expect(name).toHaveLength(25);
    expect(parseP2P(name)).toEqual([3n, 5n]);
    expect(p2pNameForUser(3n, name)).toBe(userId(5n));
    expect(p2pNameForUser(5n, name)).toBe(userId(3n));
    expect(p2pName(3n, 3n)).toBe('');
    expect(parseP2P('p2pnope')).toBeNull();
  });

  it('converts between group and channel names', () => {
    expect(grpToChn('grpAbc')).toBe('chnAbc');
    expect(chnToGrp('chnAbc')).toBe('grpAbc');
    expect(grpToChn('usrAbc')).toBe('');
  });
});

describe('snowflake and id generator', () => {
  it('makes strictly increasing ids, also past 4096 in one millisecond', () => {
    let now = 1_700_000_000_000;
    let calls = 0;
    const sf = new Snowflake(7, () => {
      calls++;
      if (calls > 4100) {
        now += 1;
      }
      return now;
    });
    let prev = -1n;
    for (let i = 0; i < 5000; i++) {
      const id = sf.next();
      expect(id > prev).toBe(true);
      prev = id;
    }
  });

  it('never repeats between workers', () => {
    const clock = () => 1_700_000_000_000;
    const a = new Snowflake(1, clock);
    const b = new Snowflake(2, clock);
    const seen = new Set<bigint>();
    for (let i = 0; i < 1000; i++) {
      seen.add(a.next());
      seen.add(b.next());
    }
    expect(seen.size).toBe(2000);
  });

  it('rejects worker ids outside 0..1023', () => {
    expect(() => new Snowflake(1024)).toThrow(RangeError);
  });

  it('encrypts ids so they do not look sequential, and decrypts them back', () => {
    const gen = new UidGenerator(1, Buffer.from('la6YsO+bNX/+XIkOqc5Svw==', 'base64'));
    const ids = Array.from({ length: 20 }, () => gen.next());
    const stored = ids.map((id) => gen.decode(id));
    for (let i = 1; i < stored.length; i++) {
      expect(stored[i]! > stored[i - 1]!).toBe(true);
      expect(stored[i]! > 0n).toBe(true);
    }
    expect(ids.map((id) => gen.encode(gen.decode(id)))).toEqual(ids);
    const sorted = [...ids].sort((a, b) => (a < b ? -1 : 1));
    expect(sorted).not.toEqual(ids);
    expect(gen.encode(0n)).toBe(0n);
  });
});
