import { describe, expect, it } from 'vitest';
import { base10Version } from '../../server/metrics/stats.js';
import { RawClient } from '../helpers/raw.js';
import { connectSdk, DEMO_KEY } from '../helpers/sdk.js';
import { serverPerTest } from '../helpers/server.js';

/**
 * Runtime statistics at `expvar` (`/debug/vars`) under the reference's names: every variable
 * Tinode's monitoring exporter reads (it gives up on a scrape that misses one), and the figures
 * move as clients work over websocket and long polling, and upload and download files.
 */
const servers = serverPerTest();

/** What monitoring/exporter in tinode/chat reads: plain numbers, `memstats.Alloc`, two histograms. */
const NUMBERS = [
  'Version',
  'LiveTopics',
  'TotalTopics',
  'LiveSessions',
  'TotalSessions',
  'NumGoroutines',
  'IncomingMessagesWebsockTotal',
  'OutgoingMessagesWebsockTotal',
  'IncomingMessagesLongpollTotal',
  'OutgoingMessagesLongpollTotal',
  'IncomingMessagesGrpcTotal',
  'OutgoingMessagesGrpcTotal',
  'FileDownloadsTotal',
  'FileUploadsTotal',
  'CtrlCodesTotal2xx',
  'CtrlCodesTotal3xx',
  'CtrlCodesTotal4xx',
  'CtrlCodesTotal5xx',
  'ClusterLeader',
  'TotalClusterNodes',
  'LiveClusterNodes',
];

interface Histo {
  count: number;
  sum: number;
  count_per_bucket: number[];
  bounds: number[];
}

async function vars(host: string, path = '/debug/vars'): Promise<Record<string, unknown>> {
  const res = await fetch(`http://${host}${path}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return (await res.json()) as Record<string, unknown>;
}

describe('statistics at expvar', () => {
  it('lists every variable the reference publishes, and they move with the traffic', async () => {
    const srv = await servers.start();
    const before = await vars(srv.host);
    for (const name of NUMBERS) expect(typeof before[name], name).toBe('number');
    expect(typeof (before.memstats as { Alloc: unknown }).Alloc).toBe('number');
    for (const name of ['RequestLatency', 'OutgoingMessageSize']) {
      const h = before[name] as Histo;
      expect(h.count_per_bucket).toHaveLength(h.bounds.length + 1);
    }
    expect(before.Version).toBe(2500);

    // Websocket: hello, login, me, a message to a group; one bad request for a 4xx.
    const ws = servers.track(await RawClient.open(srv.host, { compress: false }));
    await ws.hello();
    const token = ((await ws.login('alice')).ctrl?.params as { token: string }).token;
    expect((await ws.reply({ sub: { id: 's', topic: 'me' } })).ctrl?.code).toBe(200);
    expect((await ws.reply({ sub: { id: 'x', topic: 'grpNoSuchTopic1' } })).ctrl?.code).toBe(404);
    // Long polling: the SDK over lp.
    const lp = await connectSdk(srv.host, 'lp');
    await lp.connect();
    expect((await lp.loginBasic('bob', 'bob123')).code).toBe(200);
    // A file up and down.
    const form = new FormData();
    form.append('file', new Blob([Buffer.from('hello')], { type: 'text/plain' }), 'a.txt');
    const up = await fetch(`http://${srv.host}/v0/file/u/`, { method: 'POST', headers: { 'X-Tinode-APIKey': DEMO_KEY, 'X-Tinode-Auth': `Token ${token}` }, body: form });
    const url = ((await up.json()) as { ctrl: { params: { url: string } } }).ctrl.params.url;
    const down = await fetch(`http://${srv.host}${url}`, { headers: { 'X-Tinode-APIKey': DEMO_KEY, 'X-Tinode-Auth': `Token ${token}` } });
    expect(down.status).toBe(200);

    const after = await vars(srv.host);
    const grew = (name: string, by = 1) => expect((after[name] as number) - (before[name] as number), name).toBeGreaterThanOrEqual(by);
    grew('IncomingMessagesWebsockTotal', 4);
    grew('OutgoingMessagesWebsockTotal', 4);
    grew('IncomingMessagesLongpollTotal', 2);
    grew('OutgoingMessagesLongpollTotal', 2);
    grew('TotalSessions', 2);
    grew('TotalTopics');
    grew('CtrlCodesTotal2xx', 4);
    grew('CtrlCodesTotal4xx');
    grew('FileUploadsTotal');
    grew('FileDownloadsTotal');
    expect(after.LiveSessions).toBeGreaterThanOrEqual(2);
    expect(after.LiveTopics).toBeGreaterThanOrEqual(1);
    const latency = after.RequestLatency as Histo;
    expect(latency.count).toBeGreaterThanOrEqual(4);
    expect(latency.count_per_bucket.reduce((a, b) => a + b, 0)).toBe(latency.count);
    expect((after.OutgoingMessageSize as Histo).sum).toBeGreaterThan(0);
    lp.disconnect();
  });

  it('moves to another path, and is off with "-"', async () => {
    const moved = await servers.start({ expvar: '/stats/vars' });
    await vars(moved.host, '/stats/vars');
    expect((await fetch(`http://${moved.host}/debug/vars`)).status).toBe(404);
    const off = await servers.start({ expvar: '-' });
    expect((await fetch(`http://${off.host}/debug/vars`)).status).toBe(404);
  });

  it('reports the version as the reference does', () => {
    expect(base10Version('0.25')).toBe(2500);
    expect(base10Version('v0.25.3-rc1')).toBe(2503);
    expect(base10Version('1.2.3')).toBe(10203);
    expect(base10Version('garbage')).toBe(0);
  });
});
