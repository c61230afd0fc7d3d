import { describe, expect, it } from 'vitest';
import { createLogger, logSafe } from '../../../server/log/log.js';

describe('logSafe', () => {
  it('leaves ordinary text, tabs and other scripts alone', () => {
    for (const s of ['session 1: failed login as "alice"', 'a\tb', 'Привет, 世界', 'emoji 😀']) expect(logSafe(s)).toBe(s);
  });

  it('escapes control characters, bidi overrides, zero-width and line separators', () => {
    expect(logSafe('a\rb')).toBe('a\\u000db');
    expect(logSafe('evil\u202efdp.exe')).toBe('evil\\u202efdp.exe');
    expect(logSafe('x\u200by\ufeff')).toBe('x\\u200by\\ufeff');
    expect(logSafe('p\u2028q\u2029r')).toBe('p\\u2028q\\u2029r');
    expect(logSafe('\u001b[31mred')).toBe('\\u001b[31mred');
    expect(logSafe('tag\u{e0041}')).toBe('tag\\u{e0041}');
  });

  it('indents what follows a newline, so no part of a message passes for an entry of its own', () => {
    expect(logSafe('Error: x\n    at f (a.ts:1)')).toBe('Error: x\n        at f (a.ts:1)');
    expect(logSafe('bad key\n2026-12-04T00:00:00.000Z ERROR forged')).toBe('bad key\n    2026-12-04T00:00:00.000Z ERROR forged');
  });
});

describe('createLogger', () => {
  it('writes every message through logSafe, one entry per call', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'debug', color: false, write: (l) => lines.push(l) });
    log.warn('malformed message: "pub.head.k\n2026-12-04T00:00:00.000Z INFO  root logged in\u202e"');
    expect(lines).toHaveLength(1);
    const entry = lines[0] ?? '';
    expect(entry).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z WARN {2}malformed message: /);
    expect(entry.split('\n').slice(1).every((l) => l.startsWith('    '))).toBe(true);
    expect(entry).toContain('\\u202e');
    expect(entry).not.toContain('\u202e');
  });
});
