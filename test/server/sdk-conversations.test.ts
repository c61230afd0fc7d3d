import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addRoot } from '../../server/store/init/root.js';
import { connectSdk, settleClients, until, type RecordedUser, type SdkAccessMode, type SdkClient, type SdkMessage, type SdkPacket, type SdkTopic } from '../helpers/sdk.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * tinode-sdk 0.25.3 clients talking to each other through the server, websocket and long polling
 * mixed: group topics (create, invite, accept, history, receipts, typing, deleting, leaving), p2p
 * topics (creation, presence, blocking), channels, `sys` and `slf`. Every client records the
 * packets the server sent it, so the tests check what a user sees: codes, seq ids, senders,
 * contents, counts.
 *
 * Presence on `me` is checked between dave and frank only, so no other test attaches their `me`
 * (long-poll clients cannot be closed and would keep them online).
 */
let srv: TestServer;
const open: SdkClient[] = [];

beforeAll(async () => {
  srv = await startTestServer();
});

afterAll(async () => {
  await settle(...open);
  for (const c of open) {
    // Long-poll clients stay open (the SDK throws after disconnect() on long polling).
    if (c.isConnected() && (c as unknown as { _transport?: string })._transport !== 'lp') c.disconnect();
  }
  await srv.close();
});

/** When the last packet from the server reached any client. */
let lastPacketAt = 0;

/** Waits until the clients are quiet, with no request in flight. */
function settle(...clients: SdkClient[]): Promise<void> {
  return settleClients(clients, () => lastPacketAt);
}

type Rec = Record<string, unknown>;
type User = RecordedUser;

async function login(name: string, transport: 'ws' | 'lp'): Promise<User> {
  const c = await connectSdk(srv.host, transport);
  open.push(c);
  const log: SdkPacket[] = [];
  c.onMessage = (pkt) => {
    lastPacketAt = Date.now();
    log.push(pkt as SdkPacket);
  };
  const ctrl = await c.loginBasic(name, `${name}123`);
  expect(ctrl.code).toBe(200);
  return { c, uid: c.getCurrentUserID(), log };
}

function errorCode(p: Promise<unknown>): Promise<number> {
  return p.then(
    () => 0,
    (err: unknown) => (err as { code?: number }).code ?? -1,
  );
}

const dataOf = (u: User, topic: string, from = 0): Rec[] =>
  u.log.slice(from).flatMap((p) => (p.data && p.data.topic === topic ? [p.data] : []));
const presOf = (u: User, topic: string, from = 0): Rec[] =>
  u.log.slice(from).flatMap((p) => (p.pres && p.pres.topic === topic ? [p.pres] : []));
const infoOf = (u: User, topic: string, from = 0): Rec[] =>
  u.log.slice(from).flatMap((p) => (p.info && p.info.topic === topic ? [p.info] : []));
const range = (lo: number, hi: number): number[] => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

/** The seq ids of the `{data}` a `{get what="data"}` brings, in the order they came. */
async function history(u: User, t: SdkTopic, limit = 50): Promise<number[]> {
  const mark = u.log.length;
  const ctrl = await t.getMeta(t.startMetaQuery().withData(undefined, undefined, limit).build());
  expect([204, 208]).toContain(ctrl.code);
  return dataOf(u, t.name, mark).map((d) => Number(d.seq));
}

/** The message ids covered by a list of `[low, hi)` ranges. */
function expand(ranges: unknown): number[] {
  const out: number[] = [];
  for (const r of (ranges ?? []) as { low: number; hi?: number }[]) {
    for (let s = r.low; s < (r.hi ?? r.low + 1); s++) out.push(s);
  }
  return sorted(out);
}

/** The topics in the user's contact list, from a fresh `{get what="sub"}` on `me`. */
async function contactTopics(u: User): Promise<string[]> {
  const me = u.c.getMeTopic();
  // Not attached, 'me' answers with the user's own subscription only.
  if (!me.isSubscribed()) await me.subscribe();
  const mark = u.log.length;
  await me.getMeta(me.startMetaQuery().withSub().build());
  const meta = u.log.slice(mark).find((p) => p.meta && p.meta.topic === 'me' && Array.isArray(p.meta.sub));
  return ((meta?.meta?.sub ?? []) as { topic: string }[]).map((s) => s.topic);
}

/** The users subscribed to a topic, from a fresh `{get what="sub"}`. */
async function subscribers(u: User, t: SdkTopic): Promise<string[]> {
  const mark = u.log.length;
  await t.getMeta(t.startMetaQuery().withSub().build());
  const meta = u.log.slice(mark).find((p) => p.meta && p.meta.topic === t.name && Array.isArray(p.meta.sub));
  return ((meta?.meta?.sub ?? []) as { user: string }[]).map((s) => s.user);
}

async function newGroup(owner: User, fn: string, channel = false): Promise<SdkTopic> {
  const t = owner.c.getTopic(owner.c.newGroupTopicName(channel));
  const ctrl = await t.subscribe(t.startMetaQuery().withDesc().withSub().build(), { desc: { public: { fn } } });
  expect(ctrl.code).toBe(200);
  expect(ctrl.topic).toMatch(/^grp/);
  return t;
}

async function publishOk(t: SdkTopic, content: string): Promise<number> {
  const ctrl = await t.publish(content);
  expect(ctrl?.code).toBe(202);
  return Number(ctrl?.params?.seq);
}

