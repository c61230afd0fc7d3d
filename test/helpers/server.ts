import { afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { startServer, type RunningServer, type Timings } from '../../server/index.js';
import { createLogger, silentLogger, type Logger } from '../../server/log/log.js';

/**
 * A real server on a free loopback port over a fresh SQLite database with the bundled sample
 * data (created on start, as `tinode serve` does). `TINODE_TEST_LOG=debug` shows its log.
 */
export interface TestServer {
  server: RunningServer;
  /** `127.0.0.1:port` */
  host: string;
  close(): Promise<void>;
}

/** `log` replaces the test log (to look at what the server says). */
export async function startTestServer(set: Record<string, unknown> = {}, db?: string, timings: Partial<Timings> = {}, log?: Logger): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tinode-srv-'));
  // Uploaded files go to the server's temporary folder unless a test configures media itself.
  const media = { handlers: { fs: { upload_dir: join(dir, 'uploads') } } };
  const { config } = loadConfig(undefined, { db: db ?? `sqlite:${join(dir, 'tinode.db')}`, set: { listen: '127.0.0.1:0', grpc_listen: '127.0.0.1:0', media, ...set } });
  const level = process.env.TINODE_TEST_LOG;
  const server = await startServer(config, {
    log: log ?? (level ? createLogger({ level: level as 'debug' }) : silentLogger),
    autoInitSqlite: true,
    timings: { topicIdleMs: 300, lpIdleMs: 5000, pollMs: 2000, pingMs: 5000, ...timings },
  });
  return {
    server,
    host: server.url.replace(/^https?:\/\//, ''),
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A server per test, with the clients a test opens: registers an `afterEach` that closes the
 * clients, then the server. Call at the top of a test file.
 */
export function serverPerTest(): { start: typeof startTestServer; track<T extends { close(): void }>(client: T): T } {
  let srv: TestServer | null = null;
  const opened: { close(): void }[] = [];
  afterEach(async () => {
    for (const c of opened.splice(0)) c.close();
    await srv?.close();
    srv = null;
  });
  return {
    start: async (...args) => (srv = await startTestServer(...args)),
    track: (client) => (opened.push(client), client),
  };
}
