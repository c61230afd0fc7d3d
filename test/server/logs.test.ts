import { describe, expect, it } from 'vitest';
import { createLogger } from '../../server/log/log.js';
import { RawClient } from '../helpers/raw.js';
import { freePort } from '../helpers/ports.js';
import { serverPerTest } from '../helpers/server.js';

/**
 * The log as tools read it: JSON lines (`log_format: json`) with time, level, message and fields;
 * a request answered 5xx logged with its session, user and topic, and a flood of them bounded.
 */
const servers = serverPerTest();

describe('logs', () => {
  it('writes one JSON object per line, and logs a request answered 5xx with its session, user and topic', async () => {
    const lines: string[] = [];
    const log = createLogger({ format: 'json', level: 'info', write: (l) => lines.push(l) });
    const port = await freePort();
    // A plugin that is down, with a failure code: a {pub} it filters is answered 500.
    const plugins = [{ enabled: true, name: 'down', timeout: 50_000, failure_code: 500, failure_text: 'plugin down', filters: { fire_hose: 'pub' }, service_addr: `tcp://127.0.0.1:${port}` }];
    const srv = await servers.start({ plugins }, undefined, {}, log);
    const c = servers.track(await RawClient.open(srv.host, { compress: false }));
    await c.hello();
    const user = ((await c.login('alice')).ctrl?.params as { user: string }).user;
    const grp = String((await c.reply({ sub: { id: 'g', topic: 'new' } })).ctrl?.topic);
    for (let i = 0; i < 30; i++) {
      expect((await c.reply({ pub: { id: `p${i}`, topic: grp, content: 'x' } })).ctrl?.code).toBe(500);
    }

    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const e of entries) {
      expect(e.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(['debug', 'info', 'warn', 'error']).toContain(e.level);
      expect(typeof e.msg).toBe('string');
    }
    expect(entries.some((e) => e.level === 'info' && String(e.msg).startsWith('tinode '))).toBe(true);
    const failed = entries.filter((e) => e.code === 500);
    expect(failed[0]).toMatchObject({ level: 'warn', user, topic: grp, id: 'p0', code: 500 });
    expect(failed[0]!.sid).toEqual(expect.any(String));
    // A flood of them: the first ten, then every hundredth.
    expect(failed).toHaveLength(10);
  });

  it('writes fields as key=value in text, quoting what has spaces, and changes level while running', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'warn', write: (l) => lines.push(l), color: false });
    log.info('hidden');
    log.warn('answered 500', { sid: 'abc', topic: 'grpX', text: 'plugin down', none: undefined });
    log.setLevel('debug');
    log.debug('shown');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/WARN {2}answered 500 sid=abc topic=grpX text="plugin down"$/);
    expect(lines[1]).toMatch(/DEBUG shown$/);
    expect(log.level).toBe('debug');
  });
});
