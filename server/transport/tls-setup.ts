import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { ConfigError } from '../../src/config/errors.js';
import type { TinodeConfig } from '../../src/config/schema.js';
import { Autocert, type AutocertTimings } from '../acme/autocert.js';
import { autocertSettings, type AutocertSettings } from '../acme/settings.js';
import type { Logger } from '../log/log.js';
import { createRedirectServer, listen } from './http.js';
import { TlsReloader, type TlsFiles } from './tls-reload.js';

/** Where the certificate comes from, decided from the `tls` section before anything starts. */
export type TlsPlan = { kind: 'files'; files: TlsFiles; redirect: string } | { kind: 'acme'; settings: AutocertSettings; redirect: string };

export interface TlsTimings extends AutocertTimings {
  /** How often the certificate files are checked for changes. */
  watchMs: number;
}

/**
 * Checks the `tls` section (null when TLS is off), each refusal a {@link ConfigError} naming the
 * key: certificate files (`cert_file` and `key_file`, preferred when set), or else certificates
 * from an ACME CA (`autocert`), which needs `http_redirect` for its HTTP-01 challenges.
 */
export function planTls(config: TinodeConfig, log: Logger): TlsPlan | null {
  const tls = config.tls;
  if (!tls.enabled) return null;
  if (tls.http_redirect && (tls.http_redirect.startsWith('unix:') || config.listen.startsWith('unix:'))) {
    throw new ConfigError('tls.http_redirect', 'a redirect from or to a unix socket', 'a TCP address such as ":80" (and "listen" on TCP)');
  }
  if (tls.cert_file && tls.key_file) {
    if (tls.autocert) log.warn('tls: tls.cert_file and tls.key_file are set, so tls.autocert is not used (remove them to get certificates from the ACME CA)');
    return { kind: 'files', files: { certFile: tls.cert_file, keyFile: tls.key_file }, redirect: tls.http_redirect };
  }
  if (tls.autocert && !tls.cert_file && !tls.key_file) {
    return { kind: 'acme', settings: autocertSettings(tls, tls.autocert), redirect: tls.http_redirect };
  }
  throw new ConfigError(tls.cert_file ? 'tls.key_file' : 'tls.cert_file', 'missing while tls.enabled is true', 'the path of a PEM file (or tls.autocert for certificates from an ACME CA, or tls.enabled: false)');
}

/**
 * TLS for the client listener and gRPC: the certificate files (an operator's, or those ACME keeps
 * in its cache folder), the plain-HTTP listener of `tls.http_redirect` (ACME's challenges, then a
 * redirect to HTTPS), reloads when the files change or on `SIGHUP`, and ACME renewals.
 */
export class TlsSetup {
  #reloader: TlsReloader | null = null;

  private constructor(
    /** The PEM files HTTPS and gRPC read. */
    readonly files: TlsFiles,
    /** The HTTPS port the redirect points at, 0 until HTTPS listens. */
    private readonly httpsPort: { value: number },
    private readonly redirect: Server | null,
    private readonly autocert: Autocert | null,
    private readonly log: Logger,
    private readonly timings: TlsTimings,
  ) {}

  /**
   * Starts the plain-HTTP listener (if configured) and, with ACME, gets a certificate: the cached
   * one or one ordered now, its challenges answered on that listener. Throws, with what to
   * change, when either fails; nothing is left listening then.
   */
  static async start(plan: TlsPlan, log: Logger, timings: TlsTimings): Promise<TlsSetup> {
    const autocert = plan.kind === 'acme' ? new Autocert(plan.settings, log, timings) : null;
    const httpsPort = { value: 0 };
    let redirect: Server | null = null;
    if (plan.redirect) {
      redirect = createRedirectServer(() => httpsPort.value, autocert ? (req, res) => autocert.challenges.handle(req, res) : undefined);
      try {
        const at = await listen(redirect, plan.redirect);
        if (autocert) log.info(`ACME: HTTP-01 challenges answered at ${at} (tls.http_redirect)`);
      } catch (err) {
        throw new Error(`cannot listen on "${plan.redirect}": ${(err as Error).message} (change "tls.http_redirect")`);
      }
    }
    let files: TlsFiles = plan.kind === 'files' ? plan.files : { certFile: '', keyFile: '' };
    if (autocert) {
      try {
        const cert = await autocert.ensure();
        files = { certFile: cert.certFile, keyFile: cert.keyFile };
      } catch (err) {
        redirect?.close();
        throw err;
      }
    }
    return new TlsSetup(files, httpsPort, redirect, autocert, log, timings);
  }

  /**
   * Once the HTTPS server listens at `url`: the redirect points at its port, the files are
   * watched, and ACME renewals start (each swapped into the running server at once; gRPC reads
   * the files again within `watchMs`).
   */
  serve(server: HttpsServer, url: string): void {
    this.httpsPort.value = Number(new URL(url).port || 443);
    if (this.redirect) {
      const a = this.redirect.address();
      const from = a && typeof a === 'object' ? `${a.address}:${a.port}` : String(a);
      this.log.info(`redirecting HTTP at ${from} to HTTPS at ${url}`);
    }
    this.#reloader = new TlsReloader(server, this.files, this.log, this.timings.watchMs);
    this.autocert?.startRenewal(() => this.#reloader?.reload('renewed by ACME'));
  }

  /** Reads the certificate files again (`SIGHUP`); false when they do not load. */
  reload(): boolean {
    return this.#reloader?.reload() ?? false;
  }

  /** The certificate ACME keeps (tests look at its serial); null with certificate files. */
  get acmeCertificate(): { serial: string } | null {
    return this.autocert?.current ?? null;
  }

  stop(): void {
    this.autocert?.stop();
    this.#reloader?.stop();
    this.redirect?.close();
  }
}
