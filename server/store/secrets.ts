import { ConfigError } from '../../src/config/errors.js';
import { decodeKey, newTokenKey, newUidKey, SAMPLE_TOKEN_KEY, SAMPLE_UID_KEY, uidKeyFingerprint } from '../../src/model/secret-keys.js';
import type { Adapter } from './contract/adapter.js';
import { isStoreError } from './contract/errors.js';

/**
 * The keys of a database, kept with its data. A key left empty in the config (the default) is the
 * database's own: made at random when the database is created, stored in its `kvmeta` table and
 * read back on every later start, by `tinode serve` and `tinode init-db` alike. A key given in the
 * config wins; for the uid key the database then remembers only its fingerprint, so that a later
 * start with another key, or with none, is refused instead of misreading every id.
 *
 * Why a fingerprint rather than nothing: the ids of a SQL database only round-trip with the key
 * they were made with (the tables hold the decrypted values, the `usr…`/`p2p…` topic names the
 * encrypted ones). A database made with a configured key and later started without it would
 * otherwise fall to the rule for databases made before keys were kept (the sample key) and show
 * every user under a new id. Why not the key itself: an operator who keeps the key in the config
 * may keep the database (and its backups) where the key should not go.
 */

/** Where a database keeps its keys, as `kvmeta` keys. */
export const KEY_ENTRIES = {
  tokenKey: 'secret.token_key',
  uidKey: 'secret.uid_key',
  uidKeyFingerprint: 'secret.uid_key_fingerprint',
} as const;

/** The keys the config gives, as written; "" means "the database's own". */
export interface ConfiguredKeys {
  /** `auth_config.token.key` */
  tokenKey: string;
  /** `store_config.uid_key` */
  uidKey: string;
}

/** The keys in use, decoded. */
export interface DbKeys {
  /** Signs auth tokens (HMAC-SHA256); at least 32 bytes. */
  tokenKey: Buffer;
  /** Encrypts ids (XTEA); 16 bytes. */
  uidKey: Buffer;
}

/** Something a person running the server should read: the callers log it. */
export interface KeyNotice {
  level: 'info' | 'warn';
  text: string;
}

/** How a uid key fits the ids a database holds: `unknown` when there is none to check against. */
export type UidKeyFit = 'fits' | 'differs' | 'unknown';

/** What resolving needs of the database. */
export interface KeyDb {
  adapter: Pick<Adapter, 'pcacheGet' | 'pcacheUpsert' | 'hasUsers'>;
  /** Checks a uid key against the ids already in the database. */
  checkUidKey(key: Buffer): Promise<UidKeyFit>;
}

/** Gives a database just created its own keys, for those the config leaves empty. */
export async function seedKeys(adapter: Pick<Adapter, 'pcacheUpsert'>, configured: ConfiguredKeys): Promise<void> {
  if (!configured.tokenKey) {
    await adapter.pcacheUpsert(KEY_ENTRIES.tokenKey, newTokenKey(), false);
  }
  if (configured.uidKey) {
    await adapter.pcacheUpsert(KEY_ENTRIES.uidKeyFingerprint, uidKeyFingerprint(decodeKey(configured.uidKey)), false);
  } else {
    await adapter.pcacheUpsert(KEY_ENTRIES.uidKey, newUidKey(), false);
  }
}

/**
 * Decides the keys of an existing database (see the rules in the README and the comments below),
 * storing what it decides so that every later start finds the same keys. Throws a
 * {@link ConfigError} naming `store_config.uid_key` when the configured key (or its absence)
 * cannot be right for the ids the database holds.
 */
export async function resolveKeys(db: KeyDb, configured: ConfiguredKeys): Promise<{ keys: DbKeys; notices: KeyNotice[] }> {
  const notices: KeyNotice[] = [];
  const uidKey = await resolveUidKey(db, configured.uidKey, notices);
  const tokenKey = await resolveTokenKey(db, configured.tokenKey, notices);
  return { keys: { tokenKey, uidKey }, notices };
}

async function readEntry(db: KeyDb, key: string): Promise<string | null> {
  try {
    return await db.adapter.pcacheGet(key);
  } catch (err) {
    if (isStoreError(err, 'not-found')) {
      return null;
    }
    throw err;
  }
}

/** Stores a value unless another node stored one first; returns the value that is kept. */
async function keepEntry(db: KeyDb, key: string, value: string): Promise<string> {
  try {
    await db.adapter.pcacheUpsert(key, value, true);
    return value;
  } catch (err) {
    if (isStoreError(err, 'duplicate')) {
      return (await readEntry(db, key)) ?? value;
    }
    throw err;
  }
}

function uidKeyError(problem: string, expected: string): ConfigError {
  return new ConfigError('store_config.uid_key', problem, expected);
}

const GIVE_THE_ORIGINAL = 'the key this database was created with (the uid_key of the server that made it)';

function sampleKeyWarning(key: 'auth_config.token.key' | 'store_config.uid_key', flag: string, risk: string): KeyNotice {
  return {
    level: 'warn',
    text:
      `SECURITY: ${key} is the public sample key of the reference server: ${risk}. ` +
      `Make a key with "tinode keygen ${flag}" and put it in the config, or remove ${key} to use the database's own random key`,
  };
}

