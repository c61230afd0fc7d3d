import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/errors.js';
import { ACT_CREATE, ACT_DELETE, ACT_UPDATE, ALL_TOPIC_KINDS, CLIENT_PACKETS, parseFilter, parsePlugins } from '../../../server/plugins/config.js';

describe('plugin filters', () => {
  it('reads packets, topic kinds and actions in any order, with "all" for what is left out', () => {
    expect(parseFilter('pub,sub;grp,p2p', { packets: true, topics: true }, 'k')).toEqual({ packets: (1 << 5) | (1 << 3), topics: (1 << 3) | (1 << 2), actions: 0 });
    expect(parseFilter('CU', { topics: true, actions: true }, 'k')).toEqual({ packets: 0, topics: ALL_TOPIC_KINDS, actions: ACT_CREATE | ACT_UPDATE });
    expect(parseFilter('grp;D', { topics: true, actions: true }, 'k')).toEqual({ packets: 0, topics: 1 << 3, actions: ACT_DELETE });
    expect(parseFilter('', { packets: true, topics: true }, 'k')).toEqual({ packets: CLIENT_PACKETS, topics: ALL_TOPIC_KINDS, actions: 0 });
    expect(parseFilter(undefined, { actions: true }, 'k')).toBeNull();
  });

  it('names the key of a bad filter or address', () => {
    expect(() => parseFilter('pub,bogus', { packets: true }, 'plugins[0].filters.fire_hose')).toThrow(ConfigError);
    const bad = () => parsePlugins([{ enabled: true, name: 'x', service_addr: 'localhost:1' }]);
    expect(bad).toThrow(/plugins\[0\]\.service_addr/);
    expect(() => parsePlugins([{ enabled: true, name: 'a', service_addr: 'tcp://h:1' }, { enabled: true, name: 'a', service_addr: 'tcp://h:2' }])).toThrow(/duplicate/);
  });

  it('skips disabled plugins and turns microseconds into milliseconds', () => {
    const [p, ...rest] = parsePlugins([
      { enabled: false, name: 'off', service_addr: 'tcp://h:1' },
      { enabled: true, name: 'on', timeout: 20000, service_addr: 'unix:///tmp/p.sock', failure_code: 500, failure_text: 'down', filters: { find: true } },
    ]);
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ name: 'on', timeoutMs: 20, target: 'unix:/tmp/p.sock', failureCode: 500, failureText: 'down', find: true, fireHose: null });
  });
});
