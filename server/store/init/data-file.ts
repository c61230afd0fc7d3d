import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { packageRoot } from '../../../src/paths.js';

/**
 * The sample data format of the reference server's `tinode-db/data.json`, which our own
 * `sample.json` uses too: users, group topics, p2p and group subscriptions, messages and
 * Drafty forms. Times are offsets from now in Go's duration syntax (`-140h`); photos are file
 * names relative to the data file.
 */

/**
 * The bundled sample data (`tinode init-db --data sample`, and what `tinode serve` loads into a
 * new SQLite database): `sample/sample.json` next to this folder's source, shipped in the package.
 */
export function bundledSamplePath(): string {
  return join(packageRoot(), 'server', 'store', 'init', 'sample', 'sample.json');
}

export interface Card {
  fn?: string;
  photo?: string;
  type?: string;
}

export interface DataUser {
  createdAt?: string;
  email?: string;
  tel?: string;
  authLevel?: string;
  username: string;
  /** The password in clear text, or `(random)` for a generated one. */
  passhash: string;
  private?: unknown;
  public?: Card;
  trusted?: Record<string, unknown>;
  state?: string;
  status?: unknown;
  addressBook?: string[];
  tags?: string[];
}

export interface DataGroupTopic {
  createdAt?: string;
  /** A local name (`*ABC`) that subscriptions refer to. */
  name: string;
  owner?: string;
  channel?: boolean;
  public?: Card;
  trusted?: Record<string, unknown>;
  access?: { auth?: string; anon?: string };
  tags?: string[];
  ownerPrivate?: unknown;
}

export interface DataGroupSub {
  createdAt?: string;
  private?: unknown;
  topic: string;
  user: string;
  asChan?: boolean;
  want?: string;
  have?: string;
}

export interface DataP2PUser {
  name: string;
  private?: unknown;
  want?: string;
  have?: string;
}

export interface DataP2PSub {
  createdAt?: string;
  users: [DataP2PUser, DataP2PUser];
}

export interface DataFile {
  users: DataUser[];
  grouptopics: DataGroupTopic[];
  groupsubs: DataGroupSub[];
  p2psubs: DataP2PSub[];
  messages: string[];
  forms: Record<string, unknown>[];
  /** The folder photos are read from. */
  dir: string;
}

/** A problem in a data file, located by path (`users[2].username`). */
export class DataFileError extends Error {
  override readonly name = 'DataFileError';
  constructor(
    readonly file: string,
    readonly at: string,
    problem: string,
  ) {
    super(`${file}: ${at ? at + ': ' : ''}${problem}`);
  }
}

type Json = Record<string, unknown>;

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Checker {
  constructor(readonly file: string) {}

  fail(at: string, problem: string): never {
    throw new DataFileError(this.file, at, problem);
  }

  list(v: unknown, at: string): unknown[] {
    if (v === undefined || v === null) {
      return [];
    }
    if (!Array.isArray(v)) {
      this.fail(at, 'expected an array');
    }
    return v;
  }

  obj(v: unknown, at: string): Json {
    if (!isObj(v)) {
      this.fail(at, 'expected an object');
    }
    return v;
  }

  str(o: Json, key: string, at: string, required = false): string | undefined {
    const v = o[key];
    if (v === undefined || v === null) {
      if (required) {
        this.fail(`${at}.${key}`, 'missing');
      }
      return undefined;
    }
    if (typeof v !== 'string') {
      this.fail(`${at}.${key}`, 'expected a string');
    }
    return v;
  }

  strList(o: Json, key: string, at: string): string[] | undefined {
    const v = o[key];
    if (v === undefined || v === null) {
      return undefined;
    }
    const list = this.list(v, `${at}.${key}`);
    return list.map((x, i) => (typeof x === 'string' ? x : this.fail(`${at}.${key}[${i}]`, 'expected a string')));
  }

  card(o: Json, key: string, at: string): Card | undefined {
    const v = o[key];
    if (v === undefined || v === null) {
      return undefined;
    }
    const c = this.obj(v, `${at}.${key}`);
    const card: Card = {};
    const fn = this.str(c, 'fn', `${at}.${key}`);
    const photo = this.str(c, 'photo', `${at}.${key}`);
    const type = this.str(c, 'type', `${at}.${key}`);
    if (fn !== undefined) card.fn = fn;
    if (photo !== undefined) card.photo = photo;
    if (type !== undefined) card.type = type;
    return card;
  }
}

