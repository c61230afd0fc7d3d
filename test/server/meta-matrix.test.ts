import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addRoot } from '../../server/store/init/root.js';
import { RawClient, type Json } from '../helpers/raw.js';
import { connectSdk, type SdkClient } from '../helpers/sdk.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * What every `{get what=…}` and `{set …}` answers on every kind of topic: the first reply with the
 * request's id, as the reference's code gives it (topic.go `handleMetaGet`, `handleMetaSet` and
 * their `reply…` functions; session.go and hub.go for `sys` from a user who is not root, who
 * cannot attach). The table is README's ("`{get}` and `{set}` by topic kind"), checked cell by
 * cell: alice of the sample data, attached to the topic (bob owns the group she is a member of
 * and the channel she reads; a root user reads `sys`). `meta X` is a `{meta}` carrying X; a code
 * with a word is a ctrl with that `params.what`; `acs` a ctrl with `params.acs`.
 */
const TABLE = `
| request | me | fnd | p2p | grp owner | grp member | chn reader | sys root | sys not root | slf |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
| get desc | meta desc | meta desc | meta desc | meta desc | meta desc | meta desc | meta desc | meta desc | meta desc |
| get sub | meta sub | meta sub | meta sub | meta sub | meta sub | meta sub | 204 sub | 404 | 204 sub |
| get data | 403 | 403 | 208 data | 204 data | 204 data | 204 data | 204 data | 403 | 204 data |
| get del | 204 del | 204 del | 204 del | 204 del | 204 del | 204 del | 204 del | 403 | 204 del |
| get tags | meta tags | 204 tags | 405 | 204 tags | 403 | 403 | 405 | 403 | 405 |
| get cred | meta cred | 405 | 405 | 405 | 405 | 405 | 405 | 403 | 405 |
| get aux | 405 | 405 | 204 aux | 204 aux | 204 aux | 204 aux | 405 | 403 | 204 aux |
| set desc public | 200 | 200 | 403 | 200 | 403 | 403 | 304 | 304 | 304 |
| set desc private | 200 | 200 | 200 | 200 | 200 | 200 | 200 | 404 | 200 |
| set sub own mode | 200 acs | 200 acs | 200 acs | 403 | 304 | 200 acs | 200 acs | 404 | 403 |
| set sub another user | 403 | 403 | 403 | 200 acs | 403 | 403 | 403 | 403 | 403 |
| set tags | 304 | 405 | 405 | 200 | 403 | 403 | 405 | 403 | 405 |
| set cred | 200 | 405 | 405 | 405 | 405 | 405 | 405 | 403 | 405 |
| set aux | 405 | 405 | 200 | 200 | 403 | 403 | 405 | 403 | 200 |
`;

/** The payload of each request; `tags` are the topic's own tags (alice's on me, none elsewhere). */
const REQUESTS: Record<string, (topic: string, tags: string[]) => Record<string, unknown>> = {
  'get desc': (topic) => ({ get: { topic, what: 'desc' } }),
  'get sub': (topic) => ({ get: { topic, what: 'sub' } }),
  'get data': (topic) => ({ get: { topic, what: 'data' } }),
  'get del': (topic) => ({ get: { topic, what: 'del' } }),
  'get tags': (topic) => ({ get: { topic, what: 'tags' } }),
  'get cred': (topic) => ({ get: { topic, what: 'cred' } }),
  'get aux': (topic) => ({ get: { topic, what: 'aux' } }),
  'set desc public': (topic) => ({ set: { topic, desc: { public: { fn: `Matrix ${Math.random()}` } } } }),
  'set desc private': (topic) => ({ set: { topic, desc: { private: { note: Math.random() } } } }),
  'set sub own mode': (topic) => ({ set: { topic, sub: { mode: 'JRWPS' } } }),
  'set sub another user': (topic) => ({ set: { topic, sub: { user: ids.carol, mode: 'JRWP' } } }),
  // The topic's tags and one plain tag more (on me plain tags are ignored).
  'set tags': (topic, tags) => ({ set: { topic, tags: [...tags, 'matrix-tag'] } }),
  'set cred': (topic) => ({ set: { topic, cred: { meth: 'email', val: 'matrix@example.com' } } }),
  'set aux': (topic) => ({ set: { topic, aux: { pins: [1] } } }),
};

type Kind = 'me' | 'fnd' | 'p2p' | 'grp owner' | 'grp member' | 'chn reader' | 'sys root' | 'sys not root' | 'slf';

let srv: TestServer;
const ids: Record<string, string> = {};
const clients: RawClient[] = [];
let sdk: SdkClient | null = null;

beforeAll(async () => {
  srv = await startTestServer();
  await addRoot(srv.server.ctx.store, 'matrixroot:matrix123');
  for (const login of ['bob', 'carol']) {
    (await session(login)).close();
  }
});

afterAll(async () => {
  for (const c of clients) c.close();
  sdk?.disconnect();
  await srv.close();
});

async function session(login: string, password?: string): Promise<RawClient> {
  const c = await RawClient.open(srv.host);
  clients.push(c);
  await c.hello();
  const r = await c.login(login, password);
  ids[login] = String((r.ctrl?.params as { user: string }).user);
  return c;
}

