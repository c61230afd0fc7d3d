import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Backoff } from '../../chatbot/backoff.js';
import { QuoteBot, type Link } from '../../chatbot/bot.js';
import { basicCredentials, chooseCredentials, CredentialsError, readCookie, saveBasicCookie, saveTokenCookie, tokenCredentials } from '../../chatbot/credentials.js';
import type { BotLog } from '../../chatbot/log.js';
import { defaultQuotesPath, loadQuotes, parseQuotes, QuotePicker, QuotesError } from '../../chatbot/quotes.js';
import { startBot } from '../../chatbot/run.js';
import { AuthLevel } from '../../src/model/auth-level.js';
import { userId } from '../../src/model/uid.js';
import type { ClientMessage } from '../../src/wire/client-messages.js';
import type { ServerMessage } from '../../src/wire/server-messages.js';
import { BotProcess } from '../helpers/bot-process.js';
import { runTinode } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { connectSdk, until, type SdkClient, type SdkMessage } from '../helpers/sdk.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * `tinode bot`: the quotes files, the bot's rules on a fake stream, the command line, and the bot
 * for real against a server that tells it about new accounts through the plugin API, across a
 * server restart and a restart of the bot itself.
 */
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tinode-bot-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('quotes', () => {
  it('reads one quote per line, skipping blank lines', () => {
    expect(parseQuotes('\uFEFFFirst quote.\r\n\r\n  Second quote.  \nThird\n\n')).toEqual(['First quote.', 'Second quote.', 'Third']);
  });

  it('reads fortune files: quotes of several lines between lines of %', () => {
    const text = ['One line.', '%', 'Two', '  lines, indented.', '\t\t-- Someone', '%', '', '%', 'Last, without a final separator.  ', ''].join('\n');
    expect(parseQuotes(text)).toEqual(['One line.', 'Two\n  lines, indented.\n\t\t-- Someone', 'Last, without a final separator.']);
    expect(parseQuotes('%\nA\n%\r\nB\r\n%\r\n')).toEqual(['A', 'B']);
  });

  it('takes a line with % among words as text', () => {
    expect(parseQuotes('100% sure\n50 %\n')).toEqual(['100% sure', '50 %']);
  });

  it('loads files and says what is wrong with unusable ones', () => {
    const lines = join(dir, 'lines.txt');
    writeFileSync(lines, 'a\nb\n');
    expect(loadQuotes(lines)).toEqual(['a', 'b']);
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '\n%\n\n');
    expect(() => loadQuotes(empty)).toThrow(QuotesError);
    expect(() => loadQuotes(join(dir, 'missing.txt'))).toThrow(/no such file/);
  });

  it('bundles about thirty quotes', () => {
    const quotes = loadQuotes(defaultQuotesPath());
    expect(quotes.length).toBeGreaterThanOrEqual(25);
    expect(new Set(quotes).size).toBe(quotes.length);
  });

  it('never picks the same quote twice in a row', () => {
    const picker = new QuotePicker(['a', 'b', 'c']);
    let last = '';
    for (let i = 0; i < 200; i++) {
      const q = picker.next();
      expect(q).not.toBe(last);
      last = q;
    }
    const one = new QuotePicker(['only']);
    expect([one.next(), one.next()]).toEqual(['only', 'only']);
  });
});

