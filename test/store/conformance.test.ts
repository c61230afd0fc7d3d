import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MODE_CAUTH,
  MODE_CCHN_READER,
  MODE_CFULL,
  MODE_CME_FND,
  MODE_CP2P,
  MODE_CPUBLIC,
  MODE_CREADONLY,
  MODE_JOIN,
  MODE_NONE,
  MODE_PRES,
  MODE_READ,
  MODE_UNSET,
  MODE_WRITE,
} from '../../src/model/access.js';
import { AuthLevel } from '../../src/model/auth-level.js';
import { fndName, grpToChn, p2pName, userId, type Uid } from '../../src/model/uid.js';
import { UidGenerator } from '../../src/model/uidgen.js';
import { loadConfig } from '../../src/config/load.js';
import type { Knex } from 'knex';
import { adapterOf, createAdapter, rawDb, type Adapter } from '../../server/store/adapter-access.js';
import type { Store } from '../../server/store/store.js';
import { ObjState, UploadStatus, type Message, type Subscription, type Topic, type TopicUpdate, type User } from '../../server/store/contract/types.js';
import { newTestDb, openStore, testDbKinds, type TestDb } from '../helpers/databases.js';
import { by, grpName, makeCred, makeFile, makeMsg, makeSub, makeTopic, makeUser, outcome, plus, rnd, sec } from './conformance-fixtures.js';

/**
 * One conformance suite for the store adapter contract (server/store/contract/adapter.ts), run against
 * every database kind. Expected values follow the contract and, where it is silent, the
 * reference server's MySQL adapter.
 */

const { kinds, skipped } = await testDbKinds();
if (skipped.length > 0) {
  console.warn(`store conformance tests skip: ${skipped.join('; ')}`);
}

const JRWP = MODE_JOIN | MODE_READ | MODE_WRITE | MODE_PRES;
const JW = MODE_JOIN | MODE_WRITE;

