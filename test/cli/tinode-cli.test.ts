import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArgs } from '../../cli/argparse.js';
import { SERVER_COMMANDS } from '../../cli/specs.js';
import { LineJoiner, quoteWord, splitWords } from '../../cli/tokenizer.js';
import { Variables } from '../../cli/variables.js';
import { addRoot } from '../../server/store/init/root.js';
import { ROOT, runTinode, type CliResult } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * `tinode cli` against a real server over gRPC: scripts from standard input (macros, variables,
 * .must), and an interactive session in a pseudo-terminal.
 */
let srv: TestServer;
let grpcHost: string;
let dir: string;

beforeAll(async () => {
  srv = await startTestServer({ grpc_listen: '127.0.0.1:0' });
  const addr = (srv.server as { grpcAddr?: string | null }).grpcAddr;
  if (!addr) throw new Error('the test server has no gRPC address');
  grpcHost = addr;
  await addRoot(srv.server.ctx.store, 'rooty:rooty123');
  dir = mkdtempSync(join(tmpdir(), 'tinode-cli-'));
});

afterAll(async () => {
  await srv?.close();
});

function cli(script: string, ...args: string[]): Promise<CliResult> {
  return runTinode(['cli', '--host', grpcHost, '--web-host', srv.host, '--no-login', ...args], { cwd: dir, input: script });
}

