import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launchChromium, loginTinodeWeb, pngImage, warnIfNoChromium } from '../helpers/browser.js';
import { connectSdk, DEMO_KEY, until, type SdkClient } from '../helpers/sdk.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Avatars in TinodeWeb served by the server (issue 20): alice, on the page, sets a profile photo
 * and creates a group with a photo, both larger than 10 KB so the app uploads them out of band.
 * In bob's and carol's pages the photos load from the file endpoint (decoded, no 4xx), although
 * the app requests them bare, with neither the API key nor credentials in the URL: the page's
 * API key cookie carries the key, and an avatar needs nothing more. Alice sees them too.
 */
warnIfNoChromium();

const GROUP = 'Avatar testers';

/** A page of its own browser context (its own storage and cookies), with the file answers it gets. */
interface UserPage {
  page: Page;
  /** `status url` of every answer from the file endpoint. */
  files: string[];
}

describe.skipIf(!haveChromium)('avatars in TinodeWeb', () => {
  let srv: TestServer;
  let browser: Browser;
  let base: string;
  let sdkAlice: SdkClient;

  beforeAll(async () => {
    srv = await startTestServer();
    base = `http://${srv.host}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    sdkAlice?.disconnect();
    await srv?.close();
  });

  async function openAs(user: string): Promise<UserPage> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
    const page = await context.newPage();
    const files: string[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/v0/file/')) files.push(`${r.status()} ${r.url()}`);
    });
    await loginTinodeWeb(page, base, user, `${user}123`);
    return { page, files };
  }

  /** Picks `image` in the avatar upload control of the side panel and accepts the crop. */
  async function pickAvatar(page: Page, image: Buffer): Promise<void> {
    await page.locator('#sidepanel .avatar-upload input[type=file]').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: image });
    await page.locator('#sidepanel .cropper').waitFor({ timeout: 10_000 });
    await page.click('#sidepanel .dialog-buttons button.primary');
  }

  /** The avatar image of a contact in the contact list. */
  const contactAvatar = (page: Page, title: string) =>
    `.contact-box li:has(.contact-title:text-is("${title}")) img.avatar`;

  /**
   * The file path an image shows, once it is decoded (natural size > 0): the app swaps a photo
   * that fails to load for a placeholder, so the size alone does not tell.
   */
  async function shownFrom(page: Page, selector: string): Promise<string> {
    const img = await page
      .locator(selector)
      .first()
      .evaluate((el) => {
        const i = el as unknown as { naturalWidth: number; complete: boolean; currentSrc: string };
        return { w: i.complete ? i.naturalWidth : 0, src: i.currentSrc };
      });
    return img.w > 0 ? new URL(img.src).pathname : '';
  }

  /** The size of a stored file. */
  async function storedSize(ref: string): Promise<number> {
    const token = sdkAlice.getAuthToken()!.token;
    const res = await fetch(`${base}${ref}`, { headers: { 'X-Tinode-APIKey': DEMO_KEY, 'X-Tinode-Auth': `Token ${token}` } });
    expect(res.status).toBe(200);
    return (await res.arrayBuffer()).byteLength;
  }

  it('shows the profile photo and the group photo alice sets to bob, carol and alice', async () => {
    const alice = await openAs('alice');
    const { page } = alice;

    // Profile photo: Settings, Edit, pick and crop.
    await page.locator('#side-caption-panel a', { hasText: 'settings' }).click();
    await page.locator('#sidepanel a.flat-button', { hasText: 'Edit' }).click();
    await pickAvatar(page, pngImage(400, 400, true));
    await page.locator('#sidepanel .avatar-upload img.preview').waitFor({ timeout: 10_000 });

    // A new group with a photo: New chat, new group, photo, name, Create.
    await page.locator('#side-caption-panel a', { hasText: 'arrow_back' }).click();
    await page.locator('#side-caption-panel a', { hasText: 'arrow_back' }).click();
    await page.locator('#side-caption-panel a', { hasText: 'chat' }).click();
    await page.click('#sidepanel .tabbar a[data-id=grp]');
    await pickAvatar(page, pngImage(400, 400, true));
    await page.locator('#sidepanel .avatar-upload img.preview').waitFor({ timeout: 10_000 });
    await page.fill('#new-topic-fn', GROUP);
    await page.click('#sidepanel .dialog-buttons button.primary');

    // Alice's records name the uploaded files; bob and carol join her group.
    sdkAlice = await connectSdk(srv.host, 'ws');
    await sdkAlice.loginBasic('alice', 'alice123');
    const me = sdkAlice.getMeTopic();
    await me.subscribe(me.startMetaQuery().withDesc().withSub().build());
    let group = '';
    let groupRef = '';
    await until(
      () => {
        me.contacts((c) => {
          const pub = c.public as { fn?: string; photo?: { ref?: string } } | undefined;
          if (pub?.fn === GROUP && pub.photo?.ref) {
            group = (c.name ?? c.topic) as string;
            groupRef = pub.photo.ref;
          }
        });
        return group !== '';
      },
      10_000,
      'the group with its photo among alice’s contacts',
    );
    const selfRef = (me.public as { photo?: { ref?: string } } | undefined)?.photo?.ref ?? '';
    expect(selfRef, 'the profile photo is uploaded out of band').toMatch(/^\/v0\/file\/s\//);
    expect(groupRef, 'the group photo is uploaded out of band').toMatch(/^\/v0\/file\/s\//);
    expect(await storedSize(selfRef)).toBeGreaterThan(10_000);
    expect(await storedSize(groupRef)).toBeGreaterThan(10_000);
    const topic = sdkAlice.getTopic(group);
    await topic.subscribe();
    for (const user of ['bob', 'carol']) {
      const uid = await userIdOf(user);
      expect((await topic.invite(uid, 'JRWPS')).code).toBeLessThan(300);
    }

    // Bob and carol see both photos in their contact lists, fetched bare and decoded.
    for (const user of ['bob', 'carol']) {
      const other = await openAs(user);
      for (const [title, ref] of [
        ['Alice Walker', selfRef],
        [GROUP, groupRef],
      ] as const) {
        const avatar = contactAvatar(other.page, title);
        await other.page.locator(avatar).waitFor({ timeout: 10_000 });
        await expect.poll(() => shownFrom(other.page, avatar), { timeout: 10_000, message: `${user} sees ${title}'s photo` }).toBe(ref);
      }
      expect(other.files.filter((f) => !f.startsWith('2') && !f.startsWith('3')), `${user}'s file answers`).toEqual([]);
      const bare = other.files.filter((f) => /\/v0\/file\/s\/[^?]+$/.test(f));
      expect(bare.length, `${user}'s page loads avatars without the key in the URL`).toBeGreaterThan(0);
      await other.page.context().close();
    }

    // Alice sees her group's photo in her contact list, and her own photo.
    const back = page.locator('#side-caption-panel a', { hasText: 'arrow_back' });
    if (await back.isVisible()) await back.click();
    const own = contactAvatar(page, GROUP);
    await page.locator(own).waitFor({ timeout: 10_000 });
    await expect.poll(() => shownFrom(page, own), { timeout: 10_000 }).toBe(groupRef);
    await expect.poll(() => shownFrom(page, '#self-avatar img.avatar'), { timeout: 10_000 }).toBe(selfRef);
    expect(alice.files.filter((f) => !f.startsWith('2') && !f.startsWith('3')), "alice's file answers").toEqual([]);
    await page.context().close();
  }, 90_000);

  /** A user's id, from alice's contacts. */
  async function userIdOf(login: string): Promise<string> {
    let uid = '';
    const first = login[0]!.toUpperCase() + login.slice(1);
    sdkAlice.getMeTopic().contacts((c) => {
      const pub = c.public as { fn?: string } | undefined;
      if (pub?.fn?.startsWith(first) && String(c.name ?? c.topic).startsWith('usr')) uid = String(c.name ?? c.topic);
    });
    expect(uid, `${login} among alice's contacts`).toMatch(/^usr/);
    return Promise.resolve(uid);
  }
});
