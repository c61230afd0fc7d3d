import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import {
  MODE_CAUTH,
  MODE_CCHN_READER,
  MODE_CFULL,
  MODE_CP2P,
  MODE_CP2PD,
  MODE_CPUBLIC,
  MODE_CREADONLY,
  MODE_NONE,
  MODE_UNSET,
  parseMode,
} from '../../../src/model/access.js';
import { AuthLevel, parseAuthLevel } from '../../../src/model/auth-level.js';
import { parseGoDuration } from '../../../src/model/time.js';
import { fndName, grpToChn, p2pName, uidToString, type Uid } from '../../../src/model/uid.js';
import { hashPassword } from '../../../src/model/password.js';
import type { Store } from '../store.js';
import { ObjState, parseObjState, type Message } from '../contract/types.js';
import type { DataFile } from './data-file.js';
import { DataFileError } from './data-file.js';

/** What a load created, for the summary. */
export interface LoadSummary {
  users: { login: string; id: string; password: string; generated: boolean }[];
  groupTopics: { name: string; id: string }[];
  p2pTopics: number;
  groupSubscriptions: number;
  messages: number;
}

/** Progress callbacks for a long load. */
export interface LoadProgress {
  start(label: string, total: number): void;
  tick(): void;
}

// Letters and digits only: generated passwords get typed into shells and login forms.
const PASSWORD_CHARS = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A random password of `n` characters. */
export function randomPassword(n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) {
    out += PASSWORD_CHARS[randomInt(PASSWORD_CHARS.length)];
  }
  return out;
}

interface Ctx {
  store: Store;
  data: DataFile;
  file: string;
  now: number;
  p2pDelete: boolean;
  progress: LoadProgress;
  /** Local names (logins, `*ABC`, `a:b` pairs) to ids and topic names. */
  users: Map<string, Uid>;
  topics: Map<string, string>;
}

function createdAt(ctx: Ctx, offset: string | undefined, at: string): Date {
  if (!offset) {
    return new Date(ctx.now);
  }
  const ms = parseGoDuration(offset);
  if (ms === null) {
    throw new DataFileError(ctx.file, at, `"${offset}" is not a duration such as "-140h"`);
  }
  return new Date(ctx.now + Math.round(ms));
}

function mode(ctx: Ctx, text: string | undefined, def: number, at: string): number {
  if (text === undefined || text === '') {
    return def;
  }
  const m = parseMode(text);
  if (m === null) {
    throw new DataFileError(ctx.file, at, `"${text}" is not an access mode such as "JRWPS" or "N"`);
  }
  return m === MODE_UNSET ? def : m;
}

/** `{fn, photo: {type, data}}` with the photo read from a file next to the data file. */
function parsePublic(ctx: Ctx, card: DataFile['users'][number]['public'], at: string): unknown {
  if (!card || (!card.fn && !card.photo)) {
    return null;
  }
  const pub: Record<string, unknown> = { fn: card.fn ?? '' };
  if (card.photo) {
    const path = isAbsolute(card.photo) ? card.photo : join(ctx.data.dir, card.photo);
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch {
      throw new DataFileError(ctx.file, `${at}.public.photo`, `cannot read the photo ${path}`);
    }
    pub.photo = { type: card.type ?? 'jpg', data: bytes.toString('base64') };
  }
  return pub;
}

function userOf(ctx: Ctx, login: string, at: string): Uid {
  const uid = ctx.users.get(login);
  if (uid === undefined) {
    throw new DataFileError(ctx.file, at, `no user "${login}" in the data`);
  }
  return uid;
}