describe('group topics', () => {
  it('creates a group, invites a member who accepts, and both talk with receipts and typing', async () => {
    const alice = await login('alice', 'ws');
    const bob = await login('bob', 'lp');
    const bobMe = bob.c.getMeTopic();
    await bobMe.subscribe(bobMe.startMetaQuery().withSub().build());

    // Created through a 'new…' name; the owner gets the real name and an acs with O.
    const grp = alice.c.getTopic(alice.c.newGroupTopicName(false));
    expect(grp.name).toMatch(/^new/);
    const created = await grp.subscribe(grp.startMetaQuery().withDesc().withSub().build(), { desc: { public: { fn: 'SDK group' } } });
    expect(created.code).toBe(200);
    expect(created.topic).toMatch(/^grp/);
    expect(created.params?.tmpname).toMatch(/^new/);
    expect(grp.name).toBe(created.topic);
    expect((created.params?.acs as SdkAccessMode).getMode()).toContain('O');
    expect(grp.getAccessMode().isOwner()).toBe(true);
    const name = grp.name;

    // The invitation reaches bob's 'me' as an acs change; the SDK then fetches the contact.
    expect((await grp.invite(bob.uid, 'JRWP')).code).toBe(200);
    await until(() => presOf(bob, 'me').some((p) => p.src === name && p.what === 'acs'), 3000, 'invitation on me');
    const invitation = presOf(bob, 'me').find((p) => p.src === name && p.what === 'acs')!;
    expect(invitation.act).toBe(alice.uid);
    expect(invitation.dacs).toMatchObject({ given: 'JRWP' });
    await until(() => (bobMe.getContact?.(name)?.public as Rec | undefined)?.fn === 'SDK group', 3000, 'group in contacts');

    // Bob accepts by subscribing; alice sees him come online in the topic.
    const bg = bob.c.getTopic(name);
    expect((await bg.subscribe(bg.startMetaQuery().withDesc().withSub().withLaterData().build())).code).toBe(200);
    // The SDK applies the {meta} after the {ctrl} that resolves the promise.
    await until(() => bg.getAccessMode().isWriter(), 3000, "bob's acs");
    await until(() => presOf(alice, name).some((p) => p.src === bob.uid && p.what === 'on'), 3000, 'bob on in the group');

    // Both talk, taking turns.
    expect(await publishOk(grp, 'alice 1')).toBe(1);
    expect(await publishOk(bg, 'bob 1')).toBe(2);
    expect(await publishOk(grp, 'alice 2')).toBe(3);
    expect(await publishOk(bg, 'bob 2')).toBe(4);
    expect(await publishOk(grp, 'alice 3')).toBe(5);
    const expected = [
      { seq: 1, from: alice.uid, content: 'alice 1' },
      { seq: 2, from: bob.uid, content: 'bob 1' },
      { seq: 3, from: alice.uid, content: 'alice 2' },
      { seq: 4, from: bob.uid, content: 'bob 2' },
      { seq: 5, from: alice.uid, content: 'alice 3' },
    ];
    for (const u of [alice, bob]) {
      await until(() => dataOf(u, name).length >= 5, 3000, 'five messages');
      expect(dataOf(u, name).map((d) => ({ seq: d.seq, from: d.from, content: d.content }))).toEqual(expected);
    }

    // Bob reads alice's last message; alice sees the receipt and her message turn "read".
    bg.noteRead(5);
    await until(() => infoOf(alice, name).some((i) => i.what === 'read' && i.from === bob.uid && i.seq === 5), 3000, 'read receipt');
    expect(grp.msgReadCount(5)).toBe(1);
    expect(grp.msgStatus({ topic: name, seq: 5, from: alice.uid })).toBe(70); // MESSAGE_STATUS_READ
    // The receipt is for the others: bob's own session does not get it back.
    expect(infoOf(bob, name).filter((i) => i.what === 'read' && i.from === bob.uid)).toEqual([]);
    // The server keeps it: bob's description and alice's list of subscribers show it.
    const mark = bob.log.length;
    await bg.getMeta(bg.startMetaQuery().withDesc().build());
    expect(bob.log.slice(mark).find((p) => p.meta?.desc)?.meta?.desc).toMatchObject({ seq: 5, read: 5, recv: 5 });
    const aliceMark = alice.log.length;
    await grp.getMeta(grp.startMetaQuery().withSub().build());
    const subs = (alice.log.slice(aliceMark).find((p) => p.meta?.sub)?.meta?.sub ?? []) as Rec[];
    expect(subs.find((x) => x.user === bob.uid)).toMatchObject({ read: 5, recv: 5 });

    // Typing notifications go to the other member, with the typist's id.
    grp.noteKeyPress();
    await until(() => infoOf(bob, name).some((i) => i.what === 'kp'), 3000, 'typing notification');
    expect(infoOf(bob, name).filter((i) => i.what === 'kp')).toEqual([expect.objectContaining({ from: alice.uid, topic: name })]);
    bg.noteKeyPress();
    await until(() => infoOf(alice, name).some((i) => i.what === 'kp'), 3000, 'typing back');
    expect(infoOf(alice, name).filter((i) => i.what === 'kp').map((i) => i.from)).toEqual([bob.uid]);
  });

  it('pages back through history, every message exactly once and in order', async () => {
    const carol = await login('carol', 'ws');
    const grp = await newGroup(carol, 'History');
    const name = grp.name;
    for (let i = 1; i <= 30; i++) {
      expect(await publishOk(grp, `line ${i}`)).toBe(i);
    }

    // A long-poll reader pages the SDK's way: getMessagesPage asks for the missing ranges.
    const bob = await login('bob', 'lp');
    const bt = bob.c.getTopic(name);
    const sub = await bt.subscribe(bt.startMetaQuery().withDesc().withLaterData(10).build());
    expect(sub.code).toBe(200);
    // The raw packets come first; the SDK files them a moment later.
    await until(() => bt.minMsgSeq() === 21, 3000, 'the latest ten');
    expect(sorted(dataOf(bob, name).map((d) => Number(d.seq)))).toEqual(range(21, 30));
    const delivered = bob.log.find((p) => p.ctrl?.topic === name && (p.ctrl.params as Rec | undefined)?.what === 'data');
    expect(delivered?.ctrl).toMatchObject({ code: 208, params: { what: 'data', count: 10 } });

    await bt.getMessagesPage(10, undefined, undefined, bt.minMsgSeq());
    await until(() => bt.minMsgSeq() === 11, 3000, 'page two');
    expect(sorted(dataOf(bob, name).slice(10).map((d) => Number(d.seq)))).toEqual(range(11, 20));
    await bt.getMessagesPage(10, undefined, undefined, bt.minMsgSeq());
    await until(() => bt.minMsgSeq() === 1, 3000, 'page three');
    expect(sorted(dataOf(bob, name).slice(20).map((d) => Number(d.seq)))).toEqual(range(1, 10));
    // Nothing is left to fetch: the SDK answers from what it has.
    await bt.getMessagesPage(10, undefined, undefined, bt.minMsgSeq());
    expect(sorted(dataOf(bob, name).map((d) => Number(d.seq)))).toEqual(range(1, 30));
    const cached: SdkMessage[] = [];
    bt.messages((m) => cached.push(m));
    expect(cached.map((m) => [m.seq, m.content, m.from])).toEqual(range(1, 30).map((i) => [i, `line ${i}`, carol.uid]));

    // A websocket reader pages with `before`.
    const alice = await login('alice', 'ws');
    const at = alice.c.getTopic(name);
    expect((await at.subscribe(at.startMetaQuery().withLaterData(10).build())).code).toBe(200);
    await until(() => dataOf(alice, name).length === 10, 3000, 'the latest ten');
    const pages: number[][] = [sorted(dataOf(alice, name).map((d) => Number(d.seq)))];
    for (let before = 21; before > 1; before -= 10) {
      const mark = alice.log.length;
      const ctrl = await at.getMeta(at.startMetaQuery().withData(undefined, before, 10).build());
      expect(ctrl.code).toBe(208);
      expect(ctrl.params).toMatchObject({ what: 'data', count: 10 });
      pages.push(sorted(dataOf(alice, name, mark).map((d) => Number(d.seq))));
    }
    expect(pages).toEqual([range(21, 30), range(11, 20), range(1, 10)]);
    // Past the last message there is nothing: 204.
    const none = await at.getMeta(at.startMetaQuery().withData(31, undefined, 10).build());
    expect(none.code).toBe(204);
    expect(none.params).toMatchObject({ what: 'data' });
  });

  it('soft-deletes for the deleter only and hard-deletes for everyone', async () => {
    const alice = await login('alice', 'lp');
    const bob = await login('bob', 'ws');
    const grp = await newGroup(alice, 'Deletions');
    const name = grp.name;
    expect((await grp.invite(bob.uid, 'JRWP')).code).toBe(200);
    const bg = bob.c.getTopic(name);
    expect((await bg.subscribe(bg.startMetaQuery().withDesc().withSub().build())).code).toBe(200);
    for (const [t, text] of [
      [grp, 'a1'],
      [grp, 'a2'],
      [grp, 'a3'],
      [bg, 'b4'],
      [bg, 'b5'],
    ] as const) {
      await publishOk(t, text);
    }
    await until(() => dataOf(bob, name).length === 5 && dataOf(alice, name).length === 5, 3000, 'five messages');

    // Bob hides message 2 for himself.
    const soft = await bg.delMessages([{ low: 2 }], false);
    expect(soft.code).toBe(200);
    expect(soft.params).toEqual({ del: 1 });
    expect(sorted(await history(bob, bg))).toEqual([1, 3, 4, 5]);
    expect(sorted(await history(alice, grp))).toEqual([1, 2, 3, 4, 5]);
    // Nobody else was told.
    expect(presOf(alice, name).filter((p) => p.what === 'del')).toEqual([]);

    // Bob has no D: asking for a hard delete only hides the message for him.
    const notHard = await bg.delMessages([{ low: 1 }], true);
    expect(notHard.code).toBe(200);
    expect(sorted(await history(alice, grp))).toEqual([1, 2, 3, 4, 5]);
    expect(sorted(await history(bob, bg))).toEqual([3, 4, 5]);

    // Alice owns the topic (D): her hard delete of 3 removes it for everyone, and bob is told.
    expect(grp.getAccessMode().isDeleter()).toBe(true);
    const hard = await grp.delMessages([{ low: 3 }], true);
    expect(hard.code).toBe(200);
    expect(hard.params).toEqual({ del: 3 });
    await until(() => presOf(bob, name).some((p) => p.what === 'del'), 3000, 'pres del');
    expect(presOf(bob, name).filter((p) => p.what === 'del')).toEqual([
      expect.objectContaining({ src: alice.uid, clear: 3, delseq: [{ low: 3 }] }),
    ]);
    // The SDK drops it from bob's cache.
    const cachedSeqs = (): number[] => {
      const out: number[] = [];
      bg.messages((m) => out.push(m.seq));
      return out;
    };
    await until(() => !cachedSeqs().includes(3), 3000, 'message 3 gone from the cache');
    expect(sorted(await history(bob, bg))).toEqual([4, 5]);
    expect(sorted(await history(alice, grp))).toEqual([1, 2, 4, 5]);

    // The deletion log: each sees the ranges that apply to them and the latest delete id.
    const bobDel = await bg.getMeta(bg.startMetaQuery().withDel(1, 50).build());
    const bobMeta = (bobDel as unknown as { del?: Rec }).del;
    expect(bobMeta?.clear).toBe(3);
    expect(expand(bobMeta?.delseq)).toEqual([1, 2, 3]);
    const aliceDel = await grp.getMeta(grp.startMetaQuery().withDel(1, 50).build());
    const aliceMeta = (aliceDel as unknown as { del?: Rec }).del;
    expect(aliceMeta?.clear).toBe(3);
    expect(expand(aliceMeta?.delseq)).toEqual([3]);
  });

  it('leaves without and with unsubscribing; the owner cannot unsubscribe', async () => {
    const carol = await login('carol', 'ws');
    const bob = await login('bob', 'lp');
    // Bob's second device, attached to 'me'.
    const bobPhone = await login('bob', 'ws');
    const phoneMe = bobPhone.c.getMeTopic();
    await phoneMe.subscribe(phoneMe.startMetaQuery().withSub().build());

    const grp = await newGroup(carol, 'Comings and goings');
    const name = grp.name;
    const bg = bob.c.getTopic(name);
    // Joining by the topic's default access.
    const joined = await bg.subscribe(bg.startMetaQuery().withDesc().build());
    expect(joined.code).toBe(200);
    expect((joined.params?.acs as SdkAccessMode).getMode()).toContain('JRW');
    await until(() => presOf(carol, name).some((p) => p.src === bob.uid && p.what === 'on'), 3000, 'bob on');

    // Leaving without unsubscribing: offline in the topic, still a member.
    const left = await bg.leave(false);
    expect(left.code).toBe(200);
    expect(bg.isSubscribed()).toBe(false);
    await until(() => presOf(carol, name).some((p) => p.src === bob.uid && p.what === 'off'), 3000, 'bob off');
    expect(await contactTopics(bob)).toContain(name);
    expect(await subscribers(carol, grp)).toContain(bob.uid);
    expect(presOf(bobPhone, 'me').filter((p) => p.src === name && p.what === 'gone')).toEqual([]);

    // Leaving with unsubscribing: the subscription is gone everywhere; bob's other session,
    // attached too, is evicted.
    expect((await bg.subscribe()).code).toBe(200);
    const phoneTopic = bobPhone.c.getTopic(name);
    expect((await phoneTopic.subscribe()).code).toBe(200);
    const mark = carol.log.length;
    const unsub = await bg.leave(true);
    expect(unsub.code).toBe(200);
    await until(() => presOf(bobPhone, 'me').some((p) => p.src === name && p.what === 'gone'), 3000, 'gone on the other device');
    await until(() => bobPhone.log.some((p) => p.ctrl?.code === 205 && p.ctrl.topic === name), 3000, 'the other session evicted');
    expect(bobPhone.log.find((p) => p.ctrl?.code === 205 && p.ctrl.topic === name)?.ctrl).toMatchObject({ text: 'evicted', params: { unsub: true } });
    await until(() => !phoneTopic.isSubscribed(), 3000, 'the SDK detached');
    await until(() => presOf(carol, name, mark).some((p) => p.src === bob.uid && p.what === 'acs'), 3000, 'acs to the owner');
    expect(presOf(carol, name, mark).find((p) => p.src === bob.uid && p.what === 'acs')?.dacs).toEqual({ want: 'N', given: 'N' });
    expect(await contactTopics(bob)).not.toContain(name);
    expect(await subscribers(carol, grp)).not.toContain(bob.uid);
    // Bob can come back by subscribing again (the SDK dropped the gone topic: a fresh object).
    const again = bob.c.getTopic(name);
    expect(again).not.toBe(bg);
    expect((await again.subscribe()).code).toBe(200);
    expect(await subscribers(carol, grp)).toContain(bob.uid);

    // The owner bans him: his session is evicted (still subscribed, without J) and cannot rejoin.
    const beforeBan = bob.log.length;
    expect((await grp.setMeta({ sub: { user: bob.uid, mode: 'N' } })).code).toBe(200);
    await until(() => bob.log.slice(beforeBan).some((p) => p.ctrl?.code === 205 && p.ctrl.topic === name), 3000, 'bob evicted');
    expect(bob.log.slice(beforeBan).find((p) => p.ctrl?.code === 205)?.ctrl).toMatchObject({ text: 'evicted', params: { unsub: false } });
    await until(() => !again.isSubscribed(), 3000, 'the SDK detached');
    expect(await errorCode(again.subscribe())).toBe(403);
    expect(await errorCode(bob.c.publish(name, 'let me in'))).toBe(409);

    // The owner cannot unsubscribe, and stays attached.
    expect(await errorCode(grp.leave(true))).toBe(403);
    expect(await publishOk(grp, 'still here')).toBe(1);
    expect(await subscribers(carol, grp)).toContain(carol.uid);
  });
});

