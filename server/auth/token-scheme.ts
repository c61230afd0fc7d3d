import { createHmac, timingSafeEqual } from 'node:crypto';
import { AuthLevel, toAuthLevel } from '../../src/model/auth-level.js';
import type { AuthResult, AuthScheme } from './scheme.js';
import { StoreError } from '../store/contract/errors.js';
import { ObjState } from '../store/contract/types.js';

/**
 * Tokens in the reference's layout, so that tokens of the Go server stay valid here and back:
 * 18 bytes little-endian (user id uint64, expiry uint32 unix seconds, auth level uint16, serial
 * number uint16, features uint16), then their HMAC-SHA256 under the token key: the configured
 * `auth_config.token.key`, or else the database's own (see server/store/secrets.ts).
 */
export interface TokenConfig {
  expire_in: number;
  serial_num: number;
}

const LAYOUT = 18;
const MAC = 32;

export class TokenScheme implements AuthScheme {
  readonly realName = 'token';
  /**
   * @param cfg `auth_config.token` (its `key` is not read: the resolved one comes as `key`).
   * @param key the token key in use, as resolved by `Store.unlock`.
   */
  constructor(
    private readonly cfg: TokenConfig,
    private readonly key: Buffer,
  ) {}

  private mac(layout: Buffer): Buffer {
    return createHmac('sha256', this.key).update(layout).digest();
  }

  isUnique(): Promise<boolean> {
    return Promise.reject(new StoreError('unsupported'));
  }

  addRecord(): Promise<AuthResult> {
    return Promise.reject(new StoreError('unsupported'));
  }

  updateRecord(): Promise<AuthResult> {
    return Promise.reject(new StoreError('unsupported'));
  }

  async authenticate(token: Buffer): Promise<{ rec: AuthResult }> {
    if (token.length < LAYOUT + MAC) {
      throw new StoreError('malformed');
    }
    const layout = token.subarray(0, LAYOUT);
    if (!timingSafeEqual(this.mac(layout), token.subarray(LAYOUT, LAYOUT + MAC))) {
      throw new StoreError('failed');
    }
    const level = layout.readUInt16LE(12);
    if (level > AuthLevel.ROOT) {
      throw new StoreError('malformed');
    }
    if (layout.readUInt16LE(14) !== this.cfg.serial_num) {
      throw new StoreError('failed');
    }
    const expires = layout.readUInt32LE(8) * 1000;
    if (expires < Date.now() + 1000) {
      throw new StoreError('expired');
    }
    return {
      rec: {
        uid: layout.readBigUInt64LE(0),
        authLevel: toAuthLevel(level),
        lifetimeMs: expires - Date.now(),
        features: layout.readUInt16LE(16),
        tags: [],
        state: ObjState.UNDEFINED,
      },
    };
  }

  async genSecret(rec: AuthResult): Promise<{ secret: Buffer; expires: Date }> {
    const lifetime = rec.lifetimeMs === 0 ? this.cfg.expire_in * 1000 : rec.lifetimeMs;
    if (lifetime < 0) {
      throw new StoreError('expired');
    }
    const expires = new Date(Date.now() + lifetime);
    const layout = Buffer.alloc(LAYOUT);
    layout.writeBigUInt64LE(rec.uid, 0);
    layout.writeUInt32LE(Math.floor(expires.getTime() / 1000), 8);
    layout.writeUInt16LE(rec.authLevel, 12);
    layout.writeUInt16LE(this.cfg.serial_num, 14);
    layout.writeUInt16LE(rec.features & 0xffff, 16);
    return { secret: Buffer.concat([layout, this.mac(layout)]), expires };
  }

  asTag(): string {
    return '';
  }

  async delRecords(): Promise<void> {}

  restrictedTags(): string[] {
    return [];
  }

  async getResetParams(): Promise<Record<string, unknown>> {
    return {};
  }
}
