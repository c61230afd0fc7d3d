import type { AuthLevel } from '../../../src/model/auth-level.js';
import type { DefaultAccess } from '../../../src/model/access.js';
import type { Uid } from '../../../src/model/uid.js';

/**
 * Records as the store keeps them. Ids are client-visible (encrypted) {@link Uid}s; adapters that
 * keep decrypted values translate at their edge. Times are Date objects in UTC, millisecond
 * precision. `public`, `trusted`, `private`, `head`, `content` and `aux` are opaque JSON values.
 */

/** State of a user or topic. */
export const ObjState = {
  OK: 0,
  SUSPENDED: 10,
  DELETED: 20,
  UNDEFINED: 30,
} as const;
export type ObjState = (typeof ObjState)[keyof typeof ObjState];

/** Narrows a stored number into a state (unknown values are treated as OK). */
export function toObjState(n: number): ObjState {
  return n === 10 || n === 20 || n === 30 ? n : ObjState.OK;
}

/** `ok`, `susp`, `del`, `undef`: the names used on the wire and in data files. */
export function objStateName(s: ObjState): string {
  switch (s) {
    case ObjState.SUSPENDED:
      return 'susp';
    case ObjState.DELETED:
      return 'del';
    case ObjState.UNDEFINED:
      return 'undef';
    default:
      return 'ok';
  }
}

/** Parses a state name; '' means OK; null when unknown. */
export function parseObjState(name: string): ObjState | null {
  switch (name.toLowerCase()) {
    case '':
    case 'ok':
      return ObjState.OK;
    case 'susp':
      return ObjState.SUSPENDED;
    case 'del':
      return ObjState.DELETED;
    case 'undef':
      return ObjState.UNDEFINED;
    default:
      return null;
  }
}

export interface User {
  id: Uid;
  createdAt: Date;
  updatedAt: Date;
  state: ObjState;
  stateAt: Date | null;
  /** Default access others get in a p2p topic with this user. */
  access: DefaultAccess;
  lastSeen: Date | null;
  userAgent: string;
  public: unknown;
  trusted: unknown;
  tags: string[];
}

export interface Topic {
  /** Topic name: `grp…`, `p2p…`, `slf…`, `sys`. */
  name: string;
  createdAt: Date;
  updatedAt: Date;
  touchedAt: Date;
  state: ObjState;
  stateAt: Date | null;
  /** The topic is a channel as well as a group. */
  useBt: boolean;
  /** Owner; zero for p2p topics and `sys`. */
  owner: Uid;
  access: DefaultAccess;
  seqId: number;
  delId: number;
  subCnt: number;
  public: unknown;
  trusted: unknown;
  tags: string[];
  aux: Record<string, unknown> | null;
}

/** A user's last presence, as shown to contacts. */
export interface LastSeen {
  when: Date;
  userAgent: string;
}

export interface Subscription {
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
  user: Uid;
  /** As stored: `usr…` for `me`, `fnd…` for `fnd`, `p2p…`, `grp…`, `chn…` for channel readers. */
  topic: string;
  delId: number;
  recvSeqId: number;
  readSeqId: number;
  modeWant: number;
  modeGiven: number;
  private: unknown;
  /** Denormalized by queries that join the topic or the peer user; absent otherwise. */
  extra?: SubscriptionExtra;
}

/** Values a subscription query copies from the topic or (p2p) from the other user. */
export interface SubscriptionExtra {
  public?: unknown;
  trusted?: unknown;
  seqId?: number;
  touchedAt?: Date;
  subCnt?: number;
  lastSeen?: LastSeen | null;
  /** p2p: the other user as `usr…`. */
  with?: string;
  /** p2p: the other user's default access; search results: the found object's default access. */
  defaultAccess?: DefaultAccess;
  /** State of the topic or (p2p) of the other user. */
  state?: ObjState;
  /** Search results: whether the found topic is a channel. */
  isChan?: boolean;
  /** Search results: the tags that matched. */
  matchedTags?: string[];
}