function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) {
    if (o[k] === undefined) {
      delete o[k];
    }
  }
  return o;
}

/** Parses and checks a data file's structure; names and cross-references are checked by the loader. */
export function parseDataFile(text: string, file: string): DataFile {
  const c = new Checker(file);
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (err) {
    c.fail('', `not valid JSON (${(err as Error).message})`);
  }
  const r = c.obj(root, '');
  const users = c.list(r.users, 'users').map((v, i): DataUser => {
    const at = `users[${i}]`;
    const u = c.obj(v, at);
    return defined({
      createdAt: c.str(u, 'createdAt', at),
      email: c.str(u, 'email', at),
      tel: c.str(u, 'tel', at),
      authLevel: c.str(u, 'authLevel', at),
      username: c.str(u, 'username', at, true)!,
      passhash: c.str(u, 'passhash', at, true)!,
      private: u.private,
      public: c.card(u, 'public', at),
      trusted: u.trusted === undefined || u.trusted === null ? undefined : c.obj(u.trusted, `${at}.trusted`),
      state: c.str(u, 'state', at),
      status: u.status,
      addressBook: c.strList(u, 'addressBook', at),
      tags: c.strList(u, 'tags', at),
    });
  });
  const grouptopics = c.list(r.grouptopics, 'grouptopics').map((v, i): DataGroupTopic => {
    const at = `grouptopics[${i}]`;
    const g = c.obj(v, at);
    const access = g.access === undefined || g.access === null ? undefined : c.obj(g.access, `${at}.access`);
    return defined({
      createdAt: c.str(g, 'createdAt', at),
      name: c.str(g, 'name', at, true)!,
      owner: c.str(g, 'owner', at),
      channel: g.channel === true,
      public: c.card(g, 'public', at),
      trusted: g.trusted === undefined || g.trusted === null ? undefined : c.obj(g.trusted, `${at}.trusted`),
      access: access ? defined({ auth: c.str(access, 'auth', `${at}.access`), anon: c.str(access, 'anon', `${at}.access`) }) : undefined,
      tags: c.strList(g, 'tags', at),
      ownerPrivate: g.ownerPrivate,
    });
  });
  const groupsubs = c.list(r.groupsubs, 'groupsubs').map((v, i): DataGroupSub => {
    const at = `groupsubs[${i}]`;
    const s = c.obj(v, at);
    return defined({
      createdAt: c.str(s, 'createdAt', at),
      private: s.private,
      topic: c.str(s, 'topic', at, true)!,
      user: c.str(s, 'user', at, true)!,
      asChan: s.asChan === true,
      want: c.str(s, 'want', at),
      have: c.str(s, 'have', at),
    });
  });
  const p2psubs = c.list(r.p2psubs, 'p2psubs').map((v, i): DataP2PSub => {
    const at = `p2psubs[${i}]`;
    const s = c.obj(v, at);
    const pair = c.list(s.users, `${at}.users`);
    if (pair.length !== 2) {
      c.fail(`${at}.users`, 'expected exactly two users');
    }
    const users = pair.map((p, j): DataP2PUser => {
      const pat = `${at}.users[${j}]`;
      const pu = c.obj(p, pat);
      return defined({ name: c.str(pu, 'name', pat, true)!, private: pu.private, want: c.str(pu, 'want', pat), have: c.str(pu, 'have', pat) });
    }) as [DataP2PUser, DataP2PUser];
    return defined({ createdAt: c.str(s, 'createdAt', at), users });
  });
  const messages = c.list(r.messages, 'messages').map((m, i) => (typeof m === 'string' ? m : c.fail(`messages[${i}]`, 'expected a string')));
  const forms = c.list(r.forms, 'forms').map((f, i) => c.obj(f, `forms[${i}]`));
  return { users, grouptopics, groupsubs, p2psubs, messages, forms, dir: dirname(resolve(file)) };
}

/** Reads and parses a data file. */
export function readDataFile(path: string): DataFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DataFileError(path, '', `cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseDataFile(text, path);
}