describe('group permissions and description', () => {
  it('lets only the owner change the description and only sharers invite; unchanged modes are 304', async () => {
    const alice = await login('alice', 'lp');
    const grp = await newGroup(alice, 'Rules');
    const name = grp.name;
    const carol = await login('carol', 'ws');
    const cm = carol.c.getMeTopic();
    await cm.subscribe(cm.startMetaQuery().withSub().build());
    // Invited with J R W P only: no S, so carol cannot invite anyone.
    const invited = await grp.invite(carol.uid, 'JRWP');
    expect(invited.code).toBe(200);
    expect(invited.params?.user).toBe(carol.uid);
    expect((invited.params?.acs as SdkAccessMode).getGiven()).toBe('JRWP');
    // The same mode again changes nothing.
    expect((await grp.setMeta({ sub: { user: carol.uid, mode: 'JRWP' } })).code).toBe(304);
    const ct = carol.c.getTopic(name);
    expect((await ct.subscribe(ct.startMetaQuery().withDesc().build())).code).toBe(200);
    const bob = await login('bob', 'ws');
    expect(await errorCode(ct.setMeta({ sub: { user: bob.uid, mode: 'JRWP' } }))).toBe(403);
    expect(await subscribers(alice, grp)).not.toContain(bob.uid);
    // Only the owner changes public.
    expect(await errorCode(ct.setMeta({ desc: { public: { fn: 'Carol rules' } } }))).toBe(403);

    // The owner renames the topic: members hear of it on 'me'.
    const mark = carol.log.length;
    expect((await grp.setMeta({ desc: { public: { fn: 'New rules' } } })).code).toBe(200);
    await until(() => presOf(carol, 'me', mark).some((p) => p.src === name && p.what === 'upd'), 3000, 'pres upd');
    const cmark = carol.log.length;
    await ct.getMeta(ct.startMetaQuery().withDesc().build());
    expect(carol.log.slice(cmark).find((p) => p.meta?.desc)?.meta?.desc).toMatchObject({ public: { fn: 'New rules' } });

    // Not attached, one cannot publish; asking to delete messages that do not exist is malformed.
    expect(await errorCode(bob.c.publish(name, 'gatecrasher'))).toBe(409);
    expect(await publishOk(grp, 'the only message')).toBe(1);
    expect(await errorCode(grp.delMessages([{ low: 5, hi: 9 }], true))).toBe(400);
  });
});

