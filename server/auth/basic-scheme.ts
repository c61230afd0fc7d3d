import { AuthLevel } from '../../src/model/auth-level.js';
import type { Uid } from '../../src/model/uid.js';
import type { AuthResult, AuthScheme } from './scheme.js';
import { StoreError } from '../store/contract/errors.js';
import type { Store } from '../store/store.js';
import { ObjState } from '../store/contract/types.js';
import { hashPassword, verifyPassword } from '../../src/model/password.js';
import { DEFAULT_PASSWORD_HASHES } from '../../src/config/schema.js';
import { Semaphore } from '../limits/semaphore.js';

/**
 * Login and password (`basic`): the secret is the bytes of "login:password"; logins are
 * lowercased, 2..32 letters, digits, `.` and `_` (starting and ending with a letter or digit);
 * passwords are stored as bcrypt hashes. With `add_to_tags`, users are findable by `basic:login`.
 */
export interface BasicConfig {
  add_to_tags: boolean;
  min_login_length: number;
  min_password_length: number;
}

const LOGIN = /^[\p{L}\p{N}][_.\p{L}\p{N}]*[\p{L}\p{N}]+$/u;
const MAX_LOGIN_LENGTH = 32;

function parseSecret(secret: Buffer): { login: string; password: string } {
  const text = secret.toString('utf8');
  const at = text.indexOf(':');
  if (at < 0) {
    throw new StoreError('malformed', 'the secret is not "login:password"');
  }
  return { login: text.slice(0, at).toLowerCase(), password: text.slice(at + 1) };
}

export class BasicScheme implements AuthScheme {
  readonly realName = 'basic';

  constructor(
    private readonly name: string,
    private readonly cfg: BasicConfig,
    private readonly store: Store,
    /** Turns at bcrypt (`limits.password_hashes`): logins cannot take the whole thread pool. */
    private readonly hashing: Semaphore = new Semaphore(DEFAULT_PASSWORD_HASHES),
  ) {}

  private checkLogin(login: string): void {
    const n = [...login].length;
    if (n < this.cfg.min_login_length || n > MAX_LOGIN_LENGTH || !LOGIN.test(login)) {
      throw new StoreError('policy', 'login does not meet the rules');
    }
  }

  private checkPassword(password: string): void {
    if ([...password].length < this.cfg.min_password_length) {
      throw new StoreError('policy', 'password is too short');
    }
  }

  async isUnique(secret: Buffer): Promise<boolean> {
    const { login } = parseSecret(secret);
    this.checkLogin(login);
    if (await this.store.auth.getUniqueRecord(this.name, login)) {
      throw new StoreError('duplicate', 'login is taken');
    }
    return true;
  }

  async addRecord(rec: AuthResult, secret: Buffer): Promise<AuthResult> {
    const { login, password } = parseSecret(secret);
    this.checkLogin(login);
    this.checkPassword(password);
    const level = rec.authLevel === AuthLevel.NONE ? AuthLevel.AUTH : rec.authLevel;
    const expires = rec.lifetimeMs > 0 ? new Date(Date.now() + rec.lifetimeMs) : null;
    await this.store.auth.addRecord(rec.uid, level, this.name, login, await this.hashing.run(() => hashPassword(password)), expires);
    return { ...rec, authLevel: level, tags: this.cfg.add_to_tags ? [...rec.tags, `${this.name}:${login}`] : rec.tags };
  }

  async updateRecord(rec: AuthResult, secret: Buffer): Promise<AuthResult> {
    const { login: requested, password } = parseSecret(secret);
    const current = await this.store.auth.getRecord(rec.uid, this.name);
    if (!current) {
      throw new StoreError('not-found', 'no login to change');
    }
    let login = current.unique;
    if (requested && requested !== current.unique) {
      this.checkLogin(requested);
      if (await this.store.auth.getUniqueRecord(this.name, requested)) {
        throw new StoreError('duplicate', 'login is taken');
      }
      login = requested;
    }
    this.checkPassword(password);
    const expires = rec.lifetimeMs > 0 ? new Date(Date.now() + rec.lifetimeMs) : null;
    await this.store.auth.updateRecord(rec.uid, current.authLevel, this.name, login, await this.hashing.run(() => hashPassword(password)), expires);
    const tags = rec.tags.filter((t) => t !== `${this.name}:${current.unique}`);
    if (this.cfg.add_to_tags) {
      tags.push(`${this.name}:${login}`);
    }
    return { ...rec, tags };
  }

  async authenticate(secret: Buffer): Promise<{ rec: AuthResult }> {
    const { login, password } = parseSecret(secret);
    const rec = await this.store.auth.getUniqueRecord(this.name, login);
    if (!rec) {
      throw new StoreError('failed');
    }
    if (rec.expires && rec.expires.getTime() < Date.now()) {
      throw new StoreError('expired');
    }
    if (!(await this.hashing.run(() => verifyPassword(password, rec.secret)))) {
      throw new StoreError('failed');
    }
    return {
      rec: {
        uid: rec.uid,
        authLevel: rec.authLevel,
        lifetimeMs: rec.expires ? rec.expires.getTime() - Date.now() : 0,
        features: 0,
        tags: [],
        state: ObjState.UNDEFINED,
      },
    };
  }

  genSecret(): Promise<{ secret: Buffer; expires: Date }> {
    return Promise.reject(new StoreError('unsupported'));
  }

  asTag(term: string): string {
    if (!this.cfg.add_to_tags) {
      return '';
    }
    try {
      this.checkLogin(term);
    } catch {
      return '';
    }
    return `${this.name}:${term}`;
  }

  async delRecords(uid: Uid): Promise<void> {
    await this.store.auth.delScheme(uid, this.name);
  }

  restrictedTags(): string[] {
    return this.cfg.add_to_tags ? [this.name] : [];
  }

  async getResetParams(uid: Uid): Promise<Record<string, unknown>> {
    const rec = await this.store.auth.getRecord(uid, this.name);
    if (!rec) {
      throw new StoreError('not-found');
    }
    return { login: rec.unique };
  }
}
