import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeFcm } from '../helpers/fake-fcm.js';
import { RawClient } from '../helpers/raw.js';
import { p2pName, parseUserId } from '../../src/model/uid.js';
import { connectSdk, settleClients, until, type RecordedUser, type SdkClient, type SdkPacket, type SdkTopic } from '../helpers/sdk.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Audio and video calls between two tinode-sdk 0.25.3 clients, as TinodeWeb and Tindroid make
 * them: `{pub head.webrtc="started"}` in their p2p topic, then `{note what="call"}` events the
 * server relays as `{info what="call"}`, and the messages that record how the call went
 * (`head.replace` of the call's message, `head.webrtc`, `head["webrtc-duration"]`). Every path
 * ends a call once: hung up after talking (finished), rung out (missed), cancelled by the caller
 * (missed), declined, dropped with a connection (disconnected); a second call answers busy; a
 * group cannot have calls; a third user can neither start nor steer one; pushes reach the callee's
 * devices. Calls ring for 2 s here.
 */
const RING_SECONDS = 2;
const ICE = [
  { urls: ['stun:stun.example.org:3478'] },
  { urls: ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349'], username: 'u1', credential: 'p1' },
];

type Rec = Record<string, unknown>;
type User = RecordedUser;

let srv: TestServer;
let fcm: FakeFcm;
const opened: SdkClient[] = [];

beforeAll(async () => {
  fcm = await FakeFcm.start();
  srv = await startTestServer({ webrtc: { enabled: true, call_establishment_timeout: RING_SECONDS, ice_servers: ICE }, push: fcm.pushConfig() });
});

afterEach(async () => {
  await settle();
  for (const c of opened.splice(0)) {
    if (c.isConnected()) c.disconnect();
  }
});

/** When the last packet reached any client. */
let lastPacketAt = 0;

/** Waits until the clients are quiet, with no request in flight. */
function settle(): Promise<void> {
  return settleClients(opened, () => lastPacketAt);
}

afterAll(async () => {
  await srv?.close();
  fcm?.close();
});

async function login(name: string, host = srv.host): Promise<User> {
  const c = await connectSdk(host, 'ws');
  opened.push(c);
  const log: SdkPacket[] = [];
  c.onMessage = (pkt) => {
    lastPacketAt = Date.now();
    log.push(pkt as SdkPacket);
  };
  const ctrl = await c.loginBasic(name, `${name}123`);
  expect(ctrl.code).toBe(200);
  return { c, uid: c.getCurrentUserID(), log };
}

/** The user's p2p topic with `peer`, attached. */
async function chat(u: User, peer: User): Promise<SdkTopic> {
  const t = u.c.getTopic(peer.uid);
  const ctrl = await t.subscribe(t.startMetaQuery().withLaterData(1).build());
  expect(ctrl.code).toBeLessThan(300);
  return t;
}

/** What TinodeWeb sends to start a call: a Drafty call entity, `head.webrtc="started"`. */
function callPub(t: SdkTopic, audioOnly = false): Record<string, unknown> {
  const msg = t.createMessage({ txt: ' ', fmt: [{ at: 0, len: 1, key: 0 }], ent: [{ tp: 'VC', data: { aonly: audioOnly } }] }, false);
  msg.head = { ...((msg.head as Rec | undefined) ?? {}), webrtc: 'started', aonly: audioOnly };
  return msg;
}

async function startCall(t: SdkTopic, audioOnly = false): Promise<number> {
  const ctrl = await t.publishMessage(callPub(t, audioOnly));
  expect(ctrl?.code).toBe(202);
  return Number(ctrl?.params?.seq);
}

/** The reply to a call's `{pub}` sent by the client itself (the topic's own method swallows refusals). */
function refusal(t: SdkTopic, u: User): Promise<{ code: number; text: string }> {
  const c = u.c as unknown as { publishMessage(pub: Record<string, unknown>): Promise<unknown> };
  return c.publishMessage(callPub(t)).then(
    () => ({ code: 0, text: '' }),
    (err: unknown) => {
      const e = err as { code?: number; message?: string };
      return { code: e.code ?? -1, text: String(e.message ?? '') };
    },
  );
}

/** Sends a call event on a topic as TinodeWeb does (`topic.videoCall`). */
function note(t: SdkTopic, event: string, seq: number, payload?: unknown): void {
  (t as unknown as { videoCall(evt: string, seq: number, payload?: unknown): void }).videoCall(event, seq, payload);
}

const infos = (u: User, from = 0): Rec[] => u.log.slice(from).flatMap((p) => (p.info?.what === 'call' ? [p.info] : []));
const datas = (u: User, topic: string, from = 0): Rec[] => u.log.slice(from).flatMap((p) => (p.data && p.data.topic === topic ? [p.data] : []));

async function waitInfo(u: User, match: Rec, what: string, from = 0): Promise<Rec> {
  let found: Rec | undefined;
  await until(() => (found = infos(u, from).find((i) => Object.entries(match).every(([k, v]) => JSON.stringify(i[k]) === JSON.stringify(v)))) !== undefined, 5000, what);
  return found!;
}

/** The message recording the call `seq` as `state` (a `{data}` replacing it), as `u` received it. */
async function waitRecord(u: User, topic: string, seq: number, state: string, ms = 5000): Promise<Rec> {
  let found: Rec | undefined;
  await until(
    () => (found = datas(u, topic).find((d) => (d.head as Rec | undefined)?.replace === `:${seq}` && (d.head as Rec).webrtc === state)) !== undefined,
    ms,
    `${u.uid} to see call ${seq} ${state}`,
  );
  return found!;
}

/** The call's messages in the stored history, from a fresh client: the call and what replaced it. */
async function storedCall(name: string, peer: User, seq: number): Promise<Rec[]> {
  const u = await login(name);
  const t = u.c.getTopic(peer.uid);
  await t.subscribe(t.startMetaQuery().withData(undefined, undefined, 100).build());
  await until(() => datas(u, peer.uid).some((d) => d.seq === seq), 5000, 'the history');
  const out = datas(u, peer.uid)
    .filter((d) => d.seq === seq || (d.head as Rec | undefined)?.replace === `:${seq}`)
    .sort((a, b) => Number(a.seq) - Number(b.seq));
  await t.leave();
  return out;
}

describe('calls between two tinode-sdk clients', () => {
  it('announces the ICE servers and the ringing time in {hi}', async () => {
    const c = await connectSdk(srv.host, 'ws');
    opened.push(c);
    expect(c.getServerParam('iceServers')).toEqual(ICE);
    expect(c.getServerParam('callTimeout')).toBe(RING_SECONDS);
  });

  it('rings, is accepted, relays offer, answer and candidates, and ends finished with its duration', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    // Bob's other device, looking at his contacts only: it stops ringing when he accepts.
    const bobPhone = await login('bob');
    await bobPhone.c.getMeTopic().subscribe();
    const ta = await chat(alice, bob);
    const tb = await chat(bob, alice);

    const seq = await startCall(ta);
    const started = await until(() => datas(bob, alice.uid).some((d) => d.seq === seq), 3000, 'bob to get the call').then(() => datas(bob, alice.uid).find((d) => d.seq === seq)!);
    expect(started.from).toBe(alice.uid);
    expect(started.head).toMatchObject({ webrtc: 'started', mime: 'text/x-drafty' });

    note(tb, 'ringing', seq);
    expect(await waitInfo(alice, { event: 'ringing' }, 'alice to hear it ring')).toEqual({ topic: bob.uid, from: bob.uid, what: 'call', event: 'ringing', seq });

    note(tb, 'accept', seq);
    expect(await waitInfo(alice, { event: 'accept' }, 'alice to hear the accept')).toEqual({ topic: bob.uid, from: bob.uid, what: 'call', event: 'accept', seq });
    // Both sides see the call accepted, recorded in alice's name; bob's phone stops ringing.
    for (const [u, topic] of [[alice, bob.uid], [bob, alice.uid]] as const) {
      const rec = await waitRecord(u, topic, seq, 'accepted');
      expect(rec.from).toBe(alice.uid);
      expect(rec.head).toEqual({ replace: `:${seq}`, webrtc: 'accepted', mime: 'text/x-drafty' });
    }
    expect(await waitInfo(bobPhone, { event: 'accept' }, "bob's phone to hear he accepted")).toEqual({ topic: 'me', src: alice.uid, from: bob.uid, what: 'call', event: 'accept', seq });

    // Session descriptions and candidates go to the other side, payloads as sent.
    const offer = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };
    note(ta, 'offer', seq, offer);
    expect(await waitInfo(bob, { event: 'offer' }, 'bob to get the offer')).toEqual({ topic: alice.uid, from: alice.uid, what: 'call', event: 'offer', seq, payload: offer });
    const answer = { type: 'answer', sdp: 'v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\n' };
    note(tb, 'answer', seq, answer);
    expect((await waitInfo(alice, { event: 'answer' }, 'alice to get the answer')).payload).toEqual(answer);
    const candidate = { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 };
    note(ta, 'ice-candidate', seq, candidate);
    note(tb, 'ice-candidate', seq, { ...candidate, sdpMid: '1' });
    expect((await waitInfo(bob, { event: 'ice-candidate' }, 'bob to get a candidate')).payload).toEqual(candidate);
    expect((await waitInfo(alice, { event: 'ice-candidate' }, 'alice to get a candidate')).payload).toEqual({ ...candidate, sdpMid: '1' });
    // Bob's phone is not on the call: what it sends goes nowhere, and it hears none of it.
    const mark = alice.log.length;
    note(bobPhone.c.getTopic(alice.uid), 'offer', seq, { type: 'offer', sdp: 'intruder' });
    expect(infos(bobPhone).filter((i) => ['offer', 'answer', 'ice-candidate'].includes(String(i.event)))).toEqual([]);

    await new Promise((r) => setTimeout(r, 300));
    note(ta, 'hang-up', seq);
    for (const [u, topic] of [[alice, bob.uid], [bob, alice.uid]] as const) {
      expect(await waitInfo(u, { event: 'hang-up' }, `${topic} to hear the hang-up`)).toEqual({ topic, what: 'call', event: 'hang-up', seq });
      const rec = await waitRecord(u, topic, seq, 'finished');
      expect(rec.from).toBe(alice.uid);
      expect(Number((rec.head as Rec)['webrtc-duration'])).toBeGreaterThanOrEqual(300);
    }
    // Bob's phone hears it ended, on me.
    expect(await waitInfo(bobPhone, { event: 'hang-up' }, "bob's phone to hear the hang-up")).toMatchObject({ topic: 'me', src: alice.uid, from: alice.uid, seq });
    expect(infos(alice, mark).filter((i) => i.payload && JSON.stringify(i.payload).includes('intruder'))).toEqual([]);

    // Stored: the call and the two messages replacing it, the last one finished.
    const history = await storedCall('alice', bob, seq);
    expect(history.map((d) => (d.head as Rec).webrtc)).toEqual(['started', 'accepted', 'finished']);
    // The SDK shows the latest version in place of the call.
    const latest = (ta as unknown as { latestMsgVersion(seq: number): Rec | undefined }).latestMsgVersion(seq);
    expect((latest?.head as Rec | undefined)?.webrtc).toBe('finished');
  });

  it('ends as missed when nobody answers within call_establishment_timeout', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    const ta = await chat(alice, bob);
    await chat(bob, alice);
    const t0 = Date.now();
    const seq = await startCall(ta, true);
    await waitRecord(alice, bob.uid, seq, 'missed', (RING_SECONDS + 3) * 1000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(RING_SECONDS * 1000 - 50);
    await waitRecord(bob, alice.uid, seq, 'missed');
    await waitInfo(bob, { event: 'hang-up', seq }, 'bob to hear it rang out');
    await waitInfo(alice, { event: 'hang-up', seq }, 'alice to hear it rang out');
  });

  it('ends as declined when the callee hangs up, and as missed when the caller gives up', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    const ta = await chat(alice, bob);
    const tb = await chat(bob, alice);
    const first = await startCall(ta);
    note(tb, 'ringing', first);
    await waitInfo(alice, { event: 'ringing', seq: first }, 'the ring');
    note(tb, 'hang-up', first);
    await waitRecord(alice, bob.uid, first, 'declined');
    await waitInfo(alice, { event: 'hang-up', seq: first }, 'alice to hear the decline');

    const second = await startCall(ta);
    note(ta, 'hang-up', second);
    await waitRecord(bob, alice.uid, second, 'missed');
    await waitInfo(bob, { event: 'hang-up', seq: second }, 'bob to hear the caller gave up');
  });

  it('answers a second call busy while one is on, and takes a new one after', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    const ta = await chat(alice, bob);
    const tb = await chat(bob, alice);
    const seq = await startCall(ta);
    // Bob calls back at the same time; alice calls again.
    expect(await refusal(tb, bob)).toEqual({ code: 486, text: 'busy here (486)' });
    expect((await refusal(ta, alice)).code).toBe(486);
    note(tb, 'accept', seq);
    await waitRecord(alice, bob.uid, seq, 'accepted');
    expect((await refusal(tb, bob)).code).toBe(486);
    // Plain messages go on during a call.
    expect((await ta.publish('still here'))?.code).toBe(202);
    note(tb, 'hang-up', seq);
    await waitRecord(alice, bob.uid, seq, 'finished');
    const next = await startCall(tb);
    expect(next).toBeGreaterThan(seq);
    note(tb, 'hang-up', next);
    await waitRecord(alice, bob.uid, next, 'missed');
  });

  it('ends as disconnected when a party drops its connection, once', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    const ta = await chat(alice, bob);
    const tb = await chat(bob, alice);
    const seq = await startCall(ta);
    note(tb, 'accept', seq);
    await waitRecord(alice, bob.uid, seq, 'accepted');
    bob.c.disconnect();
    await waitRecord(alice, bob.uid, seq, 'disconnected');
    await waitInfo(alice, { event: 'hang-up', seq }, 'alice to hear the call dropped');
    await new Promise((r) => setTimeout(r, (RING_SECONDS + 0.5) * 1000));
    // Nothing else: no missed record from the (stopped) ringing timer.
    expect(datas(alice, bob.uid).filter((d) => (d.head as Rec | undefined)?.replace === `:${seq}`).map((d) => (d.head as Rec).webrtc)).toEqual(['accepted', 'disconnected']);
  });

  it('lets a device of the callee that is not attached to the chat accept and hang up', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    const ta = await chat(alice, bob);
    const seq = await startCall(ta);
    // Bob's client knows of the call from a push; it answers without subscribing.
    const bobTopic = bob.c.getTopic(alice.uid);
    note(bobTopic, 'ringing', seq);
    await waitInfo(alice, { event: 'ringing', seq }, 'the ring from the detached device');
    // (The SDK's topic sends only ringing and hang-up while detached: the client's own method.)
    (bob.c as unknown as { videoCall(topic: string, seq: number, evt: string): void }).videoCall(alice.uid, seq, 'accept');
    await waitRecord(alice, bob.uid, seq, 'accepted');
    note(bobTopic, 'hang-up', seq);
    await waitRecord(alice, bob.uid, seq, 'finished');
  });
});