async function loadUsers(ctx: Ctx, summary: LoadSummary): Promise<string> {
  let bot = '';
  ctx.progress.start('Users', ctx.data.users.length);
  for (const [i, u] of ctx.data.users.entries()) {
    const at = `users[${i}]`;
    const state = parseObjState(u.state ?? '');
    if (state === null) {
      throw new DataFileError(ctx.file, `${at}.state`, `"${u.state}" is not one of ok, susp, del`);
    }
    const level = u.authLevel ? parseAuthLevel(u.authLevel) : AuthLevel.AUTH;
    if (level === AuthLevel.NONE) {
      throw new DataFileError(ctx.file, `${at}.authLevel`, `"${u.authLevel}" is not one of anon, auth, root`);
    }
    const login = u.username.toLowerCase();
    if (ctx.users.has(login)) {
      throw new DataFileError(ctx.file, `${at}.username`, `"${login}" appears twice`);
    }
    const tags = [...(u.tags ?? []), `basic:${login}`];
    if (u.email) tags.push(`email:${u.email}`);
    if (u.tel) tags.push(`tel:${u.tel}`);
    const user = await ctx.store.users.create(
      {
        state,
        stateAt: state === ObjState.OK ? null : new Date(ctx.now),
        access: { auth: MODE_CAUTH, anon: MODE_NONE },
        lastSeen: null,
        userAgent: '',
        public: parsePublic(ctx, u.public, at),
        trusted: u.trusted && Object.keys(u.trusted).length > 0 ? u.trusted : null,
        tags,
        createdAt: createdAt(ctx, u.createdAt, `${at}.createdAt`),
      },
      u.private ?? null,
    );
    for (const [method, value] of [['email', u.email], ['tel', u.tel]] as const) {
      if (value) {
        const now = new Date();
        await ctx.store.creds.upsert({ user: user.id, method, value, resp: '', done: true, retries: 0, createdAt: now, updatedAt: now });
      }
    }
    const generated = u.passhash === '(random)';
    const password = generated ? randomPassword(12) : u.passhash;
    if (generated) {
      bot = login;
    }
    await ctx.store.auth.addRecord(user.id, level, 'basic', login, await hashPassword(password), null);
    if (u.addressBook && u.addressBook.length > 0) {
      await ctx.store.subs.update(fndName(user.id), user.id, { private: u.addressBook.join(','), updatedAt: new Date() });
    }
    ctx.users.set(login, user.id);
    summary.users.push({ login, id: 'usr' + uidToString(user.id), password, generated });
    ctx.progress.tick();
  }
  return bot || (ctx.data.users[0]?.username.toLowerCase() ?? '');
}

async function loadGroupTopics(ctx: Ctx, summary: LoadSummary): Promise<void> {
  ctx.progress.start('Group topics', ctx.data.grouptopics.length);
  for (const [i, g] of ctx.data.grouptopics.entries()) {
    const at = `grouptopics[${i}]`;
    if (ctx.topics.has(g.name)) {
      throw new DataFileError(ctx.file, `${at}.name`, `"${g.name}" appears twice`);
    }
    const name = 'grp' + uidToString(ctx.store.newUid());
    const owner = g.owner ? userOf(ctx, g.owner.toLowerCase(), `${at}.owner`) : 0n;
    await ctx.store.topics.create(
      {
        name,
        state: ObjState.OK,
        stateAt: null,
        useBt: g.channel === true,
        owner,
        access: {
          auth: mode(ctx, g.access?.auth, MODE_CPUBLIC, `${at}.access.auth`),
          anon: mode(ctx, g.access?.anon, MODE_CREADONLY, `${at}.access.anon`),
        },
        seqId: 0,
        delId: 0,
        public: parsePublic(ctx, g.public, at),
        trusted: g.trusted && Object.keys(g.trusted).length > 0 ? g.trusted : null,
        tags: g.tags ?? [],
        aux: null,
        createdAt: createdAt(ctx, g.createdAt, `${at}.createdAt`),
      },
      MODE_CFULL,
      g.ownerPrivate ?? null,
    );
    ctx.topics.set(g.name, name);
    summary.groupTopics.push({ name: g.name, id: name });
    ctx.progress.tick();
  }
}

