import { modeToString, parseMode, MODE_NONE, MODE_UNSET, type DefaultAccess } from '../../../src/model/access.js';
import { toAuthLevel } from '../../../src/model/auth-level.js';
import type { Uid } from '../../../src/model/uid.js';
import {
  toObjState,
  type AuthRecord,
  type Credential,
  type FileDef,
  type Message,
  type Subscription,
  type Topic,
  type User,
} from '../contract/types.js';
import type { Ctx } from './context.js';
import { decodeBigint, decodeBool, decodeInt, decodeJson, decodeTime, decodeTimeRequired, encodeJson, encodeTime } from './dialect.js';

/**
 * Row codecs: records to column values and back, in the reference server's encodings
 * (access as `{"Auth":"JRWPAS","Anon":"N"}`, modes as letters, tags and values as JSON text,
 * ids decrypted to positive BIGINTs).
 */

type Row = Record<string, unknown>;

/** A stored id read back into a client-visible id. */
export function idFromDb(ctx: Ctx, v: unknown): Uid {
  return ctx.ids.encode(decodeBigint(v));
}

export function modeToDb(mode: number): string {
  return mode === MODE_UNSET ? '' : modeToString(mode);
}

export function modeFromDb(v: unknown): number {
  if (v === null || v === undefined) {
    return MODE_NONE;
  }
  const m = parseMode(String(v).trim());
  return m === null || m === MODE_UNSET ? MODE_NONE : m;
}

export function accessToDb(a: DefaultAccess): string {
  return JSON.stringify({ Auth: modeToString(a.auth), Anon: modeToString(a.anon) });
}

export function accessFromDb(v: unknown): DefaultAccess {
  const obj = decodeJson(v) as { Auth?: unknown; Anon?: unknown } | null;
  return { auth: modeFromDb(obj?.Auth), anon: modeFromDb(obj?.Anon) };
}

export function tagsFromDb(v: unknown): string[] {
  const tags = decodeJson(v);
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
}

export function tagsToDb(tags: string[]): string {
  return JSON.stringify(tags);
}

/** Column values of a new user row. */
export function userToRow(ctx: Ctx, u: User): Row {
  const time = encodeTime;
  return {
    id: ctx.d.bigint(ctx.ids.decode(u.id)),
    createdat: time(u.createdAt),
    updatedat: time(u.updatedAt),
    state: u.state,
    stateat: u.stateAt ? time(u.stateAt) : null,
    access: accessToDb(u.access),
    lastseen: u.lastSeen ? time(u.lastSeen) : null,
    useragent: u.userAgent,
    public: encodeJson(u.public),
    trusted: encodeJson(u.trusted),
    tags: tagsToDb(u.tags),
  };
}

export function userFromRow(ctx: Ctx, r: Row): User {
  return {
    id: idFromDb(ctx, r.id),
    createdAt: decodeTimeRequired(r.createdat),
    updatedAt: decodeTimeRequired(r.updatedat),
    state: toObjState(decodeInt(r.state)),
    stateAt: decodeTime(r.stateat),
    access: accessFromDb(r.access),
    lastSeen: decodeTime(r.lastseen),
    userAgent: r.useragent === null || r.useragent === undefined ? '' : String(r.useragent),
    public: decodeJson(r.public),
    trusted: decodeJson(r.trusted),
    tags: tagsFromDb(r.tags),
  };
}

export function topicFromRow(ctx: Ctx, r: Row): Topic {
  const aux = decodeJson(r.aux);
  return {
    name: String(r.name).trim(),
    createdAt: decodeTimeRequired(r.createdat),
    updatedAt: decodeTimeRequired(r.updatedat),
    touchedAt: decodeTime(r.touchedat) ?? decodeTimeRequired(r.updatedat),
    state: toObjState(decodeInt(r.state)),
    stateAt: decodeTime(r.stateat),
    useBt: decodeBool(r.usebt),
    owner: idFromDb(ctx, r.owner),
    access: accessFromDb(r.access),
    seqId: decodeInt(r.seqid),
    delId: decodeInt(r.delid),
    subCnt: decodeInt(r.subcnt),
    public: decodeJson(r.public),
    trusted: decodeJson(r.trusted),
    tags: tagsFromDb(r.tags),
    aux: aux && typeof aux === 'object' && !Array.isArray(aux) ? (aux as Record<string, unknown>) : null,
  };
}

/** A subscription row (columns of the `subscriptions` table, `userid` included). */
export function subFromRow(ctx: Ctx, r: Row): Subscription {
  return {
    createdAt: decodeTimeRequired(r.createdat),
    updatedAt: decodeTimeRequired(r.updatedat),
    deletedAt: decodeTime(r.deletedat),
    user: idFromDb(ctx, r.userid),
    topic: String(r.topic).trim(),
    delId: decodeInt(r.delid),
    recvSeqId: decodeInt(r.recvseqid),
    readSeqId: decodeInt(r.readseqid),
    modeWant: modeFromDb(r.modewant),
    modeGiven: modeFromDb(r.modegiven),
    private: decodeJson(r.private),
  };
}

export function messageFromRow(ctx: Ctx, r: Row): Message {
  const head = decodeJson(r.head);
  return {
    id: decodeInt(r.id),
    createdAt: decodeTimeRequired(r.createdat),
    updatedAt: decodeTimeRequired(r.updatedat),
    deletedAt: decodeTime(r.deletedat),
    delId: decodeInt(r.delid),
    seqId: decodeInt(r.seqid),
    topic: String(r.topic).trim(),
    from: idFromDb(ctx, r.from),
    head: head && typeof head === 'object' && !Array.isArray(head) ? (head as Record<string, unknown>) : null,
    content: decodeJson(r.content),
  };
}

export function credFromRow(uid: Uid, r: Row): Credential {
  return {
    user: uid,
    createdAt: decodeTimeRequired(r.createdat),
    updatedAt: decodeTimeRequired(r.updatedat),
    method: String(r.method),
    value: String(r.value),
    resp: r.resp === null || r.resp === undefined ? '' : String(r.resp),
    done: decodeBool(r.done),
    retries: decodeInt(r.retries),
  };
}

export function authFromRow(ctx: Ctx, r: Row): AuthRecord {
  const secret = r.secret;
  return {
    uid: idFromDb(ctx, r.userid),
    unique: String(r.uname),
    authLevel: toAuthLevel(decodeInt(r.authlvl)),
    secret: Buffer.isBuffer(secret) ? secret : Buffer.from(String(secret ?? ''), 'utf8'),
    expires: decodeTime(r.expires),
  };
}

export function fileFromRow(ctx: Ctx, r: Row): FileDef {
  return {
    id: idFromDb(ctx, r.id),
    createdAt: decodeTimeRequired(r.createdat),
    updatedAt: decodeTimeRequired(r.updatedat),
    status: decodeInt(r.status),
    user: idFromDb(ctx, r.userid),
    mimeType: String(r.mimetype),
    size: decodeInt(r.size),
    location: String(r.location),
    etag: r.etag === null || r.etag === undefined ? '' : String(r.etag),
  };
}
