import { release, type } from 'node:os';
import { ClientStream, type ServerAddress } from '../src/grpc/client-stream.js';
import type { ClientMessage } from '../src/wire/client-messages.js';
import type { CtrlMsg, MetaMsg, ServerMessage } from '../src/wire/server-messages.js';
import { parseArgs, type CommandSpec, type ParsedArgs } from './argparse.js';
import { saveCookie } from './cookie.js';
import { uploadFile, type FileResult } from './files.js';
import { grpcDownloadFile, grpcUploadFile } from './grpc-files.js';
import { clientMessageJson, formatCtrl, formatServerMessage, formatServerParams, serverMessageJson, show } from './format.js';
import { BUILTIN_MACROS, macroSpec, type MacroDefinition } from './macros.js';
import { CommandError } from './media.js';
import { accMsg, DEFAULT_DELETE_MARKER, delMsg, getMsg, leaveMsg, loginMsg, noteMsg, pubMsg, setMsg, subMsg, type BuildContext } from './messages.js';
import { LOCAL_COMMANDS, SERVER_COMMANDS, SUMMARIES } from './specs.js';
import { quoteWord, splitWords, TokenizeError } from './tokenizer.js';
import type { Ui } from './ui.js';
import { derefArgs, VariableError, Variables } from './variables.js';

/**
 * The client's engine: runs one command line at a time (local commands, protocol commands,
 * file transfers, macros), sends messages on the gRPC stream, shows what the server sends, and
 * keeps the state commands share (variables, default user and topic, the auth token).
 */

export interface EngineOptions extends Pick<ServerAddress, 'host' | 'ssl' | 'sslHost' | 'ca'> {
  webHost: string;
  apiKey: string;
  noCookie: boolean;
  verbose: boolean;
  background: boolean;
  /** How long .await and .must wait for a reply. */
  awaitTimeoutMs: number;
  version: string;
}

/** How a command is waited for: not at all, `.await`, or `.must` (a failure stops a script). */
type Mode = 'async' | '.await' | '.must';

/** A request whose replies are being waited for. */
interface Pending {
  id: string;
  /** Replies to expect (a {get} answers each part it asks). */
  expected: number;
  got: number;
  first?: ServerMessage;
  merged?: MetaMsg;
  failure?: CtrlMsg;
  settle?: NodeJS.Timeout;
  done(): void;
}

/** The result of running a line. */
export type LineResult = 'ok' | 'exit';

const SYNC_SETTLE_MS = 150;
/** How long the server may take to end its side of the stream after ours, at exit. */
const CLOSE_GRACE_MS = 300;

export class Engine {
  readonly vars = new Variables();
  private defaultUser: string | null = null;
  private defaultTopic: string | null = null;
  private deleteMarker = DEFAULT_DELETE_MARKER;
  private verbose: boolean;
  private authToken = '';
  private readonly macros = new Map<string, MacroDefinition>();
  private conn: ClientStream | null = null;
  private nextId = 10000 + Math.floor(Math.random() * 50000);
  private readonly pending = new Map<string, Pending>();
  private readonly outstanding = new Set<string>();
  private readonly onReply = new Map<string, (ctrl: CtrlMsg) => void>();
  /** Lines to run before reading more input (a macro's expansion). */
  private readonly queue: string[] = [];
  private lastActivity = Date.now();
  /** Why the session cannot go on: a failed .must in a script, or a lost connection. */
  failure: string | null = null;
  private closedByServer = false;
  /** Set once we end the session ourselves. */
  private closing = false;

  constructor(
    private readonly opts: EngineOptions,
    private readonly ui: Ui,
  ) {
    this.verbose = opts.verbose;
    for (const m of BUILTIN_MACROS) this.macros.set(m.name, m);
  }

  addMacros(list: readonly MacroDefinition[]): void {
    for (const m of list) this.macros.set(m.name, m);
  }

  get userAgent(): string {
    return `tinode-cli/${this.opts.version} (${type()}/${release()}); gRPC-node/${process.version}`;
  }

