import type { Uid } from '../../../src/model/uid.js';
import { StoreError } from '../contract/errors.js';
import type { DeviceDef } from '../contract/types.js';
import { idFromDb } from './codec.js';
import { affected, inTx, sqlId, type Ctx } from './context.js';
import { decodeTimeRequired, encodeTime } from './dialect.js';

/** Push devices, keyed by a 64-bit FNV-1 hash of the device id in hex (the reference's key). */

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = (1n << 64n) - 1n;

/** FNV-1 (not 1a) 64-bit hash of the UTF-8 bytes, as lowercase hex without leading zeros. */
export function deviceHash(deviceId: string): string {
  let h = FNV_OFFSET;
  for (const byte of Buffer.from(deviceId, 'utf8')) {
    h = (h * FNV_PRIME) & MASK64;
    h ^= BigInt(byte);
  }
  return h.toString(16);
}

export async function deviceUpsert(ctx: Ctx, uid: Uid, dev: DeviceDef): Promise<void> {
  const hash = deviceHash(dev.deviceId);
  await inTx(ctx, async (tx) => {
    // A device id belongs to one user: whoever had it before loses it.
    await tx.db('devices').where('hash', hash).del();
    await tx.db('devices').insert({
      userid: sqlId(tx, uid),
      hash,
      deviceid: dev.deviceId,
      platform: dev.platform,
      lastseen: encodeTime(dev.lastSeen),
      lang: dev.lang,
    });
  });
}

export async function deviceGetAll(ctx: Ctx, uids: Uid[]): Promise<{ devices: Map<Uid, DeviceDef[]>; count: number }> {
  const devices = new Map<Uid, DeviceDef[]>();
  if (uids.length === 0) {
    return { devices, count: 0 };
  }
  const rows = (await ctx.db('devices')
    .select('userid', 'deviceid', 'platform', 'lastseen', 'lang')
    .whereIn(
      'userid',
      uids.map((u) => sqlId(ctx, u)),
    )) as Record<string, unknown>[];
  for (const r of rows) {
    const uid = idFromDb(ctx, r.userid);
    const list = devices.get(uid) ?? [];
    list.push({
      deviceId: String(r.deviceid),
      platform: String(r.platform ?? ''),
      lastSeen: decodeTimeRequired(r.lastseen),
      lang: String(r.lang ?? ''),
    });
    devices.set(uid, list);
  }
  return { devices, count: rows.length };
}

/** Deletes one device of the user, or all of them when `deviceId` is ''. */
export async function deleteDevices(ctx: Ctx, uid: Uid, deviceId: string): Promise<number> {
  const q = ctx.db('devices').where('userid', sqlId(ctx, uid));
  if (deviceId) {
    q.where('hash', deviceHash(deviceId));
  }
  return affected(await q.del());
}

export async function deviceDelete(ctx: Ctx, uid: Uid, deviceId: string): Promise<void> {
  if ((await deleteDevices(ctx, uid, deviceId)) === 0) {
    throw new StoreError('not-found', 'device not found');
  }
}
