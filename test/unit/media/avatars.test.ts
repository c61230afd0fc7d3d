import { describe, expect, it } from 'vitest';
import { uidToString as uidString, type Uid } from '../../../src/model/uid.js';
import { photoRefId } from '../../../server/media/attachments.js';
import { PublicAvatars, type AvatarHolder, type AvatarLookup } from '../../../server/media/avatars.js';
import { ObjState, type AvatarOwners } from '../../../server/store/contract/types.js';

/** Which files are public avatars, over an in-memory store; test/server/avatar-files.test.ts shows it on a real server. */
const FILE = 0x1234n;
const OTHER = 0x5678n;
const ALICE = 0x11n;

const refTo = (fid: Uid, prefix = '/v0/file/s/') => ({ fn: 'x', photo: { ref: `${prefix}${uidString(fid)}.png`, type: 'png' } });

/** A store of avatar links and records, counting the lookups. */
class FakeLookup implements AvatarLookup {
  readonly links = new Map<Uid, AvatarOwners>();
  readonly users = new Map<Uid, AvatarHolder>();
  readonly topics = new Map<string, AvatarHolder & { owner: Uid }>();
  /** Uploaders by file; every file is alice's unless set. */
  readonly uploaders = new Map<Uid, Uid>();
  reads = 0;
  fileAvatarOwners(fid: Uid): Promise<AvatarOwners> {
    return Promise.resolve(this.links.get(fid) ?? { users: [], topics: [] });
  }
  fileGet(fid: Uid): Promise<{ user: Uid } | null> {
    this.reads++;
    return Promise.resolve({ user: this.uploaders.get(fid) ?? ALICE });
  }
  userGet(uid: Uid): Promise<AvatarHolder | null> {
    this.reads++;
    return Promise.resolve(this.users.get(uid) ?? null);
  }
  topicGet(name: string): Promise<(AvatarHolder & { owner: Uid }) | null> {
    this.reads++;
    return Promise.resolve(this.topics.get(name) ?? null);
  }
}

describe('photoRefId', () => {
  it('reads the file id of public.photo.ref, as a path or a bare id', () => {
    expect(photoRefId(refTo(FILE))).toBe(FILE);
    expect(photoRefId({ photo: { ref: uidString(FILE) } })).toBe(FILE);
    expect(photoRefId({ photo: { ref: `/v0/file/s/${uidString(FILE)}.png?x=1` } })).toBe(FILE);
  });

  it('is null for anything else: no photo, an inline photo, another server, other shapes', () => {
    for (const pub of [null, undefined, 'text', 7, {}, { photo: null }, { photo: 'ref' }, { photo: { data: 'AAAA', type: 'png' } }, { photo: { ref: 12 } }]) {
      expect(photoRefId(pub), JSON.stringify(pub)).toBeNull();
    }
    expect(photoRefId(refTo(FILE, 'https://other.example.com/v0/file/s/'))).toBeNull();
    expect(photoRefId(refTo(FILE, '/elsewhere/'))).toBeNull();
  });
});

describe('PublicAvatars', () => {
  it("makes public a user's linked avatar that public.photo.ref names", async () => {
    const store = new FakeLookup();
    store.links.set(FILE, { users: [ALICE], topics: [] });
    store.users.set(ALICE, { state: ObjState.OK, public: refTo(FILE) });
    expect(await new PublicAvatars(store).isPublic(FILE)).toBe(true);
  });

  it("makes public a group's linked avatar that public.photo.ref names", async () => {
    const store = new FakeLookup();
    store.links.set(FILE, { users: [], topics: ['grpAAA', 'grpBBB'] });
    store.topics.set('grpAAA', { state: ObjState.OK, public: refTo(OTHER), owner: ALICE });
    store.topics.set('grpBBB', { state: ObjState.OK, public: refTo(FILE), owner: ALICE });
    expect(await new PublicAvatars(store).isPublic(FILE)).toBe(true);
  });

  it('keeps private a file linked to nobody, without reading any record', async () => {
    const store = new FakeLookup();
    expect(await new PublicAvatars(store).isPublic(FILE)).toBe(false);
    expect(store.reads).toBe(0);
  });

  it("keeps private a linked file the owner's public no longer names (a replaced avatar, an inline photo, none)", async () => {
    const store = new FakeLookup();
    store.links.set(FILE, { users: [ALICE], topics: ['grpAAA'] });
    for (const pub of [refTo(OTHER), { photo: { data: 'AAAA', type: 'png' } }, null]) {
      store.users.set(ALICE, { state: ObjState.OK, public: pub });
      store.topics.set('grpAAA', { state: ObjState.OK, public: pub, owner: ALICE });
      expect(await new PublicAvatars(store).isPublic(FILE), JSON.stringify(pub)).toBe(false);
    }
  });

  it('keeps private the avatar of a deleted or missing owner', async () => {
    const store = new FakeLookup();
    store.links.set(FILE, { users: [ALICE, 0x22n], topics: ['grpAAA'] });
    store.users.set(ALICE, { state: ObjState.DELETED, public: refTo(FILE) });
    store.topics.set('grpAAA', { state: ObjState.DELETED, public: refTo(FILE), owner: ALICE });
    expect(await new PublicAvatars(store).isPublic(FILE)).toBe(false);
  });

  it("keeps private a file someone else uploaded: a user's avatar is the user's upload, a group's its owner's", async () => {
    const BOB = 0x22n;
    const store = new FakeLookup();
    store.uploaders.set(FILE, BOB);
    store.links.set(FILE, { users: [ALICE], topics: ['grpAAA'] });
    store.users.set(ALICE, { state: ObjState.OK, public: refTo(FILE) });
    store.topics.set('grpAAA', { state: ObjState.OK, public: refTo(FILE), owner: ALICE });
    expect(await new PublicAvatars(store).isPublic(FILE)).toBe(false);
    // Bob's own avatar, and the avatar of a group bob owns, are public.
    store.links.set(FILE, { users: [BOB], topics: [] });
    store.users.set(BOB, { state: ObjState.OK, public: refTo(FILE) });
    expect(await new PublicAvatars(store).isPublic(FILE)).toBe(true);
    store.links.set(FILE, { users: [], topics: ['grpAAA'] });
    store.topics.set('grpAAA', { state: ObjState.OK, public: refTo(FILE), owner: BOB });
    expect(await new PublicAvatars(store).isPublic(FILE)).toBe(true);
    // No known uploader: never public.
    store.uploaders.set(FILE, 0n);
    expect(await new PublicAvatars(store).isPublic(FILE)).toBe(false);
  });

  it('passes store errors on', async () => {
    const store = new FakeLookup();
    store.links.set(FILE, { users: [ALICE], topics: [] });
    store.userGet = () => Promise.reject(new Error('db down'));
    await expect(new PublicAvatars(store).isPublic(FILE)).rejects.toThrow('db down');
  });
});
