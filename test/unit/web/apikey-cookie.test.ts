import { describe, expect, it } from 'vitest';
import { API_KEY_COOKIE, apiKeyCookie, bundleApiKey, pageApiKeyCookie } from '../../../server/web/apikey-cookie.js';
import type { Logger } from '../../../server/log/log.js';

const KEY = 'AQEAAAABAAD_rAp4DJh05a1HAwFT3A6K';

function recordingLog(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} };
}

describe('bundleApiKey', () => {
  it('finds the one key literal of a bundle, however often it is repeated', () => {
    expect(bundleApiKey(`a={hosted:"web.tinode.co"},s.d(t,["Lq",0,"${KEY}"]);var k='${KEY}'`)).toBe(KEY);
  });

  it('is null without a key, or with two different ones', () => {
    expect(bundleApiKey('var a="AQshort",b="XQEAAAABAAD_rAp4DJh05a1HAwFT3A6K"')).toBeNull();
    expect(bundleApiKey(`"${KEY}","AQEAAAABAAD_rAp4DJh05a1HAwFT3A6L"`)).toBeNull();
    // Part of a longer token is no key.
    expect(bundleApiKey(`"${KEY}xyz"`)).toBeNull();
  });
});

describe('apiKeyCookie', () => {
  it('is the apikey cookie the file endpoint reads, for the file path only, out of scripts and other sites', () => {
    expect(API_KEY_COOKIE).toBe('apikey');
    expect(apiKeyCookie(KEY, { apiPath: '/', secure: false })).toBe(`apikey=${KEY}; Path=/v0/file/s/; SameSite=Strict; HttpOnly`);
    expect(apiKeyCookie(KEY, { apiPath: '/chat/', secure: true })).toBe(`apikey=${KEY}; Path=/chat/v0/file/s/; SameSite=Strict; HttpOnly; Secure`);
  });
});

describe('pageApiKeyCookie', () => {
  it("gives the bundle's key when the server accepts it", () => {
    const log = recordingLog();
    expect(pageApiKeyCookie(`x="${KEY}"`, { apiPath: '/', secure: false, valid: (k) => k === KEY }, log)).toBe(apiKeyCookie(KEY, { apiPath: '/', secure: false }));
    expect(log.warnings).toEqual([]);
  });

  it('gives no cookie, with a warning, when the key is not valid here or the bundle has none', () => {
    const log = recordingLog();
    expect(pageApiKeyCookie(`x="${KEY}"`, { apiPath: '/', secure: false, valid: () => false }, log)).toBeNull();
    expect(pageApiKeyCookie('no key', { apiPath: '/', secure: false, valid: () => true }, log)).toBeNull();
    expect(log.warnings).toHaveLength(2);
  });
});
