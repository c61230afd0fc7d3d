/** Wall-clock time as Tinode keeps it: UTC, rounded to milliseconds. */
export function timeNow(): Date {
  return new Date(Date.now());
}

/** RFC 3339 with millisecond precision and `Z`, the only form timestamps take on the wire. */
export function toWireTime(d: Date): string {
  return d.toISOString();
}

/**
 * Parses a duration in Go's syntax (`-140h`, `1h30m`, `-115.5h`, `90s`, `250ms`) into milliseconds.
 * Returns null when malformed.
 */
export function parseGoDuration(text: string): number | null {
  const m = /^([+-])?((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/.exec(text);
  if (!m || text === '' || text === '+' || text === '-') {
    return text === '0' ? 0 : null;
  }
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const part of text.replace(/^[+-]/, '').matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(part[1]) * (units[part[2]!] ?? 0);
  }
  return m[1] === '-' ? -total : total;
}
