import { authLevelName, parseAuthLevel } from '../../src/model/auth-level.js';
import { parseMode } from '../../src/model/access.js';
import { parseUid, uidToString, type Uid } from '../../src/model/uid.js';
import { ConfigError } from '../../src/config/errors.js';
import type { AuthResult, AuthScheme } from './scheme.js';
import { StoreError, type StoreErrorCode } from '../store/contract/errors.js';
import type { Store } from '../store/store.js';
import { ObjState, objStateName, parseObjState } from '../store/contract/types.js';

/**
 * An external authenticator (`rest`), as the reference's: every operation is a JSON POST of
 * `{endpoint, name, rec, secret, addr}` to `server_url` (or to `server_url/<endpoint>` with
 * `use_separate_endpoints`), answered with `{err, rec, byteval, ts, boolval, strarr, newacc}`.
 * With `allow_new_accounts`, a login of someone the server does not know creates the account.
 */
export interface RestConfig {
  server_url: string;
  allow_new_accounts?: boolean;
  use_separate_endpoints?: boolean;
  /** Milliseconds to wait for the authenticator (default 5000). */
  timeout_ms?: number;
}

interface WireRec {
  uid?: string;
  authlvl?: string;
  lifetime?: number | string;
  features?: string;
  tags?: string[];
  State?: string;
  cred?: string;
  defacs?: { auth?: string; anon?: string };
  public?: unknown;
  private?: unknown;
}

interface WireResponse {
  err?: string;
  rec?: WireRec;
  byteval?: string;
  ts?: string;
  boolval?: boolean;
  strarr?: string[];
  newacc?: { auth?: string; anon?: string; public?: unknown; trusted?: unknown; private?: unknown };
}

const ERRORS: Record<string, StoreErrorCode> = {
  internal: 'internal',
  malformed: 'malformed',
  failed: 'failed',
  'duplicate value': 'duplicate',
  unsupported: 'unsupported',
  expired: 'expired',
  policy: 'policy',
  credentials: 'credentials',
  'user not found': 'user-not-found',
  'not found': 'not-found',
  denied: 'denied',
};

function toWire(rec: AuthResult | null): WireRec | undefined {
  if (!rec) return undefined;
  return {
    uid: uidToString(rec.uid),
    authlvl: authLevelName(rec.authLevel),
    lifetime: rec.lifetimeMs * 1_000_000,
    features: (rec.features & 1 ? 'V' : '') + (rec.features & 2 ? 'L' : ''),
    tags: rec.tags,
    State: rec.state === undefined ? 'undef' : objStateName(rec.state),
    ...(rec.credential ? { cred: rec.credential } : {}),
  };
}

function fromWire(w: WireRec): AuthResult {
  const lifetime = typeof w.lifetime === 'number' ? w.lifetime / 1_000_000 : 0;
  const f = w.features ?? '';
  return {
    uid: w.uid ? parseUid(w.uid) : 0n,
    authLevel: parseAuthLevel(w.authlvl ?? ''),
    lifetimeMs: lifetime,
    features: (f.includes('V') ? 1 : 0) | (f.includes('L') ? 2 : 0),
    tags: w.tags ?? [],
    state: parseObjState(w.State ?? 'undef') ?? ObjState.UNDEFINED,
  };
}

export class RestScheme implements AuthScheme {
  readonly realName = 'rest';
  private readonly url: string;
  private tagNamespaces: string[] = [];
  private tokenPattern: RegExp | null = null;

  constructor(
    private readonly name: string,
    private readonly cfg: RestConfig,
    private readonly store: Store,
  ) {
    let url: URL;
    try {
      url = new URL(cfg.server_url);
    } catch {
      throw new ConfigError('auth_config.rest.server_url', `"${cfg.server_url}" is not an absolute URL`, 'the URL of the authentication service, e.g. http://127.0.0.1:5000/');
    }
    this.url = url.href.endsWith('/') ? url.href : url.href + '/';
  }