/** Fails with the whole output, which says what went wrong. */
function ok(r: CliResult): CliResult {
  expect(r.code, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(0);
  return r;
}

describe('tinode cli, scripted', () => {
  it('creates users, logs in, makes a group, invites, publishes and reads the history', async () => {
    const r = ok(
      await cli(`
# Two new users; the e-mail is confirmed with the debug code 123456.
.must $u1 useradd clione --password secret1 --cred email:clione@example.com \\
    --name 'CLI One' --tags cli-one
.must $u2 useradd clitwo -P secret2 --cred email:clitwo@example.com --name 'CLI Two'
.log $u2.params[user]
.must $me login clione:secret1 --cred email::123456
.log $me.params[user]
.must $grp sub new --fn='CLI group' --get-query=desc,sub
.log $grp.topic
.must set $grp.topic --user $u2.params[user] --mode JRWP
pub $grp.topic 'first message'
.must pub $grp.topic --content 'second message'
.must $hist get $grp.topic --data --desc
.log $hist.desc.public.fn
.must $found resolve clitwo
.must $meta get $grp.topic --sub
.log $meta.sub[1].user_id
`),
    );
    const out = r.stdout;
    expect(out).toMatch(/Connected to server: ver: 0\.25/);
    expect(out).toMatch(/=> \.must \$u1 acc --scheme basic --secret=clione:secret1 --cred=email:clione@example\.com --fn='CLI One' --tags=cli-one/);
    const u2 = /^(usr\S+)$/m.exec(out)?.[1];
    expect(u2).toBeDefined();
    expect(out).toMatch(/Authenticated as usr/);
    const grp = /^(grp\S+)$/m.exec(out)?.[1];
    expect(grp).toBeDefined();
    expect(out).toMatch(new RegExp(`<= data ${grp} #1 from usr\\S+: first message`));
    expect(out).toMatch(new RegExp(`<= data ${grp} #2 from usr\\S+: second message`));
    expect(out).toMatch(/^CLI group$/m);
    expect(out).toMatch(/<= meta sub fnd\n {3}sub: usr\S+ "CLI Two"/);
    // resolve prints the user id it found, the invitee's own id.
    expect(out.split('\n').filter((l) => l === u2).length).toBeGreaterThanOrEqual(2);
    expect(out).toMatch(new RegExp(`sub: ${u2} "CLI Two" acs=\\S*/JRWP\\b`));
    expect(r.stderr).toBe('');
  });

  it('runs the root macros: chacs, thecard, usermod, passwd, chcred, userdel', async () => {
    ok(await cli('.must useradd clithree -P secret3 --cred email:clithree@example.com --name Three\n'));
    const r = ok(
      await cli(`
.must login rooty:rooty123
.must $who resolve clithree
.must chacs $who.sub[0].topic --auth JRWPS --anon N
.must $card thecard $who.sub[0].topic --what desc
.log $card.desc.defacs.anon
.must usermod $who.sub[0].topic --name 'Three Renamed'
.must $card2 thecard $who.sub[0].topic --what desc
.log $card2.desc.public.fn
.must passwd $who.sub[0].topic -P secret33
.must chcred $who.sub[0].topic email:three@example.org --add
.must thecard $who.sub[0].topic --what cred
usermod $who.sub[0].topic -L --explain
.must userdel $who.sub[0].topic --hard
.must $gone resolve clithree
`),
    );
    const out = r.stdout;
    expect(out).toMatch(/=> \.must chacs \$who\.sub\[0\]\.topic --auth JRWPS --anon N\nDefault user='usr\S+'\n=> \.must sub me/);
    expect(out).toMatch(/=> \.must \$temp set me --auth=JRWPS --anon=N\n<= 200 ok \(me\)/);
    expect(out).toMatch(/^N$/m);
    expect(out).toMatch(/^Three Renamed$/m);
    expect(out).toMatch(/cred: email:three@example\.org \(not confirmed\)/);
    expect(out).toMatch(/^acc --user usr\S+ --as-root --suspend true$/m);
    expect(out).toMatch(/=> \.must del user --user usr\S+ --as-root --hard\n<= 200 ok/);
    // The deleted user is no longer found.
    expect(out).toMatch(/=> \.must \$gone get fnd --sub\n<= 204 no content/);
    expect(out.trimEnd().split('\n').at(-1)).toBe('null');
    // And cannot log in any more.
    const login = await cli('.must login clithree:secret33\n');
    expect(login.code).toBe(1);
  });

  it('stops at a failed .must with exit code 1 and says which command failed', async () => {
    const r = await cli(`.must login nobody:nothing1
.log never-printed
`);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/'\.must login nobody:nothing1' failed: 401 authentication failed/);
    expect(r.stdout).not.toMatch(/never-printed/);
    // .await goes on after a failure; an unknown command or bad argument under .must fails.
    const r2 = await cli(`.await login nobody:nothing1
.log still-here
.must get --frobnicate
`);
    expect(r2.code).toBe(1);
    expect(r2.stdout).toMatch(/^still-here$/m);
    expect(r2.stderr).toMatch(/get: error: unrecognized argument: --frobnicate/);
  });

  it('prints help for every command and macro with -h', async () => {
    const names = ['acc', 'login', 'sub', 'leave', 'pub', 'get', 'set', 'del', 'note', 'file', '.use', '.log', '.sleep', '.delmark', 'useradd', 'userdel', 'usermod', 'passwd', 'resolve', 'chacs', 'chcred', 'thecard'];
    const r = ok(await cli(names.map((n) => `${n} -h`).join('\n') + '\n'));
    for (const n of names) {
      expect(r.stdout).toMatch(new RegExp(`^usage: ${n.replace('.', '\\.')}( |$)`, 'm'));
    }
    expect(r.stdout).toMatch(/--explain +only print the commands the macro expands to/);
  });

  it('loads macros from a module with --load-macros', async () => {
    const file = join(dir, 'my-macros.mjs');
    writeFileSync(
      file,
      `export const macros = [{
  name: 'hello',
  description: 'say hello in a topic',
  positionals: [{ name: 'topic', help: 'where' }],
  options: [{ name: 'text', help: 'what', default: 'Hello!' }],
  expand: (args, ctx) => ['.must sub ' + args.topic, '.must pub ' + args.topic + ' ' + ctx.quote(args.text), '.must leave ' + args.topic],
}];
`,
    );
    const r = ok(
      await cli(
        `.must login rooty:rooty123
hello usrNobody --text 'it works' --explain
.must $g sub new --fn=Macros
.must hello $g.topic --text 'Hi there'
`,
        '--load-macros',
        file,
      ),
    );
    expect(r.stdout).toMatch(/^\.must pub usrNobody 'it works'$/m);
    expect(r.stdout).toMatch(/=> \.must pub grp\S+ 'Hi there'\n<= 202 accepted/);
    const bad = await cli('', '--load-macros', join(dir, 'missing.mjs'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/cannot load macros from/);
  });

  it('uploads over HTTP (upload) and gRPC (file) and reports what the server answers', async () => {
    const file = join(dir, 'note.txt');
    writeFileSync(file, 'some text');
    const r = await cli(`.must login rooty:rooty123
.await $up upload ${file}
.log $up.code
.await $up2 file --what up ${file}
.log $up2.code
.must file --what up ${join(dir, 'absent.txt')}
`);
    // The HTTP answer's text is the reference's {ctrl} "ok"; gRPC's is its HTTP status text.
    expect(r.stdout).toMatch(/^Upload: <= 200 ok$/m);
    expect(r.stdout).toMatch(/^Upload: <= 200 OK$/m);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Upload of '.*absent\.txt' failed: 400 cannot read/);
  });

  it('stops with exit code 1 when the server ends the session, without waiting for replies that cannot come', async () => {
    const own = await startTestServer({ grpc_listen: '127.0.0.1:0' });
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'tinode'), 'cli', '--host', own.server.grpcAddr!, '--no-login'], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    try {
      child.stdin.write('.must login alice:alice123\n');
      const deadline = Date.now() + 8000;
      while (!stdout.includes('<= 200 ok')) {
        if (Date.now() > deadline) throw new Error(`no login in:\n${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 30));
      }
      await own.close();
      const start = Date.now();
      child.stdin.end('.must get me --desc\n');
      expect(await exited).toBe(1);
      // Not the 5 s timeout of a reply that never comes.
      expect(Date.now() - start).toBeLessThan(4000);
    } finally {
      child.kill();
    }
    expect(stdout).toMatch(/<= 205 server shutdown/);
    expect(stderr).toMatch(/the server closed the connection/);
  });

  it('cannot reach a server that is not there: exit 1 with the gRPC error', async () => {
    const r = await runTinode(['cli', '--host', '127.0.0.1:1', '--no-login'], { cwd: dir, input: 'get me --desc\n' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot connect to the gRPC server at 127\.0\.0\.1:1/);
  });
});

const hasScript = spawnSync('script', ['--version']).status === 0;

const ESC = String.fromCharCode(27);
const ANSI = new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]`, 'g');
const COLUMN_ONE = `${ESC}[1G`;

/** The lines of a terminal's output as they end up on screen: a carriage return starts the line over. */
function screenLines(raw: string): string[] {
  return raw.split('\n').map((line) => (line.split(COLUMN_ONE).join('\r').split('\r').filter((seg) => seg !== '').at(-1) ?? '').replace(ANSI, ''));
}

describe.skipIf(!hasScript)('tinode cli, interactive', () => {
  it('asks for the password, sends a message, saves the cookie, and a script logs in with it', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tinode-cli-tty-'));
    const cmd = [process.execPath, join(ROOT, 'bin', 'tinode'), 'cli', '--host', grpcHost].join(' ');
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: home, env: { ...process.env, NO_COLOR: '1', TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (screen += d));
    const closed = new Promise<number | null>((r) => child.on('close', r));
    const waitFor = async (re: RegExp) => {
      const start = Date.now();
      while (!screenLines(screen).some((l) => re.test(l))) {
        if (Date.now() - start > 8000) throw new Error(`no ${re} on the screen:\n${screenLines(screen).join('\n')}`);
        await new Promise((r) => setTimeout(r, 30));
      }
    };
    const type = (text: string) => child.stdin.write(text + '\r');
    try {
      await waitFor(/^tn> $/);
      type('login alice');
      await waitFor(/Password for alice/);
      type('alice123');
      await waitFor(/^Authenticated as usr/);
      type('.must $bob resolve bob');
      type('.must sub $bob.sub[0].topic');
      type("pub $bob.sub[0].topic 'Hello from a terminal'");
      await waitFor(/^<= 202 accepted \(usr/);
      type('.exit');
      expect(await closed).toBe(0);
    } finally {
      child.kill();
    }
    const lines = screenLines(screen);
    expect(lines).toContain('tn> login alice');
    expect(lines.some((l) => /Password for alice: \*{8}/.test(l))).toBe(true);
    expect(screen).not.toMatch(/alice123/);
    expect(lines).toContain('<= meta sub fnd');
    const cookie = join(home, '.tn-cli-cookie');
    expect(existsSync(cookie)).toBe(true);
    expect(JSON.parse(readFileSync(cookie, 'utf8'))).toMatchObject({ token: expect.any(String) as string });
    // A script logs in with the cookie; Bob has the message.
    const r = ok(await runTinode(['cli', '--host', grpcHost, '--login-cookie'], { cwd: home, input: '.must get me --desc\n' }));
    expect(r.stdout).toMatch(/Authenticated as usr/);
    expect(r.stdout).toMatch(/desc: fn="Alice Walker"/);
    const bob = ok(
      await runTinode(['cli', '--host', grpcHost, '--no-login'], {
        cwd: home,
        input: `.must login bob:bob123
.must $a resolve alice
.must sub $a.sub[0].topic
.must get $a.sub[0].topic --data
`,
      }),
    );
    expect(bob.stdout).toMatch(/<= data usr\S+ #\d+ from usr\S+: Hello from a terminal/);
  });
});

describe('tinode cli pieces', () => {
  it('splits words like a shell, with comments, and quotes back', () => {
    expect(splitWords(`pub grp1 'Hello, world' --head=a:b "say \\"hi\\"" # comment`)).toEqual(['pub', 'grp1', 'Hello, world', '--head=a:b', 'say "hi"']);
    expect(splitWords(`--fn='It'\\''s' a\\ b`)).toEqual([`--fn=It's`, 'a b']);
    for (const w of ['plain', "it's", 'two words', '', '$x.y[0]', '{"a": 1}']) {
      expect(splitWords(quoteWord(w))).toEqual([w]);
    }
    expect(() => splitWords(`pub 'open`)).toThrow(/no closing quotation/);
  });

  it('joins lines that end in a backslash', () => {
    const j = new LineJoiner();
    expect(j.push('.must acc --fn=x \\')).toBeNull();
    expect(j.pending).toBe(true);
    expect(j.push('   --tags=a,b   \\')).toBeNull();
    expect(j.push('  --anon=N')).toBe('.must acc --fn=x --tags=a,b --anon=N');
    expect(j.push('next')).toBe('next');
  });

  it('parses arguments as argparse does', () => {
    const pub = SERVER_COMMANDS.pub!;
    expect(parseArgs(pub, ['grp1', 'hi there'])).toMatchObject({ kind: 'ok', args: { topic: 'grp1', content: 'hi there' } });
    expect(parseArgs(pub, ['--topic', 'grp1', '--cont=x'])).toMatchObject({ kind: 'ok', args: { topic: 'grp1', content: 'x' } });
    expect(parseArgs(SERVER_COMMANDS.del!, ['user', '--user', 'usr1', '--as_root'])).toMatchObject({ kind: 'ok', args: { what: 'user', user: 'usr1', asRoot: true } });
    expect(parseArgs(SERVER_COMMANDS.del!, ['everything'])).toMatchObject({ kind: 'error', message: /invalid choice: 'everything'/ });
    expect(parseArgs(SERVER_COMMANDS.note!, [])).toMatchObject({ kind: 'error', message: /required: topic/ });
    expect(parseArgs(SERVER_COMMANDS.get!, ['-h'])).toMatchObject({ kind: 'help', text: /usage: get/ });
  });

  it('reads variables with paths, in JSON or protobuf field names', () => {
    const v = new Variables();
    v.set('$meta', { topic: 'fnd', sub: [{ user: 'usrA', topic: 'usrA', acs: {} }], params: { token: 'tok' } });
    expect(v.get('$meta.sub[0].topic')).toBe('usrA');
    expect(v.get('$meta.sub[0].user_id')).toBe('usrA');
    expect(v.get('$meta.params[token]')).toBe('tok');
    expect(v.get('$meta.sub[3].topic')).toBeUndefined();
    expect(v.get('$nothing.at.all')).toBeUndefined();
  });
});