  /** False once the connection is gone or a script failed. */
  get alive(): boolean {
    return this.failure === null && !this.closedByServer;
  }

  // -------------------------------------------------------------------------------------------
  // Connection
  // -------------------------------------------------------------------------------------------

  /** Connects and says {hi}; false (with the reason printed) when the server cannot be reached. */
  async connect(): Promise<boolean> {
    this.conn = new ClientStream({ host: this.opts.host, ssl: this.opts.ssl, sslHost: this.opts.sslHost, ca: this.opts.ca });
    const unreachable = await this.conn.open(
      {
        message: (msg) => this.received(msg),
        closed: (error) => {
          this.closedByServer = true;
          if (error) {
            this.failure ??= `gRPC failed with ${error.code}: ${error.details}`;
          } else if (!this.closing) {
            this.failure ??= 'the server closed the connection';
          }
          for (const p of this.pending.values()) p.done();
        },
      },
      this.opts.awaitTimeoutMs,
    );
    if (unreachable) {
      const why = unreachable.reason === 'failed' ? 'the connection failed (is the server running, and serving gRPC at this address?)' : unreachable.text;
      this.failure = `cannot connect to the gRPC server at ${this.opts.host}: ${why}`;
      return false;
    }
    const id = this.newId();
    this.onReply.set(id, (ctrl) => this.ui.out(this.ui.c.dim('<= ') + formatServerParams(ctrl.params)));
    const hi: ClientMessage = {
      type: 'hi',
      id,
      topic: '',
      body: { ua: this.userAgent, ver: '0.25', lang: 'en', ...(this.opts.background ? { bkg: true } : {}) },
      extra: null,
    };
    const reply = await this.request(hi, 1);
    if (!reply.first) {
      if (this.failure === null) {
        this.failure = `no answer from the server at ${this.opts.host} in ${this.opts.awaitTimeoutMs / 1000} s`;
      }
      return false;
    }
    return true;
  }

  /** Logs in with a scheme and a secret, and waits for the answer. */
  async login(scheme: 'basic' | 'token', secret: string): Promise<boolean> {
    const args: ParsedArgs = { scheme, secret };
    const msg = loginMsg(args, this.buildContext());
    this.watchLogin(msg.id);
    const reply = await this.request(msg, 1);
    return reply.first !== undefined && reply.failure === undefined;
  }

  /** Waits for replies still owed, then ends the stream. */
  async shutdown(): Promise<void> {
    const deadline = Date.now() + this.opts.awaitTimeoutMs;
    while (this.conn?.isOpen && !this.closedByServer && Date.now() < deadline && (this.outstanding.size > 0 || Date.now() - this.lastActivity < 100)) {
      await sleep(25);
    }
    this.closing = true;
    await this.conn?.close(CLOSE_GRACE_MS);
  }

  private newId(): string {
    return String(this.nextId++);
  }

  private send(msg: ClientMessage): void {
    if (!this.conn?.isOpen) {
      throw new CommandError('not connected to the server');
    }
    if (this.verbose) {
      this.ui.out(this.ui.c.dim('=> ') + clientMessageJson(msg));
    }
    if (msg.id) this.outstanding.add(msg.id);
    this.lastActivity = Date.now();
    this.conn.send(msg);
  }

  /** Sends and waits for the replies to `msg` (see {@link Pending}). */
  private request(msg: ClientMessage, expected: number): Promise<Pending> {
    return new Promise<Pending>((resolve) => {
      let finished = false;
      const timer = setTimeout(() => p.done(), this.opts.awaitTimeoutMs);
      const p: Pending = {
        id: msg.id,
        expected,
        got: 0,
        done: () => {
          if (finished) return;
          finished = true;
          clearTimeout(timer);
          if (p.settle) clearTimeout(p.settle);
          this.pending.delete(msg.id);
          resolve(p);
        },
      };
      this.pending.set(msg.id, p);
      try {
        this.send(msg);
      } catch (err) {
        p.done();
        throw err;
      }
    });
  }

