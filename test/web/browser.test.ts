import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSdk, until, type SdkClient, type SdkMessage, type SdkTopic } from '../helpers/sdk.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * TinodeWeb, served by our server from the tinode-webapp package, in a real browser: Debian's
 * Chromium (installed by .ci/run) driven by playwright-core. Alice logs in on the page, opens her
 * chat with bob, sends him a message that bob, a tinode-sdk client, receives; bob's reply shows up
 * on the page, and alice attaches a file too large to go inline, so the page uploads it over HTTP.
 * Every request the page makes stays on the server's origin.
 *
 * Without Chromium the test is skipped with a message, except in CI (env `CI` set), where that is
 * a failure. `CHROMIUM` names another binary. The screenshot goes to test/web/out/ (or to the file
 * `TINODE_SCREENSHOT` names, e.g. docs/tinodeweb.png to refresh the README's).
 */
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) {
  throw new Error(`Chromium is not installed at ${CHROMIUM}, and CI must run the browser test: .ci/run installs it with apt-get install chromium`);
}
if (!haveChromium) {
  console.warn(`test/web: skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`);
}

const ROOT = resolve(import.meta.dirname, '..', '..');
const SCREENSHOT = process.env.TINODE_SCREENSHOT ? resolve(ROOT, process.env.TINODE_SCREENSHOT) : join(import.meta.dirname, 'out', 'tinodeweb-chat.png');

describe.skipIf(!haveChromium)('TinodeWeb in Chromium', () => {
  let srv: TestServer;
  let browser: Browser;
  let bob: SdkClient;
  let base: string;

  beforeAll(async () => {
    srv = await startTestServer();
    base = `http://${srv.host}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-default-apps',
        '--disable-extensions',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (bob?.isConnected()) {
      bob.disconnect();
    }
    await srv?.close();
  });

  /** Bob, over tinode-sdk: logged in, subscribed to his chat with alice; what he receives there. */
  async function bobInChatWithAlice(): Promise<{ topic: SdkTopic; received: SdkMessage[]; aliceUid: string }> {
    bob = await connectSdk(srv.host, 'ws');
    await bob.loginBasic('bob', 'bob123');
    const me = bob.getMeTopic();
    await me.subscribe(me.startMetaQuery().withSub().build());
    // The SDK applies {meta} after the {ctrl} that resolves the promise; contacts are its topics.
    let aliceUid = '';
    await until(
      () => {
        me.contacts((c) => {
          const name = (c.name ?? c.topic) as string | undefined;
          const pub = c.public as { fn?: string } | undefined;
          if (name?.startsWith('usr') && pub?.fn?.startsWith('Alice')) {
            aliceUid = name;
          }
        });
        return aliceUid !== '';
      },
      5000,
      "alice among bob's contacts",
    );
    expect(aliceUid, "alice among bob's contacts").toMatch(/^usr/);
    const topic = bob.getTopic(aliceUid);
    const received: SdkMessage[] = [];
    topic.onData = (m) => {
      if (m) received.push(m);
    };
    await topic.subscribe(topic.startMetaQuery().withLaterData(1).build());
    return { topic, received, aliceUid };
  }

  it('logs alice in, chats with a tinode-sdk bob both ways, attaches a file, all from this server', async () => {
    const { topic, received, aliceUid } = await bobInChatWithAlice();

    const page: Page = await browser.newPage({ viewport: { width: 1100, height: 720 } });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('websocket', (ws) => requests.push(ws.url()));
    page.on('pageerror', (e) => errors.push(e.message));

    // The login page, with the app's scripts and fonts from this server.
    const res = await page.goto(`${base}/`);
    expect(res?.status()).toBe(200);
    await page.locator('#login-form').waitFor({ timeout: 10_000 });
    await page.fill('#inputLogin', 'alice');
    await page.fill('#login-form input[type=password]', 'alice123');
    await page.click('#login-form button[type=submit]');

    // Contacts, then the chat with bob and its history.
    const contact = page.locator('.contact-box .contact-title', { hasText: 'Bob Miller' });
    await contact.waitFor({ timeout: 10_000 });
    await contact.click();
    const messages = page.locator('#scroller .message-content');
    await page.locator('#send-message-input').waitFor();
    await expect.poll(() => page.locator('#scroller li.left, #scroller li.right').count(), { timeout: 10_000 }).toBeGreaterThan(0);

    // Alice writes; bob's SDK client receives it from her.
    const hello = 'Hello Bob, this is Alice in TinodeWeb';
    await page.fill('#send-message-input', hello);
    await page.press('#send-message-input', 'Enter');
    await until(() => received.some((m) => m.content === hello && m.from === aliceUid), 10_000, 'bob to receive the message');

    // Bob answers; the page shows it.
    const reply = 'Hi Alice, got it from the SDK!';
    await topic.publish(reply);
    await messages.filter({ hasText: reply }).waitFor({ timeout: 10_000 });

    // A file too large to go inline: the page uploads it to /v0/file/u/ and sends a reference.
    const fileBytes = Buffer.alloc(150_000, 'tinode ');
    await page.locator('#send-message-panel input[type=file]:not([accept])').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: fileBytes });
    await page.click('#send-message-panel a[title="Send message"]');
    await until(() => received.some((m) => m.from === aliceUid && JSON.stringify(m.content ?? '').includes('notes.txt')), 15_000, 'bob to receive the attachment');
    const withFile = received.find((m) => m.from === aliceUid && JSON.stringify(m.content ?? '').includes('notes.txt'))!;
    const ent = (withFile.content as { ent?: { tp: string; data: { ref?: string; val?: string; name?: string } }[] }).ent?.[0];
    expect(ent?.tp).toBe('EX');
    expect(ent?.data.ref, 'uploaded out of band, not inline').toMatch(/^\/v0\/file\/s\//);
    // Bob downloads it with his token.
    const token = bob.getAuthToken()!.token;
    const download = await fetch(`${base}${ent!.data.ref!}`, { headers: { 'X-Tinode-APIKey': 'AQEAAAABAAD_rAp4DJh05a1HAwFT3A6K', 'X-Tinode-Auth': `Token ${token}` } });
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(fileBytes)).toBe(true);
    await page.locator('#scroller', { hasText: 'notes.txt' }).waitFor({ timeout: 10_000 });

    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });

    // Nothing left the machine: every request went to this server (or stayed in the page).
    const origin = new URL(base);
    const outside = requests.filter((u) => {
      const url = new URL(u);
      return !['data:', 'blob:'].includes(url.protocol) && url.host !== origin.host;
    });
    expect(outside).toEqual([]);
    expect(requests.some((u) => u.startsWith(`ws://${srv.host}/v0/channels`))).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 45_000);
});