describe('who may call', () => {
  it('refuses calls in a group with 403', async () => {
    const alice = await login('alice');
    const grp = alice.c.getTopic(alice.c.newGroupTopicName(false));
    await grp.subscribe(undefined, { desc: { public: { fn: 'No calls here' } } });
    expect(await refusal(grp, alice)).toEqual({ code: 403, text: 'permission denied (403)' });
  });

  it('keeps a third user out of a call: no start, no events, no effect', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    const carol = await login('carol');
    const ta = await chat(alice, bob);
    const tb = await chat(bob, alice);
    const seq = await startCall(ta);
    const aliceMark = alice.log.length;
    const bobMark = bob.log.length;

    // Carol names alice (her own chat with alice, which has no call), bob, and the p2p topic
    // of alice and bob by its name: none reaches their call.
    const raw = await RawClient.open(srv.host);
    try {
      await raw.ask({ hi: { id: 'h', ver: '0.25.3', ua: 'intruder' } });
      await raw.login('carol');
      for (const topic of [alice.uid, bob.uid, p2pName(parseUserId(alice.uid), parseUserId(bob.uid))]) {
        for (const event of ['ringing', 'accept', 'offer', 'answer', 'ice-candidate', 'hang-up']) {
          raw.send({ note: { topic, what: 'call', event, seq, payload: { sdp: 'from carol' } } });
        }
      }
      // Carol's own call to alice, while alice's chat with bob rings: a separate call.
      const carolChat = await chat(carol, alice);
      const carolSeq = await startCall(carolChat);
      note(carolChat, 'hang-up', carolSeq);
      await waitRecord(carol, alice.uid, carolSeq, 'missed');
      await raw.ask({ get: { id: 'g', topic: 'me', what: 'desc' } });
    } finally {
      raw.close();
    }
    expect(infos(alice, aliceMark).filter((i) => i.from === carol.uid && i.src !== carol.uid)).toEqual([]);
    expect(infos(bob, bobMark).filter((i) => i.from === carol.uid)).toEqual([]);
    expect(datas(bob, alice.uid, bobMark).filter((d) => (d.head as Rec | undefined)?.replace === `:${seq}`)).toEqual([]);

    // The call is still ringing for bob, who accepts it.
    note(tb, 'accept', seq);
    await waitRecord(alice, bob.uid, seq, 'accepted');
    note(ta, 'hang-up', seq);
    await waitRecord(bob, alice.uid, seq, 'finished');
  });
});

