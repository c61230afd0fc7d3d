import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launchChromium, naturalWidth, pngImage, warnIfNoChromium, watchPolicy } from '../helpers/browser.js';
import { connectSdk, DEMO_KEY, until, type SdkClient, type SdkMessage, type SdkTopic } from '../helpers/sdk.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * TinodeWeb, served by our server from the tinode-webapp package, in a real browser: Debian's
 * Chromium (installed by .ci/run) driven by playwright-core. Alice logs in on the page, opens her
 * chat with bob, sends him a message that bob, a tinode-sdk client, receives; bob's reply shows up
 * on the page, and alice attaches a file too large to go inline, so the page uploads it over HTTP,
 * then a small image that goes inline; an image bob uploads shows from the file endpoint. Every
 * request the page makes stays on the server's origin, and its Content-Security-Policy blocks
 * nothing it does. Uploaded files opened directly: an image shows under the files' sandbox
 * policy, an HTML page or an SVG is downloaded (with the cleaned name a link asks for), never run.
 *
 * Without Chromium the test is skipped with a message, except in CI (env `CI` set), where that is
 * a failure. `CHROMIUM` names another binary. The screenshot goes to test/web/out/ (or to the file
 * `TINODE_SCREENSHOT` names, e.g. docs/tinodeweb.png to refresh the README's).
 */
warnIfNoChromium();

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
    browser = await launchChromium();
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
    const violations = await watchPolicy(page);

    // The login page, with the app's scripts and fonts from this server, under its policy.
    const res = await page.goto(`${base}/`);
    expect(res?.status()).toBe(200);
    expect(await res?.headerValue('content-security-policy')).toMatch(/^default-src 'self'; script-src 'self';/);
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
    const download = await fetch(`${base}${ent!.data.ref!}`, { headers: { 'X-Tinode-APIKey': DEMO_KEY, 'X-Tinode-Auth': `Token ${token}` } });
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(fileBytes)).toBe(true);
    await page.locator('#scroller', { hasText: 'notes.txt' }).waitFor({ timeout: 10_000 });

    // A small image goes inline: previewed from a blob: URL, sent as data, shown from it.
    await page.locator('#send-message-panel input[type=file][accept]').setInputFiles({ name: 'dot.png', mimeType: 'image/png', buffer: pngImage(40, 30) });
    await page.locator('#image-preview img').waitFor({ timeout: 10_000 });
    expect(await naturalWidth(page, '#image-preview img')).toBe(40);
    await page.click('#image-preview a[title="Send message"]');
    const isImage = (m: SdkMessage, name: string) => m.from === aliceUid && JSON.stringify(m.content ?? '').includes(`"name":"${name}"`);
    await until(() => received.some((m) => isImage(m, 'dot.png')), 15_000, 'bob to receive the inline image');
    const inline = received.find((m) => isImage(m, 'dot.png'))!.content as { ent?: { tp: string; data: { val?: string; ref?: string } }[] };
    expect(inline.ent?.[0]?.tp).toBe('IM');
    expect(inline.ent?.[0]?.data.val, 'sent inline').toBeTruthy();

    // Bob sends an image uploaded out of band: the page shows it from the file endpoint.
    const form = new FormData();
    const picture = pngImage(300, 200, true);
    form.append('file', new Blob([picture], { type: 'image/png' }), 'bob.png');
    const up = await fetch(`${base}/v0/file/u/`, { method: 'POST', headers: { 'X-Tinode-APIKey': DEMO_KEY, 'X-Tinode-Auth': `Token ${token}` }, body: form });
    const ref = String(((await up.json()) as { ctrl: { params: { url: string } } }).ctrl.params.url);
    await topic.publish({
      txt: ' ',
      fmt: [{ at: 0, len: 1, key: 0 }],
      ent: [{ tp: 'IM', data: { mime: 'image/png', ref, name: 'bob.png', width: 300, height: 200, size: picture.length } }],
    });
    await until(() => requests.some((u) => u.includes(ref)), 10_000, 'the page to fetch the image from the file endpoint');
    await page.locator('#scroller img[alt="bob.png"]').waitFor({ timeout: 10_000 });
    await expect.poll(() => naturalWidth(page, '#scroller img[alt="bob.png"]'), { timeout: 10_000 }).toBe(300);

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
    expect(violations, 'nothing the page does is blocked by its Content-Security-Policy').toEqual([]);
    await page.close();
  }, 60_000);

  it('shows an uploaded image opened directly, and downloads an HTML page or an SVG instead of running it', async () => {
    const client = await connectSdk(srv.host, 'ws');
    try {
      await client.loginBasic('carol', 'carol123');
      const token = client.getAuthToken()!.token;
      const put = async (data: Buffer, type: string) => {
        const form = new FormData();
        form.append('file', new Blob([data], { type }), 'f');
        const res = await fetch(`${base}/v0/file/u/`, { method: 'POST', headers: { 'X-Tinode-APIKey': DEMO_KEY, 'X-Tinode-Auth': `Token ${token}` }, body: form });
        return String(((await res.json()) as { ctrl: { params: { url: string } } }).ctrl.params.url);
      };
      const creds = new URLSearchParams({ apikey: DEMO_KEY, auth: 'token', secret: token.replace(/\+/g, '-').replace(/\//g, '_') });
      const page = await browser.newPage();
      const dialogs: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      try {
        // An image in its own tab, under the file's sandbox policy: shown as ever.
        const png = await put(pngImage(64, 48), 'image/png');
        const shown = await page.goto(`${base}${png}?${creds.toString()}`);
        expect(shown?.status()).toBe(200);
        expect(await shown?.headerValue('content-security-policy')).toBe("default-src 'none'; sandbox");
        expect(await naturalWidth(page, 'img')).toBe(64);

        // Script-carrying pages are saved, never rendered in this origin; the name a link asks for is cleaned.
        const html = await put(Buffer.from('<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>'), 'text/html');
        const svg = await put(Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'), 'image/svg+xml');
        for (const [url, query, name] of [
          [html, '', html.slice('/v0/file/s/'.length)],
          [svg, `&filename=${encodeURIComponent('évil"\r\n.svg')}`, 'évil___.svg.xml'],
        ] as const) {
          const download = page.waitForEvent('download', { timeout: 10_000 });
          await page.goto(`${base}${url}?${creds.toString()}${query}`).catch(() => undefined);
          expect((await download).suggestedFilename()).toBe(name);
        }
        expect(dialogs).toEqual([]);
      } finally {
        await page.close();
      }
    } finally {
      client.disconnect();
    }
  });
});