export interface Message {
  /** Database row id, set by `messageSave`; used to link attachments. */
  id: number;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
  /** Id of the hard-delete operation that removed the content; 0 when present. */
  delId: number;
  seqId: number;
  topic: string;
  from: Uid;
  head: Record<string, unknown> | null;
  content: unknown;
}

/** A range of seq ids: `low` inclusive, `hi` exclusive; `hi` 0 means the single id `low`. */
export interface Range {
  low: number;
  hi: number;
}

/** One delete operation on messages. */
export interface DelMessage {
  topic: string;
  /** The user the messages are soft-deleted for; zero for a hard delete (for everyone). */
  deletedFor: Uid;
  delId: number;
  ranges: Range[];
  /** Hard delete only: skip messages created at or before this time (`msg_delete_age`). */
  newerThan?: Date | undefined;
}

/** A delete operation as read back from the log. */
export interface DelRecord {
  topic: string;
  deletedFor: Uid;
  delId: number;
  ranges: Range[];
}

/** Query options; all optional. `since`..`before` select seq ids (since inclusive, before exclusive). */
export interface QueryOpt {
  user?: Uid;
  topic?: string;
  ifModifiedSince?: Date;
  since?: number;
  before?: number;
  limit?: number;
  ranges?: Range[];
  /**
   * Every match, past the adapter's `max_results`: a topic loading its members, which must know
   * all of them (their number is bounded by `max_subscriber_count`).
   */
  all?: boolean;
}

export interface Credential {
  user: Uid;
  createdAt: Date;
  updatedAt: Date;
  /** `email`, `tel`, ... */
  method: string;
  value: string;
  /** The expected response (e.g. the emailed code). */
  resp: string;
  done: boolean;
  retries: number;
}

export interface AuthRecord {
  uid: Uid;
  /** `scheme:login` for basic, as stored. */
  unique: string;
  authLevel: AuthLevel;
  secret: Buffer;
  expires: Date | null;
}

export interface DeviceDef {
  deviceId: string;
  platform: string;
  lastSeen: Date;
  lang: string;
}

/** Upload status of a file record. */
export const UploadStatus = {
  STARTED: 0,
  COMPLETED: 1,
  FAILED: 2,
  DELETED: 3,
} as const;

export interface FileDef {
  id: Uid;
  createdAt: Date;
  updatedAt: Date;
  status: number;
  /** Uploader; zero when unknown. */
  user: Uid;
  mimeType: string;
  size: number;
  /** Where the media handler keeps the bytes (path or object key). */
  location: string;
  etag: string;
}

/** The owners a file is linked to as an avatar ({@link Adapter.fileAvatarOwners}). */
export interface AvatarOwners {
  /** Users whose avatar link names the file. */
  users: Uid[];
  /** Topics (as stored, `grp…`) whose avatar link names the file. */
  topics: string[];
}

/** A field-by-field update of a record; only the given fields change. */
export type UserUpdate = Partial<Pick<User, 'updatedAt' | 'state' | 'stateAt' | 'access' | 'lastSeen' | 'userAgent' | 'public' | 'trusted' | 'tags'>>;
export type TopicUpdate = Partial<
  Pick<Topic, 'updatedAt' | 'touchedAt' | 'state' | 'stateAt' | 'useBt' | 'access' | 'seqId' | 'delId' | 'public' | 'trusted' | 'tags' | 'aux'>
>;
export type SubscriptionUpdate = Partial<
  Pick<Subscription, 'updatedAt' | 'deletedAt' | 'delId' | 'recvSeqId' | 'readSeqId' | 'modeWant' | 'modeGiven' | 'private'>
>;

/** Where a subscriber's recv mark (and read mark, when given) move. */
export interface SeqMarks {
  readonly recvSeqId: number;
  readonly readSeqId?: number;
}

/** Messages of one topic to store together (none for marks alone), and the marks that move with them. */
export interface MessageBatch {
  readonly topic: string;
  readonly msgs: Message[];
  /** Subscriptions of the topic whose marks move (user → marks); their `updatedAt` stays. */
  readonly marks?: ReadonlyMap<Uid, SeqMarks>;
}