  private received(msg: ServerMessage): void {
    this.lastActivity = Date.now();
    if (this.verbose) {
      this.ui.out(this.ui.c.dim('<= ') + serverMessageJson(msg));
    }
    const id = 'ctrl' in msg ? msg.ctrl.id : 'meta' in msg ? msg.meta.id : undefined;
    if (id && 'ctrl' in msg) {
      const then = this.onReply.get(id);
      if (then) {
        this.onReply.delete(id);
        if (msg.ctrl.code >= 200 && msg.ctrl.code < 400) then(msg.ctrl);
      }
    }
    for (const line of formatServerMessage(this.ui.c, msg)) {
      this.ui.out(line);
    }
    if (!id) return;
    this.outstanding.delete(id);
    const p = this.pending.get(id);
    if (!p) return;
    p.got++;
    if ('ctrl' in msg && msg.ctrl.code >= 400 && !p.failure) p.failure = msg.ctrl;
    p.first ??= msg;
    if ('meta' in msg) {
      // The parts of a {get} come as separate {meta}s: they are kept together.
      if (!p.merged) p.merged = { ...msg.meta };
      else Object.assign(p.merged, Object.fromEntries(Object.entries(msg.meta).filter(([k, v]) => v !== undefined && k !== 'id' && k !== 'topic')));
    }
    if (p.got >= p.expected) {
      p.done();
    } else {
      // More parts may come, or not (a part with nothing to say may stay silent).
      if (p.settle) clearTimeout(p.settle);
      p.settle = setTimeout(() => p.done(), SYNC_SETTLE_MS);
    }
  }

  /** After a successful login: keep the token, say who we are, save the cookie if asked. */
  private watchLogin(id: string): void {
    this.onReply.set(id, (ctrl) => {
      const params = ctrl.params ?? {};
      if (typeof params.token !== 'string') return;
      this.authToken = params.token;
      if (ctrl.code !== 200) return;
      this.ui.out(`Authenticated as ${show(params.user)}`);
      if (this.ui.interactive && !this.opts.noCookie) {
        try {
          saveCookie(params);
        } catch (err) {
          this.ui.err(`Failed to save the authentication cookie: ${(err as Error).message}`);
        }
      }
    });
  }

  private buildContext(): BuildContext {
    return { id: this.newId(), defaultUser: this.defaultUser, defaultTopic: this.defaultTopic, deleteMarker: this.deleteMarker };
  }

  // -------------------------------------------------------------------------------------------
  // Commands
  // -------------------------------------------------------------------------------------------

  /** Runs a command line and the lines a macro in it expands to. */
  async run(line: string): Promise<LineResult> {
    this.queue.push(line);
    while (this.queue.length > 0) {
      if (!this.alive) {
        this.queue.length = 0;
        return 'exit';
      }
      const next = this.queue.shift()!;
      if ((await this.runOne(next)) === 'exit') {
        this.queue.length = 0;
        return 'exit';
      }
    }
    return this.alive ? 'ok' : 'exit';
  }

  /** A failed command: under .must in a script it ends the run. */
  private fail(mode: Mode, message: string): void {
    if (mode === '.must' && !this.ui.interactive) {
      // Reported once, as the reason the run stops.
      this.failure = message;
      return;
    }
    this.ui.err(message);
  }

