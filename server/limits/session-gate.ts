import type { TransportKind } from '../../src/model/transport-kind.js';

/** A session as the gate sees it: it can be ended. */
export interface GatedSession {
  readonly sid: string;
  stop(): void;
}

/** Limits on opening sessions; 0 turns one off. */
export interface SessionGateOptions {
  /** Open sessions from one client address (`limits.max_sessions_per_address`). */
  perAddress: number;
  /** Open long-poll sessions in all (`limits.max_lp_sessions`). */
  longPoll: number;
  /** Time a new session has to send `{hi}`, ms (`limits.handshake_timeout`). */
  handshakeMs: number;
}

interface Admitted {
  address: string;
  kind: TransportKind;
  /** When the session is closed unless it has said `{hi}` (ms), or 0 once it has. */
  deadline: number;
}

/**
 * Who may open a session: caps sessions per client address and long-poll sessions in all, and
 * closes sessions that never say `{hi}`. Transports ask {@link admit} before they accept a
 * connection; the session host reports each session's life. One sweep a second finds silent
 * newcomers: no timer per connection.
 */
export class SessionGate {
  private readonly perAddress = new Map<string, number>();
  private readonly sessions = new Map<GatedSession, Admitted>();
  private longPoll = 0;
  private readonly timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly opts: SessionGateOptions,
    private readonly onTimeout: (sess: GatedSession, address: string) => void,
  ) {
    if (opts.handshakeMs > 0) {
      this.timer = setInterval(() => this.sweep(), Math.min(1000, opts.handshakeMs));
      this.timer.unref();
    }
  }

  /** Why a new session from `address` over `kind` is refused, or null when it may open. */
  admit(address: string, kind: TransportKind): string | null {
    if (this.opts.perAddress > 0 && (this.perAddress.get(address) ?? 0) >= this.opts.perAddress) {
      return `${address} has ${this.opts.perAddress} sessions open (limits.max_sessions_per_address)`;
    }
    if (kind === 'lp' && this.opts.longPoll > 0 && this.longPoll >= this.opts.longPoll) {
      return `${this.longPoll} long-poll sessions are open (limits.max_lp_sessions)`;
    }
    return null;
  }

  /** A session opened (after {@link admit}). */
  opened(sess: GatedSession, address: string, kind: TransportKind): void {
    const deadline = this.opts.handshakeMs > 0 ? Date.now() + this.opts.handshakeMs : 0;
    this.sessions.set(sess, { address, kind, deadline });
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    if (kind === 'lp') this.longPoll++;
  }

  /** The session said `{hi}`: it may stay. */
  greeted(sess: GatedSession): void {
    const a = this.sessions.get(sess);
    if (a) a.deadline = 0;
  }

  /** The session ended. */
  closed(sess: GatedSession): void {
    const a = this.sessions.get(sess);
    if (!a) return;
    this.sessions.delete(sess);
    const n = (this.perAddress.get(a.address) ?? 1) - 1;
    if (n > 0) this.perAddress.set(a.address, n);
    else this.perAddress.delete(a.address);
    if (a.kind === 'lp') this.longPoll--;
  }

  /** Open sessions from an address. */
  countOf(address: string): number {
    return this.perAddress.get(address) ?? 0;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [sess, a] of this.sessions) {
      if (a.deadline !== 0 && a.deadline <= now) {
        a.deadline = 0;
        this.onTimeout(sess, a.address);
      }
    }
  }
}
