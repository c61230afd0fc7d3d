import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuthLevel } from '../../src/model/auth-level.js';
import { decodeKey, SAMPLE_TOKEN_KEY, SAMPLE_UID_KEY } from '../../src/model/secret-keys.js';
import { parseUserId } from '../../src/model/uid.js';
import { createLogger } from '../../server/log/log.js';
import { KEY_ENTRIES } from '../../server/store/secrets.js';
import { runTinode } from '../helpers/cli.js';
import { forgetKeys, keptKeys, testDbKinds, testDbSet } from '../helpers/databases.js';
import { RawClient } from '../helpers/raw.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The keys of a server and its database, end to end: `tinode init-db` and `tinode serve` make and
 * share random keys kept in the database; tokens signed with the public sample key are refused;
 * a database made before keys were kept still serves its users under their ids.
 */

const { kinds, skipped } = await testDbKinds();
if (skipped.length > 0) {
  console.warn(`server key tests skip: ${skipped.join('; ')}`);
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A token laid out by hand (server/auth/token-scheme.ts): uid, expiry, level, serial 1, no features; HMAC-SHA256 under `key`. */
function forgeToken(user: string, key: string, level: number = AuthLevel.ROOT): string {
  const layout = Buffer.alloc(18);
  layout.writeBigUInt64LE(parseUserId(user), 0);
  layout.writeUInt32LE(Math.floor(Date.now() / 1000) + 3600, 8);
  layout.writeUInt16LE(level, 12);
  layout.writeUInt16LE(1, 14);
  const mac = createHmac('sha256', decodeKey(key)).update(layout).digest();
  return Buffer.concat([layout, mac]).toString('base64');
}

/** The id init-db printed for a sample user. */
function idOf(initDbOut: string, login: string): string {
  const m = new RegExp(`^ {2}user {2}${login}\\s+(usr\\S+)`, 'm').exec(initDbOut);
  expect(m, `init-db printed no id for ${login}`).not.toBeNull();
  return m![1]!;
}

async function login(srv: TestServer, secret: Record<string, string>): Promise<{ code: unknown; user?: unknown; token?: unknown }> {
  const c = await RawClient.open(srv.host);
  try {
    await c.hello();
    const r = await c.reply({ login: { id: 'l', ...secret } });
    const params = (r.ctrl?.params ?? {}) as { user?: unknown; token?: unknown };
    return { code: r.ctrl?.code, ...params };
  } finally {
    c.close();
  }
}

const asAlice = { scheme: 'basic', secret: b64('alice:alice123') };
const byToken = (token: string) => ({ scheme: 'token', secret: token });

/** A server whose log lines the test reads. */
async function startLogged(db: string, set: Record<string, unknown> = {}): Promise<{ srv: TestServer; log: string[] }> {
  const log: string[] = [];
  const srv = await startTestServer(set, db, {}, createLogger({ level: 'info', color: false, write: (l) => log.push(l) }));
  return { srv, log };
}

function configFile(conf: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tinode-keys-')), 'tinode.conf');
  writeFileSync(path, JSON.stringify(conf));
  return path;
}

const SAMPLE_KEYS = { auth_config: { token: { key: SAMPLE_TOKEN_KEY } }, store_config: { uid_key: SAMPLE_UID_KEY } };

describe.each(kinds)('server keys on %s', (kind) => {
  const dbs = testDbSet(kind);
  afterAll(() => dbs.dropAll());

  it('init-db makes random keys that serve reuses: ids round-trip, a token outlives a restart, the sample key signs nothing', async () => {
    const url = dbs.fresh();
    const made = await runTinode(['init-db', '--db', url, '--data', 'sample']);
    expect(made.code).toBe(0);
    expect(made.stderr).not.toMatch(/SECURITY/);
    const alice = idOf(made.stdout, 'alice');
    const kept = await keptKeys(url);
    expect(Object.keys(kept).sort()).toEqual([KEY_ENTRIES.tokenKey, KEY_ENTRIES.uidKey]);
    expect(Object.values(kept)).not.toContain(SAMPLE_TOKEN_KEY);
    expect(Object.values(kept)).not.toContain(SAMPLE_UID_KEY);

    const first = await startLogged(url);
    const before = await login(first.srv, asAlice);
    await first.srv.close();
    expect(before).toMatchObject({ code: 200, user: alice });
    expect(first.log.join('\n')).not.toMatch(/SECURITY|token key/);

    const second = await startLogged(url);
    try {
      expect(await login(second.srv, byToken(String(before.token)))).toMatchObject({ code: 200, user: alice });
      // The same layout signed with the database's key logs in; with the public sample key, it does not.
      expect(await login(second.srv, byToken(forgeToken(alice, kept[KEY_ENTRIES.tokenKey]!, AuthLevel.AUTH)))).toMatchObject({ code: 200, user: alice });
      expect((await login(second.srv, byToken(forgeToken(alice, SAMPLE_TOKEN_KEY)))).code).toBe(401);
    } finally {
      await second.srv.close();
    }
    expect(await keptKeys(url)).toEqual(kept);

    // A database made again gets new keys.
    expect((await runTinode(['init-db', '--db', url, '--reset'])).code).toBe(0);
    const reset = await keptKeys(url);
    expect(reset[KEY_ENTRIES.tokenKey]).not.toBe(kept[KEY_ENTRIES.tokenKey]);
    expect(reset[KEY_ENTRIES.uidKey]).not.toBe(kept[KEY_ENTRIES.uidKey]);
  });

  it('serves a database made before keys were kept: its users keep their ids; the sample keys work only when configured, with warnings', async () => {
    const url = dbs.fresh();
    // As the reference server (with its shipped config) or an earlier tinode made it: the sample keys, nothing kept.
    const made = await runTinode(['init-db', '--config', configFile(SAMPLE_KEYS), '--db', url, '--data', 'sample']);
    expect(made.code).toBe(0);
    expect(made.stderr).toMatch(/SECURITY: store_config.uid_key is the public sample key.*tinode keygen --uid-key/);
    expect(made.stderr).toMatch(/SECURITY: auth_config.token.key is the public sample key.*tinode keygen --token-key/);
    const alice = idOf(made.stdout, 'alice');
    const oldToken = forgeToken(alice, SAMPLE_TOKEN_KEY, AuthLevel.AUTH);
    await forgetKeys(url);

    const upgraded = await startLogged(url);
    try {
      expect(await login(upgraded.srv, asAlice)).toMatchObject({ code: 200, user: alice });
      expect((await login(upgraded.srv, byToken(oldToken))).code).toBe(401);
    } finally {
      await upgraded.srv.close();
    }
    const text = upgraded.log.join('\n');
    expect(text).toMatch(/WARN {2}SECURITY: store_config.uid_key is not set and this database keeps no uid key.*public sample key/);
    expect(text).toMatch(/WARN {2}auth_config.token.key is not set .*Tokens issued before are no longer valid/);
    expect((await keptKeys(url))[KEY_ENTRIES.uidKey]).toBe(SAMPLE_UID_KEY);

    // With the reference config's keys, as its operator runs it: tokens signed with them are valid again.
    const configured = await startLogged(url, SAMPLE_KEYS);
    try {
      expect(await login(configured.srv, asAlice)).toMatchObject({ code: 200, user: alice });
      expect(await login(configured.srv, byToken(oldToken))).toMatchObject({ code: 200, user: alice });
    } finally {
      await configured.srv.close();
    }
    const warned = configured.log.join('\n');
    expect(warned).toMatch(/WARN {2}SECURITY: auth_config.token.key is the public sample key.*root included.*tinode keygen --token-key/);
    expect(warned).toMatch(/WARN {2}SECURITY: store_config.uid_key is the public sample key.*tinode keygen --uid-key/);
  });
});

describe('tinode serve on a new SQLite database', () => {
  it('makes its keys on first start and keeps them: a token outlives a restart, and another database does not take it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tinode-keys-'));
    const db = `sqlite:${join(dir, 'tinode.db')}`;
    const first = await startLogged(db);
    const before = await login(first.srv, asAlice);
    await first.srv.close();
    expect(before.code).toBe(200);
    expect(first.log.join('\n')).not.toMatch(/SECURITY|token key/);
    const again = await startLogged(db);
    const other = await startLogged(`sqlite:${join(dir, 'other.db')}`);
    try {
      expect(await login(again.srv, byToken(String(before.token)))).toMatchObject({ code: 200, user: before.user });
      expect((await login(other.srv, byToken(String(before.token)))).code).toBe(401);
    } finally {
      await again.srv.close();
      await other.srv.close();
    }
    const [mine, theirs] = [await keptKeys(db), await keptKeys(`sqlite:${join(dir, 'other.db')}`)];
    expect(mine[KEY_ENTRIES.tokenKey]).not.toBe(theirs[KEY_ENTRIES.tokenKey]);
    expect(mine[KEY_ENTRIES.uidKey]).not.toBe(theirs[KEY_ENTRIES.uidKey]);
  });
});
