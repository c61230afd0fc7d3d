import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClientStream } from '../../src/grpc/client-stream.js';
import { AuthLevel } from '../../src/model/auth-level.js';
import { userId } from '../../src/model/uid.js';
import type { ClientMessage } from '../../src/wire/client-messages.js';
import type { CtrlMsg, DataMsg } from '../../src/wire/server-messages.js';
import { BotProcess } from '../helpers/bot-process.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/sdk.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * `tinode bot --ssl --ca-file` against a server with TLS (a self-signed certificate): the bot
 * logs in over gRPC with TLS and answers a new user, who talks to it over gRPC with TLS too; the
 * same bot without the CA cannot connect and says so.
 */
const dir = mkdtempSync(join(tmpdir(), 'tinode-bot-tls-'));
const bots: BotProcess[] = [];
let srv: TestServer | null = null;
let user: GrpcUser | null = null;

afterAll(async () => {
  for (const b of bots) if (b.child.exitCode === null) b.child.kill('SIGKILL');
  await user?.close();
  await srv?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A user's session over gRPC (the stream `tinode cli` and the bot use), with replies matched by id. */
class GrpcUser {
  readonly data: DataMsg[] = [];
  private readonly waiting = new Map<string, (ctrl: CtrlMsg) => void>();
  #next = 0;

  private constructor(private readonly stream: ClientStream) {}

  static async open(host: string, ca: Buffer): Promise<GrpcUser> {
    const stream = new ClientStream({ host, ssl: true, ca });
    let session: GrpcUser | null = null;
    const failed = await stream.open(
      {
        message: (msg) => {
          if ('ctrl' in msg && msg.ctrl.id) session?.waiting.get(msg.ctrl.id)?.(msg.ctrl);
          if ('data' in msg) session?.data.push(msg.data);
        },
        closed: () => undefined,
      },
      5000,
    );
    if (failed) throw new Error(`cannot connect to ${host}: ${failed.text}`);
    session = new GrpcUser(stream);
    return session;
  }

  /** Sends a message with a new id and resolves to the {ctrl} answering it. */
  request(msg: Omit<ClientMessage, 'id' | 'extra'>): Promise<CtrlMsg> {
    const id = String(++this.#next);
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.stream.send({ ...msg, id, extra: null } as ClientMessage);
    });
  }

  close(): Promise<void> {
    return this.stream.close();
  }
}

describe('tinode bot over TLS', () => {
  it('connects with --ssl and --ca-file, logs in and answers a new user; without the CA it cannot connect', { timeout: 40_000 }, async () => {
    const cert = join(dir, 'server.crt');
    const key = join(dir, 'server.key');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=bot-tls', '-addext', 'subjectAltName=IP:127.0.0.1'], {
      stdio: 'ignore',
    });
    const pluginPort = await freePort();
    srv = await startTestServer({
      tls: { enabled: true, cert_file: cert, key_file: key },
      acc_validation: { email: { required: [] } },
      plugins: [{ enabled: true, name: 'bot', timeout: 20_000, filters: { account: 'C' }, service_addr: `tcp://127.0.0.1:${pluginPort}` }],
    });
    const grpcHost = srv.server.grpcAddr!;
    const ctx = srv.server.ctx;
    const rec = await ctx.store.auth.getUniqueRecord('basic', 'quotebot');
    const botUid = userId(rec!.uid);
    const { secret } = await ctx.auth.get('token')!.genSecret({ uid: rec!.uid, authLevel: AuthLevel.AUTH, lifetimeMs: 0, features: 0, tags: [] });
    const quotes = join(dir, 'quotes.txt');
    writeFileSync(quotes, 'Over TLS, quoted.\n');
    const args = ['--host', grpcHost, '--ssl', '--listen', `127.0.0.1:${pluginPort}`, '--quotes', quotes, '--login-token', secret.toString('base64')];

    // Without the CA the self-signed certificate is not trusted: the bot keeps trying and says why.
    const untrusting = new BotProcess(args, dir);
    bots.push(untrusting);
    await untrusting.waitFor(`cannot connect to ${grpcHost}`, 1, 15_000);
    expect(untrusting.count('logged in as')).toBe(0);
    untrusting.child.kill('SIGTERM');
    await untrusting.exited;

    const bot = new BotProcess([...args, '--ca-file', cert], dir);
    bots.push(bot);
    await bot.waitFor(`logged in as ${botUid}`);
    expect(bot.log).toContain(`connecting to secure server at ${grpcHost}`);

    // A new user over gRPC with TLS: the server tells the bot, the bot starts the conversation
    // and answers the user's message with its quote.
    user = await GrpcUser.open(grpcHost, readFileSync(cert));
    expect((await user.request({ type: 'hi', topic: '', body: { ver: '0.25', ua: 'bot-tls-test' } })).code).toBeLessThan(300);
    const created = await user.request({ type: 'acc', topic: '', body: { user: 'new', scheme: 'basic', secret: Buffer.from('tlsuser:tlsuser123'), login: true, desc: { public: { fn: 'TLS User' } } } });
    expect(created.code, created.text).toBe(200);
    await bot.waitFor('started a conversation with the new user');
    expect((await user.request({ type: 'sub', topic: botUid, body: {} })).code).toBeLessThan(300);
    expect((await user.request({ type: 'pub', topic: botUid, body: { content: 'Hello over TLS' } })).code).toBe(202);
    await until(() => user!.data.some((d) => d.from === botUid), 10_000, "the bot's answer");
    expect(user.data.find((d) => d.from === botUid)).toMatchObject({ content: 'Over TLS, quoted.', head: { auto: true } });
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
  });
});
