import { GrpcConn, LpConn, WsConn, type FuzzConn, type TransportName } from './conns.js';
import { Findings, opKind } from './findings.js';
import { MessageFactory } from './messages.js';
import { JsonMutator } from './mutate-json.js';
import { ProtoMutator } from './mutate-proto.js';
import { encodeClient, type PbObj, type Reply } from './proto.js';
import type { Rng } from './rng.js';
import { findSent, listFrames, rawFrame, replyContext, sentProto, sentText, stuckAt, type Burst, type RawFrame, type Sent } from './sent.js';
import type { Role, World } from './world.js';

/**
 * One fuzz session slot: opens a session over its transport as its role (a sample user, a client
 * that said `{hi}` only, or a bare connection), sends its share of frames in pipelined bursts,
 * and after each burst a closing request that must be answered unless the server closed the
 * connection. A closed session is replaced by a new one (a new generation, with its own
 * generator, so the frames do not depend on timing); a session that went silent is kept aside
 * to be probed again at the end.
 */

export interface SlotSpec {
  /** "ws0", "grpc2": the label of its generator and of its request ids. */
  name: string;
  transport: TransportName;
  role: Role;
  /** Frames to send over the whole run. */
  frames: number;
  /** Offer permessage-deflate (websocket). */
  deflate: boolean;
}

export type { RawFrame } from './sent.js';

export interface SlotEnv {
  host: string;
  grpcAddr: string;
  world: World;
  rng: Rng;
  findings: Findings;
  maxMessageSize: number;
  /** How long a burst's closing request may wait for its answer. */
  answerTimeoutMs: number;
  /** True once the run must stop (the server is gone). */
  stopped(): boolean;
  /** Called with every frame sent, when a run is traced. */
  trace?: ((frame: RawFrame) => void) | undefined;
}

/**
 * 5xx answers that are part of the protocol, as in the reference: 501 (calls turned off,
 * schemes the store does not support), 503 (a topic being deleted or unloaded) and
 * 505 (a client version it does not speak). Any other 5xx is a server failure.
 */
const PROTOCOL_5XX = new Set([501, 503, 505]);

/** Bursts a session may have in flight: the next one is sent while the last is answered. */
const WINDOW = 2;

function timeout(ms: number): { promise: Promise<'timeout'>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  return { promise, cancel: () => clearTimeout(timer) };
}

export class FuzzSlot {
  sent = 0;
  bursts = 0;
  replies = 0;
  generations = 0;
  /** How long the slot took to send its frames and have them answered (ms). */
  durationMs = 0;
  /** How the server ended this slot's sessions, by reason. */
  readonly closes = new Map<string, number>();
  private conn: FuzzConn | null = null;
  private loggedIn = false;
  /** Sessions that stopped answering, kept open to be probed again at the end. */
  private readonly silent: { conn: FuzzConn; loggedIn: boolean; lastBurst: Sent[] }[] = [];
  private readonly waiters = new Map<string, (r: Reply) => void>();
  /** The frames of the bursts in flight (at most {@link WINDOW}), oldest first, by request id. */
  private inFlight: Burst[] = [];
  private lastBurst: Sent[] = [];
  private seq = 0;

  constructor(
    readonly spec: SlotSpec,
    private readonly env: SlotEnv,
  ) {}

  /** Sends the slot's frames; returns when they are all sent and answered, or the server is gone. */
  async run(): Promise<void> {
    const start = performance.now();
    try {
      await this.sendAll();
    } finally {
      this.durationMs = performance.now() - start;
    }
  }