describe('calls turned off, and pushes', () => {
  it('answers 501 and announces no ICE servers when webrtc is not enabled', async () => {
    const off = await startTestServer({ webrtc: { call_establishment_timeout: 10 } });
    try {
      const alice = await login('alice', off.host);
      const bob = await login('bob', off.host);
      expect(alice.c.getServerParam('iceServers', 'none')).toBe('none');
      expect(alice.c.getServerParam('callTimeout', 'none')).toBe('none');
      const ta = await chat(alice, bob);
      expect(await refusal(ta, alice)).toEqual({ code: 501, text: 'not implemented (501)' });
    } finally {
      await settle();
      for (const c of opened.splice(0)) if (c.isConnected()) c.disconnect();
      await off.close();
    }
  });

  it('turns calls on out of the box, with no ICE servers (one machine, a LAN)', async () => {
    const plain = await startTestServer();
    try {
      const c = await connectSdk(plain.host, 'ws');
      opened.push(c);
      expect(c.getServerParam('iceServers')).toEqual([]);
      expect(c.getServerParam('callTimeout')).toBe(30);
    } finally {
      await settle();
      for (const c of opened.splice(0)) if (c.isConnected()) c.disconnect();
      await plain.close();
    }
  });

  it("pushes a call to the callee's device at once or never, and how it ended", async () => {
    // Bob's phone registers its device, then goes away.
    const phone = await RawClient.open(srv.host);
    await phone.ask({ hi: { id: 'h', ver: '0.25.3', ua: 'TindroidX/0.25 (Android 14)', dev: 'bob-phone-token' } });
    await phone.login('bob');
    phone.close();
    await new Promise((r) => setTimeout(r, 200));
    const alice = await login('alice');
    const bob = await login('bob');
    const ta = await chat(alice, bob);
    const from = fcm.sends.length;
    const seq = await startCall(ta, true);
    const toPhone = () => fcm.sends.slice(from).filter((s) => s.token === 'bob-phone-token') as unknown as { data: Rec; android: Rec; apns: { headers: Rec; payload: { aps: Rec } } }[];
    await until(() => toPhone().length > 0, 5000, 'the push of the call');
    const push = toPhone()[0]!;
    expect(push.data).toMatchObject({ what: 'msg', webrtc: 'started', aonly: 'true', silent: 'true', seq: String(seq), xfrom: alice.uid, topic: alice.uid });
    expect(push.android).toEqual({ priority: 'high', ttl: '0s' });
    expect(push.apns.headers['apns-priority']).toBe('10');
    expect(push.apns.payload.aps['interruption-level']).toBe('critical');
    expect(push.apns.payload.aps.alert).toBeUndefined();
    // Bob's open session declines it: the phone hears how it ended.
    note(bob.c.getTopic(alice.uid), 'hang-up', seq);
    await until(() => toPhone().some((s) => s.data.webrtc === 'declined'), 5000, 'the push of the end');
    expect(toPhone().find((s) => s.data.webrtc === 'declined')!.data).toMatchObject({ replace: `:${seq}`, silent: 'true' });
  });
});