describe('credentials and backoff', () => {
  it('reads cookie files in the reference chatbot layout, and writes token cookies', () => {
    const basic = join(dir, 'basic-cookie');
    writeFileSync(basic, '{"schema": "basic", "secret": "alice:alice123"}');
    expect(readCookie(basic)).toMatchObject({ scheme: 'basic', secret: Buffer.from('alice:alice123') });
    const token = join(dir, 'token-cookie');
    saveTokenCookie(token, { user: 'usrAbc', token: 'AAECAwQ=', expires: new Date('2030-01-01T00:00:00Z') });
    expect(JSON.parse(readFileSync(token, 'utf8'))).toEqual({ schema: 'token', secret: 'AAECAwQ=', user: 'usrAbc', expires: '2030-01-01T00:00:00.000Z' });
    expect(readCookie(token)).toMatchObject({ scheme: 'token', secret: Buffer.from([0, 1, 2, 3, 4]) });
    // A password in a cookie stays there next to the token, for when the token expires.
    const kept = join(dir, 'kept-cookie');
    saveBasicCookie(kept, 'quotebot', 'pass123', 'usrBot');
    const first = readCookie(kept);
    expect(first).toMatchObject({ scheme: 'basic', secret: Buffer.from('quotebot:pass123'), fromCookie: true });
    saveTokenCookie(kept, { user: 'usrBot', token: 'AAECAwQ=' }, first);
    expect(JSON.parse(readFileSync(kept, 'utf8'))).toEqual({ schema: 'token', secret: 'AAECAwQ=', user: 'usrBot', basic: 'quotebot:pass123' });
    expect(readCookie(kept)).toMatchObject({ scheme: 'token', fallback: { scheme: 'basic', secret: Buffer.from('quotebot:pass123') } });
    writeFileSync(join(dir, 'bad-cookie'), '[]');
    expect(() => readCookie(join(dir, 'bad-cookie'))).toThrow(CredentialsError);
  });

  it('prefers --login-token, then --login-basic, then the cookie', () => {
    const cookie = join(dir, 'basic-cookie');
    expect(chooseCredentials({ loginToken: 'AAEC', loginBasic: 'a:b', loginCookie: cookie }).scheme).toBe('token');
    expect(chooseCredentials({ loginBasic: 'a:b', loginCookie: cookie }).scheme).toBe('basic');
    expect(chooseCredentials({ loginCookie: cookie }).source).toContain(cookie);
    expect(() => chooseCredentials({ loginCookie: join(dir, 'none') })).toThrow(/--login-basic/);
    expect(() => basicCredentials('nopassword')).toThrow(CredentialsError);
    expect(() => tokenCredentials('not a token!')).toThrow(CredentialsError);
  });

  it('backs off exponentially up to a ceiling, and starts over after a success', () => {
    const b = new Backoff(500, 4000, () => 0.5);
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([500, 1000, 2000, 4000, 4000]);
    b.reset();
    expect(b.next()).toBe(500);
  });
});

const quietLog: BotLog = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined, verbose: false };

/** The bot on a fake stream that answers every request with 200. */
function fakeSession(): { bot: QuoteBot; sent: ClientMessage[]; feed(msg: ServerMessage): void } {
  const sent: ClientMessage[] = [];
  const bot = new QuoteBot({ quotes: new QuotePicker(['Q1', 'Q2']), log: quietLog, userAgent: 'test', replyDelayMs: 0 });
  const feed = (msg: ServerMessage) => bot.onMessage(msg);
  const link: Link = {
    send(msg) {
      sent.push(msg);
      if (msg.id) {
        const params = msg.type === 'login' ? { user: 'usrBot', token: 'AAEC' } : undefined;
        setImmediate(() => feed({ ctrl: { id: msg.id, code: 200, ts: new Date(), ...(params ? { params } : {}) } }));
      }
      return true;
    },
    close: () => undefined,
  };
  void bot.start(link, basicCredentials('bot:secret'));
  return { bot, sent, feed };
}

const settle = () => new Promise((r) => setTimeout(r, 20));
const data = (topic: string, from: string, seq: number, content: unknown, head?: Record<string, unknown>): ServerMessage => ({
  data: { topic, from, seq, content, ts: new Date(), ...(head ? { head } : {}) },
});

