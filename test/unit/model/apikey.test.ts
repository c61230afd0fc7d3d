import { describe, expect, it } from 'vitest';
import { checkApiKey, decodeSalt, generateSalt, makeApiKey } from '../../../src/model/apikey.js';
import { DEMO_API_KEY, DEMO_API_KEY_SALT } from '../../../src/config/schema.js';
import { parseGoDuration } from '../../../src/model/time.js';

describe('API keys', () => {
  it('accepts the public demo key with the default salt', () => {
    expect(checkApiKey(DEMO_API_KEY, decodeSalt(DEMO_API_KEY_SALT))).toEqual({ version: 1, sequence: 1, isRoot: false });
  });

  it('makes keys that validate with their salt only', () => {
    const salt = decodeSalt(generateSalt());
    const key = makeApiKey(salt, 7, true);
    expect(key).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(checkApiKey(key, salt)).toEqual({ version: 1, sequence: 7, isRoot: true });
    expect(checkApiKey(key, decodeSalt(generateSalt()))).toBeNull();
  });

  it('rejects tampered or malformed keys', () => {
    const salt = decodeSalt(DEMO_API_KEY_SALT);
    const tampered = DEMO_API_KEY.slice(0, 10) + (DEMO_API_KEY[10] === 'A' ? 'B' : 'A') + DEMO_API_KEY.slice(11);
    expect(checkApiKey(tampered, salt)).toBeNull();
    expect(checkApiKey('', salt)).toBeNull();
    expect(checkApiKey('not a key at all, no way, no sir', salt)).toBeNull();
  });

  it('reads salts in standard and url-safe base64', () => {
    const salt = decodeSalt(DEMO_API_KEY_SALT);
    expect(decodeSalt(DEMO_API_KEY_SALT.replace(/\+/g, '-').replace(/\//g, '_'))).toEqual(salt);
    expect(() => decodeSalt('%%%')).toThrow();
  });
});

describe('Go durations', () => {
  it('parses the offsets of data files', () => {
    expect(parseGoDuration('-140h')).toBe(-140 * 3_600_000);
    expect(parseGoDuration('-115.5h')).toBe(-115.5 * 3_600_000);
    expect(parseGoDuration('1h30m')).toBe(90 * 60_000);
    expect(parseGoDuration('250ms')).toBe(250);
    expect(parseGoDuration('0')).toBe(0);
    expect(parseGoDuration('soon')).toBeNull();
    expect(parseGoDuration('-')).toBeNull();
  });
});
