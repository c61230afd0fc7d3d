import { existsSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Chromium for the browser tests: Debian's (installed by .ci/run), driven by playwright-core.
 * `CHROMIUM` names another binary. Without it the tests are skipped with a message, except in
 * CI (env `CI` set), where that is a failure.
 */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) {
  throw new Error(`Chromium is not installed at ${CHROMIUM}, and CI must run the browser test: .ci/run installs it with apt-get install chromium`);
}

/** Warns once per test file that its browser tests are skipped. */
export function warnIfNoChromium(): void {
  if (!haveChromium) {
    console.warn(`test/web: skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`);
  }
}

/**
 * Headless Chromium that makes no requests of its own (updates, sync, QUIC probes); `extraArgs`
 * adds switches (a fake camera and microphone for calls, say).
 */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
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
      ...extraArgs,
    ],
  });
}

/**
 * Collects what the page's Content-Security-Policy blocks: `securitypolicyviolation` events (with
 * the directive and the blocked URL) and the console's "Refused to …" reports.
 */
export async function watchPolicy(page: Page): Promise<string[]> {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(`console: ${m.text()}`);
  });
  await page.exposeFunction('reportPolicyViolation', (v: string) => violations.push(v));
  await page.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (e) => window.reportPolicyViolation(e.effectiveDirective + ' blocked ' + e.blockedURI + ' at ' + e.sourceFile + ':' + e.lineNumber));`,
  });
  return violations;
}

/** A real PNG (the browser decodes it): a `w`×`h` RGB gradient, or random pixels with `noise` (making it large). */
export function pngImage(w: number, h: number, noise = false): Buffer {
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = table[(c ^ x) & 255]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(w, 0);
  header.writeUInt32BE(h, 4);
  header[8] = 8; // bits per channel
  header[9] = 2; // RGB
  const rows = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const at = y * (w * 3 + 1) + 1 + x * 3;
      rows[at] = noise ? Math.floor(Math.random() * 256) : x & 255;
      rows[at + 1] = noise ? Math.floor(Math.random() * 256) : y & 255;
      rows[at + 2] = 128;
    }
  }
  return Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), chunk('IHDR', header), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

/** The natural width of the first image a locator finds (0 while not decoded). */
export function naturalWidth(page: Page, selector: string): Promise<number> {
  return page
    .locator(selector)
    .first()
    .evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth);
}

/** Logs `user` in on TinodeWeb's login page at `base` and waits for the contact list. */
export async function loginTinodeWeb(page: Page, base: string, user: string, password: string): Promise<void> {
  const res = await page.goto(`${base}/`);
  if (res?.status() !== 200) throw new Error(`the app page answered ${res?.status()}`);
  await page.locator('#login-form').waitFor({ timeout: 10_000 });
  await page.fill('#inputLogin', user);
  await page.fill('#login-form input[type=password]', password);
  await page.click('#login-form button[type=submit]');
  await page.locator('.contact-box .contact-title').first().waitFor({ timeout: 10_000 });
}