  private async sendAll(): Promise<void> {
    while (this.sent < this.spec.frames && !this.env.stopped()) {
      const rng = this.env.rng.fork(`${this.spec.name}/${this.generations}`);
      const conn = await this.open(rng);
      this.generations++;
      if (!conn) return;
      this.conn = conn;
      const outcome = await this.fuzz(conn, rng);
      if (outcome === 'silent') {
        this.silent.push({ conn, loggedIn: this.loggedIn, lastBurst: this.lastBurst });
        this.conn = null;
      } else if (outcome === 'closed') {
        // One line per kind of close: sizes and bodies with timestamps taken out.
        const how = (conn.closedBy ?? 'closed').replace(/\(\d+ vs \d+\)/, '(over the limit)').replace(/ \{.*$/, '');
        this.closes.set(how, (this.closes.get(how) ?? 0) + 1);
        this.conn = null;
      }
    }
  }

  private async open(rng: Rng): Promise<FuzzConn | null> {
    const { name, transport } = this.spec;
    let conn: FuzzConn;
    try {
      conn =
        transport === 'ws' ? await WsConn.open(this.env.host, this.spec.deflate) : transport === 'lp' ? await LpConn.open(this.env.host) : new GrpcConn(this.env.grpcAddr);
    } catch (err) {
      if (!this.env.stopped()) this.env.findings.add('session setup', `${transport}: cannot connect`, () => String(err));
      return null;
    }
    conn.onReply = (r) => this.onReply(conn, r);
    this.loggedIn = false;
    const role = this.spec.role;
    if (role.kind === 'raw') return conn;
    const hi = await this.ask(conn, { hi: { id: '~hi', ver: '0.25.3', ua: 'tinode-fuzz/1.0' } }, 10_000);
    // One session of a sample user in five starts without logging in: the fuzzed `{login}` may
    // then log it in in the middle of the stream.
    if (role.kind === 'user' && rng.chance(0.8)) {
      const login = await this.ask(conn, { login: { id: '~login', scheme: 'token', secret: role.user.token } }, 10_000);
      this.loggedIn = login?.code === 200;
      if (!this.loggedIn && !this.env.stopped()) {
        this.env.findings.add('session setup', `${transport}: login ${role.user.login} by token: ${login ? `${login.code} ${login.text}` : 'no answer'}`, () => `slot ${name}, generation ${this.generations}`);
      }
    } else if (!hi && !this.env.stopped()) {
      this.env.findings.add('session setup', `${transport}: no answer to {hi}`, () => `slot ${name}`);
    }
    return conn;
  }

  /** A request in JSON form, sent over `conn` in its encoding. */
  private sendJson(conn: FuzzConn, msg: Record<string, Record<string, string>>): void {
    if (conn instanceof GrpcConn) {
      const pb: PbObj = {};
      for (const [type, body] of Object.entries(msg)) {
        const { what, secret, ua, ...rest } = body;
        if (type === 'get') pb.get = { ...rest, query: { what: what ?? '' } };
        else if (type === 'login') pb.login = { ...rest, secret: Buffer.from(secret ?? '', 'base64') };
        else if (type === 'hi') pb.hi = { ...rest, user_agent: ua ?? '' };
      }
      conn.send(encodeClient(pb));
    } else if (conn instanceof WsConn || conn instanceof LpConn) {
      void conn.send({ kind: 'text', text: JSON.stringify(msg) });
    }
  }

  /** Sends a request and waits for the answer with its id; null when closed or timed out. */
  private async ask(conn: FuzzConn, msg: Record<string, Record<string, string>>, ms: number): Promise<Reply | null> {
    const id = Object.values(msg)[0]?.id ?? '';
    const answered = new Promise<Reply>((resolve) => this.waiters.set(id, resolve));
    this.sendJson(conn, msg);
    const t = timeout(ms);
    const r = await Promise.race([answered, conn.gone.then(() => null), t.promise.then(() => null)]);
    t.cancel();
    this.waiters.delete(id);
    return r;
  }

  private onReply(conn: FuzzConn, r: Reply): void {
    this.replies++;
    for (const b of this.inFlight) {
      const own = b.get(r.id);
      if (own) own.answered = true;
    }
    const { transport } = this.spec;
    if (r.kind === 'unparsable') {
      this.env.findings.add('unparsable answer', `${transport}: ${r.text.slice(0, 60)}`, () => replyContext(transport, this.inFlight, r.id));
    } else if (r.code >= 500 && !PROTOCOL_5XX.has(r.code)) {
      const sent = findSent(this.inFlight, r.id);
      const what = sent ? `${sent.type} [${[...new Set(sent.ops.map(opKind))].sort().join(', ') || 'no mutation'}]` : r.id.startsWith('~') ? r.id : 'a frame without its id';
      this.env.findings.add('answer 5xx', `${transport} ${r.kind} ${r.code} ${r.text} to ${what}`, () => replyContext(transport, this.inFlight, r.id));
    }
    if (conn instanceof LpConn) {
      for (const odd of conn.oddAnswers.splice(0)) this.env.findings.add('http 5xx', `lp: ${odd.replace(/sid=[\w-]+/, 'sid=…').slice(0, 80)}`, () => odd);
    }
    this.waiters.get(r.id)?.(r);
  }

  /** One burst of `size` frames, sent without waiting. */
  private sendBurst(conn: FuzzConn, rng: Rng, size: number, factory: MessageFactory, json: JsonMutator, proto: ProtoMutator): Burst {
    const burst: Burst = new Map();
    for (let i = 0; i < size; i++) {
      const id = `${this.spec.name}.${this.generations}.${this.seq++}`;
      const valid = factory.next(id);
      this.sent++;
      if (conn instanceof GrpcConn) {
        const f = proto.frame(valid);
        conn.send(f.data);
        burst.set(id, sentProto(valid.type, f.ops, f.data, valid.msg));
      } else if (conn instanceof LpConn && rng.chance(0.015)) {
        void conn.oddity(rng.int(0, 5));
      } else if (conn instanceof WsConn || conn instanceof LpConn) {
        const f = json.frame(valid.msg);
        void conn.send(f.frame);
        burst.set(id, sentText(valid.type, f.ops, f.frame));
      }
    }
    if (this.env.trace) {
      const at = Math.round(performance.now());
      for (const sent of burst.values()) this.env.trace(rawFrame(this.spec.name, this.spec.transport, sent, at));
    }
    return burst;
  }

  /**
   * Bursts until the budget is spent or the session ends; says how it ended. Up to
   * {@link WINDOW} bursts are in flight: the next one goes out while the last is answered.
   */
  private async fuzz(conn: FuzzConn, rng: Rng): Promise<'done' | 'closed' | 'silent'> {
    const { world, maxMessageSize } = this.env;
    const { transport, role } = this.spec;
    const names = [...world.uids, ...world.groups, ...world.p2p, ...world.channels, 'me', 'fnd', 'sys'];
    const factory = new MessageFactory(rng, world, role.kind === 'user' && this.loggedIn ? role.user : null, role.kind === 'user');
    const json = new JsonMutator(rng, names, maxMessageSize);
    const proto = new ProtoMutator(rng, names, role.kind !== 'user');
    const answers: Promise<Reply | null>[] = [];
    this.inFlight = [];
    for (;;) {
      if (this.sent < this.spec.frames && answers.length < WINDOW && !this.env.stopped()) {
        const size = Math.min(
          this.spec.frames - this.sent,
          rng.weighted<() => number>([
            [70, () => rng.int(1, 5)],
            [25, () => rng.int(6, 40)],
            [5, () => rng.int(41, transport === 'lp' ? 60 : 200)],
          ])(),
        );
        this.inFlight.push(this.sendBurst(conn, rng, size, factory, json, proto));
        this.bursts++;
        answers.push(this.ask(conn, { get: { id: `~b${this.bursts}`, topic: '-sync-', what: 'desc' } }, this.env.answerTimeoutMs));
        continue;
      }
      const next = answers.shift();
      if (!next) return 'done';
      const answer = await next;
      const burst = this.inFlight.shift();
      this.lastBurst = [...(burst?.values() ?? [])];
      if (answer) continue;
      if (conn.closedBy !== null || this.env.stopped()) return 'closed';
      this.env.findings.add('no answer', `${transport}: a burst's closing request unanswered for ${this.env.answerTimeoutMs} ms, the connection open`, () =>
        burst ? stuckAt(transport, burst, this.env.maxMessageSize) : replyContext(transport, this.inFlight, ''),
      );
      return 'silent';
    }
  }

  /**
   * After the fuzzing: every session still open (the current one and any that went silent)
   * must answer a known-good request. Returns the failures.
   */
  async probe(ms: number): Promise<string[]> {
    const current = this.conn && this.conn.closedBy === null ? [{ conn: this.conn, loggedIn: this.loggedIn, lastBurst: this.lastBurst }] : [];
    const open = [...current, ...this.silent.filter((s) => s.conn.closedBy === null)];
    const failures: string[] = [];
    await Promise.all(
      open.map(async ({ conn, loggedIn, lastBurst }, i) => {
        const id = `~probe${i}`;
        const msg: Record<string, Record<string, string>> = loggedIn ? { get: { id, topic: 'me', what: 'desc' } } : { hi: { id, ver: '0.25.3', ua: 'tinode-fuzz/1.0' } };
        const r = await this.ask(conn, msg, ms);
        if (r === null && conn.closedBy === null) {
          failures.push(`${this.spec.name}: no answer to ${JSON.stringify(msg)} within ${ms} ms; the last burst of that session:\n${lastBurst
            .slice(-3)
            .map((s) => s.show())
            .join('\n')}`);
        } else if (r && r.code >= 500 && !PROTOCOL_5XX.has(r.code)) {
          failures.push(`${this.spec.name}: ${JSON.stringify(msg)} answered ${r.code} ${r.text}`);
        }
      }),
    );
    return failures;
  }

  /**
   * After a crash, the suspects: the frames sent and not yet answered, else the last burst
   * answered (work a request started may outlive its answer).
   */
  private suspects(): { frames: Sent[]; pending: boolean } {
    const pending = this.inFlight.flatMap((b) => [...b.values()]);
    return pending.length > 0 ? { frames: pending, pending: true } : { frames: this.lastBurst, pending: false };
  }

  /** The suspects, shortened, for the report; '' when there are none. */
  inFlightFrames(): string {
    const { frames, pending } = this.suspects();
    if (frames.length === 0) return '';
    return `${this.spec.name} (${this.spec.transport}), ${frames.length} frames ${pending ? 'in flight' : 'in the last burst answered'}, the last ones:\n${listFrames(frames)}`;
  }

  /** The suspects as sent, to replay them. */
  suspectFrames(): RawFrame[] {
    return this.suspects().frames.map((s) => rawFrame(this.spec.name, this.spec.transport, s));
  }

  close(): void {
    this.conn?.close();
    for (const s of this.silent) s.conn.close();
  }
}
