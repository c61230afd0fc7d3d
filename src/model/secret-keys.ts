import { createHmac, randomBytes } from 'node:crypto';

/**
 * The two secrets a Tinode database depends on: the token key (`auth_config.token.key`, the
 * HMAC-SHA256 key that signs auth tokens) and the uid key (`store_config.uid_key`, the XTEA key
 * that turns the snowflakes stored in SQL into client-visible ids). Both are written in base64,
 * standard or url-safe, padded or not.
 */

/** Length of a generated token key; the config accepts longer ones. */
export const TOKEN_KEY_BYTES = 32;
/** Length of a uid key (XTEA takes exactly 16 bytes). */
export const UID_KEY_BYTES = 16;

/**
 * The reference server's public sample token key (its shipped `tinode.conf`). Anyone who knows it
 * can sign a token for any user, root included: a server must never accept tokens signed with it
 * unless its operator gives it on purpose.
 */
export const SAMPLE_TOKEN_KEY = 'wfaY2RgF2S1OQI/ZlK+LSrp1KB2jwAdGAIHQ7JZn+Kc=';
/**
 * The reference server's public sample uid key. Databases made by the reference server with its
 * shipped config, and by earlier versions of this project, have ids made with it.
 */
export const SAMPLE_UID_KEY = 'la6YsO+bNX/+XIkOqc5Svw==';

/** Whether a text is base64 (standard or url-safe) as far as its characters go. */
export function isBase64(text: string): boolean {
  return /^[A-Za-z0-9+/_-]*={0,2}$/.test(text);
}

/** Decodes a key written in base64 or base64url; does not check its length. */
export function decodeKey(text: string): Buffer {
  return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/** A new random token key in standard base64, as `auth_config.token.key` wants it. */
export function newTokenKey(): string {
  return randomBytes(TOKEN_KEY_BYTES).toString('base64');
}

/** A new random uid key in standard base64, as `store_config.uid_key` wants it. */
export function newUidKey(): string {
  return randomBytes(UID_KEY_BYTES).toString('base64');
}

/** Whether a key (as written) is one of the two public sample keys, whatever its base64 spelling. */
export function isSampleKey(text: string): boolean {
  const key = decodeKey(text);
  return key.equals(decodeKey(SAMPLE_TOKEN_KEY)) || key.equals(decodeKey(SAMPLE_UID_KEY));
}

/**
 * A fingerprint of a uid key: lets a database remember which key its ids were made with without
 * holding the key itself. One-way (HMAC-SHA256 of a fixed label), in base64.
 */
export function uidKeyFingerprint(key: Uint8Array): string {
  return createHmac('sha256', key).update('tinode store_config.uid_key fingerprint').digest('base64');
}