async function attach(c: RawClient, topic: string): Promise<string> {
  const r = await c.reply({ sub: { id: 'a', topic } });
  expect(r.ctrl?.code, JSON.stringify(r)).toBe(200);
  return String(r.ctrl?.topic);
}

/** A session of the kind's user attached to a topic of that kind: the topic's name and tags. */
async function setUp(kind: Kind): Promise<{ c: RawClient; topic: string; tags: string[] }> {
  const alice = kind === 'sys root' ? await session('matrixroot', 'matrix123') : await session('alice');
  switch (kind) {
    case 'me': {
      await attach(alice, 'me');
      const tags = await alice.reply({ get: { id: 't', topic: 'me', what: 'tags' } });
      return { c: alice, topic: 'me', tags: (tags.meta?.tags as string[] | undefined) ?? [] };
    }
    case 'fnd':
    case 'slf':
    case 'sys root':
      return { c: alice, topic: await attach(alice, kind === 'sys root' ? 'sys' : kind), tags: [] };
    case 'sys not root':
      return { c: alice, topic: 'sys', tags: [] };
    case 'p2p':
      return { c: alice, topic: await attach(alice, ids.bob!), tags: [] };
    case 'grp owner':
      return { c: alice, topic: await attach(alice, 'new'), tags: [] };
    case 'grp member':
    case 'chn reader': {
      const bob = await session('bob');
      const grp = await attach(bob, kind === 'grp member' ? 'new' : 'nch');
      bob.close();
      return { c: alice, topic: await attach(alice, kind === 'grp member' ? grp : 'chn' + grp.slice(3)), tags: [] };
    }
  }
}

/** The first reply with the request's id, as the table writes it. */
function describeReply(m: Json): string {
  if (m.meta) {
    return 'meta ' + Object.keys(m.meta).filter((k) => !['id', 'topic', 'ts'].includes(k)).join(' ');
  }
  const params = (m.ctrl?.params ?? {}) as { what?: string; acs?: unknown };
  return [m.ctrl?.code, params.what, params.acs ? 'acs' : undefined].filter((x) => x !== undefined).join(' ');
}

function parseTable(text: string): { kinds: Kind[]; rows: [string, string[]][] } {
  const lines = text.trim().split('\n').map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
  const [head, , ...body] = lines;
  return { kinds: head!.slice(1) as Kind[], rows: body.map((r) => [r[0]!, r.slice(1)]) };
}

const { kinds, rows } = parseTable(TABLE);
const cells = rows.flatMap(([request, answers]) => kinds.map((kind, i) => [kind, request, answers[i]!] as const));

describe('{get} and {set} by topic kind', () => {
  it('is the table in README', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    expect(readme).toContain(TABLE.trim());
  });

  it.each(cells)('%s: %s answers %s', async (kind, request, expected) => {
    const { c, topic, tags } = await setUp(kind);
    const [type, body] = Object.entries(REQUESTS[request]!(topic, tags))[0]!;
    const answer = await c.reply({ [type]: { id: 'x', ...(body as Record<string, unknown>) } });
    expect(describeReply(answer), JSON.stringify(answer)).toBe(expected);
    c.close();
  });
});

describe('what the answers hold', () => {
  it('lists both sides of a p2p topic without public values, and to a channel reader only the reader', async () => {
    const { c, topic } = await setUp('p2p');
    const subs = (await c.reply({ get: { id: 's', topic, what: 'sub' } })).meta?.sub as Record<string, unknown>[];
    expect(subs.map((s) => s.user).sort()).toEqual([ids.alice, ids.bob].sort());
    for (const s of subs) {
      expect(s).not.toHaveProperty('public');
      expect(s).not.toHaveProperty('online');
      expect(s.acs).toHaveProperty('mode');
    }
    expect(subs.find((s) => s.user === ids.alice)).toHaveProperty('private');
    expect(subs.find((s) => s.user === ids.bob)).not.toHaveProperty('private');
    c.close();
    const r = await setUp('chn reader');
    const own = (await r.c.reply({ get: { id: 's', topic: r.topic, what: 'sub' } })).meta?.sub as Record<string, unknown>[];
    expect(own.map((s) => s.user)).toEqual([ids.alice]);
    r.c.close();
  });

  it('answers each part of a request on its own: a refused part does not stop the others', async () => {
    const { c, topic } = await setUp('p2p');
    c.send({ get: { id: 'm', topic, what: 'desc tags aux' } });
    const answers = [await c.next(), await c.next(), await c.next()];
    // aux: none yet (204) or what the table's row set.
    expect(answers.map(describeReply)).toEqual(['meta desc', '405', expect.stringMatching(/^(204 aux|meta aux)$/)]);
    c.close();
  });

  it('refuses tags on a p2p topic to tinode-sdk with 405', async () => {
    sdk = await connectSdk(srv.host, 'ws');
    await sdk.loginBasic('alice', 'alice123');
    const p2p = sdk.getTopic(ids.bob!);
    await p2p.subscribe();
    await expect(p2p.getMeta(p2p.startMetaQuery().withTags().build())).rejects.toMatchObject({ code: 405 });
  });
});