describe("notifications on 'me' for members not attached to the topic", () => {
  it('tells of new messages, typing, reads and deletions on me, and of the topic being deleted', async () => {
    const carol = await login('carol', 'ws');
    const grp = await newGroup(carol, 'Notifications');
    const name = grp.name;
    // Bob's laptop is in the topic; his phone only has 'me' open.
    const laptop = await login('bob', 'lp');
    const lt = laptop.c.getTopic(name);
    expect((await lt.subscribe(lt.startMetaQuery().withDesc().build())).code).toBe(200);
    const phone = await login('bob', 'ws');
    const phoneMe = phone.c.getMeTopic();
    await phoneMe.subscribe(phoneMe.startMetaQuery().withSub().build());
    await until(() => phoneMe.getContact?.(name) !== undefined, 3000, 'the group in the contacts');
    const onMe = (what: string): Rec[] => presOf(phone, 'me').filter((p) => p.src === name && p.what === what);

    // A new message: the phone hears of it on 'me' and counts it unread.
    expect(await publishOk(grp, 'anyone there?')).toBe(1);
    await until(() => onMe('msg').length === 1, 3000, 'pres msg');
    expect(onMe('msg')[0]).toMatchObject({ seq: 1, act: carol.uid });
    await until(() => phoneMe.getContact?.(name)?.seq === 1, 3000, 'contact seq');
    expect(phoneMe.getContact?.(name)?.unread).toBe(1);
    await until(() => dataOf(laptop, name).length === 1, 3000, 'message on the laptop');
    // The laptop, attached, gets the message itself and no pres msg.
    expect(presOf(laptop, 'me')).toEqual([]);

    // Typing in the topic reaches the phone as {info} on 'me'.
    grp.noteKeyPress();
    await until(() => infoOf(phone, 'me').some((i) => i.src === name && i.what === 'kp'), 3000, 'info kp on me');
    expect(infoOf(phone, 'me').find((i) => i.src === name && i.what === 'kp')?.from).toBe(carol.uid);

    // Read on the laptop: the phone's contact is read too.
    lt.noteRead(1);
    await until(() => onMe('read').length === 1, 3000, 'pres read');
    expect(onMe('read')[0]).toMatchObject({ seq: 1 });
    await until(() => phoneMe.getContact?.(name)?.unread === 0, 3000, 'nothing unread');

    // Hidden on the laptop: the phone is told on 'me'.
    const del = await lt.delMessages([{ low: 1 }], false);
    expect(del.code).toBe(200);
    await until(() => onMe('del').length === 1, 3000, 'pres del');
    expect(onMe('del')[0]).toMatchObject({ clear: del.params?.del });

    // The owner deletes the topic: members hear it is gone; it is no longer there to join.
    const gone = await grp.delTopic(true);
    expect(gone?.code).toBe(200);
    await until(() => onMe('gone').length === 1, 3000, 'pres gone');
    await until(() => phoneMe.getContact?.(name) === undefined, 3000, 'contact dropped');
    expect(await contactTopics(phone)).not.toContain(name);
    expect(await errorCode(laptop.c.publish(name, 'hello?'))).toBe(409);
    expect(await errorCode(laptop.c.subscribe(name))).toBe(404);
  });
});