describe('the bot on a fake stream', () => {
  it('logs in, follows online contacts, answers messages and marks them read', async () => {
    const { sent, feed } = fakeSession();
    await settle();
    expect(sent.map((m) => m.type)).toEqual(['hi', 'login', 'sub']);
    feed({ meta: { topic: 'me', sub: [
      { topic: 'usrOnline', online: true, seq: 5, read: 5, acs: {} },
      { topic: 'usrUnread', seq: 9, read: 7, acs: {} },
      { topic: 'usrAway', seq: 3, read: 3, acs: {} },
      { topic: 'grpGroup', online: true, seq: 3, read: 1, acs: {} },
    ] } });
    await settle();
    const subs = sent.filter((m) => m.type === 'sub' && m.topic !== 'me');
    expect(subs.map((m) => m.topic)).toEqual(['usrOnline', 'usrUnread']);
    // Only the one with unread messages asks for the latest of them.
    expect(subs[0]!.body).toEqual({});
    expect(subs[1]!.body).toEqual({ get: { what: 'data', data: { since: 8, limit: 1 } } });
    sent.length = 0;
    feed(data('usrOnline', 'usrOnline', 6, 'hello'));
    feed(data('usrOnline', 'usrOnline', 6, 'hello')); // the same one again: answered once
    feed(data('usrOnline', 'usrBot', 7, 'Q1')); // the bot's own
    feed(data('usrOnline', 'usrOnline', 8, 'Q9', { auto: true })); // another bot's
    feed(data('grpGroup', 'usrOnline', 4, 'hi all'));
    await settle();
    expect(sent).toMatchObject([
      { type: 'note', topic: 'usrOnline', body: { what: 'read', seq: 6 } },
      { type: 'pub', topic: 'usrOnline', body: { noecho: true, head: { auto: true } } },
    ]);
    expect(['Q1', 'Q2']).toContain((sent[1]!.body as { content: unknown }).content);
  });

  it('starts conversations with new users, follows presence, and starts over after a disconnection', async () => {
    const { bot, sent, feed } = fakeSession();
    await settle();
    bot.newUser('usrNew');
    await settle();
    expect(sent.at(-1)).toMatchObject({ type: 'sub', topic: 'usrNew', body: { get: { what: 'data' } } });
    feed({ pres: { topic: 'me', src: 'usrNew', what: 'off' } });
    await settle();
    expect(sent.at(-1)).toMatchObject({ type: 'leave', topic: 'usrNew' });
    feed({ pres: { topic: 'me', src: 'usrPeer', what: 'msg', seq: 4 } });
    await settle();
    expect(sent.at(-1)).toMatchObject({ type: 'sub', topic: 'usrPeer', body: { get: { what: 'data', data: { since: 1, limit: 1 } } } });
    // A new user reported while disconnected gets a conversation after the next login.
    bot.disconnected();
    bot.newUser('usrLater');
    sent.length = 0;
    const link: Link = {
      send(msg) {
        sent.push(msg);
        if (msg.id) setImmediate(() => feed({ ctrl: { id: msg.id, code: 200, ts: new Date(), params: { user: 'usrBot' } } }));
        return true;
      },
      close: () => undefined,
    };
    expect(await bot.start(link, basicCredentials('bot:secret'))).toMatchObject({ kind: 'ok', user: 'usrBot' });
    await settle();
    expect(sent.map((m) => `${m.type} ${m.topic}`)).toEqual(['hi ', 'login ', 'sub me', 'sub usrLater']);
  });

  it('reports refused logins and accounts that must validate', async () => {
    for (const [code, kind] of [
      [401, 'refused'],
      [300, 'fatal'],
      [503, 'retry'],
    ] as const) {
      const bot = new QuoteBot({ quotes: new QuotePicker(['Q']), log: quietLog, userAgent: 'test' });
      const link: Link = {
        send(msg) {
          const c = msg.type === 'login' ? code : 201;
          if (msg.id) setImmediate(() => bot.onMessage({ ctrl: { id: msg.id, code: c, text: 'x', ts: new Date() } }));
          return true;
        },
        close: () => undefined,
      };
      expect((await bot.start(link, basicCredentials('bot:secret'))).kind).toBe(kind);
    }
  });
});

