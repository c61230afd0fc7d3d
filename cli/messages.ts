import type {
  AccBody,
  ClientMessage,
  CredClient,
  DelBody,
  Extra,
  GetQuery,
  NoteBody,
  SetDesc,
  SetQuery,
} from '../src/wire/client-messages.js';
import type { ParsedArgs } from './argparse.js';
import { attachment, avatar, CommandError, inlineImage } from './media.js';

/** Building protocol messages from parsed command arguments, as the reference client does. */

/** The value Tinode reads as "delete this field". */
export const TINODE_DEL = '\u2421';
/** What users type to delete a field, unless changed with `.delmark`. */
export const DEFAULT_DELETE_MARKER = 'DEL!';

/** What a command needs besides its arguments. */
export interface BuildContext {
  id: string;
  defaultUser: string | null;
  defaultTopic: string | null;
  deleteMarker: string;
}

const str = (args: ParsedArgs, key: string): string | undefined => {
  const v = args[key];
  return typeof v === 'string' ? v : undefined;
};
const flag = (args: ParsedArgs, key: string): boolean => args[key] === true;

/** `email:a@b.com:123456,tel:555` → credentials. */
export function parseCred(text: string | undefined): CredClient[] | undefined {
  if (text === undefined) return undefined;
  return text
    .split(',')
    .filter((c) => c.trim() !== '')
    .map((c) => {
      const [meth, val, resp] = c.trim().split(':');
      const cred: CredClient = {};
      if (meth) cred.meth = meth;
      if (val) cred.val = val;
      if (resp) cred.resp = resp;
      return cred;
    });
}

/** `verified,rm-staff` → `{verified: true, staff: ␡}`. */
export function parseTrusted(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  const out: Record<string, unknown> = {};
  for (const t of text.split(',').map((s) => s.trim())) {
    if (!t) continue;
    if (t.startsWith('rm-')) out[t.slice(3)] = TINODE_DEL;
    else out[t] = true;
  }
  return out;
}

/** A card (`public`) from a name, a description and an avatar file; undefined when none is given. */
export function makeCard(fn: string | undefined, note: string | undefined, photo: string | undefined, marker: string): Record<string, unknown> | undefined {
  if ((fn === undefined || fn.trim() === '') && note === undefined && photo === undefined) {
    return undefined;
  }
  const card: Record<string, unknown> = {};
  if (fn !== undefined) {
    const v = fn.trim();
    card.fn = v === '' || v === marker ? TINODE_DEL : v;
  }
  if (note !== undefined) {
    const v = note.trim();
    card.note = v === '' || v === marker ? TINODE_DEL : v;
  }
  if (photo !== undefined) {
    card.photo = photo === '' || photo === marker ? { data: TINODE_DEL } : avatar(photo);
  }
  return card;
}

function orDelete(value: string | undefined, marker: string): unknown {
  return value === marker ? TINODE_DEL : value;
}

function defacs(args: ParsedArgs): SetDesc['defacs'] | undefined {
  const auth = str(args, 'auth');
  const anon = str(args, 'anon');
  if (auth === undefined && anon === undefined) return undefined;
  const d: { auth?: string; anon?: string } = {};
  if (auth !== undefined) d.auth = auth;
  if (anon !== undefined) d.anon = anon;
  return d;
}

/** Drops undefined members so the message carries only what was given. */
function compact<T extends object>(o: T): T | undefined {
  const entries = Object.entries(o).filter(([, v]) => v !== undefined);
  return entries.length === 0 ? undefined : (Object.fromEntries(entries) as T);
}

function tagList(args: ParsedArgs): string[] | undefined {
  const tags = str(args, 'tags');
  return tags === undefined ? undefined : tags.split(',').filter((t) => t !== '');
}

function extraOf(args: ParsedArgs, ctx: BuildContext): Extra | null {
  const extra: Extra = {};
  if (ctx.defaultUser) extra.obo = ctx.defaultUser;
  if (flag(args, 'asRoot')) extra.authlevel = 'root';
  return Object.keys(extra).length > 0 ? extra : null;
}

function envelope<T extends ClientMessage['type'], B>(type: T, topic: string, body: B, args: ParsedArgs, ctx: BuildContext, id = ctx.id) {
  return { type, id, topic, body, extra: extraOf(args, ctx) };
}

function topicOf(args: ParsedArgs, ctx: BuildContext, cmd: string): string {
  const topic = str(args, 'topic') || ctx.defaultTopic;
  if (!topic) {
    throw new CommandError(`${cmd}: which topic? Give one, or set a default with ".use --topic NAME"`);
  }
  return topic;
}

