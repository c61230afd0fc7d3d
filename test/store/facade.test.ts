import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODE_CFULL, MODE_CME_FND, MODE_CPUBLIC } from '../../src/model/access.js';
import { AuthLevel } from '../../src/model/auth-level.js';
import { fndName, userId, type Uid } from '../../src/model/uid.js';
import { adapterOf } from '../../server/store/adapter-access.js';
import type { Store } from '../../server/store/store.js';
import { newTestDb, openStore, testDbKinds, type TestDb } from '../helpers/databases.js';
import { grpName, makeMsg, makeUser, outcome, rnd, sec } from './conformance-fixtures.js';

/**
 * The Store facade over a real database: the adapter stays out of reach, and the rules that span
 * several adapter calls (a user's `me` and `fnd` records, a topic's owner, read marks of senders,
 * delete ids, replaced devices, auth record prefixes) hold. The adapter itself is checked by
 * conformance.test.ts.
 */

const { kinds } = await testDbKinds();

describe.each(kinds)('store facade on %s', (kind) => {
  let db: TestDb;
  let store: Store;
  const NOW = sec(Date.now());

  async function newUser(): Promise<Uid> {
    const { id: _id, createdAt: _c, updatedAt: _u, ...fields } = makeUser(0n, NOW, { tags: [`email:${rnd()}@example.com`] });
    return (await store.users.create(fields, { note: 'mine' })).id;
  }

  beforeAll(async () => {
    db = newTestDb(kind);
    store = await openStore(db.url);
    await store.createDb(false);
    await store.unlock();
  });

  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('keeps the adapter out of reach but for adapterOf, and reports its schema version', () => {
    expect(Object.keys(store)).not.toContain('adapter');
    expect((store as unknown as Record<string, unknown>).adapter).toBeUndefined();
    expect(store.schemaVersion).toBe(116);
    expect(adapterOf(store).schemaVersion).toBe(store.schemaVersion);
  });

  it('users.create makes the me and fnd records, with private on me', async () => {
    const uid = await newUser();
    const subs = await store.subs.forUser(uid);
    expect(subs.map((s) => s.topic).sort()).toEqual([fndName(uid), userId(uid)].sort());
    expect(subs.every((s) => s.modeWant === MODE_CME_FND && s.modeGiven === MODE_CME_FND)).toBe(true);
    expect((await store.subs.get(userId(uid), uid, false))?.private).toEqual({ note: 'mine' });
  });

  it('topics.create subscribes the owner and counts them; subs.create refuses mixed topics', async () => {
    const owner = await newUser();
    const name = grpName(store.newUid());
    const t = await store.topics.create({ name, state: 0, stateAt: null, useBt: false, owner, access: { auth: MODE_CPUBLIC, anon: 0 }, seqId: 0, delId: 0, public: null, trusted: null, tags: [], aux: null });
    expect(t.subCnt).toBe(1);
    expect((await store.subs.get(name, owner, false))?.modeGiven).toBe(MODE_CFULL);
    expect((await store.topics.get(name))?.subCnt).toBe(1);
    const other = await newUser();
    expect(() => store.subs.create(store.subscription(other, name, MODE_CPUBLIC, MODE_CPUBLIC, null), store.subscription(other, 'grp' + rnd(), 0, 0, null))).toThrow(
      /same topic/,
    );
    await store.subs.create(store.subscription(other, name, MODE_CPUBLIC, MODE_CPUBLIC, null));
    expect((await store.topics.get(name))?.subCnt).toBe(2);
  });

  it('messages.saveAll moves the read marks of senders only when asked; messages.delete records the delete id', async () => {
    const owner = await newUser();
    const name = grpName(store.newUid());
    await store.topics.create({ name, state: 0, stateAt: null, useBt: false, owner, access: { auth: MODE_CPUBLIC, anon: 0 }, seqId: 0, delId: 0, public: null, trusted: null, tags: [], aux: null });
    await store.messages.saveAll(name, [makeMsg(name, 1, owner, NOW)]);
    expect((await store.subs.get(name, owner, false))?.readSeqId).toBe(0);
    await store.messages.saveAll(name, [makeMsg(name, 2, owner, NOW), makeMsg(name, 3, owner, NOW)], true);
    expect(await store.subs.get(name, owner, false)).toMatchObject({ readSeqId: 3, recvSeqId: 3 });

    await store.messages.delete(name, 1, owner, 0, [{ low: 1, hi: 2 }]);
    await store.messages.delete(name, 2, owner, 0, [{ low: 2, hi: 3 }]);
    expect((await store.topics.get(name))?.delId).toBe(2);
    expect((await store.subs.get(name, owner, false))?.delId).toBe(2);
    expect(await store.messages.getDeletedRanges(name, owner)).toEqual({ ranges: [{ low: 1, hi: 3 }], maxDelId: 2 });
    expect((await store.messages.getAll(name, owner)).map((m) => m.seqId)).toEqual([3]);
  });

  it('subs.moveMarks moves recv and read marks as notes do, sharing the commits of messages, and leaves updatedAt', async () => {
    const owner = await newUser();
    const name = grpName(store.newUid());
    await store.topics.create({ name, state: 0, stateAt: null, useBt: false, owner, access: { auth: MODE_CPUBLIC, anon: 0 }, seqId: 0, delId: 0, public: null, trusted: null, tags: [], aux: null });
    const before = await store.subs.get(name, owner, false);
    // A message and a note of the same turn go out together; each settles once stored.
    await Promise.all([store.messages.saveAll(name, [makeMsg(name, 1, owner, NOW), makeMsg(name, 2, owner, NOW)]), store.subs.moveMarks(name, owner, { recvSeqId: 2 })]);
    expect(await store.subs.get(name, owner, false)).toMatchObject({ recvSeqId: 2, readSeqId: 0, updatedAt: before?.updatedAt });
    await store.subs.moveMarks(name, owner, { recvSeqId: 2, readSeqId: 1 });
    expect(await store.subs.get(name, owner, false)).toMatchObject({ recvSeqId: 2, readSeqId: 1, updatedAt: before?.updatedAt });
    expect((await store.topics.get(name))?.seqId).toBe(2);
  });

  it('auth records are named by scheme and value, and read back without the prefix', async () => {
    const uid = await newUser();
    const login = `u${rnd()}`.slice(0, 16);
    await store.auth.addRecord(uid, AuthLevel.AUTH, 'basic', login, Buffer.from('secret'), null);
    expect((await store.auth.getUniqueRecord('basic', login))?.uid).toBe(uid);
    expect((await store.auth.getRecord(uid, 'basic'))?.unique).toBe(login);
    await store.auth.updateRecord(uid, AuthLevel.ROOT, 'basic', '', null, null);
    expect(await store.auth.getRecord(uid, 'basic')).toMatchObject({ unique: login, authLevel: AuthLevel.ROOT });
  });

  it('devices.update replaces the old device and tolerates a missing one', async () => {
    const uid = await newUser();
    const dev = (deviceId: string) => ({ deviceId, platform: 'web', lastSeen: NOW, lang: 'en' });
    await store.devices.update(uid, 'never-there', dev('first'));
    await store.devices.update(uid, 'first', dev('second'));
    expect((await store.devices.getAll([uid])).devices.get(uid)?.map((d) => d.deviceId)).toEqual(['second']);
    await store.devices.update(uid, 'second', null);
    expect(await outcome(store.devices.delete(uid, 'second'))).toBe('not-found');
  });
});
