import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ClientStream } from '../../src/grpc/client-stream.js';
import { ROOT, runTinode } from '../helpers/cli.js';
import { connectSdk, DEMO_KEY } from '../helpers/sdk.js';

/**
 * `tinode serve` as a user runs it: first start, login, what its log says of sessions, graceful
 * shutdown on a signal.
 */
/** `tinode serve` with these arguments in `cwd`, its log (stderr) as it grows, and its exit code. */
function serve(cwd: string, ...args: string[]): { child: ChildProcess; log(): string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'tinode'), 'serve', ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, log: () => log, exited };
}

describe('tinode serve', () => {
  it('says what it serves in its help', async () => {
    const r = await runTinode(['serve', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/later/);
    expect(r.stdout).toMatch(/gRPC/);
    expect(r.stdout).toMatch(/\/v0\/file\/u\//);
    expect(r.stdout).toMatch(/\/v0\/channels\/lp/);
  });

  it('creates the sample database on first start, serves alice, logs sessions, and stops cleanly on SIGTERM', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tinode-serve-'));
    const { child, exited, log: logNow } = serve(cwd, '--listen', '127.0.0.1:0', '--grpc-listen', '127.0.0.1:0');
    const waitLog = async (re: RegExp, ms = 20_000): Promise<RegExpExecArray> => {
      const deadline = Date.now() + ms;
      for (;;) {
        const m = re.exec(logNow());
        if (m) return m;
        if (Date.now() > deadline) throw new Error(`no ${re} in the log:\n${logNow()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const host = (await waitLog(/listening on http:\/\/(127\.0\.0\.1:\d+)/))[1]!;
    const grpcHost = (await waitLog(/gRPC listening on (127\.0\.0\.1:\d+)/))[1]!;
    expect(logNow()).toMatch(/creating it and loading the sample data/);
    expect(logNow()).toMatch(/database: SQLite \.\/data\/tinode\.db/);
    expect(logNow()).toMatch(/AQEAAAABAAD_rAp4DJh05a1HAwFT3A6K/);
    expect(existsSync(join(cwd, 'data', 'tinode.db'))).toBe(true);

    // Each session's start and end, with the client's address and how many remain.
    const client = await connectSdk(host, 'ws');
    expect((await client.loginBasic('alice', 'alice123')).code).toBe(200);
    const wsSid = (await waitLog(/ws: session started (\S+) 127\.0\.0\.1 \(1 connected\)/))[1]!;
    client.disconnect();
    await waitLog(new RegExp(`ws: session ended ${wsSid} 127\\.0\\.0\\.1 \\(0 connected\\): close code \\d+`), 5000);
    const grpc = new ClientStream({ host: grpcHost, ssl: false });
    expect(await grpc.open({ message: () => undefined, closed: () => undefined }, 5000)).toBeNull();
    const grpcSid = (await waitLog(/grpc: session started (\S+) 127\.0\.0\.1 \(1 connected\)/))[1]!;
    await grpc.close();
    await waitLog(new RegExp(`grpc: session ended ${grpcSid} 127\\.0\\.0\\.1 \\(0 connected\\)`), 5000);
    const lp = await fetch(`http://${host}/v0/channels/lp?apikey=${DEMO_KEY}`, { method: 'POST' });
    expect(lp.status).toBe(201);
    const lpSid = ((await lp.json()) as { ctrl: { params: { sid: string } } }).ctrl.params.sid;
    await waitLog(new RegExp(`lp: session started ${lpSid} 127\\.0\\.0\\.1 \\(1 long-poll sessions\\)`), 5000);

    const raw = new WebSocket(`ws://${host}/v0/channels?apikey=${DEMO_KEY}`);
    await new Promise((r) => raw.once('open', r));
    const last = new Promise<string>((resolve) => raw.on('message', (d) => resolve(d.toString())));
    child.kill('SIGTERM');
    expect(JSON.parse(await last)).toMatchObject({ ctrl: { code: 205, text: 'server shutdown' } });
    expect(await exited).toBe(0);
    expect(logNow()).toMatch(/SIGTERM: shutting down/);
    expect(logNow()).toMatch(new RegExp(`lp: session ended ${lpSid} 127\\.0\\.0\\.1 \\(0 long-poll sessions\\): server shutdown`));
  });

  it('logs JSON lines with --log-format json, and re-reads the log level from its config on SIGHUP', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tinode-serve-json-'));
    const conf = join(cwd, 'tinode.conf');
    writeFileSync(conf, JSON.stringify({ log_level: 'warn' }));
    const { child, exited, log } = serve(cwd, '--config', conf, '--log-format', 'json', '--listen', '127.0.0.1:0', '--grpc-listen', '');
    const entries = () =>
      log()
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as { level: string; msg: string; time: string });
    const waitFor = async (match: (e: { level: string; msg: string }) => boolean) => {
      const deadline = Date.now() + 20_000;
      while (!entries().some(match)) {
        if (Date.now() > deadline) throw new Error(`not in the log:\n${log()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    // At level warn the start says nothing at info; the sample database's warnings come as JSON.
    await waitFor((e) => e.level === 'warn');
    await new Promise((r) => setTimeout(r, 500));
    expect(entries().filter((e) => e.level === 'info')).toEqual([]);
    writeFileSync(conf, JSON.stringify({ log_level: 'info' }));
    child.kill('SIGHUP');
    await waitFor((e) => e.level === 'info' && e.msg === 'SIGHUP: log level info');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(entries().some((e) => e.msg === 'SIGTERM: shutting down')).toBe(true);
    for (const e of entries()) expect(e.time).toMatch(/Z$/);
  });

  it('names a bad flag value and exits 2', async () => {
    const r = await runTinode(['serve', '--listen', 'nowhere', '--db', 'sqlite:/tmp/x.db']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/"listen"/);
    const f = await runTinode(['serve', '--log-format', 'xml']);
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(/--log-format must be text or json/);
  });

  it('checks a cluster configuration as a whole, with --cluster-self naming the node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tinode-cluster-conf-'));
    const nodes = [{ name: 'one', addr: 'localhost:12001' }, { name: 'two', addr: 'localhost:12002' }];
    const conf = (cluster: object) => {
      const path = join(dir, `tinode-${Math.random().toString(36).slice(2)}.conf`);
      writeFileSync(path, JSON.stringify({ cluster_config: cluster }));
      return path;
    };
    const serveWith = (db: string, cluster: object, extra: string[] = []) =>
      runTinode(['serve', '--listen', '127.0.0.1:0', '--grpc-listen', '127.0.0.1:0', '--db', db, '--config', conf(cluster), ...extra]);
    const postgres = 'postgres://postgres@127.0.0.1:5432/tinode_none_here';
    const wrong = await serveWith(postgres, { self: 'three', nodes });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/"three" is not among cluster_config\.nodes/);
    const flag = await serveWith(postgres, { self: 'one', nodes }, ['--cluster-self', 'four']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--cluster-self.*"four" is not among cluster_config\.nodes/);
    // A right name passes the check: what stops this one is the missing database.
    const named = await serveWith(postgres, { self: 'three', nodes }, ['--cluster-self', 'two']);
    expect(named.code).toBe(1);
    expect(named.stderr).toMatch(/tinode init-db/);
    const sqlite = await serveWith(`sqlite:${join(dir, 'x.db')}`, { self: 'one', nodes });
    expect(sqlite.code).toBe(2);
    expect(sqlite.stderr).toMatch(/store_config\.use_adapter/);
  });

  it('says how to create a database it cannot find', async () => {
    const r = await runTinode(['serve', '--listen', '127.0.0.1:0', '--grpc-listen', '127.0.0.1:0', '--db', 'postgres://postgres@127.0.0.1:5432/tinode_none_here']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/tinode init-db/);
  });
});