describe('p2p topics', () => {
  it('creates a p2p topic by subscribing to the peer, with presence and messages both ways', async () => {
    // dave and frank have no p2p topic in the sample data.
    let dave = await login('dave', 'ws');
    const frank = await login('frank', 'lp');
    const frankMe = frank.c.getMeTopic();
    await frankMe.subscribe(frankMe.startMetaQuery().withSub().build());
    const daveMe = dave.c.getMeTopic();
    await daveMe.subscribe(daveMe.startMetaQuery().withSub().build());
    expect(await contactTopics(frank)).not.toContain(dave.uid);

    // Dave subscribes to frank's user id: the topic is created and named by the peer on each side.
    const df = dave.c.getTopic(frank.uid);
    const made = await df.subscribe(df.startMetaQuery().withDesc().withSub().build());
    expect(made.code).toBe(200);
    expect(made.topic).toBe(frank.uid);
    expect((made.params?.acs as SdkAccessMode).isWriter()).toBe(true);

    // Frank's 'me' hears of the new contact, and the SDK lists it with dave's public.
    await until(() => presOf(frank, 'me').some((p) => p.src === dave.uid && p.what === 'acs'), 3000, 'new contact on me');
    expect(presOf(frank, 'me').find((p) => p.src === dave.uid && p.what === 'acs')?.act).toBe(dave.uid);
    await until(() => (frankMe.getContact?.(dave.uid)?.public as Rec | undefined)?.fn === 'Dave Okafor', 3000, 'dave in contacts');
    expect(await contactTopics(frank)).toContain(dave.uid);

    // Both online on 'me': each learns that the other is online.
    const lastPres = (u: User, src: string): unknown =>
      presOf(u, 'me')
        .filter((p) => p.src === src && (p.what === 'on' || p.what === 'off'))
        .at(-1)?.what;
    await until(() => lastPres(frank, dave.uid) === 'on', 3000, 'frank sees dave on');
    await until(() => lastPres(dave, frank.uid) === 'on', 3000, 'dave sees frank on');

    // Messages both ways.
    expect(await publishOk(df, 'hello frank')).toBe(1);
    const fd = frank.c.getTopic(dave.uid);
    const joined = await fd.subscribe(fd.startMetaQuery().withDesc().withSub().withLaterData().build());
    expect(joined.code).toBe(200);
    expect(joined.topic).toBe(dave.uid);
    await until(() => dataOf(frank, dave.uid).length === 1, 3000, 'history for frank');
    expect(dataOf(frank, dave.uid)[0]).toMatchObject({ topic: dave.uid, seq: 1, from: dave.uid, content: 'hello frank' });
    expect(await publishOk(fd, 'hello dave')).toBe(2);
    await until(() => dataOf(dave, frank.uid).length === 2, 3000, 'reply for dave');
    expect(dataOf(dave, frank.uid).map((d) => [d.topic, d.seq, d.from, d.content])).toEqual([
      [frank.uid, 1, dave.uid, 'hello frank'],
      [frank.uid, 2, frank.uid, 'hello dave'],
    ]);
    await until(() => dataOf(frank, dave.uid).length === 2, 3000, 'echo for frank');
    expect(dataOf(frank, dave.uid)[1]).toMatchObject({ topic: dave.uid, seq: 2, from: frank.uid });

    // Dave disconnects: frank sees him go offline; he comes back: online again.
    await settle(dave.c);
    dave.c.disconnect();
    await until(() => lastPres(frank, dave.uid) === 'off', 3000, 'dave off');
    // Going offline and coming online carry the user agent; the contact list shows when he was last seen.
    const presence = (what: string): Rec | undefined =>
      presOf(frank, 'me')
        .filter((p) => p.src === dave.uid && p.what === what)
        .at(-1);
    expect(String(presence('off')?.ua)).toContain('tinodejs/0.25.3');
    const seenMark = frank.log.length;
    await frankMe.getMeta(frankMe.startMetaQuery().withOneSub(undefined, dave.uid).build());
    const daveSub = ((frank.log.slice(seenMark).find((p) => p.meta?.sub)?.meta?.sub ?? []) as Rec[])[0];
    expect(daveSub?.online).toBeFalsy();
    expect(String((daveSub?.seen as Rec | undefined)?.ua)).toContain('tinodejs/0.25.3');
    expect((daveSub?.seen as Rec | undefined)?.when).toBeInstanceOf(Date);
    dave = await login('dave', 'ws');
    const daveMe2 = dave.c.getMeTopic();
    await daveMe2.subscribe(daveMe2.startMetaQuery().withSub().build());
    await until(() => lastPres(frank, dave.uid) === 'on', 3000, 'dave on again');
    expect(String(presence('on')?.ua)).toContain('tinodejs/0.25.3');
    await until(() => (daveMe2.getContact?.(frank.uid) as Rec | undefined)?.online === true, 3000, 'frank listed online');

    // Frank leaves 'me' (his app goes to the background): dave sees him offline, then online.
    await frankMe.leave();
    await until(() => lastPres(dave, frank.uid) === 'off', 3000, 'frank off');
    await frankMe.subscribe(frankMe.startMetaQuery().withSub().build());
    await until(() => lastPres(dave, frank.uid) === 'on', 3000, 'frank on again');
  });

  it("lets a peer take away the other's W: publishing is refused with 403 until it is given back", async () => {
    const alice = await login('alice', 'ws');
    const bob = await login('bob', 'lp');
    const ab = alice.c.getTopic(bob.uid);
    expect((await ab.subscribe(ab.startMetaQuery().withDesc().withSub().build())).code).toBe(200);
    const ba = bob.c.getTopic(alice.uid);
    expect((await ba.subscribe(ba.startMetaQuery().withDesc().withSub().build())).code).toBe(200);
    await until(() => ab.getAccessMode().isWriter(), 3000, "alice's acs");

    // Bob blocks alice from writing.
    const mark = alice.log.length;
    const blocked = await ba.setMeta({ sub: { user: alice.uid, mode: 'JRP' } });
    expect(blocked.code).toBe(200);
    await until(() => presOf(alice, bob.uid, mark).some((p) => p.what === 'acs'), 3000, 'acs change for alice');
    await ab.getMeta(ab.startMetaQuery().withDesc().build());
    expect(ab.getAccessMode().isWriter()).toBe(false);
    expect(ab.getAccessMode().isReader()).toBe(true);
    expect(await errorCode(alice.c.publish(bob.uid, 'can you hear me?'))).toBe(403);

    // Bob talks; alice still reads.
    const seq = await publishOk(ba, 'quiet, please');
    await until(() => dataOf(alice, bob.uid).some((d) => d.seq === seq), 3000, 'bob to alice');

    // Given back, alice writes again; bob never got the refused message.
    expect((await ba.setMeta({ sub: { user: alice.uid, mode: 'JRWP' } })).code).toBe(200);
    await ab.getMeta(ab.startMetaQuery().withDesc().build());
    expect(ab.getAccessMode().isWriter()).toBe(true);
    const back = await alice.c.publish(bob.uid, 'thanks');
    expect(back.code).toBe(202);
    expect(back.params?.seq).toBe(seq + 1);
    await until(() => dataOf(bob, alice.uid).some((d) => d.content === 'thanks'), 3000, 'alice to bob');
    expect(dataOf(bob, alice.uid).map((d) => d.content)).not.toContain('can you hear me?');
  });
});

