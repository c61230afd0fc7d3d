import type { Logger } from '../log/log.js';
import { AcmeCache, errText, type CachedCertificate } from './cache.js';
import { Http01Challenges } from './challenges.js';
import { newPrivateKey, orderCertificate } from './order.js';
import type { AutocertSettings } from './settings.js';

/** The longest a timer waits at once (setTimeout's limit is ~24.8 days); renewal is checked again then. */
const MAX_TIMER_MS = 12 * 60 * 60 * 1000;

export interface AutocertTimings {
  /** A certificate is renewed once less than this share of its lifetime remains. @default 1/3 */
  renewShare: number;
  /** After a failed order, the wait before the next; also the least time between two orders. @default 1 hour */
  retryMs: number;
}

export const DEFAULT_AUTOCERT_TIMINGS: AutocertTimings = { renewShare: 1 / 3, retryMs: 60 * 60 * 1000 };

/**
 * Certificates from an ACME CA for `tls.autocert`: {@link ensure} gives the files of a usable
 * certificate, the cached one or one ordered then; {@link startRenewal} orders a new one when
 * less than `renewShare` of its lifetime remains, writes it over the files and says so (the
 * listeners read the files again). A failed renewal keeps the certificate in use and tries again
 * after `retryMs`, with a warning each time.
 */
export class Autocert {
  /** The HTTP-01 challenges in progress, answered by the plain-HTTP listener. */
  readonly challenges = new Http01Challenges();
  readonly #cache: AcmeCache;
  #current: CachedCertificate | null = null;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  /** When the last order was made (ms since the epoch), 0 before any. */
  #lastOrder = 0;
  #renewed: () => void = () => undefined;

  constructor(
    private readonly settings: AutocertSettings,
    private readonly log: Logger,
    private readonly timings: AutocertTimings = DEFAULT_AUTOCERT_TIMINGS,
  ) {
    this.#cache = new AcmeCache(settings.cache, settings.directoryUrl, settings.domains);
  }

  /** The certificate in use (null before {@link ensure}). */
  get current(): CachedCertificate | null {
    return this.#current;
  }

  /**
   * The cached certificate if it can serve, else a new one ordered now (the challenge listener
   * must be up). Throws, saying what to check, when the CA does not issue one.
   */
  async ensure(): Promise<CachedCertificate> {
    this.#cache.prepare();
    const cached = this.#cache.load();
    if ('cert' in cached) {
      this.log.info(`ACME: using the cached certificate for ${this.#names()} (serial ${cached.cert.serial}, valid until ${cached.cert.notAfter.toISOString()}, renewed from ${this.#renewAt(cached.cert).toISOString()})`);
      this.#current = cached.cert;
      return cached.cert;
    }
    this.log.info(`ACME: ${cached.missing}`);
    try {
      this.#current = await this.#order();
    } catch (err) {
      throw new Error(`ACME: cannot get a certificate for ${this.#names()} from ${this.settings.directoryUrl}: ${errText(err)}. ${this.#advice()}`);
    }
    return this.#current;
  }

  /** Starts the renewal timer; `renewed` runs after a new certificate is written over the files. */
  startRenewal(renewed: () => void): void {
    this.#renewed = renewed;
    if (this.#current) this.#schedule(this.#current);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #order(): Promise<CachedCertificate> {
    this.log.info(`ACME: ordering a certificate for ${this.#names()} from ${this.settings.directoryUrl}`);
    this.#lastOrder = Date.now();
    let accountKey = this.#cache.accountKey();
    if (!accountKey) {
      accountKey = await newPrivateKey(this.log);
      this.#cache.saveAccountKey(accountKey);
      this.log.info(`ACME: new account key in ${this.#cache.folder} (the CA creates the account on the first order)`);
    }
    const { directoryUrl, directoryCa, email, domains } = this.settings;
    const issued = await orderCertificate({ directoryUrl, directoryCa, accountKey, email, domains, challenges: this.challenges, log: this.log });
    if (this.#stopped) {
      throw new Error('the server stopped during the order');
    }
    const cert = this.#cache.save(issued.chain, issued.key);
    this.log.info(`ACME: certificate for ${this.#names()} issued by ${cert.issuer} (serial ${cert.serial}, valid until ${cert.notAfter.toISOString()}), saved in ${this.#cache.folder}`);
    return cert;
  }

  #renewAt(cert: CachedCertificate): Date {
    const life = cert.notAfter.getTime() - cert.notBefore.getTime();
    return new Date(cert.notAfter.getTime() - life * this.timings.renewShare);
  }

  /** Checks again when the certificate is due, but not sooner than `retryMs` after the last order. */
  #schedule(cert: CachedCertificate): void {
    if (this.#stopped) return;
    const now = Date.now();
    const wait = Math.min(Math.max(this.#renewAt(cert).getTime() - now, this.#lastOrder + this.timings.retryMs - now, 0), MAX_TIMER_MS);
    this.#timer = setTimeout(() => void this.#renew(), wait);
    this.#timer.unref();
  }

  async #renew(): Promise<void> {
    this.#timer = null;
    const cert = this.#current;
    if (this.#stopped || !cert) return;
    if (this.#renewAt(cert).getTime() > Date.now() || this.#lastOrder + this.timings.retryMs > Date.now()) {
      this.#schedule(cert);
      return;
    }
    try {
      const fresh = await this.#order();
      this.#current = fresh;
      this.#renewed();
      this.#schedule(fresh);
    } catch (err) {
      if (this.#stopped) return;
      const minutes = Math.round(this.timings.retryMs / 60_000);
      this.log.warn(
        `ACME: cannot renew the certificate for ${this.#names()}: ${errText(err)}; the one in use is valid until ${cert.notAfter.toISOString()}, trying again in ${minutes} minutes. ${this.#advice()}`,
      );
      this.#schedule(cert);
    }
  }

  #names(): string {
    return this.settings.domains.join(', ');
  }

  #advice(): string {
    return (
      `Check that ${this.#names()} resolve${this.settings.domains.length > 1 ? '' : 's'} to this server, that port 80 reaches tls.http_redirect from the internet, ` +
      `and that tls.autocert.directory_url (with tls.autocert.ca_file for a private CA) is right; a CA's rate limit needs waiting.`
    );
  }
}
