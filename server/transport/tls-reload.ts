import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import { createSecureContext } from 'node:tls';
import type { Logger } from '../log/log.js';

/** The PEM files of the server's certificate and its key. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/**
 * Keeps an HTTPS server's certificate current: when either file changes (a renewal by certbot,
 * cert-manager, an operator) or on {@link reload} (`SIGHUP`), both are read again and, if they
 * make a valid pair, new connections get them; connections already open keep theirs. A pair that
 * does not load leaves the one in use in place, with a warning.
 */
export class TlsReloader {
  #timer: NodeJS.Timeout | null = null;
  /** The pair last loaded, so that a change already taken (by an explicit reload) is not taken twice. */
  #inUse: { cert: Buffer; key: Buffer } | null = null;
  readonly #onChange = () => {
    // The certificate and the key are often written one after the other: wait for both.
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.reload('the files changed', true);
    }, 200);
    this.#timer.unref();
  };

  constructor(
    private readonly server: HttpsServer,
    private readonly files: TlsFiles,
    private readonly log: Logger,
    intervalMs: number,
  ) {
    for (const f of [files.certFile, files.keyFile]) {
      watchFile(f, { interval: intervalMs, persistent: false }, (cur, prev) => {
        if (cur.mtimeMs !== prev.mtimeMs || cur.size !== prev.size) this.#onChange();
      });
    }
  }

  /**
   * Reads the files again; true when the server now uses them. With `ifChanged`, a pair equal to
   * the one last loaded is left as it is, quietly.
   */
  reload(why = 'asked to', ifChanged = false): boolean {
    try {
      const cert = readFileSync(this.files.certFile);
      const key = readFileSync(this.files.keyFile);
      if (ifChanged && this.#inUse?.cert.equals(cert) && this.#inUse.key.equals(key)) {
        return true;
      }
      // Throws on a key that does not fit the certificate, or on files that are not PEM.
      createSecureContext({ cert, key });
      this.server.setSecureContext({ cert, key });
      this.#inUse = { cert, key };
      this.log.info(`tls: certificate reloaded from ${this.files.certFile} (${why})`);
      return true;
    } catch (err) {
      this.log.warn(`tls: cannot reload the certificate from ${this.files.certFile} and ${this.files.keyFile}: ${err instanceof Error ? err.message : String(err)}; keeping the one in use`);
      return false;
    }
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    for (const f of [this.files.certFile, this.files.keyFile]) unwatchFile(f);
  }
}