async function resolveUidKey(db: KeyDb, configured: string, notices: KeyNotice[]): Promise<Buffer> {
  const stored = await readEntry(db, KEY_ENTRIES.uidKey);
  const fingerprint = await readEntry(db, KEY_ENTRIES.uidKeyFingerprint);
  const sample = decodeKey(SAMPLE_UID_KEY);
  if (configured) {
    const key = decodeKey(configured);
    if (stored !== null && !decodeKey(stored).equals(key)) {
      throw uidKeyError(
        'the ids of this database were made with another key, which the database keeps',
        'no uid_key in the config (the database\'s own key is then used), or that same key',
      );
    }
    if (fingerprint !== null && fingerprint !== uidKeyFingerprint(key)) {
      throw uidKeyError('the ids of this database were made with another key given in the config (the database keeps its fingerprint)', GIVE_THE_ORIGINAL);
    }
    if (stored === null && fingerprint === null) {
      // A database made before keys were kept with the data: the key must fit its ids, and from
      // now on the database remembers which key that was.
      if ((await db.checkUidKey(key)) === 'differs') {
        throw uidKeyError(`the key does not decode the ids of this database${await sampleHint(db, sample)}`, GIVE_THE_ORIGINAL);
      }
      const kept = await keepEntry(db, KEY_ENTRIES.uidKeyFingerprint, uidKeyFingerprint(key));
      if (kept !== uidKeyFingerprint(key)) {
        throw uidKeyError('another server pinned this database to another key at the same time', GIVE_THE_ORIGINAL);
      }
    }
    if (key.equals(sample)) {
      notices.push(sampleKeyWarning('store_config.uid_key', '--uid-key', 'anyone can decode the ids of this server into their creation times and order'));
    }
    return key;
  }
  if (stored !== null) {
    const key = decodeKey(stored);
    if (key.equals(sample)) {
      notices.push({
        level: 'warn',
        text: 'the ids of this database are made with the public sample uid key (the database was made without a key of its own): they hide their creation times and order from no one',
      });
    }
    return key;
  }
  if (fingerprint !== null) {
    throw uidKeyError('no key is given, but the ids of this database were made with a key given in the config (the database keeps only its fingerprint)', GIVE_THE_ORIGINAL);
  }
  return adoptLegacyUidKey(db, sample, notices);
}

/**
 * The uid key of an existing database that keeps none: made by the reference server or by an
 * earlier version of this project, both with the public sample key by default. Only that key keeps
 * its ids readable, so it becomes the database's own (with a warning), unless the ids show another
 * key was used (refused) or there are no users whose ids would need it (a new random key).
 */
async function adoptLegacyUidKey(db: KeyDb, sample: Buffer, notices: KeyNotice[]): Promise<Buffer> {
  if (!(await db.adapter.hasUsers())) {
    const kept = await keepEntry(db, KEY_ENTRIES.uidKey, newUidKey());
    notices.push({ level: 'info', text: 'the database kept no uid key and has no users: it now has a random one of its own' });
    return decodeKey(kept);
  }
  if ((await db.checkUidKey(sample)) === 'differs') {
    throw uidKeyError(
      'no key is given, and the ids of this database (made without a key of its own) were not made with the public sample key, the default of the server that made it',
      GIVE_THE_ORIGINAL,
    );
  }
  const kept = await keepEntry(db, KEY_ENTRIES.uidKey, SAMPLE_UID_KEY);
  notices.push({
    level: 'warn',
    text:
      'SECURITY: store_config.uid_key is not set and this database keeps no uid key: it was made by the reference server or an earlier tinode with the ' +
      'public sample key, and only that key keeps the ids of its users, topics and files readable, so the database now keeps it as its own. ' +
      'Anyone can decode these ids into their creation times and order; the key signs nothing (tokens are signed with the token key), ' +
      'so the server can live with it. Only a new database ("tinode init-db --reset" drops the data) gets a random uid key',
  });
  return decodeKey(kept);
}

/** ", but the public sample key does" when it does: the likely fix is removing the configured key. */
async function sampleHint(db: KeyDb, sample: Buffer): Promise<string> {
  return (await db.checkUidKey(sample)) === 'fits' ? ' (the public sample key does: remove store_config.uid_key from the config)' : '';
}

async function resolveTokenKey(db: KeyDb, configured: string, notices: KeyNotice[]): Promise<Buffer> {
  if (configured) {
    const key = decodeKey(configured);
    if (key.equals(decodeKey(SAMPLE_TOKEN_KEY))) {
      notices.push(sampleKeyWarning('auth_config.token.key', '--token-key', 'anyone can sign a token for any user of this server, root included'));
    }
    return key;
  }
  const stored = await readEntry(db, KEY_ENTRIES.tokenKey);
  if (stored !== null) {
    return decodeKey(stored);
  }
  const kept = await keepEntry(db, KEY_ENTRIES.tokenKey, newTokenKey());
  notices.push({
    level: 'warn',
    text:
      'auth_config.token.key is not set and the database kept no token key (it was made by the reference server or an earlier tinode): ' +
      'it now has a random one of its own. Tokens issued before are no longer valid: clients log in again with their passwords',
  });
  return decodeKey(kept);
}
