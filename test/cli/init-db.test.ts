import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODE_CCHN_READER, modeToString } from '../../src/model/access.js';
import { AuthLevel } from '../../src/model/auth-level.js';
import { grpToChn, p2pName, parseUserId, userId, type Uid } from '../../src/model/uid.js';
import { verifyPassword } from '../../src/model/password.js';
import type { Store } from '../../server/store/store.js';
import { runTinode } from '../helpers/cli.js';
import { newTestDb, openStore, storeMemberCount, storedMemberCounts, testDbKinds, type TestDb } from '../helpers/databases.js';

const FIXTURE = join(import.meta.dirname, '..', '..', '..', 'shared', 'fixtures', 'tinode-data', 'data.json');
const { kinds, skipped } = await testDbKinds();
if (skipped.length > 0) {
  console.warn(`init-db tests skip: ${skipped.join('; ')}`);
}

/** Maps logins to user ids from init-db's summary lines. */
function usersFromSummary(stdout: string): Map<string, Uid> {
  const out = new Map<string, Uid>();
  for (const m of stdout.matchAll(/^ {2}user {2}(\S+)\s+(usr\S+)/gm)) {
    out.set(m[1]!, parseUserId(m[2]!));
  }
  return out;
}

function topicsFromSummary(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of stdout.matchAll(/^ {2}topic (\S+)\s+(grp\S+)/gm)) {
    out.set(m[1]!, m[2]!);
  }
  return out;
}

async function checkLogin(store: Store, login: string, password: string): Promise<boolean> {
  const rec = await store.auth.getUniqueRecord('basic', login);
  return rec !== null && (await verifyPassword(password, rec.secret));
}