describe('tinode bot command line', () => {
  it('shows help', async () => {
    const r = await runTinode(['bot', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--login-cookie');
    expect(r.stdout).toContain('0.0.0.0:40051');
  });

  it('exits 2 without credentials or with an unusable quotes file', async () => {
    const none = await runTinode(['bot', '--listen', '127.0.0.1:0'], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/\.tn-cookie.*--login-basic/);
    const quotes = await runTinode(['bot', '--login-basic', 'a:b', '--quotes', join(dir, 'nothing.txt'), '--listen', '127.0.0.1:0'], { cwd: dir });
    expect(quotes.code).toBe(2);
    expect(quotes.stderr).toContain('nothing.txt');
  });
});

describe('tinode bot with a server', () => {
  const QUOTES = ['The first known quote.', 'The second one\nspans two lines.', 'The third and last.'];
  const clients: SdkClient[] = [];
  const bots: BotProcess[] = [];
  let srv: TestServer | null = null;

  afterAll(async () => {
    for (const b of bots) if (b.child.exitCode === null) b.child.kill('SIGKILL');
    for (const c of clients) if (c.isConnected()) c.disconnect();
    await srv?.close();
  });

  /** Logs in (or signs up) over websocket, opens the conversation with the bot, collects its answers. */
  async function talk(login: string, botUid: string, create: boolean) {
    const c = await connectSdk(srv!.host, 'ws');
    clients.push(c);
    if (create) {
      expect((await c.createAccountBasic(login, `${login}123`, { public: { fn: 'New Comer' }, login: true })).code).toBe(200);
    } else {
      expect((await c.loginBasic(login, `${login}123`)).code).toBe(200);
    }
    const me = c.getMeTopic();
    await me.subscribe(me.startMetaQuery().withSub().build());
    // The bot started the conversation: the new user sees it among the contacts.
    await until(() => me.getContact?.(botUid) !== undefined, 5000, 'the bot among the contacts');
    const topic = c.getTopic(botUid);
    const answers: SdkMessage[] = [];
    const reads: Record<string, unknown>[] = [];
    topic.onData = (m) => {
      if (m?.from === botUid) answers.push(m);
    };
    topic.onInfo = (info) => {
      if (info.what === 'read' && info.from === botUid) reads.push(info);
    };
    await topic.subscribe(topic.startMetaQuery().withLaterData(20).build());
    return { c, topic, answers, reads };
  }

  it('starts conversations with new users, answers with quotes from its file, comes back after restarts', { timeout: 40_000 }, async () => {
    const [grpcPort, pluginPort] = [await freePort(), await freePort()];
    const db = `sqlite:${join(dir, 'tinode.db')}`;
    // The timeout is in microseconds. The reference's example has 20000 (20 ms), but the server
    // connects to a plugin on its first call, and that first call (this account event) may run out
    // of 20 ms before it is even sent; events never hold the server up, so a long one costs nothing.
    const settings = {
      grpc_listen: `127.0.0.1:${grpcPort}`,
      acc_validation: { email: { required: [] } },
      plugins: [{ enabled: true, name: 'bot', timeout: 20_000, filters: { account: 'C' }, service_addr: `tcp://127.0.0.1:${pluginPort}` }],
    };
    srv = await startTestServer(settings, db);
    expect(srv.server.grpcAddr).toBe(`127.0.0.1:${grpcPort}`);

    // The sample's bot user has a random password: log it in with a token minted for it.
    const ctx = srv.server.ctx;
    const rec = await ctx.store.auth.getUniqueRecord('basic', 'quotebot');
    expect(rec).not.toBeNull();
    const botUid = userId(rec!.uid);
    const { secret } = await ctx.auth.get('token')!.genSecret({ uid: rec!.uid, authLevel: AuthLevel.AUTH, lifetimeMs: 0, features: 0, tags: [] });

    const quotesFile = join(dir, 'fortunes');
    writeFileSync(quotesFile, QUOTES.join('\n%\n') + '\n%\n');
    const botDir = mkdtempSync(join(dir, 'bot-'));
    const args = ['--host', `127.0.0.1:${grpcPort}`, '--listen', `127.0.0.1:${pluginPort}`, '--quotes', quotesFile];
    const bot = new BotProcess([...args, '--login-token', secret.toString('base64')], botDir);
    bots.push(bot);
    await bot.waitFor('logged in as');
    expect(bot.log).toContain('loaded 3 quotes');
    expect(bot.log).toContain(`logged in as ${botUid}`);

    // A new account: the server tells the bot, the bot starts a conversation with it.
    const first = await talk('newcomer', botUid, true);
    await bot.waitFor('started a conversation with the new user');
    const sent = await first.topic.publish('Hello, bot!');
    const seq = sent?.params?.seq as number;
    await until(() => first.answers.length === 1, 5000, 'a quote');
    expect(QUOTES).toContain(first.answers[0]!.content);
    expect(first.answers[0]!.head).toMatchObject({ auto: true });
    await until(() => first.reads.some((r) => r.seq === seq), 3000, 'the bot to mark the message read');

    // The server restarts on the same database and gRPC port: the bot reconnects by itself.
    first.c.disconnect();
    await srv.close();
    srv = null;
    await bot.waitFor('disconnected from the server');
    srv = await startTestServer(settings, db);
    await bot.waitFor('logged in as', 2);
    const second = await talk('newcomer', botUid, false);
    await second.topic.publish('Still there?');
    await until(() => second.answers.some((m) => (m.seq as number) > seq + 1), 5000, 'a quote after the restart');
    expect(QUOTES).toContain(second.answers.at(-1)!.content);

    // The bot stops on SIGTERM, a message comes while it is away, and the bot started again with
    // no credentials logs in from its cookie file and answers the message it missed.
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
    expect(JSON.parse(readFileSync(join(botDir, '.tn-cookie'), 'utf8'))).toMatchObject({ schema: 'token', user: botUid });
    const before = second.answers.length;
    await second.topic.publish('Anyone home?');
    const again = new BotProcess(args, botDir);
    bots.push(again);
    await again.waitFor('logged in as');
    expect(again.log).toContain('.tn-cookie');
    await until(() => second.answers.length === before + 1, 5000, 'an answer to the message sent while the bot was away');
    expect(QUOTES).toContain(second.answers.at(-1)!.content);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  });

  it('falls back on the password in its cookie when the token is refused', async () => {
    srv ??= await startTestServer({ acc_validation: { email: { required: [] } } });
    const c = await connectSdk(srv.host, 'ws');
    clients.push(c);
    expect((await c.createAccountBasic('otherbot', 'otherbot123', { login: false })).code).toBe(200);
    const cookie = join(dir, 'otherbot-cookie');
    // A token of the right shape that the server did not sign (as an expired one, refused).
    writeFileSync(cookie, JSON.stringify({ schema: 'token', secret: Buffer.alloc(50, 7).toString('base64'), basic: 'otherbot:otherbot123' }));
    const lines: string[] = [];
    const log: BotLog = { ...quietLog, info: (m) => lines.push(m), warn: (m) => lines.push(m) };
    const bot = await startBot({ host: srv.server.grpcAddr!, ssl: false, listen: '127.0.0.1:0', loginCookie: cookie, version: 'test' }, log);
    try {
      expect(bot.pluginAddress).toMatch(/^127\.0\.0\.1:\d+$/);
      await until(() => lines.some((l) => l.startsWith('logged in as usr')), 5000, 'a login');
      expect(lines.some((l) => l.includes('the token was refused'))).toBe(true);
      const saved = JSON.parse(readFileSync(cookie, 'utf8')) as Record<string, unknown>;
      expect(saved).toMatchObject({ schema: 'token', basic: 'otherbot:otherbot123' });
      expect(saved.secret).not.toBe(Buffer.alloc(50, 7).toString('base64'));
    } finally {
      await bot.stop();
    }
    await expect(bot.done).resolves.toBeUndefined();
  });
});