describe.each(kinds)('store adapter conformance on %s', (kind) => {
  let db: TestDb;
  let store: Store;
  let a: Adapter;
  let ids: UidGenerator;
  let versionBeforeCreate: string;
  /** Now, in whole seconds; records are dated around it. */
  const NOW = sec(Date.now());

  const newUid = (): Uid => store.newUid();
  let rawKnex: Knex | undefined;
  const raw = () => {
    if (!rawKnex) throw new Error('raw() before the store is open');
    return rawKnex;
  };

  async function user(over: Partial<User> = {}, at = NOW): Promise<User> {
    const u = makeUser(newUid(), at, over);
    await a.userCreate(u);
    return u;
  }

  async function topic(owner: Uid, over: Partial<Topic> = {}, at = NOW): Promise<Topic> {
    const t = makeTopic(grpName(newUid()), owner, at, over);
    await a.topicCreate(t);
    return t;
  }

  /** Saves messages 1..n of a topic (from the given users in turn), dated NOW+seq seconds. */
  async function post(topicName: string, n: number, from: Uid[]): Promise<Message[]> {
    const msgs = Array.from({ length: n }, (_, i) => makeMsg(topicName, i + 1, from[i % from.length]!, plus(NOW, i + 1)));
    await a.messageSaveAll(topicName, msgs);
    return msgs;
  }

  const seqs = (msgs: Message[]): number[] => msgs.map((m) => m.seqId);

  /** Subscribes the owner with full rights and a member with the public mode. */
  function shareOwnerAndMember(topicName: string, owner: Uid, member: Uid, at = NOW): Promise<void> {
    return a.topicShare(topicName, [
      makeSub(owner, topicName, MODE_CFULL, MODE_CFULL, at),
      makeSub(member, topicName, MODE_CPUBLIC, MODE_CPUBLIC, at),
    ]);
  }

  /** Adds the `me` and `fnd` records of a user. */
  function meAndFnd(uid: Uid, at = NOW): Promise<void> {
    return a.topicShare('', [makeSub(uid, userId(uid), MODE_CME_FND, MODE_CME_FND, at), makeSub(uid, fndName(uid), MODE_CME_FND, MODE_CME_FND, at)]);
  }

  beforeAll(async () => {
    db = newTestDb(kind);
    store = await openStore(db.url);
    a = adapterOf(store);
    versionBeforeCreate = await outcome(a.getDbVersion());
    await store.createDb(false);
    await store.unlock();
    rawKnex = await rawDb(store);
    // A second generator with the database's key: what the store stores must decode with it.
    ids = new UidGenerator(2, store.keys.uidKey);
  });

  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('lifecycle: describe, getDbVersion, checkDbVersion, createDb, upgradeDb, hasUsers, uidKeyProbe, close, open', async () => {
    expect(a.name).toBe(kind);
    expect(a.schemaVersion).toBe(116);
    const described = {
      sqlite: /^SQLite \S+tinode\.db$/,
      mysql: /^MySQL root@127\.0\.0\.1:3306\/tinode_t_/,
      postgres: /^PostgreSQL postgres@127\.0\.0\.1:5432\/tinode_t_/,
    };
    expect(a.describe()).toMatch(described[kind]);
    expect(versionBeforeCreate).toBe('db-not-initialized');

    expect(await a.getDbVersion()).toBe(116);
    await expect(a.checkDbVersion()).resolves.toBeUndefined();
    expect(await a.hasUsers()).toBe(false);
    expect(await a.uidKeyProbe()).toBeNull();
    // createDb adds the sys topic.
    expect(await a.topicGet('sys')).toMatchObject({ name: 'sys', owner: 0n, state: ObjState.OK, seqId: 0, public: { fn: 'System' } });

    // Without reset, an existing database is refused and stays usable.
    expect(await outcome(a.createDb(false))).toBe('duplicate');
    expect(await a.getDbVersion()).toBe(116);

    // Nothing to upgrade at the current version.
    const log: string[] = [];
    await a.upgradeDb((m) => log.push(m));
    expect(log).toEqual([]);

    await raw()('kvmeta').where('key', 'version').update({ value: '117' });
    expect(await a.getDbVersion()).toBe(117);
    expect(await outcome(a.checkDbVersion())).toBe('db-version');
    expect(await outcome(a.upgradeDb())).toBe('db-version');
    await raw()('kvmeta').where('key', 'version').update({ value: '100' });
    expect(await outcome(a.checkDbVersion())).toBe('db-version');
    expect(await outcome(a.upgradeDb())).toBe('db-version');
    await raw()('kvmeta').where('key', 'version').update({ value: '116' });
    await expect(a.checkDbVersion()).resolves.toBeUndefined();

    // close is safe twice; open connects again.
    await a.close();
    await a.close();
    expect(await outcome((async () => a.getDbVersion())())).toBe('internal');
    await a.open();
    await a.open();
    expect(await a.getDbVersion()).toBe(116);
    // A connection of the test's own may have closed with the adapter.
    rawKnex = await rawDb(store);
  });

  it('ids: the codec round-trips and the database keeps the decoded value', async () => {
    expect(ids.encode(0n)).toBe(0n);
    expect(ids.decode(0n)).toBe(0n);
    const u = await user();
    const stored = ids.decode(u.id);
    expect(stored).toBeGreaterThan(0n);
    expect(stored).not.toBe(u.id);
    expect(ids.encode(stored)).toBe(u.id);
    const rows = (await raw()('users').select('id').where('id', stored.toString())) as { id: unknown }[];
    expect(rows.map((r) => String(r.id))).toEqual([stored.toString()]);
    expect((await a.userGet(u.id))?.id).toBe(u.id);
  });

  it('ids: uidKeyProbe agrees with its me topic only under the key the ids were made with', async () => {
    const u = await user();
    await meAndFnd(u.id);
    const probe = await a.uidKeyProbe();
    expect(probe).not.toBeNull();
    expect(userId(probe!.uid)).toBe(probe!.meTopic);
    // The same rows read through an adapter with another uid key.
    const { config } = loadConfig(undefined, { db: db.url });
    const other = await createAdapter(kind, { config: config.store_config.adapters[kind], maxResults: 10, ids: new UidGenerator(3, randomBytes(16)) });
    await other!.open();
    try {
      const wrong = await other!.uidKeyProbe();
      expect(wrong?.meTopic).toMatch(/^usr/);
      expect(userId(wrong!.uid)).not.toBe(wrong!.meTopic);
    } finally {
      await other!.close();
    }
  });

  it('users: userCreate, userGet, userGetAll, userUpdate, hasUsers', async () => {
    const r = rnd();
    const u1 = makeUser(newUid(), NOW, {
      tags: [`alias:a${r}`, `email:a${r}@example.com`],
      trusted: { verified: true },
      public: { fn: 'Alice ü', photo: { ref: 'x' } },
      access: { auth: MODE_CAUTH, anon: MODE_NONE },
    });
    await a.userCreate(u1);
    expect(await a.hasUsers()).toBe(true);
    expect(await a.userGet(u1.id)).toEqual(u1);
    expect(await a.findOne(`email:a${r}@example.com`)).toBe(userId(u1.id));

    const u2 = await user({}, plus(NOW, 1));
    expect(await a.userGet(newUid())).toBeNull();
    expect(by(await a.userGetAll([u1.id, u2.id, newUid(), 0n]), (u) => u.id)).toEqual(by([u1, u2], (u) => u.id));
    expect(await a.userGetAll([])).toEqual([]);

    const upd = {
      updatedAt: plus(NOW, 10),
      public: { fn: 'Alice 2' },
      trusted: null,
      userAgent: 'tinode-test/1.0',
      lastSeen: plus(NOW, 5),
      access: { auth: MODE_CP2P, anon: MODE_NONE },
    };
    await a.userUpdate(u1.id, upd);
    expect(await a.userGet(u1.id)).toEqual({ ...u1, ...upd });
    expect(await a.userGet(u2.id)).toEqual(u2);

    // Tags given to userUpdate are re-indexed.
    await a.userUpdate(u1.id, { tags: [`alias:b${r}`] });
    expect((await a.userGet(u1.id))?.tags).toEqual([`alias:b${r}`]);
    expect(await a.findOne(`alias:b${r}`)).toBe(userId(u1.id));
    expect(await a.findOne(`alias:a${r}`)).toBe('');
  });

  it('users: userUpdate of state carries to owned and p2p topics, not deleted ones', async () => {
    const o = await user();
    const peer = await user();
    const owned = await topic(o.id);
    const gone = await topic(o.id);
    await a.topicDelete(gone.name, false, false);
    const p2p = p2pName(o.id, peer.id);
    await a.topicCreateP2P(makeSub(o.id, p2p, MODE_CP2P, MODE_CP2P, NOW), makeSub(peer.id, p2p, MODE_CP2P, MODE_CP2P, NOW));
    const others = await topic(peer.id);

    const stateAt = plus(NOW, 20);
    await a.userUpdate(o.id, { state: ObjState.SUSPENDED, stateAt });
    expect(await a.userGet(o.id)).toMatchObject({ state: ObjState.SUSPENDED, stateAt });
    expect(await a.topicGet(owned.name)).toMatchObject({ state: ObjState.SUSPENDED, stateAt });
    expect(await a.topicGet(p2p)).toMatchObject({ state: ObjState.SUSPENDED, stateAt });
    expect((await a.topicGet(gone.name))?.state).toBe(ObjState.DELETED);
    expect((await a.topicGet(others.name))?.state).toBe(ObjState.OK);

    await a.userUpdate(o.id, { state: ObjState.OK, stateAt: plus(NOW, 30) });
    expect(await a.userGet(o.id)).toMatchObject({ state: ObjState.OK, stateAt: plus(NOW, 30) });
    expect((await a.topicGet(owned.name))?.state).toBe(ObjState.OK);
    expect((await a.topicGet(p2p))?.state).toBe(ObjState.OK);
    expect((await a.topicGet(gone.name))?.state).toBe(ObjState.DELETED);
  });

  it('users: userUpdateTags adds, removes and resets', async () => {
    const r = rnd();
    const [x, y, z, w, p, q] = ['x', 'y', 'z', 'w', 'p', 'q'].map((s) => `${s}${r}`) as [string, string, string, string, string, string];
    const u = await user({ tags: [x] });
    const sorted = (tags: string[]) => [...tags].sort();

    expect(sorted(await a.userUpdateTags(u.id, [y, z, x], [], null))).toEqual([x, y, z]);
    expect(sorted((await a.userGet(u.id))?.tags ?? [])).toEqual([x, y, z]);
    expect(await a.findOne(z)).toBe(userId(u.id));

    expect(sorted(await a.userUpdateTags(u.id, [], [y, `absent${r}`], null))).toEqual([x, z]);
    expect(sorted(await a.userUpdateTags(u.id, [w], [x], null))).toEqual([w, z]);
    expect(sorted((await a.userGet(u.id))?.tags ?? [])).toEqual([w, z]);
    expect(await a.findOne(x)).toBe('');

    // reset replaces everything; add and remove are ignored.
    expect(sorted(await a.userUpdateTags(u.id, [y], [q], [q, p]))).toEqual([p, q]);
    expect(sorted((await a.userGet(u.id))?.tags ?? [])).toEqual([p, q]);
    expect(await a.findOne(z)).toBe('');
    expect(await a.findOne(q)).toBe(userId(u.id));

    expect(await a.userUpdateTags(u.id, [], [], [])).toEqual([]);
    expect((await a.userGet(u.id))?.tags).toEqual([]);
    expect(await a.findOne(q)).toBe('');
  });

  it('users: userUnreadCount counts topics read with R, live subscriptions and topics only', async () => {
    const reader = await user();
    const idle = await user();
    const stranger = newUid();
    const t1 = await topic(reader.id, { seqId: 10 });
    const t2 = await topic(reader.id, { seqId: 5 });
    const t3 = await topic(reader.id, { seqId: 4 });
    const t4 = await topic(reader.id, { seqId: 9 });
    const t5 = await topic(reader.id, { seqId: 6 });
    await a.topicShare(t1.name, [makeSub(reader.id, t1.name, MODE_CPUBLIC, MODE_CPUBLIC, NOW)]);
    await a.subsUpdate(t1.name, reader.id, { readSeqId: 3 });
    // No R given: not counted.
    await a.topicShare(t2.name, [makeSub(reader.id, t2.name, MODE_CPUBLIC, JW, NOW)]);
    // Deleted subscription: not counted.
    await a.topicShare(t3.name, [makeSub(reader.id, t3.name, MODE_CPUBLIC, MODE_CPUBLIC, NOW)]);
    await a.subsDelete(t3.name, reader.id);
    // Deleted topic: not counted.
    await a.topicShare(t4.name, [makeSub(reader.id, t4.name, MODE_CPUBLIC, MODE_CPUBLIC, NOW)]);
    await a.topicUpdate(t4.name, { state: ObjState.DELETED });
    // Everything read.
    await a.topicShare(t5.name, [makeSub(reader.id, t5.name, MODE_CPUBLIC, MODE_CPUBLIC, NOW)]);
    await a.subsUpdate(t5.name, reader.id, { readSeqId: 6 });

    expect(await a.userUnreadCount([reader.id, idle.id, stranger])).toEqual(
      new Map([
        [reader.id, 7],
        [idle.id, 0],
        [stranger, 0],
      ]),
    );
    expect(await a.userUnreadCount([])).toEqual(new Map());
  });

  it('users: userGetUnvalidated finds never-seen users without validated credentials', async () => {
    // Dated long ago, so users of other tests are not candidates.
    const old = new Date(Date.UTC(2001, 0, 1));
    const cutoff = new Date(Date.UTC(2002, 0, 1));
    const uA = await user({}, old);
    const uB = await user({}, plus(old, 5));
    const uC = await user({}, plus(old, 6));
    const uD = await user({}, plus(old, 10));
    await user({}, new Date(Date.UTC(2003, 0, 1)));
    const r = rnd();
    expect(await a.credUpsert(makeCred(uB.id, 'email', `b${r}@example.com`, old, { done: true }))).toBe(true);
    await a.userUpdate(uC.id, { lastSeen: plus(old, 7) });
    expect(await a.credUpsert(makeCred(uD.id, 'email', `d${r}@example.com`, old))).toBe(true);

    expect(await a.userGetUnvalidated(cutoff, 10)).toEqual([uA.id, uD.id]);
    expect(await a.userGetUnvalidated(cutoff, 1)).toEqual([uA.id]);
    expect(await a.userGetUnvalidated(plus(old, 1), 10)).toEqual([uA.id]);
  });

  it('users: userDelete soft marks the user, its subscriptions, owned and p2p topics deleted', async () => {
    const r = rnd();
    const o = await user();
    const m = await user();
    const peer = await user();
    await meAndFnd(o.id);
    const owned = await topic(o.id);
    await shareOwnerAndMember(owned.name, o.id, m.id);
    const foreign = await topic(m.id);
    await shareOwnerAndMember(foreign.name, m.id, o.id);
    const p2p = p2pName(o.id, peer.id);
    await a.topicCreateP2P(makeSub(o.id, p2p, MODE_CP2P, MODE_CP2P, NOW), makeSub(peer.id, p2p, MODE_CP2P, MODE_CP2P, NOW));
    await a.authAddRecord(o.id, 'basic', `basic:o${r}`, AuthLevel.AUTH, Buffer.from('secret'), null);

    await a.userDelete(o.id, false);

    expect(await a.userGet(o.id)).toBeNull();
    expect((await a.userGetAll([o.id, m.id])).map((u) => u.id)).toEqual([m.id]);
    expect(await a.topicGet(owned.name)).toMatchObject({ state: ObjState.DELETED, stateAt: expect.any(Date) });
    expect(await a.topicGet(p2p)).toMatchObject({ state: ObjState.DELETED, stateAt: expect.any(Date) });
    expect((await a.topicGet(foreign.name))?.state).toBe(ObjState.OK);
    expect(await a.ownTopics(o.id)).toEqual([]);
    const deleted: [string, Uid][] = [
      [userId(o.id), o.id],
      [fndName(o.id), o.id],
      [owned.name, o.id],
      [owned.name, m.id],
      [foreign.name, o.id],
      [p2p, o.id],
      [p2p, peer.id],
    ];
    for (const [t, u] of deleted) {
      expect(await a.subscriptionGet(t, u, false), t).toBeNull();
      expect((await a.subscriptionGet(t, u, true))?.deletedAt, t).toBeInstanceOf(Date);
    }
    expect(await a.subscriptionGet(foreign.name, m.id, false)).not.toBeNull();
    expect((await a.topicGet(foreign.name))?.subCnt).toBe(1);
    // A soft delete keeps the rest of the user's records.
    expect(await a.authGetRecord(o.id, 'basic')).toMatchObject({ uid: o.id, unique: `basic:o${r}` });
  });

  it('users: userDelete hard removes the user, its records and owned topics, keeps its messages elsewhere', async () => {
    const r = rnd();
    const o = await user({ tags: [`hard${r}`] });
    const m = await user();
    const reader = await user();
    await a.topicShare('', [makeSub(o.id, userId(o.id), MODE_CME_FND, MODE_CME_FND, NOW)]);
    const owned = await topic(o.id, { useBt: true, tags: [`owned${r}`] });
    await shareOwnerAndMember(owned.name, o.id, m.id);
    const chn = grpToChn(owned.name);
    await a.topicShare(chn, [makeSub(reader.id, chn, MODE_CCHN_READER, MODE_CCHN_READER, NOW)]);
    await post(owned.name, 2, [o.id, m.id]);
    // An owned topic deleted earlier goes too.
    const old = await topic(o.id);
    await a.topicDelete(old.name, false, false);
    const foreign = await topic(m.id);
    await shareOwnerAndMember(foreign.name, m.id, o.id);
    const [fromO] = await post(foreign.name, 2, [o.id, m.id]);
    await a.messageDeleteList(foreign.name, { topic: foreign.name, deletedFor: o.id, delId: 1, ranges: [{ low: 2, hi: 0 }] });
    await a.authAddRecord(o.id, 'basic', `basic:h${r}`, AuthLevel.AUTH, Buffer.from('secret'), null);
    await a.credUpsert(makeCred(o.id, 'email', `h${r}@example.com`, NOW, { done: true }));
    await a.deviceUpsert(o.id, { deviceId: `dev-h${r}`, platform: 'android', lastSeen: NOW, lang: 'en' });

    await a.userDelete(o.id, true);

    expect(await a.userGet(o.id)).toBeNull();
    expect(await raw()('users').where('id', ids.decode(o.id).toString())).toEqual([]);
    expect(await a.authGetRecord(o.id, 'basic')).toBeNull();
    expect(await a.authGetUniqueRecord(`basic:h${r}`)).toBeNull();
    expect(await a.credGetAll(o.id, '', false)).toEqual([]);
    expect(await a.userGetByCred('email', `h${r}@example.com`)).toBe(0n);
    expect((await a.deviceGetAll([o.id])).count).toBe(0);
    expect(await a.findOne(`hard${r}`)).toBe('');
    expect(await a.findOne(`owned${r}`)).toBe('');
    expect(await a.topicGet(owned.name)).toBeNull();
    expect(await a.topicGet(old.name)).toBeNull();
    expect(await a.subscriptionGet(owned.name, m.id, true)).toBeNull();
    expect(await a.subscriptionGet(chn, reader.id, true)).toBeNull();
    expect(await a.subscriptionGet(foreign.name, o.id, true)).toBeNull();
    expect(await a.subscriptionGet(userId(o.id), o.id, true)).toBeNull();
    expect(await a.channelsForUser(reader.id)).toEqual([]);
    // Messages elsewhere stay, attributed to the deleted user; its soft-deletion log is gone.
    const left = await a.messageGetAll(foreign.name, m.id);
    expect(seqs(left)).toEqual([2, 1]);
    expect(left[1]).toEqual(fromO);
    expect(await a.messageGetDeleted(foreign.name, o.id)).toEqual([]);
    expect((await a.topicGet(foreign.name))?.subCnt).toBe(1);
  });

  it('credentials: credUpsert, credGetActive, credGetAll, credFail, credConfirm, userGetByCred', async () => {
    const r = rnd();
    const [u, u2, u3, u4] = [await user(), await user(), await user(), await user()];
    const addrA = `a${r}@example.com`;
    const addrB = `b${r}@example.com`;

    const a1 = makeCred(u.id, 'email', addrA, NOW);
    expect(await a.credUpsert(a1)).toBe(true);
    expect(await a.credGetActive(u.id, 'email')).toEqual(a1);
    expect(await a.credGetActive(u.id, 'tel')).toBeNull();
    expect(await a.credGetAll(u.id, '', false)).toEqual([a1]);
    expect(await a.credGetAll(u.id, 'email', true)).toEqual([]);
    expect(await a.userGetByCred('email', addrA)).toBe(0n);

    // The same value again updates the record: not an insert.
    expect(await a.credUpsert(makeCred(u.id, 'email', addrA, plus(NOW, 1), { resp: '654321' }))).toBe(false);
    expect(await a.credGetActive(u.id, 'email')).toEqual({ ...a1, updatedAt: plus(NOW, 1), resp: '654321' });

    // Another value of the method replaces the active one; the first comes back when re-added.
    const b1 = makeCred(u.id, 'email', addrB, plus(NOW, 2));
    expect(await a.credUpsert(b1)).toBe(true);
    expect(await a.credGetActive(u.id, 'email')).toEqual(b1);
    expect(await a.credGetAll(u.id, 'email', false)).toEqual([b1]);
    expect(await a.credUpsert(makeCred(u.id, 'email', addrA, plus(NOW, 3)))).toBe(false);
    expect(await a.credGetActive(u.id, 'email')).toMatchObject({ value: addrA, resp: '123456', updatedAt: plus(NOW, 3), createdAt: NOW });
    expect(await a.credGetAll(u.id, 'email', false)).toHaveLength(1);

    await a.credFail(u.id, 'email');
    await a.credFail(u.id, 'email');
    expect(await a.credGetActive(u.id, 'email')).toMatchObject({ value: addrA, retries: 2, done: false });

    await a.credConfirm(u.id, 'email');
    expect(await a.credGetActive(u.id, 'email')).toBeNull();
    expect(await a.credGetAll(u.id, 'email', true)).toEqual([
      expect.objectContaining({ user: u.id, method: 'email', value: addrA, done: true, retries: 2 }),
    ]);
    expect(await a.userGetByCred('email', addrA)).toBe(u.id);
    expect(await outcome(a.credConfirm(u.id, 'email'))).toBe('not-found');

    // A validated value is taken for everyone else, validated or not.
    expect(await outcome(a.credUpsert(makeCred(u2.id, 'email', addrA, NOW)))).toBe('duplicate');
    expect(await outcome(a.credUpsert(makeCred(u2.id, 'email', addrA, NOW, { done: true })))).toBe('duplicate');
    expect(await a.credGetAll(u2.id, '', false)).toEqual([]);

    // A validated credential inserted directly.
    const tel = makeCred(u2.id, 'tel', `+1555${r.slice(0, 4)}`, NOW, { done: true });
    expect(await a.credUpsert(tel)).toBe(true);
    expect(await a.userGetByCred('tel', tel.value)).toBe(u2.id);
    expect(await a.credGetAll(u2.id, 'tel', true)).toEqual([tel]);

    // Unvalidated values may be shared until one user validates.
    const addrC = `c${r}@example.com`;
    expect(await a.credUpsert(makeCred(u2.id, 'email', addrC, NOW))).toBe(true);
    expect(await a.credUpsert(makeCred(u3.id, 'email', addrC, NOW))).toBe(true);
    await a.credConfirm(u2.id, 'email');
    expect(await a.userGetByCred('email', addrC)).toBe(u2.id);
    expect(await outcome(a.credConfirm(u3.id, 'email'))).toBe('duplicate');
    expect(by(await a.credGetAll(u2.id, '', false), (c) => c.method).map((c) => [c.method, c.done])).toEqual([
      ['email', true],
      ['tel', true],
    ]);

    // A validated record replaces the user's unvalidated one of the same value.
    const addrD = `d${r}@example.com`;
    expect(await a.credUpsert(makeCred(u4.id, 'email', addrD, NOW))).toBe(true);
    expect(await a.credUpsert(makeCred(u4.id, 'email', addrD, plus(NOW, 1), { done: true }))).toBe(true);
    expect(await a.credGetAll(u4.id, 'email', false)).toEqual([makeCred(u4.id, 'email', addrD, plus(NOW, 1), { done: true })]);
    expect(await a.credGetActive(u4.id, 'email')).toBeNull();
  });

  it('credentials: credDel hard, soft (keeps retries) and all', async () => {
    const r = rnd();
    const u = await user();
    const addrA = `a${r}@example.com`;
    const addrE = `e${r}@example.com`;
    const addrF = `f${r}@example.com`;

    // Validated: removed for good.
    await a.credUpsert(makeCred(u.id, 'email', addrA, NOW, { done: true }));
    await a.credDel(u.id, 'email', addrA);
    expect(await a.credGetAll(u.id, 'email', false)).toEqual([]);
    expect(await a.userGetByCred('email', addrA)).toBe(0n);

    // Never tried: removed for good, adding it again inserts.
    await a.credUpsert(makeCred(u.id, 'email', addrE, NOW));
    await a.credDel(u.id, 'email', addrE);
    expect(await a.credGetActive(u.id, 'email')).toBeNull();
    expect(await a.credUpsert(makeCred(u.id, 'email', addrE, NOW))).toBe(true);
    await a.credDel(u.id, 'email', addrE);

    // Tried: soft-deleted, so adding it again revives it with its retries.
    await a.credUpsert(makeCred(u.id, 'email', addrF, NOW));
    await a.credFail(u.id, 'email');
    await a.credDel(u.id, 'email', addrF);
    expect(await a.credGetActive(u.id, 'email')).toBeNull();
    expect(await a.credGetAll(u.id, '', false)).toEqual([]);
    expect(await a.credUpsert(makeCred(u.id, 'email', addrF, plus(NOW, 1)))).toBe(false);
    expect(await a.credGetActive(u.id, 'email')).toMatchObject({ value: addrF, retries: 1 });

    expect(await outcome(a.credDel(u.id, 'email', `nobody${r}@example.com`))).toBe('not-found');
    expect(await outcome(a.credDel(u.id, 'tel', ''))).toBe('not-found');

    // All of the user's credentials.
    await a.credUpsert(makeCred(u.id, 'tel', `+1666${r.slice(0, 4)}`, NOW, { done: true }));
    await a.credDel(u.id, '', '');
    expect(await a.credGetAll(u.id, '', false)).toEqual([]);
    expect(await outcome(a.credDel(u.id, '', ''))).toBe('not-found');
  });

  it('auth: authAddRecord, authGetUniqueRecord, authGetRecord, authUpdRecord, authDelScheme, authDelAllRecords', async () => {
    const r = rnd();
    const u = await user();
    const other = await user();
    const basic = `basic:u${r}`;
    const expires = plus(NOW, 3600);

    await a.authAddRecord(u.id, 'basic', basic, AuthLevel.AUTH, Buffer.from('$2a$10$hash'), null);
    await a.authAddRecord(u.id, 'token', `token:u${r}`, AuthLevel.AUTH, Buffer.from('tok'), expires);
    const rec = { uid: u.id, unique: basic, authLevel: AuthLevel.AUTH, secret: Buffer.from('$2a$10$hash'), expires: null };
    expect(await a.authGetUniqueRecord(basic)).toEqual(rec);
    expect(await a.authGetRecord(u.id, 'basic')).toEqual(rec);
    const token = { uid: u.id, unique: `token:u${r}`, authLevel: AuthLevel.AUTH, secret: Buffer.from('tok'), expires };
    expect(await a.authGetRecord(u.id, 'token')).toEqual(token);
    expect(await a.authGetUniqueRecord(`basic:nobody${r}`)).toBeNull();
    expect(await a.authGetRecord(u.id, 'rest')).toBeNull();
    expect(await a.authGetRecord(other.id, 'basic')).toBeNull();

    // The unique value and the user's scheme are both taken.
    expect(await outcome(a.authAddRecord(other.id, 'basic', basic, AuthLevel.AUTH, Buffer.from('x'), null))).toBe('duplicate');
    expect(await outcome(a.authAddRecord(u.id, 'basic', `basic:v${r}`, AuthLevel.AUTH, Buffer.from('x'), null))).toBe('duplicate');
    await a.authAddRecord(other.id, 'basic', `basic:o${r}`, AuthLevel.AUTH, Buffer.from('x'), null);

    // Level only: the rest stays.
    await a.authUpdRecord(u.id, 'basic', '', AuthLevel.ROOT, null, null);
    expect(await a.authGetRecord(u.id, 'basic')).toEqual({ ...rec, authLevel: AuthLevel.ROOT });
    await a.authUpdRecord(u.id, 'basic', '', AuthLevel.ROOT, Buffer.alloc(0), null);
    expect(await a.authGetRecord(u.id, 'basic')).toEqual({ ...rec, authLevel: AuthLevel.ROOT });
    // Everything.
    const renamed = `basic:w${r}`;
    await a.authUpdRecord(u.id, 'basic', renamed, AuthLevel.AUTH, Buffer.from('new'), expires);
    expect(await a.authGetUniqueRecord(renamed)).toEqual({ ...token, unique: renamed, secret: Buffer.from('new') });
    expect(await a.authGetUniqueRecord(basic)).toBeNull();
    expect(await outcome(a.authUpdRecord(u.id, 'basic', `basic:o${r}`, AuthLevel.AUTH, null, null))).toBe('duplicate');
    expect(await outcome(a.authUpdRecord(u.id, 'rest', '', AuthLevel.AUTH, null, null))).toBe('not-found');

    await a.authDelScheme(u.id, 'token');
    expect(await a.authGetRecord(u.id, 'token')).toBeNull();
    expect(await a.authGetRecord(u.id, 'basic')).not.toBeNull();
    await a.authAddRecord(u.id, 'token', `token:u${r}`, AuthLevel.AUTH, Buffer.from('tok'), null);
    expect(await a.authDelAllRecords(u.id)).toBe(2);
    expect(await a.authGetRecord(u.id, 'basic')).toBeNull();
    expect(await a.authDelAllRecords(u.id)).toBe(0);
    expect(await a.authGetRecord(other.id, 'basic')).not.toBeNull();
  });

  it('topics: topicCreate, topicGet, topicUpdate, topicUpdateOnMessage, topicOwnerChange, ownTopics', async () => {
    const r = rnd();
    const o = await user();
    const n = await user();
    const t = makeTopic(grpName(newUid()), o.id, NOW, {
      tags: [`tt${r}`, `tx${r}`],
      trusted: { verified: true },
      aux: { pins: [1, 2] },
      useBt: true,
      public: { fn: 'Topic ü', note: 'x' },
    });
    await a.topicCreate(t);
    expect(await a.topicGet(t.name)).toEqual(t);
    expect(await a.topicGet(grpName(newUid()))).toBeNull();
    expect(await a.findOne(`tt${r}`)).toBe(t.name);
    expect(await a.ownTopics(o.id)).toEqual([t.name]);

    const upd: TopicUpdate = {
      updatedAt: plus(NOW, 10),
      public: { fn: 'Renamed' },
      trusted: null,
      access: { auth: MODE_CREADONLY, anon: MODE_NONE },
      tags: [`tu${r}`],
      aux: { pins: [3] },
      useBt: false,
      delId: 3,
    };
    await a.topicUpdate(t.name, upd);
    // Without touchedAt, updatedAt sets it too.
    expect(await a.topicGet(t.name)).toEqual({ ...t, ...upd, touchedAt: plus(NOW, 10) });
    expect(await a.findOne(`tu${r}`)).toBe(t.name);
    expect(await a.findOne(`tt${r}`)).toBe('');
    await a.topicUpdate(t.name, { updatedAt: plus(NOW, 20), touchedAt: plus(NOW, 15), state: ObjState.SUSPENDED, stateAt: plus(NOW, 20) });
    expect(await a.topicGet(t.name)).toMatchObject({
      updatedAt: plus(NOW, 20),
      touchedAt: plus(NOW, 15),
      state: ObjState.SUSPENDED,
      stateAt: plus(NOW, 20),
    });
    await a.topicUpdate(t.name, { state: ObjState.OK, stateAt: null, aux: null });
    expect(await a.topicGet(t.name)).toMatchObject({
      state: ObjState.OK,
      stateAt: null,
      aux: null,
      updatedAt: plus(NOW, 20),
      touchedAt: plus(NOW, 15),
    });

    await a.topicUpdateOnMessage(t.name, 42, plus(NOW, 30));
    expect(await a.topicGet(t.name)).toMatchObject({ seqId: 42, touchedAt: plus(NOW, 30), updatedAt: plus(NOW, 20) });

    await a.topicOwnerChange(t.name, n.id);
    expect((await a.topicGet(t.name))?.owner).toBe(n.id);
    expect(await a.ownTopics(o.id)).toEqual([]);
    expect(await a.ownTopics(n.id)).toEqual([t.name]);
  });

  it('topics: topicShare, topicUpdateSubCnt, channelsForUser', async () => {
    const [o, m, rd, rd2] = [await user(), await user(), await user(), await user()];
    const t = await topic(0n, { useBt: true });
    const oSub = makeSub(o.id, t.name, MODE_CFULL, MODE_CFULL, NOW, { private: { mine: 1 } });
    const mSub = makeSub(m.id, t.name, MODE_CPUBLIC, MODE_CPUBLIC, NOW);
    await a.topicShare(t.name, [oSub, mSub]);
    const stored = async () => (await a.topicsForUser(o.id, false, { topic: t.name }))[0]?.extra?.subCnt;
    // An owner subscription makes its user the owner.
    expect(await a.topicGet(t.name)).toMatchObject({ owner: o.id, subCnt: 2 });
    expect(await a.subscriptionGet(t.name, o.id, false)).toEqual(oSub);
    expect(await a.subscriptionGet(t.name, m.id, false)).toEqual(mSub);

    // Channel readers count as subscribers of the group.
    const chn = grpToChn(t.name);
    await a.topicShare(chn, [
      makeSub(rd.id, chn, MODE_CCHN_READER, MODE_CCHN_READER, NOW),
      makeSub(rd2.id, chn, MODE_CREADONLY, MODE_CCHN_READER, NOW),
    ]);
    expect((await a.topicGet(t.name))?.subCnt).toBe(4);
    expect(await a.channelsForUser(rd.id)).toEqual([chn]);
    expect(await a.channelsForUser(rd2.id)).toEqual([]);
    expect(await a.channelsForUser(o.id)).toEqual([]);

    // Sharing again revives a deleted subscription: new modes and times, counters reset, private kept.
    await a.subsUpdate(t.name, m.id, { readSeqId: 5, recvSeqId: 6, delId: 2, private: { keep: true } });
    await a.subsDelete(t.name, m.id);
    expect((await a.topicGet(t.name))?.subCnt).toBe(3);
    await a.topicShare(t.name, [makeSub(m.id, t.name, JRWP, JRWP, plus(NOW, 5), { private: { replaced: true } })]);
    expect(await a.subscriptionGet(t.name, m.id, false)).toEqual(makeSub(m.id, t.name, JRWP, JRWP, plus(NOW, 5), { private: { keep: true } }));
    expect((await a.topicGet(t.name))?.subCnt).toBe(4);
    // Sharing a live subscription again resets it but does not count it twice.
    await a.topicShare(t.name, [makeSub(m.id, t.name, JRWP, JRWP, plus(NOW, 6))]);
    expect(await stored()).toBe(4);

    // me/fnd records do not count anywhere.
    await a.topicShare('', [makeSub(o.id, userId(o.id), MODE_CME_FND, MODE_CME_FND, NOW)]);
    expect(await a.subscriptionGet(userId(o.id), o.id, false)).toEqual(makeSub(o.id, userId(o.id), MODE_CME_FND, MODE_CME_FND, NOW));

    // topicUpdateSubCnt repairs a drifted count (topicsForUser shows the stored one).
    await raw()('topics').where('name', t.name).update({ subcnt: 99 });
    expect(await stored()).toBe(99);
    await a.topicUpdateSubCnt(t.name);
    expect(await stored()).toBe(4);
  });

  it('topics: topicCreateP2P creates the topic, resets the initiator, revives the invited keeping private', async () => {
    const x = await user();
    const y = await user();
    const p2p = p2pName(x.id, y.id);
    await a.topicShare('', [
      makeSub(x.id, p2p, JRWP, JRWP, plus(NOW, -100), { private: { old: 'x' } }),
      makeSub(y.id, p2p, JRWP, JRWP, plus(NOW, -100), { private: { old: 'y' } }),
    ]);
    await a.subsUpdate(p2p, x.id, { deletedAt: plus(NOW, -50), readSeqId: 4 });
    await a.subsUpdate(p2p, y.id, { deletedAt: plus(NOW, -50), readSeqId: 4 });

    const ini = makeSub(x.id, p2p, MODE_CP2P, MODE_CP2P, NOW, { private: { new: 'x' } });
    const inv = makeSub(y.id, p2p, MODE_CP2P, MODE_CP2P, NOW, { private: { new: 'y' } });
    await a.topicCreateP2P(ini, inv);
    expect(await a.topicGet(p2p)).toMatchObject({
      name: p2p,
      owner: 0n,
      state: ObjState.OK,
      seqId: 0,
      delId: 0,
      createdAt: NOW,
      updatedAt: NOW,
      useBt: false,
    });
    expect(await a.subscriptionGet(p2p, x.id, false)).toEqual(ini);
    expect(await a.subscriptionGet(p2p, y.id, false)).toEqual({ ...inv, private: { old: 'y' } });
    expect(await outcome(a.topicCreateP2P(ini, inv))).not.toBe('resolved');
  });

  it('topics: topicsForUser with keepDeleted, topic, ifModifiedSince and limit', async () => {
    const T = plus(NOW, -1000);
    const o = await user({}, T);
    const m = await user({}, T);
    const peer = await user({ public: { fn: 'Peer' }, trusted: { verified: true }, access: { auth: MODE_CP2P, anon: MODE_NONE } }, plus(NOW, -900));
    await a.userUpdate(peer.id, { lastSeen: plus(NOW, -800), userAgent: 'peer-agent' });
    await meAndFnd(o.id, T);
    const g = await topic(o.id, { public: { fn: 'G' } }, T);
    await a.topicShare(g.name, [
      makeSub(o.id, g.name, MODE_CFULL, MODE_CFULL, T, { private: { p: 1 } }),
      makeSub(m.id, g.name, MODE_CPUBLIC, MODE_CPUBLIC, T),
    ]);
    const p2p = p2pName(o.id, peer.id);
    await a.topicCreateP2P(makeSub(o.id, p2p, MODE_CP2P, MODE_CP2P, T), makeSub(peer.id, p2p, MODE_CP2P, MODE_CP2P, T));
    const g2 = await topic(m.id, {}, T);
    await a.topicShare(g2.name, [makeSub(m.id, g2.name, MODE_CFULL, MODE_CFULL, T), makeSub(o.id, g2.name, MODE_CPUBLIC, MODE_CPUBLIC, T)]);
    await a.topicDelete(g2.name, false, false);

    const gSub: Subscription = {
      ...makeSub(o.id, g.name, MODE_CFULL, MODE_CFULL, T, { private: { p: 1 } }),
      extra: { state: ObjState.OK, touchedAt: T, seqId: 0, subCnt: 2, public: { fn: 'G' }, trusted: null },
    };
    const pSub: Subscription = {
      ...makeSub(o.id, p2p, MODE_CP2P, MODE_CP2P, T),
      // The later of the subscription's and the peer's update.
      updatedAt: plus(NOW, -900),
      extra: {
        with: userId(peer.id),
        state: ObjState.OK,
        touchedAt: T,
        seqId: 0,
        public: { fn: 'Peer' },
        trusted: { verified: true },
        defaultAccess: { auth: MODE_CP2P, anon: MODE_NONE },
        lastSeen: { when: plus(NOW, -800), userAgent: 'peer-agent' },
      },
    };
    expect(by(await a.topicsForUser(o.id, false), (s) => s.topic)).toEqual(by([gSub, pSub], (s) => s.topic));
    const withDeleted = await a.topicsForUser(o.id, true);
    expect(withDeleted.map((s) => s.topic).sort()).toEqual([g.name, g2.name, p2p].sort());
    expect(withDeleted.find((s) => s.topic === g2.name)).toMatchObject({ deletedAt: expect.any(Date), extra: { state: ObjState.DELETED } });
    expect(await a.topicsForUser(o.id, false, { topic: g.name })).toEqual([gSub]);
    expect(await a.topicsForUser(peer.id, false, { topic: g.name })).toEqual([]);

    // ifModifiedSince: only what changed after it (a new message touches the topic).
    await a.topicUpdateOnMessage(g.name, 3, plus(NOW, -100));
    const changed = await a.topicsForUser(o.id, false, { ifModifiedSince: plus(NOW, -500) });
    expect(changed).toEqual([{ ...gSub, extra: { ...gSub.extra, seqId: 3, touchedAt: plus(NOW, -100) } }]);
    expect(await a.topicsForUser(o.id, false, { ifModifiedSince: plus(NOW, -50) })).toEqual([]);
    // Strictly after: the p2p subscription last changed at NOW-900.
    expect((await a.topicsForUser(o.id, false, { ifModifiedSince: plus(NOW, -900) })).map((s) => s.topic)).toEqual([g.name]);
    expect((await a.topicsForUser(o.id, false, { ifModifiedSince: plus(NOW, -901) })).map((s) => s.topic)).toEqual([p2p, g.name]);
    // With a limit, the least recently changed first.
    const oldest = await a.topicsForUser(o.id, false, { ifModifiedSince: plus(NOW, -5000), limit: 1 });
    expect(oldest.map((s) => s.topic)).toEqual([p2p]);
    // Without ifModifiedSince, the limit caps the subscriptions.
    const one = await a.topicsForUser(m.id, true, { limit: 1 });
    expect(one).toHaveLength(1);
    expect([g.name, g2.name]).toContain(one[0]?.topic);
    expect(await a.topicsForUser(newUid(), false)).toEqual([]);
  });

  it('topics: usersForTopic for groups and p2p, with keepDeleted, user and limit', async () => {
    const o = await user({ public: { fn: 'O' } });
    await a.userUpdate(o.id, { lastSeen: plus(NOW, -10), userAgent: 'o-agent' });
    const m = await user({ public: { fn: 'M' }, trusted: { staff: true } });
    const z = await user({ public: { fn: 'Z' } });
    const rd = await user();
    const g = await topic(o.id, { useBt: true });
    const oSub = makeSub(o.id, g.name, MODE_CFULL, MODE_CFULL, NOW);
    const mSub = makeSub(m.id, g.name, MODE_CPUBLIC, MODE_CPUBLIC, NOW, { private: { m: 1 } });
    await a.topicShare(g.name, [oSub, mSub, makeSub(z.id, g.name, MODE_CPUBLIC, MODE_CPUBLIC, NOW)]);
    await a.topicShare(grpToChn(g.name), [makeSub(rd.id, grpToChn(g.name), MODE_CCHN_READER, MODE_CCHN_READER, NOW)]);
    await a.userDelete(z.id, false);

    const oView = { ...oSub, extra: { public: { fn: 'O' }, trusted: null, lastSeen: { when: plus(NOW, -10), userAgent: 'o-agent' } } };
    const mView = { ...mSub, extra: { public: { fn: 'M' }, trusted: { staff: true }, lastSeen: null } };
    expect(by(await a.usersForTopic(g.name, false), (s) => s.user)).toEqual(by([oView, mView], (s) => s.user));
    expect(await a.usersForTopic(g.name, false, { user: m.id })).toEqual([mView]);
    expect(await a.usersForTopic(g.name, false, { limit: 1 })).toHaveLength(1);
    const all = await a.usersForTopic(g.name, true);
    expect(all.map((s) => s.user).sort()).toEqual([o.id, m.id, z.id].sort());
    expect(all.find((s) => s.user === z.id)?.deletedAt).toBeInstanceOf(Date);

    // p2p: each subscription shows the other user.
    const p2p = p2pName(o.id, m.id);
    const po = makeSub(o.id, p2p, MODE_CP2P, MODE_CP2P, NOW, { private: { o: 1 } });
    const pm = makeSub(m.id, p2p, MODE_CP2P, MODE_CP2P, NOW);
    await a.topicCreateP2P(po, pm);
    const poView = { ...po, extra: mView.extra };
    const pmView = { ...pm, extra: oView.extra };
    expect(by(await a.usersForTopic(p2p, false), (s) => s.user)).toEqual(by([poView, pmView], (s) => s.user));
    expect(await a.usersForTopic(p2p, false, { user: o.id })).toEqual([poView]);
    // A deleted peer subscription still lends its user's values but is not listed.
    await a.subsDelete(p2p, m.id);
    expect(await a.usersForTopic(p2p, false)).toEqual([poView]);
    expect(await a.usersForTopic(grpName(newUid()), false)).toEqual([]);
  });

  it('topics: topicDelete soft and hard (with channel readers)', async () => {
    const r = rnd();
    const [o, m, rd] = [await user(), await user(), await user()];
    const t = await topic(o.id, { tags: [`soft${r}`] });
    await shareOwnerAndMember(t.name, o.id, m.id);
    await post(t.name, 3, [o.id]);

    await a.topicDelete(t.name, false, false);
    expect(await a.topicGet(t.name)).toMatchObject({ name: t.name, state: ObjState.DELETED, stateAt: expect.any(Date), subCnt: 0 });
    expect(await a.subscriptionGet(t.name, m.id, false)).toBeNull();
    expect((await a.subscriptionGet(t.name, m.id, true))?.deletedAt).toBeInstanceOf(Date);
    expect(await a.ownTopics(o.id)).toEqual([]);
    expect(seqs(await a.messageGetAll(t.name, o.id))).toEqual([3, 2, 1]);

    const h = await topic(o.id, { useBt: true, tags: [`hard${r}`] });
    const chn = grpToChn(h.name);
    await shareOwnerAndMember(h.name, o.id, m.id);
    await a.topicShare(chn, [makeSub(rd.id, chn, MODE_CCHN_READER, MODE_CCHN_READER, NOW)]);
    await post(h.name, 3, [o.id, m.id]);
    await a.messageDeleteList(h.name, { topic: h.name, deletedFor: m.id, delId: 1, ranges: [{ low: 1, hi: 0 }] });
    await a.messageDeleteList(h.name, { topic: h.name, deletedFor: 0n, delId: 2, ranges: [{ low: 2, hi: 0 }] });

    await a.topicDelete(h.name, true, true);
    expect(await a.topicGet(h.name)).toBeNull();
    expect(await a.subscriptionGet(h.name, m.id, true)).toBeNull();
    expect(await a.subscriptionGet(chn, rd.id, true)).toBeNull();
    expect(await a.channelsForUser(rd.id)).toEqual([]);
    expect(await a.messageGetAll(h.name, o.id)).toEqual([]);
    expect(await a.messageGetDeleted(h.name, m.id)).toEqual([]);
    expect(await a.findOne(`hard${r}`)).toBe('');
    expect(await raw()('messages').where('topic', h.name)).toEqual([]);
    // Soft-deleted topics can be hard-deleted later.
    await a.topicDelete(t.name, false, true);
    expect(await a.topicGet(t.name)).toBeNull();
    expect(await a.findOne(`soft${r}`)).toBe('');
  });

  it('subscriptions: subscriptionGet, subsForUser, subsForTopic, subsUpdate, subsDelete', async () => {
    const [o, m, x] = [await user(), await user(), await user()];
    const t = await topic(o.id);
    const oSub = makeSub(o.id, t.name, MODE_CFULL, MODE_CFULL, NOW, { private: { o: 1 } });
    const mSub = makeSub(m.id, t.name, MODE_CPUBLIC, MODE_CPUBLIC, NOW, { private: { m: 1 } });
    const xSub = makeSub(x.id, t.name, MODE_CPUBLIC, MODE_CREADONLY, NOW);
    await a.topicShare(t.name, [oSub, mSub, xSub]);
    const meSub = makeSub(m.id, userId(m.id), MODE_CME_FND, MODE_CME_FND, NOW, { private: { me: true } });
    const fndSub = makeSub(m.id, fndName(m.id), MODE_CME_FND, MODE_CME_FND, NOW);
    await a.topicShare('', [meSub, fndSub]);

    expect(await a.subscriptionGet(t.name, m.id, false)).toEqual(mSub);
    expect(await a.subscriptionGet(t.name, newUid(), true)).toBeNull();
    // subsForUser leaves private values out but for the user's own `usr` subscription.
    expect(by(await a.subsForUser(m.id), (s) => s.topic)).toEqual(
      by([meSub, fndSub, mSub], (s) => s.topic).map((s) => (s.topic === userId(m.id) ? s : { ...s, private: null })),
    );
    expect(by(await a.subsForTopic(t.name, false), (s) => s.user)).toEqual(by([oSub, mSub, xSub], (s) => s.user));
    expect(await a.subsForTopic(t.name, false, { user: m.id })).toEqual([mSub]);
    expect(await a.subsForTopic(t.name, false, { limit: 2 })).toHaveLength(2);

    const upd = { readSeqId: 4, recvSeqId: 5, modeWant: JRWP, private: { m: 2 }, updatedAt: plus(NOW, 10) };
    await a.subsUpdate(t.name, m.id, upd);
    const mNow = { ...mSub, ...upd };
    expect(await a.subscriptionGet(t.name, m.id, false)).toEqual(mNow);
    expect(await a.subscriptionGet(t.name, o.id, false)).toEqual(oSub);
    // Zero user: every subscription of the topic.
    await a.subsUpdate(t.name, 0n, { delId: 7 });
    expect((await a.subsForTopic(t.name, false)).map((s) => s.delId)).toEqual([7, 7, 7]);

    // subsDelete forgets the user's soft-deleted messages there.
    await post(t.name, 3, [o.id]);
    await a.messageDeleteList(t.name, { topic: t.name, deletedFor: m.id, delId: 8, ranges: [{ low: 1, hi: 0 }] });
    await a.messageDeleteList(t.name, { topic: t.name, deletedFor: o.id, delId: 9, ranges: [{ low: 2, hi: 0 }] });
    expect(seqs(await a.messageGetAll(t.name, m.id))).toEqual([3, 2]);
    await a.subsDelete(t.name, m.id);
    expect(await a.subscriptionGet(t.name, m.id, false)).toBeNull();
    const gone = await a.subscriptionGet(t.name, m.id, true);
    expect(gone).toEqual({ ...mNow, delId: 7, deletedAt: expect.any(Date), updatedAt: expect.any(Date) });
    expect(gone?.deletedAt).toEqual(gone?.updatedAt);
    expect((await a.subsForTopic(t.name, false)).map((s) => s.user).sort()).toEqual([o.id, x.id].sort());
    expect(await a.subsForTopic(t.name, true)).toHaveLength(3);
    expect((await a.subsForUser(m.id)).map((s) => s.topic).sort()).toEqual([userId(m.id), fndName(m.id)].sort());
    expect((await a.topicGet(t.name))?.subCnt).toBe(2);
    expect(await a.messageGetDeleted(t.name, m.id)).toEqual([]);
    expect(seqs(await a.messageGetAll(t.name, m.id))).toEqual([3, 2, 1]);
    expect(await a.messageGetDeleted(t.name, o.id)).toEqual([{ topic: t.name, deletedFor: o.id, delId: 9, ranges: [{ low: 2, hi: 0 }] }]);
    expect(await outcome(a.subsDelete(t.name, m.id))).toBe('not-found');
    expect(await outcome(a.subsDelete(t.name, newUid()))).toBe('not-found');
  });

  it('search: find with required and optional tags, prefix rank, activeOnly, caller; findOne', async () => {
    const r = rnd();
    const [ta, tb, tc, tp, only] = [`${r}a`, `${r}b`, `${r}c`, `alias:${r}`, `${r}only`];
    const uA = await user({ tags: [ta, tb], public: { fn: 'A' } });
    const uB = await user({ tags: [ta, tc, tp] });
    const uC = await user({ tags: [ta, tb, tc] });
    await a.userUpdate(uC.id, { state: ObjState.SUSPENDED });
    const owner = await user();
    const g = await topic(owner.id, { tags: [ta, tb], useBt: true, public: { fn: 'G' } });
    await a.topicShare(g.name, [makeSub(owner.id, g.name, MODE_CFULL, MODE_CFULL, NOW)]);
    const h = await topic(owner.id, { tags: [tc, only] });
    await a.topicUpdate(h.name, { state: ObjState.SUSPENDED });
    const topics = (subs: Subscription[]) => subs.map((s) => s.topic).sort();
    const usr = (u: User) => userId(u.id);

    expect(topics(await a.find('', '', [[ta]], [], false))).toEqual([usr(uA), usr(uB), usr(uC), grpToChn(g.name)].sort());
    expect(topics(await a.find('', '', [[ta], [tb, tc]], [], false))).toEqual([usr(uA), usr(uB), usr(uC), grpToChn(g.name)].sort());
    expect(topics(await a.find('', '', [[ta], [tb]], [], false))).toEqual([usr(uA), usr(uC), grpToChn(g.name)].sort());
    expect(topics(await a.find('', '', [], [tc], false))).toEqual([usr(uB), usr(uC), h.name].sort());
    expect(await a.find('', '', [[`${r}none`]], [], false)).toEqual([]);
    expect(await a.find('', '', [], [], false)).toEqual([]);

    // Rank: most matched tags first, then subscriber count.
    const ranked = await a.find('', '', [[ta]], [tb, tc], false);
    expect(ranked.slice(0, 2).map((s) => s.topic)).toEqual([usr(uC), grpToChn(g.name)]);
    expect(topics(ranked.slice(2))).toEqual([usr(uA), usr(uB)].sort());
    // A tag with the promoted prefix outranks the others.
    expect((await a.find('', 'alias:', [[ta]], [tb, tc, tp], false))[0]?.topic).toBe(usr(uB));

    // activeOnly leaves suspended users out; the caller is never found.
    expect(topics(await a.find('', '', [[ta]], [], true))).toEqual([usr(uA), usr(uB), grpToChn(g.name)].sort());
    expect(topics(await a.find('', '', [], [tc], true))).toEqual([usr(uB)]);
    expect(topics(await a.find(usr(uA), '', [[ta]], [], false))).toEqual([usr(uB), usr(uC), grpToChn(g.name)].sort());

    // Result records.
    const res = await a.find('', '', [[ta]], [tc], false);
    expect(res.find((s) => s.topic === usr(uA))).toMatchObject({
      user: 0n,
      modeWant: MODE_UNSET,
      modeGiven: MODE_UNSET,
      extra: { public: { fn: 'A' }, trusted: null, defaultAccess: uA.access, isChan: false, matchedTags: [ta] },
    });
    expect(res.find((s) => s.topic === usr(uB))?.extra?.matchedTags?.sort()).toEqual([ta, tc].sort());
    expect(res.find((s) => s.topic === grpToChn(g.name))).toMatchObject({
      extra: { public: { fn: 'G' }, defaultAccess: g.access, isChan: true, subCnt: 1, matchedTags: [ta] },
    });

    expect(await a.findOne(only)).toBe(h.name);
    expect(await a.findOne(tp)).toBe(usr(uB));
    expect(await a.findOne(`${r}none`)).toBe('');
  });

  it('messages: messageCommit stores the batches of several topics with their read marks in one transaction, or none of them', async () => {
    const [o, m] = [await user(), await user()];
    const [t1, t2] = [await topic(0n), await topic(0n)];
    for (const t of [t1, t2]) await a.topicShare(t.name, [makeSub(o.id, t.name, MODE_CFULL, MODE_CFULL, NOW), makeSub(m.id, t.name, JRWP, JRWP, NOW)]);
    const before = await a.subscriptionGet(t1.name, m.id, false);
    const b1 = [makeMsg(t1.name, 1, o.id, plus(NOW, 1)), makeMsg(t1.name, 2, m.id, plus(NOW, 2))];
    const b2 = [makeMsg(t2.name, 1, m.id, plus(NOW, 3))];
    await a.messageCommit([
      { topic: t1.name, msgs: b1, marks: new Map([[m.id, { recvSeqId: 2, readSeqId: 2 }]]) },
      { topic: t2.name, msgs: b2 },
    ]);
    expect(seqs(await a.messageGetAll(t1.name, o.id))).toEqual([2, 1]);
    expect(seqs(await a.messageGetAll(t2.name, o.id))).toEqual([1]);
    expect(b1.every((x) => x.id > 0) && (b2[0]?.id ?? 0) > 0).toBe(true);
    expect(await a.topicGet(t1.name)).toMatchObject({ seqId: 2, touchedAt: plus(NOW, 2) });
    expect(await a.topicGet(t2.name)).toMatchObject({ seqId: 1, touchedAt: plus(NOW, 3) });
    // The sender's marks moved with the messages, and its subscription's updatedAt did not.
    expect(await a.subscriptionGet(t1.name, m.id, false)).toMatchObject({ readSeqId: 2, recvSeqId: 2, updatedAt: before?.updatedAt });
    expect(await a.subscriptionGet(t1.name, o.id, false)).toMatchObject({ readSeqId: 0, recvSeqId: 0 });

    // A batch the database refuses (seq 1 of t2 again, against its unique key) takes the whole
    // transaction with it: t1's messages of the same commit are not stored either.
    await expect(
      a.messageCommit([
        { topic: t1.name, msgs: [makeMsg(t1.name, 3, o.id, plus(NOW, 4))] },
        { topic: t2.name, msgs: [makeMsg(t2.name, 1, o.id, plus(NOW, 5))] },
      ]),
    ).rejects.toThrow();
    expect(seqs(await a.messageGetAll(t1.name, o.id))).toEqual([2, 1]);
    expect((await a.topicGet(t1.name))?.seqId).toBe(2);
    await a.messageCommit([]);
  });

  it('messages: messageCommit of many topics sets each message its own id, each topic its seq, and merges marks of one user in a topic in order', async () => {
    const [o, m] = [await user(), await user()];
    const ts = [await topic(0n), await topic(0n), await topic(0n)];
    for (const t of ts) await a.topicShare(t.name, [makeSub(o.id, t.name, MODE_CFULL, MODE_CFULL, NOW), makeSub(m.id, t.name, JRWP, JRWP, NOW)]);
    const [t1, t2, t3] = ts.map((t) => t.name) as [string, string, string];
    const msgs = [
      [makeMsg(t1, 1, o.id, plus(NOW, 1)), makeMsg(t1, 2, m.id, plus(NOW, 2))],
      [makeMsg(t2, 1, m.id, plus(NOW, 3))],
      [makeMsg(t3, 1, o.id, plus(NOW, 4)), makeMsg(t3, 2, o.id, plus(NOW, 5)), makeMsg(t3, 3, m.id, plus(NOW, 6))],
    ] as const;
    await a.messageCommit([
      { topic: t1, msgs: [...msgs[0]], marks: new Map([[m.id, { recvSeqId: 2, readSeqId: 2 }]]) },
      { topic: t2, msgs: [...msgs[1]], marks: new Map([[o.id, { recvSeqId: 1 }]]) },
      { topic: t3, msgs: [...msgs[2]], marks: new Map([[m.id, { recvSeqId: 3, readSeqId: 1 }]]) },
      // Marks of notes beside the messages: later fields win, fields not given stay.
      { topic: t3, msgs: [], marks: new Map([[m.id, { recvSeqId: 3 }]]) },
      { topic: t2, msgs: [], marks: new Map([[o.id, { recvSeqId: 1, readSeqId: 1 }]]) },
    ]);
    for (const [i, t] of [t1, t2, t3].entries()) {
      const stored = await a.messageGetAll(t, o.id);
      expect(stored.map((x) => [x.seqId, x.id])).toEqual([...msgs[i]!].reverse().map((x) => [x.seqId, x.id]));
    }
    expect(new Set(msgs.flat().map((x) => x.id)).size).toBe(6);
    expect((await a.topicGet(t1))?.seqId).toBe(2);
    expect(await a.topicGet(t2)).toMatchObject({ seqId: 1, touchedAt: plus(NOW, 3) });
    expect(await a.topicGet(t3)).toMatchObject({ seqId: 3, touchedAt: plus(NOW, 6) });
    expect(await a.subscriptionGet(t1, m.id, false)).toMatchObject({ recvSeqId: 2, readSeqId: 2 });
    expect(await a.subscriptionGet(t2, o.id, false)).toMatchObject({ recvSeqId: 1, readSeqId: 1 });
    expect(await a.subscriptionGet(t3, m.id, false)).toMatchObject({ recvSeqId: 3, readSeqId: 1 });
    // Nobody else's marks moved.
    expect(await a.subscriptionGet(t3, o.id, false)).toMatchObject({ recvSeqId: 0, readSeqId: 0 });
    expect(await a.subscriptionGet(t2, m.id, false)).toMatchObject({ recvSeqId: 0, readSeqId: 0 });
  });

  it('messages: messageSave, messageSaveAll, messageGetAll with since, before, limit and ranges', async () => {
    const [o, m] = [await user(), await user()];
    const t = await topic(o.id);
    const other = await topic(o.id);
    const first = makeMsg(t.name, 1, o.id, plus(NOW, 1));
    await a.messageSave(first);
    expect(first.id).toBeGreaterThan(0);
    const rest = Array.from({ length: 9 }, (_, i) => makeMsg(t.name, i + 2, i % 2 ? o.id : m.id, plus(NOW, i + 2)));
    await a.messageSaveAll(t.name, rest);
    await a.messageSaveAll(t.name, []);
    for (const [i, msg] of rest.entries()) {
      expect(msg.id).toBeGreaterThan(i === 0 ? first.id : rest[i - 1]!.id);
    }
    expect(await a.topicGet(t.name)).toMatchObject({ seqId: 10, touchedAt: plus(NOW, 10) });
    await post(other.name, 2, [o.id]);

    const all = await a.messageGetAll(t.name, m.id);
    expect(all).toEqual([first, ...rest].reverse());
    expect(seqs(await a.messageGetAll(t.name, m.id, { since: 3, before: 7 }))).toEqual([6, 5, 4, 3]);
    expect(seqs(await a.messageGetAll(t.name, m.id, { since: 8 }))).toEqual([10, 9, 8]);
    expect(seqs(await a.messageGetAll(t.name, m.id, { before: 3 }))).toEqual([2, 1]);
    expect(seqs(await a.messageGetAll(t.name, m.id, { limit: 3 }))).toEqual([10, 9, 8]);
    expect(seqs(await a.messageGetAll(t.name, m.id, { since: 2, before: 9, limit: 2 }))).toEqual([8, 7]);
    expect(seqs(await a.messageGetAll(t.name, m.id, { ranges: [{ low: 2, hi: 4 }, { low: 8, hi: 0 }] }))).toEqual([8, 3, 2]);
    expect(seqs(await a.messageGetAll(t.name, m.id, { ranges: [{ low: 5, hi: 8 }] }))).toEqual([7, 6, 5]);
    expect(seqs(await a.messageGetAll(t.name, m.id, { ranges: [{ low: 5, hi: 0 }] }))).toEqual([5]);
    expect(seqs(await a.messageGetAll(t.name, m.id, { since: 20 }))).toEqual([]);
    expect(await a.messageGetAll(grpName(newUid()), m.id)).toEqual([]);
  });

  it('messages: messageDeleteList soft and hard, messageGetDeleted with delId ordering', async () => {
    const [o, m] = [await user(), await user()];
    const t = await topic(o.id);
    const msgs = await post(t.name, 10, [o.id, m.id]);

    // Soft: hidden from that user only.
    // (Logged first with the highest delete id: the log reads back in delete id order.)
    await a.messageDeleteList(t.name, { topic: t.name, deletedFor: m.id, delId: 6, ranges: [{ low: 2, hi: 4 }, { low: 7, hi: 0 }] });
    expect(seqs(await a.messageGetAll(t.name, m.id))).toEqual([10, 9, 8, 6, 5, 4, 1]);
    expect(seqs(await a.messageGetAll(t.name, o.id))).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);

    // Hard: gone for everyone; the log holds the ranges actually deleted.
    await a.messageDeleteList(t.name, { topic: t.name, deletedFor: 0n, delId: 2, ranges: [{ low: 5, hi: 0 }, { low: 9, hi: 12 }] });
    expect(seqs(await a.messageGetAll(t.name, o.id))).toEqual([8, 7, 6, 4, 3, 2, 1]);
    expect(seqs(await a.messageGetAll(t.name, m.id))).toEqual([8, 6, 4, 1]);
    const cleared = (await raw()('messages')
      .select('seqid', 'delid', 'from', 'head', 'content', 'deletedat')
      .where('topic', t.name)
      .whereIn('seqid', [5, 9, 10])
      .orderBy('seqid')) as Record<string, unknown>[];
    expect(cleared.map((row) => [Number(row.seqid), Number(row.delid), String(row.from), row.head, row.content, row.deletedat !== null])).toEqual([
      [5, 2, '0', null, null, true],
      [9, 2, '0', null, null, true],
      [10, 2, '0', null, null, true],
    ]);
    // Nothing left to delete: no log entry.
    await a.messageDeleteList(t.name, { topic: t.name, deletedFor: 0n, delId: 3, ranges: [{ low: 9, hi: 11 }] });
    // Hard with newerThan: messages created at or before it stay.
    await a.messageDeleteList(t.name, { topic: t.name, deletedFor: 0n, delId: 4, ranges: [{ low: 6, hi: 9 }], newerThan: msgs[6]!.createdAt });
    expect(seqs(await a.messageGetAll(t.name, o.id))).toEqual([7, 6, 4, 3, 2, 1]);
    // Soft for o, later.
    await a.messageDeleteList(t.name, { topic: t.name, deletedFor: o.id, delId: 5, ranges: [{ low: 1, hi: 0 }] });

    const hard2 = { topic: t.name, deletedFor: 0n, delId: 2, ranges: [{ low: 5, hi: 0 }, { low: 9, hi: 11 }] };
    const hard4 = { topic: t.name, deletedFor: 0n, delId: 4, ranges: [{ low: 8, hi: 0 }] };
    const softM = { topic: t.name, deletedFor: m.id, delId: 6, ranges: [{ low: 2, hi: 4 }, { low: 7, hi: 0 }] };
    const softO = { topic: t.name, deletedFor: o.id, delId: 5, ranges: [{ low: 1, hi: 0 }] };
    expect(await a.messageGetDeleted(t.name, m.id)).toEqual([hard2, hard4, softM]);
    expect(await a.messageGetDeleted(t.name, o.id)).toEqual([hard2, hard4, softO]);
    expect(await a.messageGetDeleted(t.name, newUid())).toEqual([hard2, hard4]);
    // since inclusive, before exclusive.
    expect(await a.messageGetDeleted(t.name, m.id, { since: 2, before: 4 })).toEqual([hard2]);
    expect(await a.messageGetDeleted(t.name, m.id, { since: 3 })).toEqual([hard4, softM]);
    expect(await a.messageGetDeleted(t.name, m.id, { before: 5 })).toEqual([hard2, hard4]);
    expect(await a.messageGetDeleted(t.name, o.id, { since: 5, before: 6 })).toEqual([softO]);

    // null: every message of the topic and its log.
    await a.messageDeleteList(t.name, null);
    expect(await a.messageGetAll(t.name, o.id)).toEqual([]);
    expect(await a.messageGetDeleted(t.name, o.id)).toEqual([]);
    expect(await raw()('messages').where('topic', t.name)).toEqual([]);
  });

  it('devices: deviceUpsert, deviceGetAll, deviceDelete', async () => {
    const r = rnd();
    const [u1, u2] = [await user(), await user()];
    const d1 = { deviceId: `dev1-${r}`, platform: 'android', lastSeen: NOW, lang: 'en' };
    const d2 = { deviceId: `dev2-${r}`, platform: 'ios', lastSeen: plus(NOW, -60), lang: 'de' };
    const d3 = { deviceId: `dev3-${r}`, platform: 'web', lastSeen: plus(NOW, -120), lang: 'fr-FR' };
    await a.deviceUpsert(u1.id, d1);
    await a.deviceUpsert(u1.id, d2);
    await a.deviceUpsert(u2.id, d3);
    const get = async (uids: Uid[]) => {
      const { devices, count } = await a.deviceGetAll(uids);
      return { count, devices: new Map([...devices].map(([k, v]) => [k, by(v, (d) => d.deviceId)])) };
    };
    expect(await get([u1.id, u2.id, newUid()])).toEqual({
      count: 3,
      devices: new Map([
        [u1.id, [d1, d2]],
        [u2.id, [d3]],
      ]),
    });
    expect(await a.deviceGetAll([])).toEqual({ count: 0, devices: new Map() });

    // A device id belongs to one user: it moves.
    const d1moved = { ...d1, lang: 'es', lastSeen: plus(NOW, 10) };
    await a.deviceUpsert(u2.id, d1moved);
    expect(await get([u1.id, u2.id])).toEqual({
      count: 3,
      devices: new Map([
        [u1.id, [d2]],
        [u2.id, [d1moved, d3]],
      ]),
    });
    // Upserting again updates in place.
    const d3new = { ...d3, platform: 'android', lang: 'en' };
    await a.deviceUpsert(u2.id, d3new);
    expect(await get([u2.id])).toEqual({ count: 2, devices: new Map([[u2.id, [d1moved, d3new]]]) });

    await a.deviceDelete(u1.id, d2.deviceId);
    expect(await get([u1.id])).toEqual({ count: 0, devices: new Map() });
    expect(await outcome(a.deviceDelete(u1.id, d2.deviceId))).toBe('not-found');
    expect(await outcome(a.deviceDelete(u1.id, d3.deviceId))).toBe('not-found');
    await a.deviceDelete(u2.id, '');
    expect(await get([u2.id])).toEqual({ count: 0, devices: new Map() });
    expect(await outcome(a.deviceDelete(u2.id, ''))).toBe('not-found');
  });

  it('files: fileStartUpload, fileFinishUpload, fileGet, fileLinkAttachments, fileAvatarOwners, fileDeleteUnused', async () => {
    const o = await user();
    const t = await topic(o.id);
    const [msg] = await post(t.name, 2, [o.id]);
    const file = (over: Parameters<typeof makeFile>[3] = {}, at = NOW) => makeFile(newUid(), o.id, at, over);

    const fA = file();
    await a.fileStartUpload(fA);
    expect(await a.fileGet(fA.id)).toEqual(fA);
    const done = await a.fileFinishUpload({ ...fA, etag: 'etag-a', location: 'uploads/a.png' }, true, 1234);
    expect(done).toMatchObject({ id: fA.id, status: UploadStatus.COMPLETED, size: 1234, etag: 'etag-a', location: 'uploads/a.png' });
    expect(await a.fileGet(fA.id)).toEqual({
      ...fA,
      status: UploadStatus.COMPLETED,
      size: 1234,
      etag: 'etag-a',
      location: 'uploads/a.png',
      updatedAt: done.updatedAt,
    });
    expect(done.updatedAt.getTime()).toBeGreaterThanOrEqual(NOW.getTime());

    // A failed upload leaves no record.
    const fail = file();
    await a.fileStartUpload(fail);
    expect(await a.fileFinishUpload(fail, false, 99)).toMatchObject({ id: fail.id, status: UploadStatus.FAILED, size: 0 });
    expect(await a.fileGet(fail.id)).toBeNull();
    expect(await a.fileGet(newUid())).toBeNull();
    expect(await outcome(a.fileGet(0n))).toBe('malformed');

    // Uploads with no uploader are kept as such.
    const anon = makeFile(newUid(), 0n, NOW);
    await a.fileStartUpload(anon);
    expect((await a.fileGet(anon.id))?.user).toBe(0n);

    const [fB, fC, fD, fE, fF, fG] = [file(), file(), file(), file(), file(), file()];
    for (const f of [fB, fC, fD, fE, fF, fG]) {
      await a.fileStartUpload(f);
    }
    // Message attachments: all files.
    await a.fileLinkAttachments('', 0n, msg!.id, [fA.id, fB.id]);
    // User avatar: one file.
    await a.fileLinkAttachments('', o.id, 0, [fC.id, fD.id]);
    // Topic avatar: one file; a new one unlinks the previous.
    await a.fileLinkAttachments(t.name, 0n, 0, [fE.id]);
    await a.fileLinkAttachments(t.name, 0n, 0, [fF.id, fG.id]);
    expect(await outcome(a.fileLinkAttachments('', 0n, 0, [fA.id]))).toBe('malformed');
    expect(await outcome(a.fileLinkAttachments(t.name, 0n, 0, []))).toBe('malformed');
    // Avatar owners: the user and topic links, not the message links nor replaced avatars.
    expect(await a.fileAvatarOwners(fC.id)).toEqual({ users: [o.id], topics: [] });
    expect(await a.fileAvatarOwners(fF.id)).toEqual({ users: [], topics: [t.name] });
    for (const f of [fA, fD, fE, fG]) {
      expect(await a.fileAvatarOwners(f.id)).toEqual({ users: [], topics: [] });
    }
    expect(await a.fileAvatarOwners(newUid())).toEqual({ users: [], topics: [] });

    // Unlinked records older than the given time go; linked ones stay.
    const old = file({}, new Date(Date.UTC(2001, 0, 1)));
    await a.fileStartUpload(old);
    expect(await a.fileDeleteUnused(new Date(Date.UTC(2002, 0, 1)), 0)).toEqual([old.location]);
    expect(await a.fileGet(old.id)).toBeNull();
    const later = plus(NOW, 3600);
    const firstBatch = await a.fileDeleteUnused(later, 1);
    expect(firstBatch).toHaveLength(1);
    const secondBatch = await a.fileDeleteUnused(later, 0);
    expect([...firstBatch, ...secondBatch].sort()).toEqual([anon.location, fD.location, fE.location, fG.location].sort());
    for (const f of [anon, fD, fE, fG]) {
      expect(await a.fileGet(f.id)).toBeNull();
    }
    for (const f of [fA, fB, fC, fF]) {
      expect(await a.fileGet(f.id)).not.toBeNull();
    }
    expect(await a.fileDeleteUnused(later, 0)).toEqual([]);

    // Hard-deleting the message frees its attachments.
    await a.messageDeleteList(t.name, { topic: t.name, deletedFor: 0n, delId: 1, ranges: [{ low: 1, hi: 0 }] });
    expect((await a.fileDeleteUnused(later, 0)).sort()).toEqual(['uploads/a.png', fB.location].sort());
    expect(await a.fileGet(fA.id)).toBeNull();
    expect(await a.fileGet(fC.id)).not.toBeNull();
  });

  it('pcache: pcacheUpsert, pcacheGet, pcacheDelete, pcacheExpire', async () => {
    const r = rnd();
    const k1 = `p${r}:one`;
    const k2 = `p${r}:two`;
    const k3 = `q${r}:three`;
    await a.pcacheUpsert(k1, 'v1', true);
    expect(await a.pcacheGet(k1)).toBe('v1');
    expect(await outcome(a.pcacheUpsert(k1, 'v2', true))).toBe('duplicate');
    expect(await a.pcacheGet(k1)).toBe('v1');
    await a.pcacheUpsert(k1, 'v2', false);
    expect(await a.pcacheGet(k1)).toBe('v2');
    await a.pcacheUpsert(k2, '', false);
    expect(await a.pcacheGet(k2)).toBe('');
    expect(await outcome(a.pcacheGet(`p${r}:missing`))).toBe('not-found');
    expect(await outcome(a.pcacheUpsert(`p${r}:50%`, 'x', false))).toBe('malformed');

    await a.pcacheDelete(k2);
    expect(await outcome(a.pcacheGet(k2))).toBe('not-found');
    await a.pcacheDelete(k2);

    await a.pcacheUpsert(k2, 'v', false);
    await a.pcacheUpsert(k3, 'v', false);
    // Nothing is old enough yet.
    await a.pcacheExpire(`p${r}:`, new Date(Date.now() - 60_000));
    expect(await a.pcacheGet(k1)).toBe('v2');
    await a.pcacheExpire(`p${r}:`, new Date(Date.now() + 60_000));
    expect(await outcome(a.pcacheGet(k1))).toBe('not-found');
    expect(await outcome(a.pcacheGet(k2))).toBe('not-found');
    expect(await a.pcacheGet(k3)).toBe('v');
    expect(await outcome(a.pcacheExpire('', new Date()))).toBe('malformed');
    expect(await a.getDbVersion()).toBe(116);
  });

  it('lifecycle: createDb(true) replaces the database with an empty one', async () => {
    const r = rnd();
    const u = await user({ tags: [`reset${r}`] });
    await a.pcacheUpsert(`reset${r}`, 'v', false);
    expect(await a.hasUsers()).toBe(true);
    await a.createDb(true);
    expect(await a.getDbVersion()).toBe(116);
    expect(await a.hasUsers()).toBe(false);
    expect(await a.userGet(u.id)).toBeNull();
    expect(await a.findOne(`reset${r}`)).toBe('');
    expect(await outcome(a.pcacheGet(`reset${r}`))).toBe('not-found');
    expect(await a.topicGet('sys')).toMatchObject({ name: 'sys', owner: 0n });
  });
});
