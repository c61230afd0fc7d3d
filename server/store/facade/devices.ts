import type { Uid } from '../../../src/model/uid.js';
import type { Adapter } from '../contract/adapter.js';
import { isStoreError } from '../contract/errors.js';
import type { DeviceDef } from '../contract/types.js';

/** Push devices (`store.devices`); a device id belongs to one user at a time. */
export class Devices {
  readonly #a: Adapter;

  constructor(adapter: Adapter) {
    this.#a = adapter;
  }

  /**
   * Replaces the user's `oldDeviceId` (when given and different) with `dev` (when it has an id).
   * A missing old device is not an error.
   */
  async update(uid: Uid, oldDeviceId: string, dev: DeviceDef | null): Promise<void> {
    if (oldDeviceId && (!dev || dev.deviceId !== oldDeviceId)) {
      await this.#a.deviceDelete(uid, oldDeviceId).catch((err: unknown) => {
        if (!isStoreError(err, 'not-found')) {
          throw err;
        }
      });
    }
    if (dev?.deviceId) {
      await this.#a.deviceUpsert(uid, dev);
    }
  }

  /** Saves a push device for the user, taking it from any other user. */
  upsert(uid: Uid, dev: DeviceDef): Promise<void> {
    return this.#a.deviceUpsert(uid, dev);
  }

  /** Devices per user, and the total count. */
  getAll(uids: Uid[]): Promise<{ devices: Map<Uid, DeviceDef[]>; count: number }> {
    return this.#a.deviceGetAll(uids);
  }

  /** Deletes one device of the user, or all with ''; `not-found` when none. */
  delete(uid: Uid, deviceId: string): Promise<void> {
    return this.#a.deviceDelete(uid, deviceId);
  }
}
