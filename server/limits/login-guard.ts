import { FailureThrottle } from './failure-throttle.js';

/** How many failed logins are allowed before attempts wait, and the longest wait. */
export interface LoginGuardOptions {
  /** Failures of one login name (`limits.login_failures`). */
  perLogin: number;
  /** Failures from one client address (`limits.login_failures_per_address`). */
  perAddress: number;
  /** The longest wait, ms (`limits.login_lockout`). */
  maxWaitMs: number;
}

/** How often forgotten failures are swept out. */
const SWEEP_MS = 60_000;

/**
 * Throttles password guessing: failed logins are counted per login name and per client address,
 * and past the allowance an attempt waits, longer with each failure (see {@link FailureThrottle}).
 * Guessing one account from many addresses meets the per-login count; guessing many accounts from
 * one address meets the per-address count.
 */
export class LoginGuard {
  private readonly byLogin: FailureThrottle;
  private readonly byAddress: FailureThrottle;
  private readonly timer: NodeJS.Timeout;

  constructor(opts: LoginGuardOptions) {
    this.byLogin = new FailureThrottle({ allowed: opts.perLogin, maxWaitMs: opts.maxWaitMs });
    this.byAddress = new FailureThrottle({ allowed: opts.perAddress, maxWaitMs: opts.maxWaitMs });
    this.timer = setInterval(() => {
      this.byLogin.sweep();
      this.byAddress.sweep();
    }, SWEEP_MS);
    this.timer.unref();
  }

  /** Milliseconds before an attempt from `address` (for `login`, when known) may be tried; 0: now. */
  waitMs(address: string, login: string | null): number {
    return Math.max(this.byAddress.waitMs(address), login === null ? 0 : this.byLogin.waitMs(login));
  }

  failed(address: string, login: string | null): void {
    this.byAddress.fail(address);
    if (login !== null) this.byLogin.fail(login);
  }

  /** A successful login forgets the login name's failures (not the address's). */
  succeeded(login: string | null): void {
    if (login !== null) this.byLogin.succeed(login);
  }

  close(): void {
    clearInterval(this.timer);
  }
}
