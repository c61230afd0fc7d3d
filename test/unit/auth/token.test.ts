import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TokenScheme } from '../../../server/auth/token-scheme.js';
import { isStoreError } from '../../../server/store/contract/errors.js';

const KEY = 'wfaY2RgF2S1OQI/ZlK+LSrp1KB2jwAdGAIHQ7JZn+Kc=';

/** A token laid out by hand from the reference's description, independent of our implementation. */
function goToken(uid: bigint, expiresSec: number, level: number, serial: number, features: number): Buffer {
  const layout = Buffer.alloc(18);
  layout.writeBigUInt64LE(uid, 0);
  layout.writeUInt32LE(expiresSec, 8);
  layout.writeUInt16LE(level, 12);
  layout.writeUInt16LE(serial, 14);
  layout.writeUInt16LE(features, 16);
  const mac = createHmac('sha256', Buffer.from(KEY, 'base64')).update(layout).digest();
  return Buffer.concat([layout, mac]);
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return isStoreError(err) ? err.code : String(err);
  }
}

describe('tokens', () => {
  const scheme = new TokenScheme({ expire_in: 1209600, serial_num: 1 }, Buffer.from(KEY, 'base64'));

  it('accepts a token made by the reference layout', async () => {
    const uid = 0xfedcba9876543210n;
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const { rec } = await scheme.authenticate(goToken(uid, exp, 20, 1, 1));
    expect(rec.uid).toBe(uid);
    expect(rec.authLevel).toBe(20);
    expect(rec.features).toBe(1);
    expect(rec.lifetimeMs).toBeGreaterThan(3590_000);
  });

  it('makes tokens in that same layout', async () => {
    const { secret, expires } = await scheme.genSecret({ uid: 42n, authLevel: 30, lifetimeMs: 0, features: 2, tags: [] });
    const exp = Math.floor(expires.getTime() / 1000);
    expect(secret.equals(goToken(42n, exp, 30, 1, 2))).toBe(true);
    expect(expires.getTime() - Date.now()).toBeGreaterThan(1209590_000);
  });

  it('refuses forged, expired, wrong-serial, bad-level and short tokens', async () => {
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const forged = goToken(1n, exp, 20, 1, 0);
    forged[30] = (forged[30] ?? 0) ^ 1;
    expect(await code(scheme.authenticate(forged))).toBe('failed');
    expect(await code(scheme.authenticate(goToken(1n, Math.floor(Date.now() / 1000) - 5, 20, 1, 0)))).toBe('expired');
    expect(await code(scheme.authenticate(goToken(1n, exp, 20, 2, 0)))).toBe('failed');
    expect(await code(scheme.authenticate(goToken(1n, exp, 40, 1, 0)))).toBe('malformed');
    expect(await code(scheme.authenticate(Buffer.alloc(10)))).toBe('malformed');
  });
});
