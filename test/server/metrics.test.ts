import { describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/raw.js';
import { DEMO_KEY } from '../helpers/sdk.js';
import { freePort } from '../helpers/ports.js';
import { serverPerTest } from '../helpers/server.js';

/**
 * Prometheus metrics at `metrics_path`: Node's own (event loop lag, memory) and the server's
 * `tinode_…` figures, which move when clients work: sessions, messages, answers, commits of
 * messages, files, and calls to a plugin that fails.
 */
const servers = serverPerTest();

async function scrape(host: string, path = '/metrics'): Promise<string> {
  const res = await fetch(`http://${host}${path}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return res.text();
}

/** The value of one sample (`name{labels} value`), 0 when absent. */
function sample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('Prometheus metrics', () => {
  it("serves Node's metrics and the server's, and the server's move with the traffic", async () => {
    const port = await freePort();
    const srv = await servers.start({
      plugins: [{ enabled: true, name: 'down', timeout: 50_000, filters: { fire_hose: 'pub' }, service_addr: `tcp://127.0.0.1:${port}` }],
    });
    const before = await scrape(srv.host);
    for (const name of ['nodejs_eventloop_lag_seconds', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes']) {
      expect(before).toContain(`# TYPE ${name}`);
    }
    expect(sample(before, 'tinode_messages_received_total', 'transport="ws"')).toBe(0);

    const c = servers.track(await RawClient.open(srv.host, { compress: false }));
    await c.hello();
    const token = ((await c.login('alice')).ctrl?.params as { token: string }).token;
    const grp = String((await c.reply({ sub: { id: 'g', topic: 'new' } })).ctrl?.topic);
    // The plugin is down and has no failure_code: the message goes through, the call counts as failed.
    expect((await c.reply({ pub: { id: 'p', topic: grp, content: 'hello' } })).ctrl?.code).toBe(202);
    expect((await c.reply({ sub: { id: 'x', topic: 'grpNoSuchTopic1' } })).ctrl?.code).toBe(404);
    const form = new FormData();
    form.append('file', new Blob([Buffer.alloc(1000, 1)], { type: 'application/octet-stream' }), 'a.bin');
    const up = await fetch(`http://${srv.host}/v0/file/u/`, { method: 'POST', headers: { 'X-Tinode-APIKey': DEMO_KEY, 'X-Tinode-Auth': `Token ${token}` }, body: form });
    expect(up.status).toBe(200);

    const after = await scrape(srv.host);
    expect(sample(after, 'tinode_sessions', 'transport="ws"')).toBe(1);
    expect(sample(after, 'tinode_topics_live')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'tinode_messages_received_total', 'transport="ws"')).toBe(5);
    expect(sample(after, 'tinode_messages_sent_total', 'transport="ws"')).toBeGreaterThanOrEqual(5);
    expect(sample(after, 'tinode_ctrl_replies_total', 'class="2xx"')).toBeGreaterThanOrEqual(4);
    expect(sample(after, 'tinode_ctrl_replies_total', 'class="4xx"')).toBe(1);
    expect(sample(after, 'tinode_store_commit_messages_count')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'tinode_store_commit_messages_sum')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'tinode_store_commit_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'tinode_file_transfers_total', 'direction="upload"')).toBe(1);
    expect(sample(after, 'tinode_file_bytes_total', 'direction="upload"')).toBe(1000);
    expect(sample(after, 'tinode_plugin_calls_total', 'plugin="down",method="FireHose"')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'tinode_plugin_failures_total', 'plugin="down",method="FireHose"')).toBeGreaterThanOrEqual(1);

    // Counters only grow between scrapes.
    const again = await scrape(srv.host);
    expect(sample(again, 'tinode_messages_received_total', 'transport="ws"')).toBe(5);
  });

  it('moves to another path, and is off with "-"', async () => {
    const moved = await servers.start({ metrics_path: '/prom' });
    await scrape(moved.host, '/prom');
    const off = await servers.start({ metrics_path: '-' });
    expect((await fetch(`http://${off.host}/metrics`)).status).toBe(404);
  });
});
