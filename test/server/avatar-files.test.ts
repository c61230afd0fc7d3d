import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AVATAR_CACHE_CONTROL } from '../../server/media/http-serve.js';
import { connectSdk, DEMO_KEY, type SdkClient, type SdkTopic } from '../helpers/sdk.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Avatars are as public as the `public` field that points to them: on a real server, with
 * tinode-sdk clients and HTTP uploads, a file that is a user's or a group's current avatar is
 * read with the API key alone (header, query or cookie) and cached for long; any other file, and
 * an avatar that was replaced, still needs a user's credentials; nothing is read without the key.
 */
let srv: TestServer;
let base: string;
let alice: SdkClient;
let token: string;

/** A PNG-looking file of `n` bytes; `seed` makes each one different. */
function png(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed) % 256;
  Buffer.from('\x89PNG\x0D\x0A\x1A\x0A', 'latin1').copy(b);
  return b;
}

/** Uploads as alice (API key and token in headers, as the SDK does); resolves to the file's path. */
async function upload(seed: number): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([png(12_000, seed)], { type: 'image/png' }), 'avatar.png');
  const res = await fetch(`${base}/v0/file/u/`, { method: 'POST', headers: { 'X-Tinode-APIKey': DEMO_KEY, 'X-Tinode-Auth': `Token ${token}` }, body: form });
  const body = (await res.json()) as { ctrl: { code: number; params?: { url?: string } } };
  expect(body.ctrl.code).toBe(200);
  return body.ctrl.params!.url!;
}

/** A download with only what is given: `key` (the API key in the header), `auth` (alice's token), other headers. */
function get(path: string, opts: { key?: boolean; auth?: boolean; headers?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key ?? true) headers['X-Tinode-APIKey'] = DEMO_KEY;
  if (opts.auth) headers['X-Tinode-Auth'] = `Token ${token}`;
  return fetch(`${base}${path}`, { headers });
}

const photo = (ref: string) => ({ fn: 'Avatar owner', photo: { ref, type: 'png', width: 64, height: 64, size: 12_000 } });

/** Alice's profile photo is `ref` (linked through the `{set}`'s attachments, as TinodeWeb sends it). */
async function setProfilePhoto(ref: string, attachments = [ref]): Promise<void> {
  const ctrl = await alice.getMeTopic().setMeta({ desc: { public: photo(ref) }, attachments });
  expect(ctrl.code).toBeLessThan(300);
}

/** A new group of alice's, made as TinodeWeb makes one (the avatar in the `{sub}`'s attachments). */
async function newGroup(pub: unknown, attachments?: string[]): Promise<SdkTopic> {
  const topic = alice.getTopic(alice.newGroupTopicName(false));
  const ctrl = await topic.subscribe(undefined, { desc: { public: pub }, attachments });
  expect(ctrl.code).toBe(200);
  return topic;
}

beforeAll(async () => {
  srv = await startTestServer({ media: { use_handler: 'fs', gc_period: 0 } });
  base = `http://${srv.host}`;
  alice = await connectSdk(srv.host, 'ws');
  await alice.loginBasic('alice', 'alice123');
  token = alice.getAuthToken()!.token;
  await alice.getMeTopic().subscribe();
});

afterAll(async () => {
  alice?.disconnect();
  await srv?.close();
});

describe('a file that is no avatar', () => {
  it('needs a user: the API key alone is refused whether the file exists or not', async () => {
    const ref = await upload(1);
    expect((await get(ref, { auth: true })).status).toBe(200);
    const anon = await get(ref);
    expect(anon.status).toBe(401);
    expect(((await anon.json()) as { ctrl: { text: string } }).ctrl.text).toBe('authentication required');
    expect((await get('/v0/file/s/AAAAAAAAAAA.png')).status).toBe(401);
  });

  it('needs a user when it is a message attachment', async () => {
    const ref = await upload(2);
    const topic = await newGroup({ fn: 'No avatar' });
    // The SDK sends the ref as the message's attachment: the file is linked to the message.
    const content = { txt: ' ', fmt: [{ at: -1 }], ent: [{ tp: 'EX', data: { mime: 'image/png', ref, size: 12_000 } }] };
    expect((await topic.publishMessage(topic.createMessage(content, true)))?.code).toBeLessThan(300);
    expect((await get(ref)).status).toBe(401);
  });
});

