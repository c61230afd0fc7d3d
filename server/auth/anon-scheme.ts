import { AuthLevel } from '../../src/model/auth-level.js';
import type { AuthResult, AuthScheme } from './scheme.js';
import { StoreError } from '../store/contract/errors.js';
import { ObjState } from '../store/contract/types.js';

/**
 * Anonymous accounts (`anonymous`): created without a secret, at the `anon` level; they log in
 * again only with the token they got.
 */
export class AnonymousScheme implements AuthScheme {
  readonly realName = 'anonymous';

  async isUnique(): Promise<boolean> {
    return true;
  }

  async addRecord(rec: AuthResult): Promise<AuthResult> {
    return { ...rec, authLevel: rec.authLevel === AuthLevel.NONE ? AuthLevel.ANON : rec.authLevel, state: ObjState.OK };
  }

  async updateRecord(rec: AuthResult): Promise<AuthResult> {
    return rec;
  }

  authenticate(): Promise<{ rec: AuthResult }> {
    return Promise.reject(new StoreError('unsupported'));
  }

  genSecret(): Promise<{ secret: Buffer; expires: Date }> {
    return Promise.reject(new StoreError('unsupported'));
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
