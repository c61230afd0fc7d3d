import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Tinode API keys: 24 bytes `[1 version][4 app id, unused][2 sequence LE][1 root flag][16 HMAC-MD5]`,
 * signed with the server's `api_key_salt`, written in base64url with padding (32 characters).
 */

const KEY_LENGTH = 24;
const SIGNED_LENGTH = 8;
const ALGORITHM_VERSION = 1;

/** What a valid key says about itself. */
export interface ApiKeyInfo {
  version: number;
  sequence: number;
  isRoot: boolean;
}

/** Decodes a salt given as base64 (standard or url-safe, padded or not). */
export function decodeSalt(salt: string): Buffer {
  const normalized = salt.trim().replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(normalized) || normalized.replace(/=+$/, '').length % 4 === 1) {
    throw new Error('the salt is not valid base64');
  }
  return Buffer.from(normalized, 'base64');
}

/** A new random 32-byte salt in standard base64, as the config file wants it. */
export function generateSalt(): string {
  return randomBytes(32).toString('base64');
}

function sign(data: Buffer, salt: Buffer): Buffer {
  return createHmac('md5', salt).update(data.subarray(0, SIGNED_LENGTH)).digest();
}

/** Makes a key with the given sequence number and root flag, signed with `salt`. */
export function makeApiKey(salt: Buffer, sequence = 1, isRoot = false): string {
  if (!Number.isInteger(sequence) || sequence < 0 || sequence > 0xffff) {
    throw new RangeError('the key sequence must be an integer 0..65535');
  }
  const data = Buffer.alloc(KEY_LENGTH);
  data[0] = ALGORITHM_VERSION;
  data.writeUInt16LE(sequence, 5);
  data[7] = isRoot ? 1 : 0;
  sign(data, salt).copy(data, SIGNED_LENGTH);
  // 24 bytes make exactly 32 base64 characters: no padding either way.
  return data.toString('base64url');
}

/** Checks a key against the salt; returns what it says, or null when it is not valid. */
export function checkApiKey(key: string, salt: Buffer): ApiKeyInfo | null {
  if (typeof key !== 'string' || !/^[A-Za-z0-9_-]{32}$/.test(key)) {
    return null;
  }
  const data = Buffer.from(key, 'base64url');
  if (data.length !== KEY_LENGTH || data[0] !== ALGORITHM_VERSION) {
    return null;
  }
  if (!timingSafeEqual(sign(data, salt), data.subarray(SIGNED_LENGTH))) {
    return null;
  }
  return { version: data[0], sequence: data.readUInt16LE(5), isRoot: data[7] === 1 };
}