export function accMsg(args: ParsedArgs, ctx: BuildContext): ClientMessage {
  let scheme = str(args, 'scheme');
  let secret = str(args, 'secret');
  const uname = str(args, 'uname');
  if (uname) {
    scheme = 'basic';
    secret = `${uname}:${str(args, 'password') ?? ''}`;
  }
  const body: AccBody = { user: str(args, 'user') ?? 'new' };
  if (secret) {
    body.scheme = scheme ?? 'basic';
    body.secret = Buffer.from(secret, 'utf8');
  } else if (scheme) {
    body.scheme = scheme;
  }
  const suspend = str(args, 'suspend');
  if (suspend === 'true') body.status = 'susp';
  else if (suspend === 'false') body.status = 'ok';
  if (flag(args, 'doLogin')) body.login = true;
  const tags = tagList(args);
  if (tags) body.tags = tags;
  const desc = compact<SetDesc>({
    defacs: defacs(args),
    public: makeCard(str(args, 'fn'), str(args, 'note'), str(args, 'photo'), ctx.deleteMarker),
    private: orDelete(str(args, 'private'), ctx.deleteMarker),
    trusted: parseTrusted(str(args, 'trusted')),
  });
  if (desc) body.desc = desc;
  const cred = parseCred(str(args, 'cred'));
  if (cred) body.cred = cred;
  return envelope('acc', '', body, args, ctx);
}

export function loginMsg(args: ParsedArgs, ctx: BuildContext): ClientMessage {
  const scheme = str(args, 'scheme') ?? 'basic';
  const given = str(args, 'secret');
  let secret: Buffer;
  if (given === undefined) {
    secret = Buffer.from(`${str(args, 'uname') ?? ''}:${str(args, 'password') ?? ''}`, 'utf8');
  } else if (scheme === 'basic') {
    secret = Buffer.from(given, 'utf8');
  } else {
    // Other schemes take bytes: the secret is written in base64 (a token is).
    secret = Buffer.from(given, 'base64');
  }
  const body: { scheme: string; secret: Buffer; cred?: CredClient[] } = { scheme, secret };
  const cred = parseCred(str(args, 'cred'));
  if (cred) body.cred = cred;
  return envelope('login', '', body, args, ctx);
}

export function subMsg(args: ParsedArgs, ctx: BuildContext): ClientMessage {
  const topic = topicOf(args, ctx, 'sub');
  const body: { set?: SetQuery; get?: GetQuery } = {};
  const desc = compact<SetDesc>({
    defacs: defacs(args),
    public: makeCard(str(args, 'fn'), str(args, 'note'), str(args, 'photo'), ctx.deleteMarker),
    private: orDelete(str(args, 'private'), ctx.deleteMarker),
    trusted: parseTrusted(str(args, 'trusted')),
  });
  const mode = str(args, 'mode');
  const set = compact<SetQuery>({ desc, sub: mode === undefined ? undefined : { mode }, tags: tagList(args) });
  if (set) body.set = set;
  const query = str(args, 'getQuery');
  if (query) body.get = { what: query.split(',').filter(Boolean).join(' ') };
  return envelope('sub', topic, body, args, ctx);
}

export function leaveMsg(args: ParsedArgs, ctx: BuildContext): ClientMessage {
  const topic = topicOf(args, ctx, 'leave');
  return envelope('leave', topic, flag(args, 'unsub') ? { unsub: true } : {}, args, ctx);
}

export function pubMsg(args: ParsedArgs, ctx: BuildContext): ClientMessage {
  const topic = topicOf(args, ctx, 'pub');
  const head: Record<string, unknown> = {};
  const drafty = str(args, 'drafty');
  const image = str(args, 'image');
  const file = str(args, 'attachment');
  if (drafty !== undefined || image !== undefined || file !== undefined) {
    head.mime = 'text/x-drafty';
  }
  // Headers given explicitly win over the mime type set above.
  for (const h of (str(args, 'head') ?? '').split(',').filter(Boolean)) {
    const at = h.indexOf(':');
    if (at <= 0) {
      throw new CommandError(`pub: header "${h}" is not key:value`);
    }
    head[h.slice(0, at)] = h.slice(at + 1);
  }
  let content: unknown;
  if (drafty !== undefined) {
    try {
      content = JSON.parse(drafty) as unknown;
    } catch (err) {
      throw new CommandError(`pub: --drafty is not JSON: ${(err as Error).message}`);
    }
  } else if (image !== undefined) {
    content = inlineImage(image);
  } else if (file !== undefined) {
    content = attachment(file);
  } else {
    content = str(args, 'content');
  }
  if (content === undefined || content === '') {
    throw new CommandError('pub: nothing to send: give the content, --drafty, --image or --attachment');
  }
  const body: { noecho: boolean; content: unknown; head?: Record<string, unknown> } = { noecho: true, content };
  if (Object.keys(head).length > 0) body.head = head;
  return envelope('pub', topic, body, args, ctx);
}

export function getMsg(args: ParsedArgs, ctx: BuildContext): ClientMessage {
  const topic = topicOf(args, ctx, 'get');
  const what = ['desc', 'sub', 'tags', 'data', 'cred'].filter((w) => flag(args, w));
  if (what.length === 0) {
    throw new CommandError('get: what to get? Give one or more of --desc, --sub, --tags, --data, --cred');
  }
  return envelope('get', topic, { what: what.join(' ') }, args, ctx);
}