describe('channels', () => {
  it('delivers to readers of chn… without the sender, with no presence from readers; readers cannot publish', async () => {
    const frank = await login('frank', 'ws');
    const ch = await newGroup(frank, 'SDK channel', true);
    const name = ch.name;
    const chn = `chn${name.slice(3)}`;
    expect(ch.getAccessMode().isOwner()).toBe(true);

    const carol = await login('carol', 'lp');
    const bob = await login('bob', 'ws');
    const readers: [User, SdkTopic][] = [];
    for (const u of [carol, bob]) {
      const rt = u.c.getTopic(chn);
      const ctrl = await rt.subscribe(rt.startMetaQuery().withDesc().withLaterData().build());
      expect(ctrl.code).toBe(200);
      expect(ctrl.topic).toBe(chn);
      await until(() => rt.getAccessMode().isReader(), 3000, "a reader's acs");
      expect(rt.getAccessMode().isWriter()).toBe(false);
      readers.push([u, rt]);
    }

    expect(await publishOk(ch, 'news 1')).toBe(1);
    for (const [u] of readers) {
      await until(() => dataOf(u, chn).length === 1, 3000, 'news for a reader');
      const d = dataOf(u, chn)[0]!;
      expect(d).toMatchObject({ topic: chn, seq: 1, content: 'news 1' });
      expect(d.from).toBeUndefined();
    }
    await until(() => dataOf(frank, name).length === 1, 3000, 'echo for the owner');
    expect(dataOf(frank, name)[0]).toMatchObject({ seq: 1, from: frank.uid, content: 'news 1' });

    // A reader cannot publish.
    expect(await errorCode(carol.c.publish(chn, 'letter to the editor'))).toBe(403);

    // A reader leaves; the owner publishes again and sees no presence from any reader.
    expect((await readers[1]![1].leave()).code).toBe(200);
    expect(await publishOk(ch, 'news 2')).toBe(2);
    await until(() => dataOf(frank, name).length === 2 && dataOf(carol, chn).length === 2, 3000, 'news 2');
    expect(presOf(frank, name).filter((p) => p.src === carol.uid || p.src === bob.uid)).toEqual([]);
    expect(dataOf(carol, chn).map((d) => d.content)).toEqual(['news 1', 'news 2']);
    expect(dataOf(bob, chn).map((d) => d.content)).toEqual(['news 1']);
  });
});

