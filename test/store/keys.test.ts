import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { decodeKey, newUidKey, SAMPLE_TOKEN_KEY, SAMPLE_UID_KEY } from '../../src/model/secret-keys.js';
import { parseUserId, userId, type Uid } from '../../src/model/uid.js';
import { adapterOf } from '../../server/store/adapter-access.js';
import { addRoot } from '../../server/store/init/root.js';
import { KEY_ENTRIES, type KeyNotice } from '../../server/store/secrets.js';
import { Store } from '../../server/store/store.js';
import { forgetKeys, keptKeys, testDbKinds, testDbSet } from '../helpers/databases.js';

/**
 * Where the token key and the uid key of a database come from (server/store/secrets.ts), on every
 * database kind: its own random keys, kept in `kvmeta`; configured keys; databases made before
 * keys were kept.
 */

const { kinds, skipped } = await testDbKinds();
if (skipped.length > 0) {
  console.warn(`store key tests skip: ${skipped.join('; ')}`);
}

interface Configured {
  token?: string;
  uid?: string;
}

async function open(url: string, keys: Configured = {}): Promise<Store> {
  const { config } = loadConfig(undefined, { db: url, set: keys.uid ? { store_config: { uid_key: keys.uid } } : {} });
  return Store.open(config.store_config, { tokenKey: keys.token ?? '' });
}

/** Opens, unlocks and closes: the notices, the keys and what the database keeps. */
async function start(url: string, keys: Configured = {}): Promise<{ notices: KeyNotice[]; tokenKey: string; uidKey: string; kept: Record<string, string> }> {
  const store = await open(url, keys);
  let r: { notices: KeyNotice[]; tokenKey: string; uidKey: string };
  try {
    const notices = await store.unlock();
    r = { notices, tokenKey: store.keys.tokenKey.toString('base64'), uidKey: store.keys.uidKey.toString('base64') };
  } finally {
    await store.close();
  }
  return { ...r, kept: await keptKeys(url) };
}