async function loadP2P(ctx: Ctx, summary: LoadSummary): Promise<string[]> {
  const pairs: string[] = [];
  ctx.progress.start('P2P topics', ctx.data.p2psubs.length);
  const def = ctx.p2pDelete ? MODE_CP2PD : MODE_CP2P;
  for (const [i, p] of ctx.data.p2psubs.entries()) {
    const at = `p2psubs[${i}]`;
    const [a, b] = p.users;
    const ua = userOf(ctx, a.name.toLowerCase(), `${at}.users[0].name`);
    const ub = userOf(ctx, b.name.toLowerCase(), `${at}.users[1].name`);
    const topic = p2pName(ua, ub);
    if (!topic) {
      throw new DataFileError(ctx.file, at, 'a p2p topic needs two different users');
    }
    const when = createdAt(ctx, p.createdAt, `${at}.createdAt`);
    const sa = ctx.store.subscription(ua, topic, mode(ctx, a.want, def, `${at}.users[0].want`), mode(ctx, a.have, def, `${at}.users[0].have`), a.private ?? null, when);
    const sb = ctx.store.subscription(ub, topic, mode(ctx, b.want, def, `${at}.users[1].want`), mode(ctx, b.have, def, `${at}.users[1].have`), b.private ?? null, when);
    await ctx.store.topics.createP2P(sa, sb);
    const pair = [a.name, b.name].map((n) => n.toLowerCase()).sort().join(':');
    ctx.topics.set(pair, topic);
    pairs.push(pair);
    summary.p2pTopics++;
    ctx.progress.tick();
  }
  return pairs;
}

async function loadGroupSubs(ctx: Ctx, summary: LoadSummary): Promise<void> {
  ctx.progress.start('Group subscriptions', ctx.data.groupsubs.length);
  for (const [i, s] of ctx.data.groupsubs.entries()) {
    const at = `groupsubs[${i}]`;
    const def = s.asChan ? MODE_CCHN_READER : MODE_CPUBLIC;
    const grp = ctx.topics.get(s.topic);
    if (!grp) {
      throw new DataFileError(ctx.file, `${at}.topic`, `no group topic "${s.topic}" in the data`);
    }
    const user = userOf(ctx, s.user.toLowerCase(), `${at}.user`);
    const topic = s.asChan ? grpToChn(grp) : grp;
    await ctx.store.subs.create(
      ctx.store.subscription(user, topic, mode(ctx, s.want, def, `${at}.want`), mode(ctx, s.have, def, `${at}.have`), s.private ?? null, createdAt(ctx, s.createdAt, `${at}.createdAt`)),
    );
    summary.groupSubscriptions++;
    ctx.progress.tick();
  }
}

function message(topic: string, from: Uid, seqId: number, at: Date, content: unknown, head: Record<string, unknown> | null = null): Message {
  return { id: 0, createdAt: at, updatedAt: at, deletedAt: null, delId: 0, seqId, topic, from, head, content };
}

/**
 * Spreads the messages over the conversations: 96 messages over the last four days, each from a
 * random member (channel readers excepted), in increasing time; several in a row often come from
 * the same person. A single message goes once into every group topic and half the p2p topics.
 */