  private async runOne(line: string): Promise<LineResult> {
    let words: string[];
    try {
      words = splitWords(line);
    } catch (err) {
      if (!(err instanceof TokenizeError)) throw err;
      this.fail(line.trimStart().startsWith('.must') ? '.must' : 'async', `Error parsing command: ${err.message}`);
      return 'ok';
    }
    if (words.length === 0) return 'ok';
    const head = words[0]!;
    if (['.exit', '.quit', 'exit', 'quit'].includes(head)) return 'exit';

    let mode: Mode = 'async';
    let varname: string | null = null;
    if (head === '.await' || head === '.must') {
      mode = head;
      words = words.slice(1);
      if (words.length > 1 && words[0]!.startsWith('$')) {
        varname = words[0]!;
        if (!/^\$\w+$/.test(varname)) {
          this.fail(mode, `${mode}: "${varname}" is not a variable name: use $ and letters, digits or _`);
          return 'ok';
        }
        words = words.slice(1);
      }
      if (words.length === 0 || words[0]!.startsWith('.')) {
        this.fail(mode, `usage: ${mode} [$variable] command [arguments]: waits for a server command or macro, not "${words[0] ?? ''}"`);
        return 'ok';
      }
    }
    const name = words[0]!;
    const rest = words.slice(1);
    try {
      if (mode === 'async' && name in LOCAL_COMMANDS) {
        return await this.local(name, rest);
      }
      if (name in SERVER_COMMANDS) {
        await this.server(name, rest, mode, varname, line);
        return 'ok';
      }
      const macro = this.macros.get(name);
      if (macro) {
        await this.macro(macro, rest, mode, varname, line);
        return 'ok';
      }
    } catch (err) {
      if (err instanceof CommandError || err instanceof VariableError) {
        this.fail(mode, err.message);
        return 'ok';
      }
      throw err;
    }
    this.fail(mode, `Unrecognized: ${name}`);
    if (this.ui.interactive) this.commandList();
    return 'ok';
  }

  private commandList(): void {
    const lines = ['Commands:'];
    for (const [n, d] of SUMMARIES) lines.push(`  ${n.padEnd(12)}${d}`);
    lines.push('', 'Macros:');
    for (const m of [...this.macros.values()].sort((a, b) => a.name.localeCompare(b.name))) lines.push(`  ${m.name.padEnd(12)}${m.description}`);
    lines.push('', 'Type <command> -h for help.');
    lines.forEach((l) => this.ui.out(l));
  }

  /** Parses arguments; prints help or the error. Null when the command does not run. */
  private parse(spec: CommandSpec, words: string[], mode: Mode): ParsedArgs | null {
    const r = parseArgs(spec, words);
    if (r.kind === 'ok') return r.args;
    if (r.kind === 'help') {
      r.text.split('\n').forEach((l) => this.ui.out(l));
      return null;
    }
    this.ui.err(r.usage);
    this.fail(mode, r.message);
    return null;
  }

  private deref(args: ParsedArgs): ParsedArgs {
    const { args: out, unset } = derefArgs(args, this.vars);
    for (const v of unset) this.ui.err(`warning: ${v} has no value`);
    return out;
  }

  private async local(name: string, words: string[]): Promise<LineResult> {
    const args = this.parse(LOCAL_COMMANDS[name]!, words, 'async');
    if (!args) return 'ok';
    switch (name) {
      case '.log': {
        const path = String(args.varname);
        this.ui.out(path.startsWith('$') ? show(this.vars.get(path)) : path);
        break;
      }
      case '.sleep': {
        const ms = Number(args.millis);
        if (!Number.isFinite(ms) || ms < 0) throw new CommandError(`.sleep: "${String(args.millis)}" is not a number of milliseconds`);
        this.ui.out(`Pausing for ${ms}ms...`);
        await sleep(ms);
        break;
      }
      case '.use':
        this.use(args);
        break;
      case '.verbose':
        this.verbose = !this.verbose;
        this.ui.out(`Logging is ${this.verbose ? 'verbose' : 'normal'}`);
        break;
      case '.delmark':
        this.deleteMarker = String(args.delmark);
        this.ui.out(`Using ${this.deleteMarker} as delete marker`);
        break;
    }
    return 'ok';
  }