/** What a failed start says, as a ConfigError. */
async function refusal(url: string, keys: Configured = {}): Promise<ConfigError> {
  const err = await start(url, keys).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

/** Makes a database with a user, as a version that kept no keys did: the given uid key, no `secret.*` entries. */
async function legacyDb(url: string, uidKey: string): Promise<Uid> {
  const store = await open(url, { uid: uidKey });
  try {
    await store.createDb(false);
    await store.unlock();
    return parseUserId((await addRoot(store, 'alice:alice123')).id);
  } finally {
    await store.close();
    await forgetKeys(url);
  }
}

/** Whether the user reads back under its id, with its `me` subscription under the same id. */
async function readable(url: string, uid: Uid, keys: Configured = {}): Promise<boolean> {
  const store = await open(url, keys);
  try {
    await store.unlock();
    const user = await store.users.get(uid);
    const me = await store.subs.get(userId(uid), uid, false);
    return user?.id === uid && me !== null;
  } finally {
    await store.close();
  }
}

const texts = (notices: KeyNotice[]) => notices.map((n) => `${n.level}: ${n.text}`);

describe.each(kinds)('database keys on %s', (kind) => {
  const dbs = testDbSet(kind);
  let url: string;

  beforeAll(async () => {
    url = dbs.fresh();
    const store = await open(url);
    await store.createDb(false);
    await store.close();
  });

  afterAll(() => dbs.dropAll());

  it('a new database gets random keys of its own, kept in it and read back on every start', async () => {
    const first = await start(url);
    expect(first.notices).toEqual([]);
    expect(decodeKey(first.tokenKey)).toHaveLength(32);
    expect(decodeKey(first.uidKey)).toHaveLength(16);
    expect([first.tokenKey, first.uidKey]).not.toContain(SAMPLE_TOKEN_KEY);
    expect([first.tokenKey, first.uidKey]).not.toContain(SAMPLE_UID_KEY);
    expect(first.kept).toEqual({ [KEY_ENTRIES.tokenKey]: first.tokenKey, [KEY_ENTRIES.uidKey]: first.uidKey });
    const second = await start(url);
    expect(second).toEqual(first);
  });

  it('two new databases get different keys, and a reset database gets new ones', async () => {
    const a = await start(url);
    const other = dbs.fresh();
    const store = await open(other);
    await store.createDb(false);
    await store.unlock();
    const b = { tokenKey: store.keys.tokenKey.toString('base64'), uidKey: store.keys.uidKey.toString('base64') };
    await store.createDb(true);
    await store.unlock();
    const reset = { tokenKey: store.keys.tokenKey.toString('base64'), uidKey: store.keys.uidKey.toString('base64') };
    await store.close();
    expect(b.tokenKey).not.toBe(a.tokenKey);
    expect(b.uidKey).not.toBe(a.uidKey);
    expect(reset.tokenKey).not.toBe(b.tokenKey);
    expect(reset.uidKey).not.toBe(b.uidKey);
  });

  it('makes no id before the keys are resolved', async () => {
    const store = await open(url);
    try {
      expect(() => store.newUid()).toThrow(/Store\.unlock/);
      expect(() => store.keys).toThrow(/Store\.unlock/);
    } finally {
      await store.close();
    }
  });

  it('refuses a configured uid key that differs from the one the database keeps', async () => {
    const own = await start(url);
    const err = await refusal(url, { uid: newUidKey() });
    expect(err.key).toBe('store_config.uid_key');
    expect(err.message).toMatch(/made with another key, which the database keeps/);
    expect(err.expected).toMatch(/no uid_key in the config/);
    // The same key, written in the config, is no conflict; a configured token key simply wins.
    const token = Buffer.alloc(32, 7).toString('base64');
    const same = await start(url, { uid: own.uidKey, token });
    expect(same.uidKey).toBe(own.uidKey);
    expect(same.tokenKey).toBe(token);
    expect(same.kept).toEqual(own.kept);
  });

  it('keeps only the fingerprint of a uid key configured at creation: a later start without it, or with another, is refused', async () => {
    const db = dbs.fresh();
    const key = newUidKey();
    const store = await open(db, { uid: key });
    await store.createDb(false);
    await store.close();
    const made = await start(db, { uid: key });
    expect(made.uidKey).toBe(key);
    expect(Object.keys(made.kept).sort()).toEqual([KEY_ENTRIES.tokenKey, KEY_ENTRIES.uidKeyFingerprint]);
    expect(Object.values(made.kept)).not.toContain(key);
    const without = await refusal(db);
    expect(without.key).toBe('store_config.uid_key');
    expect(without.message).toMatch(/no key is given, but the ids of this database were made with a key given in the config/);
    expect(without.expected).toMatch(/the key this database was created with/);
    expect((await refusal(db, { uid: newUidKey() })).message).toMatch(/made with another key given in the config/);
  });

  it('a database made before keys were kept keeps its ids with the sample uid key, with a warning; its tokens get a new key', async () => {
    const db = dbs.fresh();
    const alice = await legacyDb(db, SAMPLE_UID_KEY);
    const first = await start(db);
    expect(first.uidKey).toBe(SAMPLE_UID_KEY);
    expect(first.tokenKey).not.toBe(SAMPLE_TOKEN_KEY);
    expect(first.kept).toEqual({ [KEY_ENTRIES.tokenKey]: first.tokenKey, [KEY_ENTRIES.uidKey]: SAMPLE_UID_KEY });
    expect(texts(first.notices)).toEqual([
      expect.stringMatching(/^warn: SECURITY: store_config.uid_key is not set and this database keeps no uid key.*public sample key.*only that key keeps the ids/),
      expect.stringMatching(/^warn: auth_config.token.key is not set and the database kept no token key.*Tokens issued before are no longer valid/),
    ]);
    expect(await readable(db, alice)).toBe(true);
    // Later starts find both keys; the sample uid key is still worth a line.
    const later = await start(db);
    expect(later.tokenKey).toBe(first.tokenKey);
    expect(texts(later.notices)).toEqual([expect.stringMatching(/^warn: the ids of this database are made with the public sample uid key/)]);
  });

  it('a database made before keys were kept with another uid key is refused without it, and pinned to it once given', async () => {
    const db = dbs.fresh();
    const key = newUidKey();
    const alice = await legacyDb(db, key);
    const without = await refusal(db);
    expect(without.key).toBe('store_config.uid_key');
    expect(without.message).toMatch(/were not made with the public sample key/);
    // No hint about the sample key: it does not fit either.
    expect((await refusal(db, { uid: newUidKey() })).problem).toBe('the key does not decode the ids of this database');
    expect(await readable(db, alice, { uid: key })).toBe(true);
    expect(Object.keys((await start(db, { uid: key })).kept).sort()).toEqual([KEY_ENTRIES.tokenKey, KEY_ENTRIES.uidKeyFingerprint]);
    expect((await refusal(db)).message).toMatch(/made with a key given in the config/);
  });

  it('names the sample key as the fix when a configured key does not fit a sample-key database', async () => {
    const db = dbs.fresh();
    await legacyDb(db, SAMPLE_UID_KEY);
    const err = await refusal(db, { uid: newUidKey() });
    expect(err.message).toMatch(/the public sample key does: remove store_config.uid_key/);
  });

  it('gives a database without keys and without users a random uid key', async () => {
    const db = dbs.fresh();
    const store = await open(db);
    await adapterOf(store).createDb(false);
    await store.close();
    const first = await start(db);
    expect(first.uidKey).not.toBe(SAMPLE_UID_KEY);
    expect(first.kept[KEY_ENTRIES.uidKey]).toBe(first.uidKey);
    expect(texts(first.notices)[0]).toMatch(/^info: the database kept no uid key and has no users/);
  });

  it('uses configured sample keys, warning about each', async () => {
    const db = dbs.fresh();
    const keys = { token: SAMPLE_TOKEN_KEY, uid: SAMPLE_UID_KEY };
    const store = await open(db, keys);
    await store.createDb(false);
    await store.close();
    const r = await start(db, keys);
    expect(r.tokenKey).toBe(SAMPLE_TOKEN_KEY);
    expect(r.uidKey).toBe(SAMPLE_UID_KEY);
    expect(texts(r.notices)).toEqual([
      expect.stringMatching(/^warn: SECURITY: store_config.uid_key is the public sample key.*"tinode keygen --uid-key"/),
      expect.stringMatching(/^warn: SECURITY: auth_config.token.key is the public sample key.*root included.*"tinode keygen --token-key"/),
    ]);
  });
});