describe.each(kinds)('tinode init-db on %s', (kind) => {
  let db: TestDb;
  beforeAll(() => {
    db = newTestDb(kind);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('creates the database and loads the bundled sample', async () => {
    const r = await runTinode(['init-db', '--db', db.url, '--data', 'sample']);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Creating the database/);
    const users = usersFromSummary(r.stdout);
    expect([...users.keys()]).toEqual(['alice', 'bob', 'carol', 'dave', 'frank', 'quotebot']);
    const store = await openStore(db.url);
    try {
      await store.checkReady();
      const alice = await store.users.get(users.get('alice')!);
      expect(alice?.public).toEqual({ fn: 'Alice Walker' });
      expect(alice?.tags).toEqual(expect.arrayContaining(['basic:alice', 'email:alice@example.com', 'tel:+17025550001']));
      expect(await checkLogin(store, 'alice', 'alice123')).toBe(true);
      expect(await checkLogin(store, 'bob', 'bob123')).toBe(true);
      expect(await checkLogin(store, 'alice', 'wrong')).toBe(false);
      expect(await store.users.getByCred('email', 'carol@example.com')).toBe(users.get('carol'));
      expect(await store.users.getByCred('tel', '+17025550005')).toBe(users.get('frank'));
      const topics = topicsFromSummary(r.stdout);
      expect(topics.size).toBe(4);
      const news = await store.topics.get(topics.get('*NEWS')!);
      expect(news?.useBt).toBe(true);
      const contacts = await store.users.getTopics(users.get('alice')!, false);
      expect(contacts.length).toBeGreaterThanOrEqual(8);
      const p2p = p2pName(users.get('alice')!, users.get('bob')!);
      expect(contacts.some((s) => s.topic === p2p)).toBe(true);
      const seqByTopic = new Map<string, number>();
      for (const uid of users.values()) {
        for (const s of await store.users.getTopics(uid, false)) {
          seqByTopic.set(s.topic.replace(/^chn/, 'grp'), s.extra?.seqId ?? 0);
        }
      }
      const total = [...seqByTopic.values()].reduce((a, b) => a + b, 0);
      expect(total).toBe(Number(/(\d+) messages/.exec(r.stdout)?.[1]));
    } finally {
      await store.close();
    }
  });

  it('refuses to load data over existing users, and --reset starts over', async () => {
    const again = await runTinode(['init-db', '--db', db.url, '--data', 'sample']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds users.*--reset/);
    const reset = await runTinode(['init-db', '--db', db.url, '--reset', '--data', 'sample']);
    expect(reset.code).toBe(0);
    expect(reset.stderr).toMatch(/Resetting the database/);
  });

  it('says the schema is current on --upgrade, and recounts member counts stored wrong', async () => {
    const counts = await storedMemberCounts(db.url);
    const [grp, right] = Object.entries(counts)[0]!;
    // An earlier version stored a new group's owner twice.
    await storeMemberCount(db.url, grp, right + 1);
    const r = await runTinode(['init-db', '--db', db.url, '--upgrade']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/already at schema version 116/);
    expect(r.stderr).toMatch(/member counts of 1 group topic recounted/);
    expect(await storedMemberCounts(db.url)).toEqual(counts);
  });

  it('adds a root user with a generated password, and promotes a user to root', async () => {
    const r = await runTinode(['init-db', '--db', db.url, '--add-root', 'admin']);
    expect(r.code).toBe(0);
    const m = /login admin, id (usr\S+), password (\S+) \(generated/.exec(r.stdout);
    expect(m).not.toBeNull();
    const store = await openStore(db.url);
    try {
      expect(await checkLogin(store, 'admin', m![2]!)).toBe(true);
      expect((await store.auth.getUniqueRecord('basic', 'admin'))?.authLevel).toBe(AuthLevel.ROOT);
      const dave = await store.auth.getUniqueRecord('basic', 'dave');
      expect(dave?.authLevel).toBe(AuthLevel.AUTH);
      const promote = await runTinode(['init-db', '--db', db.url, '--make-root', userId(dave!.uid)]);
      expect(promote.code).toBe(0);
      expect((await store.auth.getUniqueRecord('basic', 'dave'))?.authLevel).toBe(AuthLevel.ROOT);
    } finally {
      await store.close();
    }
    const taken = await runTinode(['init-db', '--db', db.url, '--add-root', 'admin:secret99']);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/taken/);
    const bad = await runTinode(['init-db', '--db', db.url, '--make-root', 'nobody']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not a user id/);
  });

  it.runIf(existsSync(FIXTURE))("loads the reference server's data.json unchanged", async () => {
    const r = await runTinode(['init-db', '--db', db.url, '--reset', '--data', FIXTURE]);
    expect(r.code).toBe(0);
    const users = usersFromSummary(r.stdout);
    const topics = topicsFromSummary(r.stdout);
    expect([...users.keys()]).toEqual(['alice', 'bob', 'carol', 'dave', 'eve', 'frank', 'tino', 'xena']);
    expect(r.stdout).toMatch(/user {2}tino .* \(generated/);
    const store = await openStore(db.url);
    try {
      const alice = await store.users.get(users.get('alice')!);
      expect(alice?.tags).toEqual(expect.arrayContaining(['Alice', 'basic:alice', 'email:alice@example.com', 'tel:+17025550001']));
      expect(alice?.trusted).toEqual({ verified: true });
      const photo = readFileSync(join(FIXTURE, '..', 'alice-128.jpg')).toString('base64');
      expect(alice?.public).toEqual({ fn: 'Alice Hatter', photo: { type: 'jpg', data: photo } });
      for (const login of ['alice', 'bob', 'carol', 'dave', 'eve', 'frank', 'xena']) {
        expect(await checkLogin(store, login, `${login}123`)).toBe(true);
      }
      expect((await store.auth.getUniqueRecord('basic', 'xena'))?.authLevel).toBe(AuthLevel.ROOT);
      const creds = await store.creds.getAll(users.get('bob')!, '', true);
      expect(creds.map((c) => `${c.method}:${c.value}`).sort()).toEqual(['email:bob@example.com', 'tel:+17025550002']);
      const fnd = await store.subs.get('fnd' + userId(users.get('alice')!).slice(3), users.get('alice')!, false);
      expect(String(fnd?.private)).toMatch(/^email:bob@example.com,email:carol@example.com/);

      expect(topics.size).toBe(5);
      const coffee = await store.topics.get(topics.get('*BACDF')!);
      expect(coffee?.useBt).toBe(true);
      expect(modeToString(coffee!.access.auth)).toBe('RWPD');
      expect(coffee?.owner).toBe(users.get('bob'));
      const readers = await store.subs.forTopic(grpToChn(topics.get('*BACDF')!), false);
      expect(readers.map((s) => s.user).sort()).toEqual([users.get('carol'), users.get('dave'), users.get('frank')].sort());
      expect(readers.every((s) => s.modeWant === MODE_CCHN_READER)).toBe(true);
      const support = await store.topics.get(topics.get('*X')!);
      expect(support?.trusted).toEqual({ staff: true });
      expect(modeToString(support!.access.anon)).toBe('JW');
      expect(support?.tags).toEqual(['support', 'public']);

      // Bob is banned by Dave: Bob's "have" is A, Dave's "want" is N.
      const banned = p2pName(users.get('bob')!, users.get('dave')!);
      const bobSub = await store.subs.get(banned, users.get('bob')!, false);
      const daveSub = await store.subs.get(banned, users.get('dave')!, false);
      expect(modeToString(bobSub!.modeGiven)).toBe('A');
      expect(modeToString(daveSub!.modeWant)).toBe('N');
      expect(bobSub?.private).toEqual({ comment: "I'm banned by Dave!" });

      const withTino = p2pName(users.get('alice')!, users.get('tino')!);
      const msgs = await store.messages.getAll(withTino, users.get('alice')!, { limit: 100 });
      const forms = msgs.filter((m) => m.head?.mime === 'text/x-drafty');
      expect(forms).toHaveLength(2);
      expect(forms.every((m) => m.from === users.get('tino'))).toBe(true);
      const all = await store.users.getTopics(users.get('alice')!, false);
      const total = all.reduce((n, s) => n + (s.extra?.seqId ?? 0), 0);
      expect(total).toBeGreaterThan(10);
    } finally {
      await store.close();
    }
  });

  it('fails with --no-init when there is no database', async () => {
    const other = newTestDb(kind);
    try {
      const r = await runTinode(['init-db', '--db', other.url, '--no-init']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/no Tinode database/);
    } finally {
      await other.drop();
    }
  });
});

describe('tinode init-db defaults', () => {
  it('creates ./data/tinode.db with the sample users when run with --data sample.json', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tinode-initdb-'));
    const r = await runTinode(['init-db', '--data', 'sample.json'], { cwd });
    expect(r.code).toBe(0);
    expect(existsSync(join(cwd, 'data', 'tinode.db'))).toBe(true);
    expect(r.stdout).toMatch(/user {2}alice/);
  });

  it('names a missing data file', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tinode-initdb-'));
    const r = await runTinode(['init-db', '--data', 'nope.json'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no file "nope.json"/);
  });

  it('names the place of a mistake in a data file', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tinode-initdb-'));
    const file = join(cwd, 'bad.json');
    (await import('node:fs')).writeFileSync(file, JSON.stringify({ users: [{ username: 'x1', passhash: 'pw1234', state: 'weird' }] }));
    const r = await runTinode(['init-db', '--data', file], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/users\[0\]\.state/);
  });
});