  private use(args: ParsedArgs): void {
    const { args: a } = derefArgs(args, this.vars);
    if (typeof a.user === 'string') {
      if (a.user === '') this.defaultUser = null;
      else if (/^usr[\w-]+$/.test(a.user)) this.defaultUser = a.user;
      else throw new CommandError(`.use: user ID '${a.user}' is invalid (expected usrXXXX)`);
      this.ui.out(`Default user='${this.defaultUser ?? ''}'`);
    }
    if (typeof a.topic === 'string') {
      if (a.topic === '') this.defaultTopic = null;
      else if (/^(me|fnd|sys|usr|grp|chn|nch|new)/.test(a.topic)) this.defaultTopic = a.topic;
      else throw new CommandError(`.use: topic '${a.topic}' is invalid`);
      this.ui.out(`Default topic='${this.defaultTopic ?? ''}'`);
    }
    if (a.user === undefined && a.topic === undefined) {
      this.ui.out(`Default user='${this.defaultUser ?? ''}' topic='${this.defaultTopic ?? ''}'`);
    }
  }

  /** Asks for what a command lacks (passwords) in interactive mode. */
  private async complete(name: string, args: ParsedArgs): Promise<ParsedArgs | null> {
    if (!this.ui.interactive) return args;
    const ask = async (message: string, secret = true): Promise<string | null> => {
      const v = secret ? await this.ui.askSecret(message) : await this.ui.askText(message);
      return v === undefined ? null : v;
    };
    const out = { ...args };
    if (name === 'login' && out.scheme === 'basic') {
      const secret = typeof out.secret === 'string' ? out.secret : undefined;
      if (secret !== undefined && !secret.includes(':')) {
        out.uname = secret;
        out.secret = undefined;
      }
      if (out.secret === undefined) {
        if (out.uname === undefined) {
          const login = await ask('Login:', false);
          if (login === null) return null;
          out.uname = login;
        }
        if (out.password === undefined) {
          const password = await ask(`Password for ${String(out.uname)}:`);
          if (password === null) return null;
          out.password = password;
        }
      }
    } else if (name === 'acc' && typeof out.uname === 'string' && out.password === undefined) {
      const password = await ask(`Password for ${out.uname}:`);
      if (password === null) return null;
      out.password = password;
    } else if ((name === 'useradd' || name === 'passwd') && !out.password) {
      const password = await ask(name === 'useradd' ? `Password for ${String(out.login)}:` : `New password for ${String(out.userid)}:`);
      if (password === null) return null;
      out.password = password;
    }
    return out;
  }

  private build(name: string, args: ParsedArgs, ctx: BuildContext): ClientMessage {
    switch (name) {
      case 'acc':
        return accMsg(args, ctx);
      case 'login':
        return loginMsg(args, ctx);
      case 'sub':
        return subMsg(args, ctx);
      case 'leave':
        return leaveMsg(args, ctx);
      case 'pub':
        return pubMsg(args, ctx);
      case 'get':
        return getMsg(args, ctx);
      case 'set':
        return setMsg(args, ctx, (m) => this.ui.err(`warning: ${m}`));
      case 'del':
        return delMsg(args, ctx);
      case 'note':
        return noteMsg(args, ctx);
      default:
        throw new CommandError(`${name}: not a server command`);
    }
  }

  private async server(name: string, words: string[], mode: Mode, varname: string | null, line: string): Promise<void> {
    const parsed = this.parse(SERVER_COMMANDS[name]!, words, mode);
    if (!parsed) return;
    const args = await this.complete(name, this.deref(parsed));
    if (!args) {
      this.fail(mode, `${name}: cancelled`);
      return;
    }
    if (name === 'file' || name === 'upload') {
      this.echo(line);
      const output = typeof args.output === 'string' ? args.output : undefined;
      await this.transfer(name === 'upload' ? 'http' : 'grpc', name === 'upload' ? 'up' : String(args.what), String(args.filename), output, mode, varname);
      return;
    }
    const msg = this.build(name, args, this.buildContext());
    this.echo(line);
    if (name === 'login' || name === 'acc') this.watchLogin(msg.id);
    if (mode === 'async' || !msg.id) {
      this.send(msg);
      return;
    }
    const parts = msg.type === 'get' ? msg.body.what.split(' ').length : msg.type === 'sub' && msg.body.get ? 1 + msg.body.get.what.split(' ').length : 1;
    const p = await this.request(msg, parts);
    if (!p.first) {
      if (this.alive) this.fail(mode, `Timeout while waiting for '${name}' response`);
      return;
    }
    if (varname) {
      // As the reference: the first reply ({ctrl} or {meta}); for {get}, all its {meta} parts.
      const first = 'ctrl' in p.first ? p.first.ctrl : 'meta' in p.first ? p.first.meta : p.first;
      this.vars.set(varname, msg.type === 'get' ? (p.merged ?? first) : first);
    }
    if (p.failure && mode === '.must') {
      this.fail(mode, `'${line.trim()}' failed: ${p.failure.code} ${p.failure.text ?? ''}`.trimEnd());
    }
  }

