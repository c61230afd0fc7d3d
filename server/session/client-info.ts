/**
 * What the server reads from a client's `{hi}`: the protocol version, the platform, the country.
 */

/** Oldest client version the server talks to (the reference's `minSupportedVersion`). */
export const MIN_SUPPORTED_VERSION = '0.19';

function versionPart(text: string): number {
  const m = /^\d+/.exec(text);
  const n = m ? Number(m[0]) : Number(text);
  return Number.isInteger(n) && n > 0 && n <= 0x1fff ? n : 0;
}

/**
 * `major.minor.patch` (with optional `v` and suffixes such as `-rc1`) as one comparable number;
 * 0 when it cannot be parsed.
 */
export function parseVersion(text: string): number {
  const parts = text.replace(/^v/, '').split('.', 3);
  const major = versionPart(parts[0] ?? '');
  const minor = parts.length > 1 ? versionPart(parts[1] ?? '') : 0;
  const patch = parts.length > 2 ? versionPart(parts[2] ?? '') : 0;
  return (major << 16) | (minor << 8) | patch;
}

/** Compares major.minor only: negative when `a` is older than `b`. */
export function versionCompare(a: number, b: number): number {
  return (a >> 8) - (b >> 8);
}

/** The platform a user agent names: `web`, `android`, `ios` or ''. */
export function platformFromUA(ua: string): string {
  const s = ua.toLowerCase();
  if (s.includes('reactnative')) {
    if (s.includes('iphone') || s.includes('ipad')) return 'ios';
    if (s.includes('android')) return 'android';
    return '';
  }
  if (s.includes('tinodejs')) return 'web';
  if (s.includes('tindroid')) return 'android';
  if (s.includes('tinodios')) return 'ios';
  return '';
}

/** The country a language tag names explicitly (`en-US` → `US`; `en` names none): '' when none. */
export function countryOfLanguage(lang: string): string {
  if (!lang) {
    return '';
  }
  try {
    const region = new Intl.Locale(lang.replace(/_/g, '-')).region;
    return region && /^[A-Z]{2}$/.test(region) ? region : '';
  } catch {
    return '';
  }
}
