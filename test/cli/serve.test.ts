import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ROOT, runTinode } from '../helpers/cli.js';
import { connectSdk, DEMO_KEY } from '../helpers/sdk.js';

/** `tinode serve` as a user runs it: first start, login, graceful shutdown on a signal. */
describe('tinode serve', () => {
  it('creates the sample database on first start, serves alice, and stops cleanly on SIGTERM', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tinode-serve-'));
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'tinode'), 'serve', '--listen', '127.0.0.1:0', '--grpc-listen', '127.0.0.1:0'], {
      cwd,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (log += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 20_000;
    while (!/listening on http:\/\/127\.0\.0\.1:\d+/.test(log)) {
      if (Date.now() > deadline) throw new Error(`server did not start:\n${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const host = /listening on http:\/\/(127\.0\.0\.1:\d+)/.exec(log)![1]!;
    expect(log).toMatch(/creating it and loading the sample data/);
    expect(log).toMatch(/database: SQLite \.\/data\/tinode\.db/);
    expect(log).toMatch(/AQEAAAABAAD_rAp4DJh05a1HAwFT3A6K/);
    expect(existsSync(join(cwd, 'data', 'tinode.db'))).toBe(true);

    const client = await connectSdk(host, 'ws');
    expect((await client.loginBasic('alice', 'alice123')).code).toBe(200);
    client.disconnect();

    const raw = new WebSocket(`ws://${host}/v0/channels?apikey=${DEMO_KEY}`);
    await new Promise((r) => raw.once('open', r));
    const last = new Promise<string>((resolve) => raw.on('message', (d) => resolve(d.toString())));
    child.kill('SIGTERM');
    expect(JSON.parse(await last)).toMatchObject({ ctrl: { code: 205, text: 'server shutdown' } });
    expect(await exited).toBe(0);
    expect(log).toMatch(/SIGTERM: shutting down/);
  });

  it('names a bad flag value and exits 2', async () => {
    const r = await runTinode(['serve', '--listen', 'nowhere', '--db', 'sqlite:/tmp/x.db']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/"listen"/);
  });

  it('says how to create a database it cannot find', async () => {
    const r = await runTinode(['serve', '--listen', '127.0.0.1:0', '--grpc-listen', '127.0.0.1:0', '--db', 'postgres://postgres@127.0.0.1:5432/tinode_none_here']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/tinode init-db/);
  });
});