  private echo(line: string): void {
    if (!this.ui.interactive) {
      this.ui.out(this.ui.c.cyan(`=> ${line.trim()}`));
    }
  }

  /**
   * `file` over gRPC (`LargeFileReceive` / `LargeFileServe`, as tn-cli), and `upload` over HTTP to
   * `--web-host` (tn-cli's older command).
   */
  private async transfer(how: 'grpc' | 'http', what: string, filename: string, output: string | undefined, mode: Mode, varname: string | null): Promise<void> {
    let result: FileResult;
    if (how === 'http') {
      result = await uploadFile(filename, { webHost: this.opts.webHost, ssl: this.opts.ssl, ca: this.opts.ca, apiKey: this.opts.apiKey, token: this.authToken, userAgent: this.userAgent, id: this.newId() });
    } else if (!this.conn) {
      result = { code: 503, text: 'not connected' };
    } else {
      const opts = { token: this.authToken, id: this.newId() };
      result = what === 'up' ? await grpcUploadFile(this.conn.rpc, filename, opts) : await grpcDownloadFile(this.conn.rpc, filename, output, opts);
    }
    const label = what === 'up' ? 'Upload' : 'Download';
    const ctrl: CtrlMsg = { code: result.code, text: result.text, ts: new Date(), ...(result.params ? { params: result.params } : {}) };
    this.ui.out(`${label}: ${formatCtrl(this.ui.c, ctrl)}`);
    if (result.params?.url !== undefined) this.ui.out(`   url: ${show(result.params.url)}`);
    if (varname) this.vars.set(varname, ctrl);
    if (result.code >= 400 && mode === '.must') {
      const where = how === 'http' ? `the web server at ${this.opts.webHost}` : `the server at ${this.opts.host}`;
      const hint = result.code === 404 || result.code === 501 ? ` (does ${where} store files?)` : '';
      this.fail(mode, `${label} of '${filename}' failed: ${result.code} ${result.text}${hint}`);
    }
  }

  private async macro(macro: MacroDefinition, words: string[], mode: Mode, varname: string | null, line: string): Promise<void> {
    const parsed = this.parse(macroSpec(macro), words, mode);
    if (!parsed) return;
    const args = await this.complete(macro.name, this.deref(parsed));
    if (!args) {
      this.fail(mode, `${macro.name}: cancelled`);
      return;
    }
    let lines: readonly string[] | null | undefined;
    try {
      lines = macro.expand(args, { varname: varname ?? '$temp', defaultUser: this.defaultUser ?? '', quote: quoteWord });
    } catch (err) {
      throw new CommandError(err instanceof Error ? err.message : String(err));
    }
    if (!lines || lines.length === 0) {
      if (!lines) this.fail(mode, `${macro.name}: nothing to do`);
      return;
    }
    if (args.explain === true) {
      lines.forEach((l) => this.ui.out(l));
      return;
    }
    this.echo(line);
    // Plain commands of the expansion are waited for as the macro was.
    const prefix = mode === 'async' ? '' : `${mode} ${varname ?? ''}`.trimEnd() + ' ';
    this.queue.unshift(...lines.map((l) => (l.trimStart().startsWith('.') ? l : prefix + l)));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