describe('channel readers on several devices', () => {
  it("names the channel chn… in the reader's own notifications on 'me'", async () => {
    const alice = await login('alice', 'ws');
    const ch = await newGroup(alice, 'Morning paper', true);
    const name = ch.name;
    const chn = `chn${name.slice(3)}`;
    const phone = await login('carol', 'ws');
    const phoneMe = phone.c.getMeTopic();
    await phoneMe.subscribe(phoneMe.startMetaQuery().withSub().build());
    const laptop = await login('carol', 'lp');
    const lt = laptop.c.getTopic(chn);
    expect((await lt.subscribe(lt.startMetaQuery().withLaterData().build())).code).toBe(200);
    const aboutIt = (what: string): Rec[] => presOf(phone, 'me').filter((p) => (p.src === chn || p.src === name) && p.what === what);

    // The new reader subscription is announced to her other devices under the name she uses.
    await until(() => aboutIt('acs').length > 0, 3000, "pres acs on the phone's me");
    expect.soft(aboutIt('acs').map((p) => p.src)).toEqual([chn]);
    // The SDK fetches the contact it was told of: the channel, and no stray grp… contact.
    await settle(phone.c);
    expect.soft((phoneMe.getContact?.(chn)?.public as Rec | undefined)?.fn).toBe('Morning paper');
    expect.soft(phoneMe.getContact?.(name) === undefined, `no stray contact ${name}`).toBe(true);

    // Reading on the laptop: the phone's contact is marked read, again under the chn… name.
    expect(await publishOk(ch, 'headline')).toBe(1);
    await until(() => dataOf(laptop, chn).length === 1, 3000, 'news on the laptop');
    lt.noteRead(1);
    await until(() => aboutIt('read').length > 0, 3000, "pres read on the phone's me");
    expect.soft(aboutIt('read').map((p) => [p.src, p.seq])).toEqual([[chn, 1]]);
    expect(await contactTopics(phone)).toContain(chn);
    expect(await contactTopics(phone)).not.toContain(name);
  });
});