async function loadMessages(ctx: Ctx, pairs: string[], summary: LoadSummary, seqs: Map<string, number>): Promise<number> {
  const texts = ctx.data.messages;
  if (texts.length === 0) {
    return ctx.now - 600_000;
  }
  const senders: { topic: string; from: Uid }[] = [];
  for (const s of ctx.data.groupsubs) {
    if (!s.asChan) {
      senders.push({ topic: ctx.topics.get(s.topic)!, from: ctx.users.get(s.user.toLowerCase())! });
    }
  }
  for (const p of ctx.data.p2psubs) {
    const topic = ctx.topics.get(p.users.map((u) => u.name.toLowerCase()).sort().join(':'))!;
    for (const u of p.users) {
      senders.push({ topic, from: ctx.users.get(u.name.toLowerCase())! });
    }
  }
  const save = async (topic: string, from: Uid, at: Date, content: unknown) => {
    const seq = (seqs.get(topic) ?? 0) + 1;
    seqs.set(topic, seq);
    await ctx.store.messages.saveAll(topic, [message(topic, from, seq, at, content)], true);
    summary.messages++;
    ctx.progress.tick();
  };
  let end = ctx.now - 600_000;
  if (texts.length === 1) {
    const at = new Date(ctx.now - 60_000);
    const firstText = texts[0]!;
    const half = pairs.slice(0, Math.ceil(pairs.length / 2));
    ctx.progress.start('Messages', ctx.data.grouptopics.length + half.length);
    for (const g of ctx.data.grouptopics) {
      await save(ctx.topics.get(g.name)!, g.owner ? ctx.users.get(g.owner.toLowerCase())! : 0n, at, firstText);
    }
    for (const pair of half) {
      await save(ctx.topics.get(pair)!, ctx.users.get(pair.split(':')[0]!)!, at, firstText);
    }
    return ctx.now;
  }
  if (senders.length === 0) {
    return end;
  }
  const shuffled = [...texts];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const count = 96;
  ctx.progress.start('Messages', count);
  let at = end - 4 * 24 * 3_600_000;
  let step = 3_600_000;
  let sender = senders[randomInt(senders.length)]!;
  for (let i = 0; i < count; i++) {
    if (randomInt(5) > 0) {
      sender = senders[randomInt(senders.length)]!;
    }
    at += randomInt(Math.max(step, 1));
    end = Math.max(end, at);
    await save(sender.topic, sender.from, new Date(at), shuffled[i % shuffled.length]);
    step = Math.floor((end - at) / (count - i)) || 1000;
  }
  return end;
}

async function loadForms(ctx: Ctx, bot: string, start: number, summary: LoadSummary, seqs: Map<string, number>): Promise<void> {
  const from = ctx.users.get(bot);
  if (ctx.data.forms.length === 0 || from === undefined) {
    return;
  }
  const withBot = ctx.data.p2psubs.filter((p) => p.users.some((u) => u.name.toLowerCase() === bot));
  ctx.progress.start('Forms', ctx.data.forms.length * withBot.length);
  let at = start;
  for (const form of ctx.data.forms) {
    for (const p of withBot) {
      at += 1000;
      const topic = ctx.topics.get(p.users.map((u) => u.name.toLowerCase()).sort().join(':'))!;
      const seq = (seqs.get(topic) ?? 0) + 1;
      seqs.set(topic, seq);
      await ctx.store.messages.saveAll(topic, [message(topic, from, seq, new Date(at), form, { mime: 'text/x-drafty' })], true);
      summary.messages++;
      ctx.progress.tick();
    }
  }
}

/**
 * Loads a data file into an initialized, empty database, as the reference `tinode-db` does:
 * users with bcrypt-hashed passwords, validated email and phone credentials and tags; group
 * topics with their owners; p2p topics; group and channel subscriptions; messages; forms sent
 * by the bot user (the one whose password is `(random)`).
 */
export async function loadData(
  store: Store,
  data: DataFile,
  file: string,
  opts: { p2pDelete: boolean; progress?: LoadProgress },
): Promise<LoadSummary> {
  const ctx: Ctx = {
    store,
    data,
    file,
    now: Date.now(),
    p2pDelete: opts.p2pDelete,
    progress: opts.progress ?? { start() {}, tick() {} },
    users: new Map(),
    topics: new Map(),
  };
  const summary: LoadSummary = { users: [], groupTopics: [], p2pTopics: 0, groupSubscriptions: 0, messages: 0 };
  const bot = await loadUsers(ctx, summary);
  await loadGroupTopics(ctx, summary);
  const pairs = await loadP2P(ctx, summary);
  await loadGroupSubs(ctx, summary);
  const seqs = new Map<string, number>();
  const end = await loadMessages(ctx, pairs, summary, seqs);
  await loadForms(ctx, bot, end, summary, seqs);
  return summary;
}
