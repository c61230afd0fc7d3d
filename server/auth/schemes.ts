import { ConfigError } from '../../src/config/errors.js';
import { DEFAULT_PASSWORD_HASHES, type TinodeConfig } from '../../src/config/schema.js';
import { Semaphore } from '../limits/semaphore.js';
import type { AuthScheme, AuthSchemes } from './scheme.js';
import type { Store } from '../store/store.js';
import { AnonymousScheme } from './anon-scheme.js';
import { BasicScheme } from './basic-scheme.js';
import { CodeScheme } from './code-scheme.js';
import { RestScheme, type RestConfig } from './rest-scheme.js';
import { TokenScheme } from './token-scheme.js';

/**
 * The authentication schemes of a server, by the names clients use. `basic`, `token`,
 * `anonymous` and `code` are always there; `rest` when `auth_config.rest` is configured.
 * `auth_config.logical_names` renames or hides them: `["my-auth:basic", "basic:"]` makes
 * `my-auth` the login/password scheme and `basic` unknown.
 */
export class Schemes implements AuthSchemes {
  private readonly real = new Map<string, AuthScheme>();
  private readonly logical = new Map<string, string>();

  private constructor() {}

  /** @param store an unlocked store: the token scheme signs with its resolved token key. */
  static async create(cfg: TinodeConfig['auth_config'], store: Store, passwordHashes = DEFAULT_PASSWORD_HASHES): Promise<Schemes> {
    const s = new Schemes();
    const path = 'auth_config.logical_names';
    for (const pair of cfg.logical_names) {
      const [logical = '', real = ''] = pair.toLowerCase().split(':');
      if (!logical) {
        throw new ConfigError(path, `empty logical name in "${pair}"`, 'pairs "logical:real"');
      }
      if (s.logical.has(logical)) {
        throw new ConfigError(path, `"${logical}" is mapped twice`, 'each logical name once');
      }
      if (logical !== real) {
        s.logical.set(logical, real);
      }
    }
    // Schemes register under their real names; a logical name can point at one.
    const nameOf = (real: string) => [...s.logical.entries()].find(([, r]) => r === real)?.[0] ?? real;
    s.real.set('basic', new BasicScheme(nameOf('basic'), cfg.basic, store, new Semaphore(passwordHashes)));
    s.real.set('token', new TokenScheme(cfg.token, store.keys.tokenKey));
    s.real.set('anonymous', new AnonymousScheme());
    s.real.set('code', new CodeScheme(cfg.code, store));
    if (cfg.rest && typeof cfg.rest === 'object') {
      const rest = new RestScheme(nameOf('rest'), cfg.rest as RestConfig, store);
      await rest.init();
      s.real.set('rest', rest);
    }
    for (const [logical, real] of s.logical) {
      if (real && !s.real.has(real)) {
        throw new ConfigError(path, `"${logical}:${real}" names an unknown scheme`, `one of ${[...s.real.keys()].join(', ')}`);
      }
    }
    return s;
  }

  get(name: string): AuthScheme | null {
    const key = name.toLowerCase();
    const mapped = this.logical.get(key);
    if (mapped !== undefined) {
      return mapped ? (this.real.get(mapped) ?? null) : null;
    }
    return this.real.get(key) ?? null;
  }

  names(): string[] {
    const all = new Set([...this.real.keys(), ...this.logical.keys()]);
    return [...all].filter((n) => this.get(n) !== null);
  }

  /** Tag namespaces the schemes own (users cannot set these tags themselves). */
  restrictedTags(): string[] {
    return [...new Set([...this.real.values()].flatMap((s) => s.restrictedTags()))];
  }
}
