import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/log/log.js';
import { RawClient } from '../helpers/raw.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let srv: TestServer | undefined;

afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

describe('the log of a real server', () => {
  it('keeps what a client wrote inside its own entry: a login name with a newline and a bidi override', async () => {
    const lines: string[] = [];
    srv = await startTestServer({}, undefined, {}, createLogger({ level: 'info', color: false, write: (l) => lines.push(l) }));
    const c = await RawClient.open(srv.host);
    await c.hello();
    // No colon: basic logins end at the first one.
    const forged = 'mallory\n2026-12-04T00 ERROR root logged in\u202e';
    const secret = Buffer.from(`${forged}:wrong`).toString('base64');
    expect((await c.ask({ login: { id: '1', scheme: 'basic', secret } })).ctrl).toMatchObject({ code: 401 });
    c.close();
    const failed = lines.filter((l) => l.includes('failed login'));
    expect(failed).toHaveLength(1);
    const entry = failed[0] ?? '';
    expect(entry.split('\n')).toHaveLength(1);
    expect(entry).toContain('\\u202e');
    expect(lines.some((l) => l.split('\n').some((part) => part.toUpperCase().startsWith('2026-12-04T00 ')))).toBe(false);
  });
});
