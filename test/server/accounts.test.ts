import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRoot } from '../../server/store/init/root.js';
import { RawClient } from '../helpers/raw.js';
import { startMailbox, type Mailbox } from '../helpers/smtp.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Accounts beyond the basics: email codes over real SMTP, password reset, anonymous accounts,
 * credentials added and removed, root's powers, account deletion.
 */
let srv: TestServer;
let mail: Mailbox;

const b64 = (s: string) => Buffer.from(s).toString('base64');

beforeAll(async () => {
  mail = await startMailbox();
  srv = await startTestServer({
    acc_validation: {
      email: {
        add_to_tags: true,
        required: ['auth'],
        config: { host_url: 'http://localhost:6060/', smtp_server: '127.0.0.1', smtp_port: String(mail.port), sender: '"Tinode" <noreply@example.com>', languages: ['en', 'es'], max_retries: 3, debug_response: '' },
      },
      tel: { add_to_tags: true, config: { debug_response: '123456' } },
    },
  });
});

afterAll(async () => {
  await srv.close();
  await mail.close();
});

async function session(): Promise<RawClient> {
  const c = await RawClient.open(srv.host);
  await c.hello();
  return c;
}

/** The 6-digit code in a mail. */
function codeIn(raw: string): string {
  const m = /\b(\d{6})\b/.exec(raw.replace(/=\r?\n/g, ''));
  if (!m) throw new Error(`no code in:\n${raw}`);
  return m[1]!;
}

describe('email validation over SMTP', () => {
  it('mails a code at sign-up; a wrong code fails, the right one logs in', async () => {
    const c = await session();
    const created = await c.reply({
      acc: { id: 'a', user: 'new', scheme: 'basic', secret: b64('mailer1:secret123'), login: true, desc: { public: { fn: 'Mailer' } }, cred: [{ meth: 'email', val: 'Mailer1@Example.com' }] },
    });
    expect(created.ctrl).toMatchObject({ code: 300, text: 'validate credentials', params: { cred: ['email'] } });
    const text = await mail.waitFor('mailer1@example.com');
    expect(text).toMatch(/From: "?Tinode"? <noreply@example.com>/);
    const code = codeIn(text);
    const bad = await c.reply({ login: { id: 'b', scheme: 'basic', secret: b64('mailer1:secret123'), cred: [{ meth: 'email', resp: code === '000000' ? '111111' : '000000' }] } });
    expect(bad.ctrl?.code).toBe(300);
    const ok = await c.reply({ login: { id: 'c', scheme: 'basic', secret: b64('mailer1:secret123'), cred: [{ meth: 'email', resp: code }] } });
    expect(ok.ctrl).toMatchObject({ code: 200, params: { authlvl: 'auth' } });
    const me = await c.reply({ sub: { id: 'd', topic: 'me', get: { what: 'tags cred' } } });
    expect(me.ctrl?.code).toBe(200);
    const tags = await c.next();
    expect(tags.meta?.tags).toContain('email:mailer1@example.com');
    const creds = await c.next();
    expect(creds.meta?.cred).toEqual([{ meth: 'email', val: 'mailer1@example.com', done: true }]);
    c.close();
  });

  it('resets a password with the mailed code', async () => {
    const c = await session();
    const asked = await c.reply({ login: { id: 'r', scheme: 'reset', secret: b64('basic:email:carol@example.com') } });
    expect(asked.ctrl).toMatchObject({ code: 301, text: 'auth reset' });
    const text = await mail.waitFor('carol@example.com');
    expect(text).toMatch(/carol/);
    const code = codeIn(text);
    const changed = await c.reply({ acc: { id: 'p', tmpscheme: 'code', tmpsecret: b64(`${code}:email:carol@example.com`), scheme: 'basic', secret: b64(':newpass123') } });
    expect(changed.ctrl?.code).toBe(200);
    const other = await session();
    await other.login('carol', 'newpass123');
    const old = await other.reply({ login: { id: 'x', scheme: 'basic', secret: b64('carol:carol123') } });
    expect(old.ctrl?.code).toBe(409);
    // A reset for an unknown address says the same, and sends nothing.
    const unknown = await c.reply({ login: { id: 'u', scheme: 'reset', secret: b64('basic:email:nobody@example.com') } });
    expect(unknown.ctrl?.code).toBe(301);
    c.close();
    other.close();
  });
});