export function setMsg(args: ParsedArgs, ctx: BuildContext, warn: (msg: string) => void): ClientMessage {
  const topic = topicOf(args, ctx, 'set');
  const pub = str(args, 'public');
  const desc = compact<SetDesc>({
    defacs: defacs(args),
    public: pub === undefined ? makeCard(str(args, 'fn'), str(args, 'note'), str(args, 'photo'), ctx.deleteMarker) : orDelete(pub, ctx.deleteMarker),
    private: orDelete(str(args, 'private'), ctx.deleteMarker),
    trusted: parseTrusted(str(args, 'trusted')),
  });
  const creds = parseCred(str(args, 'cred'));
  if (creds && creds.length > 1) {
    warn('set: several credentials given; only the first one is sent');
  }
  const set = compact<SetQuery>({
    desc,
    sub: compact({ user: str(args, 'user'), mode: str(args, 'mode') }),
    tags: tagList(args),
    cred: creds?.[0],
  });
  if (!set) {
    throw new CommandError('set: nothing to change: give --fn, --public, --private, --auth, --mode, --tags, --cred...');
  }
  return envelope('set', topic, set, args, ctx);
}

/** `all` or `1,2,9-12` (ranges inclusive) → the protocol's half-open ranges. */
export function parseSeqList(text: string): { low: number; hi?: number }[] {
  if (text === 'all') {
    return [{ low: 1, hi: 0x8ffffff }];
  }
  return text.split(',').map((item) => {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(item);
    if (!m) {
      throw new CommandError(`del: "${item}" is not a message ID or a range like 9-12`);
    }
    const low = Number(m[1]);
    if (low <= 0) throw new CommandError(`del: message IDs start at 1, not ${low}`);
    if (m[2] === undefined) return { low };
    const hi = Number(m[2]);
    if (hi < low) throw new CommandError(`del: invalid message ID range ${low}-${hi}`);
    return hi === low ? { low } : { low, hi: hi + 1 };
  });
}

export function delMsg(args: ParsedArgs, ctx: BuildContext): ClientMessage {
  const what = str(args, 'what') ?? '';
  let topic = str(args, 'topic') || ctx.defaultTopic || '';
  const user = str(args, 'user');
  const body: DelBody = { what };
  if (flag(args, 'hard')) body.hard = true;
  switch (what) {
    case 'msg': {
      if (!topic) throw new CommandError('del msg: which topic? Give --topic');
      if (user) throw new CommandError("del msg: unexpected '--user'");
      const seq = str(args, 'seq');
      if (!seq) throw new CommandError('del msg: which messages? Give --seq, e.g. --seq 1,2,9-12 or --seq all');
      body.delseq = parseSeqList(seq);
      break;
    }
    case 'sub': {
      const who = user || ctx.defaultUser;
      if (!topic || !who) throw new CommandError('del sub: give the topic and the user (--topic, --user)');
      body.user = who;
      break;
    }
    case 'topic':
      if (user) throw new CommandError("del topic: unexpected '--user'");
      if (!topic) throw new CommandError('del topic: which topic? Give --topic');
      break;
    case 'user': {
      if (str(args, 'topic')) throw new CommandError("del user: unexpected '--topic'");
      topic = '';
      const who = user || ctx.defaultUser;
      if (who) body.user = who;
      break;
    }
    case 'cred': {
      if (user) throw new CommandError("del cred: unexpected '--user'");
      topic = str(args, 'topic') || 'me';
      if (topic !== 'me') throw new CommandError("del cred: the topic must be 'me'");
      const cred = parseCred(str(args, 'cred'))?.[0];
      if (!cred?.meth || !cred.val) throw new CommandError('del cred: give the credential as --cred method:value, e.g. email:test@example.com');
      body.cred = cred;
      break;
    }
    default:
      throw new CommandError(`del: cannot delete "${what}": msg, sub, topic, user or cred`);
  }
  return envelope('del', topic, body, args, ctx);
}

export function noteMsg(args: ParsedArgs, ctx: BuildContext): ClientMessage {
  const topic = topicOf(args, ctx, 'note');
  const what = str(args, 'what') ?? 'kp';
  const body: NoteBody = { what };
  const seqText = str(args, 'seq');
  if (what !== 'kp') {
    const seq = Number(seqText);
    if (seqText === undefined || !Number.isInteger(seq) || seq <= 0) {
      throw new CommandError(`note ${what}: give the message ID with --seq`);
    }
    body.seq = seq;
  }
  if (what === 'call') {
    const event = str(args, 'event');
    if (!event) throw new CommandError('note call: give the call event with --event');
    body.event = event;
    const payload = str(args, 'payload');
    if (payload !== undefined) {
      try {
        body.payload = JSON.parse(payload) as unknown;
      } catch {
        body.payload = payload;
      }
    }
  }
  // {note} carries no id and gets no reply.
  return envelope('note', topic, body, args, ctx, '');
}
