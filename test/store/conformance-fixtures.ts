import { randomBytes } from 'node:crypto';
import { MODE_CAUTH, MODE_CPUBLIC, MODE_NONE } from '../../src/model/access.js';
import { uidToString, type Uid } from '../../src/model/uid.js';
import { isStoreError, type StoreErrorCode } from '../../server/store/contract/errors.js';
import {
  ObjState,
  UploadStatus,
  type Credential,
  type FileDef,
  type Message,
  type Subscription,
  type Topic,
  type User,
} from '../../server/store/contract/types.js';

/**
 * Record builders for the store conformance suite. Times are whole seconds: some columns
 * (users.lastseen, devices.lastseen, auth.expires) are DATETIME without fractions on MySQL.
 */

/** A short random string that keeps tags, keys and values of one test apart from the others. */
export function rnd(): string {
  return randomBytes(4).toString('hex');
}

/** A time rounded down to the second. */
export function sec(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

/** `base` plus `s` seconds. */
export function plus(base: Date, s: number): Date {
  return new Date(base.getTime() + s * 1000);
}

/** A group topic name derived from an id (`grp` + 11 characters). */
export function grpName(uid: Uid): string {
  return 'grp' + uidToString(uid);
}

export function makeUser(id: Uid, at: Date, over: Partial<User> = {}): User {
  return {
    id,
    createdAt: at,
    updatedAt: at,
    state: ObjState.OK,
    stateAt: null,
    access: { auth: MODE_CAUTH, anon: MODE_NONE },
    lastSeen: null,
    userAgent: '',
    public: { fn: `User ${uidToString(id)}` },
    trusted: null,
    tags: [],
    ...over,
  };
}

export function makeTopic(name: string, owner: Uid, at: Date, over: Partial<Topic> = {}): Topic {
  return {
    name,
    createdAt: at,
    updatedAt: at,
    touchedAt: at,
    state: ObjState.OK,
    stateAt: null,
    useBt: false,
    owner,
    access: { auth: MODE_CPUBLIC, anon: MODE_NONE },
    seqId: 0,
    delId: 0,
    subCnt: 0,
    public: { fn: `Topic ${name}` },
    trusted: null,
    tags: [],
    aux: null,
    ...over,
  };
}

export function makeSub(user: Uid, topic: string, want: number, given: number, at: Date, over: Partial<Subscription> = {}): Subscription {
  return {
    createdAt: at,
    updatedAt: at,
    deletedAt: null,
    user,
    topic,
    delId: 0,
    recvSeqId: 0,
    readSeqId: 0,
    modeWant: want,
    modeGiven: given,
    private: null,
    ...over,
  };
}

export function makeMsg(topic: string, seqId: number, from: Uid, at: Date): Message {
  return {
    id: 0,
    createdAt: at,
    updatedAt: at,
    deletedAt: null,
    delId: 0,
    seqId,
    topic,
    from,
    head: { mime: 'text/plain', seq: String(seqId) },
    content: `message ${seqId}`,
  };
}

export function makeCred(user: Uid, method: string, value: string, at: Date, over: Partial<Credential> = {}): Credential {
  return { user, createdAt: at, updatedAt: at, method, value, resp: '123456', done: false, retries: 0, ...over };
}

export function makeFile(id: Uid, user: Uid, at: Date, over: Partial<FileDef> = {}): FileDef {
  return {
    id,
    createdAt: at,
    updatedAt: at,
    status: UploadStatus.STARTED,
    user,
    mimeType: 'image/png',
    size: 0,
    location: `uploads/${uidToString(id)}.png`,
    etag: '',
    ...over,
  };
}

/** What a promise ends with: the code of the StoreError it rejects with, 'resolved', or 'other: …'. */
export async function outcome(p: Promise<unknown>): Promise<StoreErrorCode | 'resolved' | `other: ${string}`> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    if (isStoreError(err)) {
      return err.code;
    }
    return `other: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** Sorts copies by a string key, to compare results whose order the contract leaves open. */
export function by<T>(items: T[], key: (t: T) => string | bigint | number): T[] {
  return [...items].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}