describe('a file someone else names as an avatar', () => {
  it("stays private: bob's profile photo and bob's group photo naming alice's upload", async () => {
    const ref = await upload(11);
    const bob = await connectSdk(srv.host, 'ws');
    try {
      await bob.loginBasic('bob', 'bob123');
      const me = bob.getMeTopic();
      await me.subscribe();
      expect((await me.setMeta({ desc: { public: photo(ref) }, attachments: [ref] })).code).toBeLessThan(300);
      const topic = bob.getTopic(bob.newGroupTopicName(false));
      expect((await topic.subscribe(undefined, { desc: { public: photo(ref) }, attachments: [ref] })).code).toBe(200);
      expect((await get(ref)).status).toBe(401);
      // Bob's own upload as his photo is public.
      const form = new FormData();
      form.append('file', new Blob([png(12_000, 12)], { type: 'image/png' }), 'bob.png');
      const up = await fetch(`${base}/v0/file/u/`, { method: 'POST', headers: { 'X-Tinode-APIKey': DEMO_KEY, 'X-Tinode-Auth': `Token ${bob.getAuthToken()!.token}` }, body: form });
      const own = ((await up.json()) as { ctrl: { params: { url: string } } }).ctrl.params.url;
      expect((await me.setMeta({ desc: { public: photo(own) }, attachments: [own] })).code).toBeLessThan(300);
      expect((await get(own)).status).toBe(200);
      await me.leave();
    } finally {
      bob.disconnect();
    }
  });
});

describe('a profile photo', () => {
  let ref: string;
  beforeAll(async () => {
    ref = await upload(3);
    await setProfilePhoto(ref);
  });

  it('is read with the API key alone, in the header, the query or the apikey cookie', async () => {
    const res = await get(ref);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(png(12_000, 3));
    expect((await get(`${ref}?apikey=${DEMO_KEY}`, { key: false })).status).toBe(200);
    expect((await get(ref, { key: false, headers: { Cookie: `apikey=${DEMO_KEY}` } })).status).toBe(200);
  });

  it('is not read without the API key, nor with a wrong one', async () => {
    expect((await get(ref, { key: false })).status).toBe(403);
    expect((await get(ref, { key: false, headers: { 'X-Tinode-APIKey': 'AQEAAAABAAD_rAp4DJh05a1HAwFT3A6L' } })).status).toBe(403);
  });

  it('is cached for long and revalidates with its ETag', async () => {
    const res = await get(ref);
    expect(res.headers.get('cache-control')).toBe(AVATAR_CACHE_CONTROL);
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);
    const again = await get(ref, { headers: { 'If-None-Match': etag! } });
    expect(again.status).toBe(304);
  });

  it('stops being public once replaced, and a file linked but not named never is', async () => {
    const next = await upload(4);
    await setProfilePhoto(next);
    expect((await get(next)).status).toBe(200);
    expect((await get(ref)).status).toBe(401);
    expect((await get(ref, { auth: true })).status).toBe(200);
    // Linked as the avatar while public still names another file: neither is public.
    const linkedOnly = await upload(5);
    await setProfilePhoto(next, [linkedOnly]);
    expect((await get(linkedOnly)).status).toBe(401);
    expect((await get(next)).status).toBe(401);
  });
});

describe('a group avatar', () => {
  it('set when the group is created is read with the API key alone', async () => {
    const ref = await upload(6);
    await newGroup(photo(ref), [ref]);
    const res = await get(ref);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe(AVATAR_CACHE_CONTROL);
  });

  it('named by the new group without attachments (as TinodeWeb creates one) is linked when its creator uploaded it', async () => {
    const ref = await upload(9);
    await newGroup(photo(ref));
    expect((await get(ref)).status).toBe(200);
    // Naming a file someone else uploaded does not make it an avatar.
    const others = await upload(10);
    const bob = await connectSdk(srv.host, 'ws');
    try {
      await bob.loginBasic('bob', 'bob123');
      const topic = bob.getTopic(bob.newGroupTopicName(false));
      expect((await topic.subscribe(undefined, { desc: { public: photo(others) } })).code).toBe(200);
      expect((await get(others)).status).toBe(401);
    } finally {
      bob.disconnect();
    }
  });

  it('set by {set desc} replaces the previous one', async () => {
    const first = await upload(7);
    const topic = await newGroup(photo(first), [first]);
    const second = await upload(8);
    expect((await topic.setMeta({ desc: { public: photo(second) }, attachments: [second] })).code).toBeLessThan(300);
    expect((await get(second)).status).toBe(200);
    expect((await get(first)).status).toBe(401);
  });
});
