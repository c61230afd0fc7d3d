import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launchChromium, loginTinodeWeb, watchPolicy, warnIfNoChromium } from '../helpers/browser.js';
import { RawClient, waitFor, type Json } from '../helpers/raw.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * A video call in TinodeWeb (issue: audio/video calls): two Chromium pages, each in a browser
 * context of its own, with Chromium's fake camera and microphone. Bob has his chat with alice
 * open; alice opens hers with bob and picks "Video call" in the chat's menu. Bob's page rings,
 * bob accepts, and the pages negotiate a WebRTC connection through the server's `{note
 * what=call}` → `{info what=call}` relay; with no ICE servers configured (`{hi}` gives
 * `iceServers: []`) the peers connect over the machine's own addresses, loopback included. Both
 * connections reach `connected` (recorded by wrapping `RTCPeerConnection` in each page) and each
 * page shows the other's video. Alice hangs up: both pages leave the call panel, and both chats
 * show the call as finished with its duration, which the server stored as a replacement of the
 * call message (`head.webrtc` "finished", `head["webrtc-duration"]` in ms). Nothing the call
 * does is blocked by the page's Content-Security-Policy.
 *
 * Without Chromium the test is skipped with a message, except in CI (env `CI` set). The
 * screenshot (both pages side by side, during the call) goes to test/web/out/tinodeweb-call.png,
 * or to the file `TINODE_SCREENSHOT_CALL` names (docs/tinodeweb-call.png for the README's). On a
 * failure the test prints the call's websocket frames of both pages and takes a screenshot of each
 * and writes all its frames (test/web/out/call-failure-<user>.png, .frames).
 */
warnIfNoChromium();

const ROOT = resolve(import.meta.dirname, '..', '..');
const SCREENSHOT = process.env.TINODE_SCREENSHOT_CALL
  ? resolve(ROOT, process.env.TINODE_SCREENSHOT_CALL)
  : join(import.meta.dirname, 'out', 'tinodeweb-call.png');

/**
 * A camera and a microphone that need no device and no permission prompt; ICE candidates on the
 * loopback interface too (Chromium leaves it out by default, so on a machine or in a container
 * with nothing but `lo` the pages would find no candidates at all and never connect).
 */
const FAKE_MEDIA = [
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--autoplay-policy=no-user-gesture-required',
];

const VIEWPORT = { width: 800, height: 600 };

/** How long the call lasts once both ends are connected (the duration shown is at least this). */
const HOLD_MS = 2_000;

/**
 * Runs in each page before the app: every RTCPeerConnection the app makes is recorded in
 * `window.__rtc` with its configuration and the connection states it goes through (`closed`
 * when the page closes it, which fires no event).
 */
const RECORD_PEER_CONNECTIONS = `(() => {
  const Native = window.RTCPeerConnection;
  if (!Native) return;
  const log = (window.__rtc = []);
  class Recorded extends Native {
    constructor(...args) {
      super(...args);
      const entry = { config: JSON.parse(JSON.stringify(args[0] ?? null)), states: [this.connectionState], ice: [this.iceConnectionState] };
      log.push(entry);
      this.__entry = entry;
      this.addEventListener('connectionstatechange', () => entry.states.push(this.connectionState));
      this.addEventListener('iceconnectionstatechange', () => entry.ice.push(this.iceConnectionState));
    }
    close() {
      if (this.connectionState !== 'closed') this.__entry.states.push('closed');
      return super.close();
    }
  }
  window.RTCPeerConnection = Recorded;
})();`;

interface PeerConnectionRecord {
  config: { iceServers?: unknown[] } | null;
  states: string[];
  ice: string[];
}

interface Frame {
  ms: number;
  dir: '>>' | '<<';
  text: string;
}

/** A user's page in a browser context of its own, with what it sent and got and what went wrong. */
interface UserPage {
  user: string;
  page: Page;
  frames: Frame[];
  errors: string[];
  violations: string[];
}

describe.skipIf(!haveChromium)('a video call in TinodeWeb', () => {
  let srv: TestServer;
  let browser: Browser;
  let base: string;
  const opened: UserPage[] = [];

  beforeAll(async () => {
    srv = await startTestServer({ webrtc: { enabled: true, call_establishment_timeout: 30 } });
    base = `http://${srv.host}`;
    browser = await launchChromium(FAKE_MEDIA);
  });

  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  async function openAs(user: string): Promise<UserPage> {
    const context = await browser.newContext({ viewport: VIEWPORT });
    const page = await context.newPage();
    const start = Date.now();
    const up: UserPage = { user, page, frames: [], errors: [], violations: [] };
    opened.push(up);
    page.on('websocket', (ws) => {
      ws.on('framesent', (f) => up.frames.push({ ms: Date.now() - start, dir: '>>', text: String(f.payload) }));
      ws.on('framereceived', (f) => up.frames.push({ ms: Date.now() - start, dir: '<<', text: String(f.payload) }));
    });
    page.on('pageerror', (e) => up.errors.push(e.message));
    up.violations = await watchPolicy(page);
    await page.addInitScript({ content: RECORD_PEER_CONNECTIONS });
    await loginTinodeWeb(page, base, user, `${user}123`);
    return up;
  }

  /** Opens the chat with `title` from the contact list and waits for its history. */
  async function openChat(up: UserPage, title: string): Promise<void> {
    await up.page.locator('.contact-box .contact-title', { hasText: title }).click();
    await up.page.locator('#topic-caption-panel #topic-title', { hasText: title }).waitFor({ timeout: 10_000 });
    await up.page.locator('#send-message-input').waitFor({ timeout: 10_000 });
    await expect
      .poll(() => up.page.locator('#scroller li.left, #scroller li.right').count(), { timeout: 10_000, message: `${up.user}'s chat with ${title} shows its history` })
      .toBeGreaterThan(0);
  }

  /** The frames that make up the call (and the `{hi}` answer that enables it), for a failure report. */
  function callFrames(up: UserPage): string {
    const lines = up.frames
      .filter((f) => /webrtc|"what":"call"|iceServers|"code":[45]\d\d/.test(f.text))
      .map((f) => `  ${String(f.ms).padStart(6)} ms ${f.dir} ${f.text.length > 600 ? `${f.text.slice(0, 600)}…` : f.text}`);
    return `${up.user}'s page (${up.frames.length} frames in all):\n${lines.join('\n')}`;
  }

  const peerConnections = (up: UserPage) => up.page.evaluate(() => (globalThis as unknown as { __rtc?: PeerConnectionRecord[] }).__rtc ?? []);

  /** Frames a page received, parsed. */
  const received = (up: UserPage): Json[] => up.frames.filter((f) => f.dir === '<<' && f.text.startsWith('{')).map((f) => JSON.parse(f.text) as Json);
  const sent = (up: UserPage): Json[] => up.frames.filter((f) => f.dir === '>>' && f.text.startsWith('{')).map((f) => JSON.parse(f.text) as Json);

  /** `{ seconds, icon, title }` of the last call message in a page's chat. */
  async function lastCallMessage(up: UserPage): Promise<{ title: string; icon: string; duration: string }> {
    const msg = up.page.locator('#scroller .call-message').last();
    await msg.waitFor({ timeout: 10_000 });
    return {
      title: (await msg.locator('.flex-column > div').first().innerText()).trim(),
      icon: (await msg.locator('.duration i').innerText()).trim(),
      duration: (await msg.locator('.duration').innerText()).replace(/^\S+\s*/, '').trim(),
    };
  }

  it('alice calls bob, bob accepts, both connect and see each other, alice hangs up, both chats show the finished call', async () => {
    try {
      const [alice, bob] = await Promise.all([openAs('alice'), openAs('bob')]);

      // The server offers calls: {hi} carries iceServers (an empty list: no ICE servers configured).
      const hiParams = received(alice)
        .map((m) => m.ctrl?.params as { ver?: string; iceServers?: unknown; callTimeout?: unknown } | undefined)
        .find((p) => p?.ver);
      expect(hiParams?.iceServers, `{hi} params offer calls: ${JSON.stringify(hiParams)}`).toBeInstanceOf(Array);

      // Bob has his chat with alice open (the page rings for a call in a topic it is subscribed to).
      await openChat(bob, 'Alice Walker');
      await openChat(alice, 'Bob Miller');

      // Alice: the chat's menu, "Video call".
      await alice.page.locator('#topic-caption-panel a', { has: alice.page.locator('i', { hasText: 'more_vert' }) }).click();
      await alice.page.locator('ul.menu li', { hasText: /^Video call$/ }).click();
      await alice.page.locator('#video-container').waitFor({ timeout: 10_000 });

      // Bob's page rings with alice's name; bob accepts.
      const incoming = bob.page.locator('.incoming-call');
      await incoming.waitFor({ timeout: 10_000 });
      await expect.poll(() => incoming.locator('.caller-name').innerText()).toContain('Alice Walker');
      await incoming.locator('button.positive').click();
      await bob.page.locator('#video-container').waitFor({ timeout: 10_000 });
      await incoming.waitFor({ state: 'detached', timeout: 10_000 });

      // Both peer connections reach `connected`, with the ICE servers the server gave (none).
      for (const up of [alice, bob]) {
        await expect
          .poll(async () => (await peerConnections(up)).some((pc) => pc.states.includes('connected')), {
            timeout: 20_000,
            message: `${up.user}'s RTCPeerConnection reaches connected`,
          })
          .toBe(true);
        const pcs = await peerConnections(up);
        expect(pcs.length, `${up.user}'s page makes one peer connection`).toBe(1);
        expect(pcs[0]!.config).toEqual({ iceServers: [] });
      }
      const connectedAt = Date.now();

      // Each page shows the other's (fake) camera, and its own.
      for (const up of [alice, bob]) {
        for (const party of ['peer', 'self']) {
          const video = up.page.locator(`#video-container .call-party.${party} video`);
          await expect
            .poll(() => video.evaluate((v) => (v as unknown as { videoWidth: number }).videoWidth).catch(() => 0), {
              timeout: 10_000,
              message: `${up.user}'s page shows the ${party} video`,
            })
            .toBeGreaterThan(0);
        }
      }

      // The screenshot: alice's page and bob's page side by side.
      await Promise.all([alice, bob].map((up) => up.page.waitForTimeout(500)));
      const shots = await Promise.all([alice, bob].map((up) => up.page.screenshot()));
      const sheet = await browser.newPage({ viewport: { width: VIEWPORT.width * 2 + 8, height: VIEWPORT.height } });
      await sheet.setContent(
        `<body style="margin:0;background:#9e9e9e;display:flex;gap:8px">${shots.map((s) => `<img src="data:image/png;base64,${s.toString('base64')}">`).join('')}</body>`,
      );
      mkdirSync(dirname(SCREENSHOT), { recursive: true });
      await sheet.screenshot({ path: SCREENSHOT });
      await sheet.close();

      // Alice hangs up after a while: both pages leave the call, both connections are closed.
      await alice.page.waitForTimeout(Math.max(0, connectedAt + HOLD_MS - Date.now()));
      const hungUpAt = Date.now();
      await alice.page.locator('#video-container #controls button.danger').click();
      for (const up of [alice, bob]) {
        await up.page.locator('#video-container').waitFor({ state: 'detached', timeout: 10_000 });
        await expect.poll(async () => (await peerConnections(up))[0]?.states.at(-1), { message: `${up.user}'s connection is closed` }).toBe('closed');
      }
      const heldMs = hungUpAt - connectedAt;

      // Both chats show the call as finished, with its duration: outgoing for alice, incoming for bob.
      const shown: Record<string, number> = {};
      for (const [up, title, icon] of [
        [alice, 'Outgoing call', 'call_made'],
        [bob, 'Incoming call', 'call_received'],
      ] as const) {
        // While the call is only accepted, the message shows no duration ("NaN:NaN", in fact).
        await expect
          .poll(async () => (await lastCallMessage(up)).duration, { timeout: 10_000, message: `${up.user}'s chat shows the call's duration` })
          .toMatch(/^\d+:\d\d$/);
        const call = await lastCallMessage(up);
        expect(call.title).toBe(title);
        expect(call.icon, `${up.user}'s chat shows the call finished, not dropped`).toBe(icon);
        const m = /^(\d+):(\d\d)$/.exec(call.duration)!;
        shown[up.user] = Number(m![1]) * 60 + Number(m![2]);
        expect(shown[up.user], `${up.user}'s duration`).toBeGreaterThanOrEqual(Math.floor(HOLD_MS / 1000));
      }
      expect(shown.alice).toBe(shown.bob);

      // What the server stored: the call message (started), replaced when bob accepted and when alice hung up.
      const invite = sent(alice).find((m) => (m.pub?.head as { webrtc?: string } | undefined)?.webrtc === 'started')?.pub;
      expect(invite, 'alice sent the call message').toBeDefined();
      const answer = received(alice).find((m) => m.ctrl?.id === invite!.id)?.ctrl;
      expect(answer?.code, 'the call message is accepted').toBe(202);
      const seq = (answer!.params as { seq: number }).seq;
      const raw = await RawClient.open(srv.host);
      try {
        await raw.hello();
        await raw.login('alice');
        raw.send({ sub: { id: 's', topic: invite!.topic, get: { what: 'data' } } });
        const stored: Json['data'][] = [];
        await waitFor(
          raw,
          (m) => {
            if (m.data) stored.push(m.data);
            return m.ctrl?.id === 's' && m.ctrl.params !== undefined && (m.ctrl.params as { what?: string }).what === 'data';
          },
          'the end of the topic’s messages',
          5000,
        ).catch(() => undefined);
        const heads = stored.map((d) => ({ seq: d.seq, head: (d.head ?? {}) as Record<string, unknown> }));
        const started = heads.find((d) => d.seq === seq);
        expect(started?.head.webrtc, `the call message ${seq}: ${JSON.stringify(heads)}`).toBe('started');
        // (The server sends a topic's messages newest first.)
        const versions = heads.filter((d) => d.head.replace === `:${seq}`).sort((a, b) => Number(a.seq) - Number(b.seq));
        expect(
          versions.map((d) => d.head.webrtc),
          `replacements of :${seq}`,
        ).toEqual(['accepted', 'finished']);
        const duration = Number(versions[1]!.head['webrtc-duration']);
        expect(duration, 'webrtc-duration in ms').toBeGreaterThan(0);
        expect(duration, 'webrtc-duration covers the connected call').toBeGreaterThanOrEqual(heldMs);
        expect(duration, 'webrtc-duration is not longer than the whole call').toBeLessThan(heldMs + 30_000);
        expect(Math.floor(duration / 1000), 'the chats show the stored duration').toBe(shown.alice);
      } finally {
        raw.close();
      }

      // The relay: each page got the other's call events as {info what=call} for the call's seq, on
      // its own name of the topic, from the other, with what the other sent.
      const uidOf = (up: UserPage) =>
        received(up)
          .map((m) => m.ctrl?.params as { user?: string; authlvl?: string } | undefined)
          .find((p) => p?.authlvl)?.user;
      const aliceUid = uidOf(alice)!;
      const bobUid = uidOf(bob)!;
      expect(invite!.topic).toBe(bobUid);
      for (const [up, other, otherUid, events] of [
        [alice, bob, bobUid, ['ringing', 'accept', 'answer', 'ice-candidate']],
        [bob, alice, aliceUid, ['offer', 'ice-candidate', 'hang-up']],
      ] as const) {
        const infos = received(up)
          .filter((m) => m.info?.what === 'call')
          .map((m) => m.info as { topic: string; from?: string; seq: number; event: string; payload?: unknown });
        expect([...new Set(infos.map((i) => i.event))], `the call events ${up.user}'s page got`).toEqual(expect.arrayContaining([...events]));
        for (const i of infos) {
          expect(i, `${up.user}'s {info} ${i.event}`).toMatchObject({ topic: otherUid, seq });
          if (i.event !== 'hang-up') expect(i.from, `${up.user}'s {info} ${i.event} is from ${other.user}`).toBe(otherUid);
        }
        const notes = sent(other)
          .filter((m) => m.note?.what === 'call')
          .map((m) => m.note as { event: string; payload?: unknown });
        for (const event of ['offer', 'answer']) {
          const note = notes.find((n) => n.event === event);
          if (note) expect(infos.find((i) => i.event === event)?.payload, `the ${event} ${up.user}'s page got is the one ${other.user}'s sent`).toEqual(note.payload);
        }
      }

      for (const up of [alice, bob]) {
        expect(up.errors, `${up.user}'s page errors`).toEqual([]);
        expect(up.violations, `nothing ${up.user}'s call does is blocked by the page's Content-Security-Policy`).toEqual([]);
      }
    } catch (e) {
      console.error(`the call's websocket frames:\n${opened.map(callFrames).join('\n')}`);
      for (const up of opened) {
        mkdirSync(join(import.meta.dirname, 'out'), { recursive: true });
        await up.page.screenshot({ path: join(import.meta.dirname, 'out', `call-failure-${up.user}.png`) }).catch(() => undefined);
        writeFileSync(join(import.meta.dirname, 'out', `call-failure-${up.user}.frames`), up.frames.map((f) => `${f.ms} ${f.dir} ${f.text}\n`).join(''));
        console.error(`${up.user}'s peer connections: ${JSON.stringify(await peerConnections(up).catch(() => 'n/a'))}; errors: ${JSON.stringify(up.errors)}; CSP: ${JSON.stringify(up.violations)}`);
      }
      throw e;
    } finally {
      for (const up of opened.splice(0)) await up.page.context().close();
    }
  }, 90_000);
});
