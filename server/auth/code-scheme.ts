import { randomInt } from 'node:crypto';
import { AuthLevel } from '../../src/model/auth-level.js';
import { parseUid, uidToString } from '../../src/model/uid.js';
import { FEATURE_NO_LOGIN, type AuthResult, type AuthScheme } from './scheme.js';
import { isStoreError, StoreError } from '../store/contract/errors.js';
import type { Store } from '../store/store.js';
import { ObjState } from '../store/contract/types.js';

/**
 * Short numeric codes (`code`) for password reset: a code is issued for a credential, kept in
 * the persistent cache (`code_<method>:<value>` → "code:tries:uid") for `expire_in`, and logs in
 * once, without becoming a session login, within `max_retries` attempts.
 */
export interface CodeConfig {
  expire_in: number;
  max_retries: number;
  code_length: number;
}

const PREFIX = 'code_';

function key(credential: string): string {
  return (PREFIX + credential).replace(/%/g, '/');
}

export class CodeScheme implements AuthScheme {
  readonly realName = 'code';

  constructor(
    private readonly cfg: CodeConfig,
    private readonly store: Store,
  ) {}

  isUnique(): Promise<boolean> {
    return Promise.reject(new StoreError('unsupported'));
  }

  addRecord(): Promise<AuthResult> {
    return Promise.reject(new StoreError('unsupported'));
  }

  updateRecord(): Promise<AuthResult> {
    return Promise.reject(new StoreError('unsupported'));
  }

  /** The secret is "code:method:value". */
  async authenticate(secret: Buffer): Promise<{ rec: AuthResult }> {
    const text = secret.toString('utf8');
    const at = text.indexOf(':');
    if (at < 0) {
      throw new StoreError('malformed');
    }
    const code = text.slice(0, at);
    const credential = text.slice(at + 1);
    let value: string;
    try {
      value = await this.store.pcache.get(key(credential));
    } catch (err) {
      throw isStoreError(err, 'not-found') ? new StoreError('failed') : err;
    }
    const [expected = '', triesText = '', uid = ''] = value.split(':');
    const tries = Number(triesText);
    if (!Number.isInteger(tries) || !uid) {
      throw new StoreError('internal');
    }
    if (tries >= this.cfg.max_retries) {
      throw new StoreError('failed');
    }
    if (code !== expected) {
      await this.store.pcache.upsert(key(credential), `${expected}:${tries + 1}:${uid}`, false);
      throw new StoreError('failed');
    }
    await this.store.pcache.delete(key(credential));
    return {
      rec: {
        uid: parseUid(uid),
        authLevel: AuthLevel.NONE,
        lifetimeMs: this.cfg.expire_in * 1000,
        features: FEATURE_NO_LOGIN,
        tags: [],
        state: ObjState.UNDEFINED,
        credential,
      },
    };
  }

  async genSecret(rec: AuthResult): Promise<{ secret: Buffer; expires: Date }> {
    const lifetime = rec.lifetimeMs === 0 ? this.cfg.expire_in * 1000 : rec.lifetimeMs;
    if (lifetime < 0) {
      throw new StoreError('expired');
    }
    await this.store.pcache.expire(PREFIX, new Date(Date.now() - this.cfg.expire_in * 1000));
    const code = String(randomInt(10 ** this.cfg.code_length)).padStart(this.cfg.code_length, '0');
    // One code per credential at a time: asking again before it expires is a duplicate.
    await this.store.pcache.upsert(key(rec.credential ?? ''), `${code}:0:${uidToString(rec.uid)}`, true);
    return { secret: Buffer.from(code, 'utf8'), expires: new Date(Date.now() + lifetime) };
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