describe('sys and slf', () => {
  it('takes reports on sys from anyone without subscribing; root reads them', async () => {
    const alice = await login('alice', 'ws');
    const reported = await alice.c.report('report', 'grpSomethingBad');
    expect(reported.code).toBe(202);
    expect(Number(reported.params?.seq)).toBeGreaterThan(0);
    const plain = await alice.c.publish('sys', 'hello admins');
    expect(plain.code).toBe(202);
    expect(plain.params?.seq).toBe(Number(reported.params?.seq) + 1);
    // A normal user cannot subscribe to sys.
    expect(await errorCode(alice.c.getTopic('sys').subscribe())).toBe(403);

    const { login: rootLogin, password } = await addRoot(srv.server.ctx.store, 'sysop:sysop123');
    const root = await connectSdk(srv.host, 'lp');
    open.push(root);
    const rootUser: User = { c: root, uid: '', log: [] };
    root.onMessage = (pkt) => rootUser.log.push(pkt as SdkPacket);
    expect((await root.loginBasic(rootLogin, password)).code).toBe(200);
    const sys = root.getTopic('sys');
    expect((await sys.subscribe(sys.startMetaQuery().withLaterData(10).build())).code).toBe(200);
    await until(() => dataOf(rootUser, 'sys').length >= 2, 3000, 'reports for root');
    const reports = dataOf(rootUser, 'sys');
    const report = reports.find((d) => d.seq === reported.params?.seq);
    expect(report?.from).toBe(alice.uid);
    expect(JSON.stringify(report?.content)).toContain('grpSomethingBad');
    expect(reports.find((d) => d.seq === plain.params?.seq)).toMatchObject({ from: alice.uid, content: 'hello admins' });

    // With root attached, new reports arrive live.
    const live = await alice.c.publish('sys', 'one more thing');
    await until(() => dataOf(rootUser, 'sys').some((d) => d.seq === live.params?.seq), 3000, 'live report');
    expect(dataOf(rootUser, 'sys').find((d) => d.seq === live.params?.seq)).toMatchObject({ from: alice.uid, content: 'one more thing' });
  });

  it('keeps slf notes to the user, on all of their devices', async () => {
    const carol = await login('carol', 'ws');
    const slf = carol.c.getTopic('slf');
    expect((await slf.subscribe(slf.startMetaQuery().withDesc().withLaterData().build())).code).toBe(200);
    expect(await publishOk(slf, 'buy milk')).toBe(1);
    await until(() => dataOf(carol, 'slf').length === 1, 3000, 'echo');
    expect(dataOf(carol, 'slf')[0]).toMatchObject({ seq: 1, from: carol.uid, content: 'buy milk' });

    const tablet = await login('carol', 'lp');
    const st = tablet.c.getTopic('slf');
    expect((await st.subscribe(st.startMetaQuery().withLaterData().build())).code).toBe(200);
    await until(() => dataOf(tablet, 'slf').length === 1, 3000, 'note on the other device');
    expect(dataOf(tablet, 'slf')[0]).toMatchObject({ seq: 1, content: 'buy milk' });
    expect(await publishOk(st, 'and bread')).toBe(2);
    await until(() => dataOf(carol, 'slf').length === 2, 3000, 'live on the first device');

    // Someone else's slf is their own.
    const bob = await login('bob', 'ws');
    const bs = bob.c.getTopic('slf');
    expect((await bs.subscribe(bs.startMetaQuery().withLaterData().build())).code).toBe(200);
    expect(await history(bob, bs)).toEqual([]);
  });
});