  private async call(endpoint: string, rec: AuthResult | null, secret: Buffer | null, addr: string): Promise<WireResponse> {
    const body = JSON.stringify({
      endpoint,
      name: this.name,
      ...(rec ? { rec: toWire(rec) } : {}),
      ...(secret && secret.length > 0 ? { secret: secret.toString('base64') } : {}),
      ...(addr ? { addr } : {}),
    });
    const target = this.cfg.use_separate_endpoints ? this.url + endpoint : this.url;
    let res: Response;
    try {
      res = await fetch(target, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
        signal: AbortSignal.timeout(this.cfg.timeout_ms ?? 5000),
      });
    } catch (err) {
      throw new StoreError('internal', `rest auth: ${String(err)}`);
    }
    if (res.status < 200 || res.status >= 300) {
      throw new StoreError('internal', `rest auth: HTTP ${res.status}`);
    }
    let out: WireResponse;
    try {
      out = (await res.json()) as WireResponse;
    } catch {
      throw new StoreError('internal', 'rest auth: the response is not JSON');
    }
    if (out.err) {
      throw new StoreError(ERRORS[out.err] ?? 'internal', out.err);
    }
    return out;
  }

  async init(): Promise<void> {
    const r = await this.call('rtagns', null, null, '');
    this.tagNamespaces = r.strarr ?? [];
    if (r.byteval) {
      try {
        this.tokenPattern = new RegExp(Buffer.from(r.byteval, 'base64').toString('utf8'));
      } catch {
        this.tokenPattern = null;
      }
    }
  }

  async isUnique(secret: Buffer, addr: string): Promise<boolean> {
    return (await this.call('checkunique', null, secret, addr)).boolval === true;
  }

  async addRecord(rec: AuthResult, secret: Buffer, addr: string): Promise<AuthResult> {
    const r = await this.call('add', rec, secret, addr);
    return r.rec ? { ...fromWire(r.rec), uid: rec.uid } : rec;
  }

  async updateRecord(rec: AuthResult, secret: Buffer, addr: string): Promise<AuthResult> {
    await this.call('upd', rec, secret, addr);
    return rec;
  }

  async authenticate(secret: Buffer, addr: string): Promise<{ rec: AuthResult; challenge?: Buffer }> {
    const r = await this.call('auth', null, secret, addr);
    if (!r.rec) {
      throw new StoreError('internal', 'rest auth: the response has no rec');
    }
    const rec = fromWire(r.rec);
    if (rec.uid === 0n && this.cfg.allow_new_accounts) {
      if (!r.newacc) {
        throw new StoreError('not-found');
      }
      const user = await this.store.users.create(
        {
          state: rec.state === ObjState.UNDEFINED || rec.state === undefined ? ObjState.OK : rec.state,
          stateAt: null,
          access: { auth: parseMode(r.newacc.auth ?? '') ?? 0, anon: parseMode(r.newacc.anon ?? '') ?? 0 },
          lastSeen: null,
          userAgent: '',
          public: r.newacc.public ?? null,
          trusted: r.newacc.trusted ?? null,
          tags: rec.tags,
        },
        r.newacc.private ?? null,
      );
      rec.uid = user.id;
      try {
        await this.call('link', rec, secret, '');
      } catch (err) {
        await this.store.users.delete(user.id, true);
        throw err;
      }
    }
    return r.byteval ? { rec, challenge: Buffer.from(r.byteval, 'base64') } : { rec };
  }

  async genSecret(rec: AuthResult): Promise<{ secret: Buffer; expires: Date }> {
    const r = await this.call('gen', rec, null, '');
    return { secret: Buffer.from(r.byteval ?? '', 'base64'), expires: new Date(r.ts ?? 0) };
  }

  asTag(term: string): string {
    const ns = this.tagNamespaces[0];
    if (!ns || (this.tokenPattern && !this.tokenPattern.test(term))) {
      return '';
    }
    return `${ns}:${term}`;
  }

  async delRecords(uid: Uid): Promise<void> {
    await this.call('del', { uid, authLevel: 0, lifetimeMs: 0, features: 0, tags: [] }, null, '');
  }

  restrictedTags(): string[] {
    return [...this.tagNamespaces];
  }

  async getResetParams(): Promise<Record<string, unknown>> {
    return {};
  }
}