describe('accounts', () => {
  it('creates anonymous accounts that log back in with their token', async () => {
    const c = await session();
    const r = await c.reply({ acc: { id: 'a', user: 'new', scheme: 'anonymous', login: true, desc: { public: { fn: 'Guest' } } } });
    expect(r.ctrl).toMatchObject({ code: 200, params: { authlvl: 'anon' } });
    const token = String(r.ctrl?.params && (r.ctrl.params as { token: string }).token);
    const again = await session();
    const back = await again.reply({ login: { id: 't', scheme: 'token', secret: token } });
    expect(back.ctrl).toMatchObject({ code: 200, params: { authlvl: 'anon' } });
    c.close();
    again.close();
  });

  it('adds, validates and deletes a phone credential on me', async () => {
    const c = await session();
    await c.login('dave');
    expect((await c.reply({ sub: { id: 's', topic: 'me' } })).ctrl?.code).toBe(200);
    const add = await c.reply({ set: { id: 'a', topic: 'me', cred: { meth: 'tel', val: '+17025550077' } } });
    expect(add.ctrl?.code).toBe(200);
    const confirm = await c.reply({ set: { id: 'c', topic: 'me', cred: { meth: 'tel', resp: '123456' } } });
    expect(confirm.ctrl?.code).toBe(200);
    const creds = await c.reply({ get: { id: 'g', topic: 'me', what: 'cred' } });
    expect(creds.meta?.cred).toEqual(expect.arrayContaining([{ meth: 'tel', val: '+17025550077', done: true }]));
    const del = await c.reply({ del: { id: 'd', topic: 'me', what: 'cred', cred: { meth: 'tel', val: '+17025550077' } } });
    expect(del.ctrl?.code).toBe(200);
    // The last validated email of a required method cannot go.
    const last = await c.reply({ del: { id: 'e', topic: 'me', what: 'cred', cred: { meth: 'email', val: 'dave@example.com' } } });
    expect(last.ctrl?.code).toBe(422);
    c.close();
  });

  it('lets only root suspend and restore accounts; a suspended user cannot log in', async () => {
    const c = await session();
    const made = await c.reply({ acc: { id: 'n', user: 'new', scheme: 'basic', secret: b64('rooty:rooty123'), login: false, cred: [{ meth: 'email', val: 'rooty@example.com' }] } });
    expect(made.ctrl?.code).toBe(201);
    const rootId = String((made.ctrl?.params as { user: string }).user);
    await makeRoot(srv.server.ctx.store, rootId);
    const root = await session();
    const rootLogin = await root.reply({ login: { id: 'l', scheme: 'basic', secret: b64('rooty:rooty123'), cred: [{ meth: 'email', resp: codeIn(await mail.waitFor('rooty@example.com')) }] } });
    expect(rootLogin.ctrl).toMatchObject({ code: 200, params: { authlvl: 'root' } });

    const frank = await session();
    const frankLogin = await frank.login('frank');
    const frankId = String((frankLogin.ctrl?.params as { user: string }).user);
    // Not root: refused.
    expect((await frank.reply({ acc: { id: 'f', user: rootId, status: 'susp' } })).ctrl?.code).toBe(403);
    const susp = await root.reply({ acc: { id: 's', user: frankId, status: 'susp' } });
    expect(susp.ctrl?.code).toBe(200);
    expect((await frank.next()).ctrl).toMatchObject({ code: 205, text: 'evicted' });
    const again = await session();
    expect((await again.reply({ login: { id: 'x', scheme: 'basic', secret: b64('frank:frank123') } })).ctrl?.code).toBe(403);
    expect((await root.reply({ acc: { id: 's2', user: frankId, status: 'susp' } })).ctrl?.code).toBe(304);
    expect((await root.reply({ acc: { id: 'o', user: frankId, status: 'ok' } })).ctrl?.code).toBe(200);
    expect((await again.reply({ login: { id: 'y', scheme: 'basic', secret: b64('frank:frank123') } })).ctrl?.code).toBe(200);
    // Root sets trusted values; others cannot.
    await root.reply({ sub: { id: 'm', topic: 'me' } });
    expect((await root.reply({ set: { id: 't', topic: 'me', desc: { trusted: { staff: true } } } })).ctrl?.code).toBe(200);
    await again.reply({ sub: { id: 'm', topic: 'me' } });
    expect((await again.reply({ set: { id: 't', topic: 'me', desc: { trusted: { staff: true } } } })).ctrl?.code).toBe(403);
    c.close();
    root.close();
    again.close();
  });

  it("deletes one's own account: the sessions end and the login is gone", async () => {
    const c = await session();
    const made = await c.reply({ acc: { id: 'n', user: 'new', scheme: 'basic', secret: b64('goner:goner123'), login: true, cred: [{ meth: 'email', val: 'goner@example.com' }] } });
    expect(made.ctrl?.code).toBe(300);
    const other = await session();
    await other.reply({ login: { id: 'l', scheme: 'basic', secret: b64('goner:goner123'), cred: [{ meth: 'email', resp: codeIn(await mail.waitFor('goner@example.com')) }] } });
    const del = await other.reply({ del: { id: 'd', what: 'user', hard: true } });
    expect(del.ctrl?.code).toBe(200);
    const evicted = await other.next();
    expect(evicted.ctrl).toMatchObject({ code: 205, text: 'evicted' });
    const gone = await session();
    expect((await gone.reply({ login: { id: 'g', scheme: 'basic', secret: b64('goner:goner123') } })).ctrl?.code).toBe(401);
    c.close();
    gone.close();
  });
});

describe('external authentication (rest)', () => {
  let auth: Server;
  let restSrv: TestServer;
  const calls: string[] = [];
  beforeAll(async () => {
    auth = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const r = JSON.parse(body) as { endpoint: string; secret?: string };
        calls.push(r.endpoint);
        const secret = r.secret ? Buffer.from(r.secret, 'base64').toString() : '';
        let out: Record<string, unknown> = {};
        if (r.endpoint === 'rtagns') out = { strarr: ['rest'] };
        else if (r.endpoint === 'auth') out = secret === 'ext:pw' ? { rec: { uid: '', authlvl: 'auth', tags: ['rest:ext'] }, newacc: { auth: 'JRWPAS', anon: 'N', public: { fn: 'External' } } } : { err: 'failed' };
        else if (r.endpoint === 'link') out = {};
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify(out));
      });
    });
    await new Promise<void>((r) => auth.listen(0, '127.0.0.1', r));
    const port = (auth.address() as { port: number }).port;
    restSrv = await startTestServer({
      auth_config: { rest: { server_url: `http://127.0.0.1:${port}/`, allow_new_accounts: true }, logical_names: ['login:basic', 'basic:', 'external:rest'] },
      acc_validation: { email: { required: [] } },
    });
  });
  afterAll(async () => {
    await restSrv.close();
    await new Promise((r) => auth.close(r));
  });

  it('logs in through the external service, creating the account, under its logical name', async () => {
    const c = await RawClient.open(restSrv.host);
    await c.hello();
    const ok = await c.reply({ login: { id: '1', scheme: 'external', secret: b64('ext:pw') } });
    expect(ok.ctrl).toMatchObject({ code: 200, params: { authlvl: 'auth' } });
    expect(calls).toEqual(expect.arrayContaining(['rtagns', 'auth', 'link']));
    const bad = await c.reply({ login: { id: '2', scheme: 'external', secret: b64('ext:nope') } });
    expect(bad.ctrl?.code).toBe(409);
    const other = await RawClient.open(restSrv.host);
    await other.hello();
    expect((await other.reply({ login: { id: '3', scheme: 'external', secret: b64('ext:nope') } })).ctrl?.code).toBe(401);
    // "basic" is hidden; "login" reaches it (its records are kept under the logical name, as the reference does).
    expect((await other.reply({ login: { id: '4', scheme: 'basic', secret: b64('alice:alice123') } })).ctrl?.code).toBe(401);
    expect((await other.reply({ acc: { id: '5', user: 'new', scheme: 'login', secret: b64('renamed:renamed123') } })).ctrl?.code).toBe(201);
    expect((await other.reply({ login: { id: '6', scheme: 'login', secret: b64('renamed:renamed123') } })).ctrl?.code).toBe(200);
    c.close();
    other.close();
  });
});
