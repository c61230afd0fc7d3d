import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A certificate in the cache folder, with the files the HTTPS and gRPC listeners read. */
export interface CachedCertificate {
  certFile: string;
  keyFile: string;
  /** Upper-case hex, as X509Certificate gives it. */
  serial: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
}

/** Which directory issued the certificate beside it (a switch from staging to production orders again). */
interface Meta {
  directory_url: string;
  domains: string[];
}

/**
 * The `tls.autocert.cache` folder: one account key per ACME directory
 * (`account-<directory host>.key`), and for the certificate, named by its first domain,
 * `<domain>.crt` (the chain, leaf first), `<domain>.key` and `<domain>.json` (the directory it came
 * from). Keys are written readable by the owner only; every file is replaced by a rename, so a
 * reader never sees half of one.
 */
export class AcmeCache {
  readonly certFile: string;
  readonly keyFile: string;
  readonly #metaFile: string;
  readonly #accountFile: string;

  constructor(
    readonly folder: string,
    private readonly directoryUrl: string,
    private readonly domains: readonly string[],
  ) {
    const name = domains[0] ?? 'certificate';
    this.certFile = join(folder, `${name}.crt`);
    this.keyFile = join(folder, `${name}.key`);
    this.#metaFile = join(folder, `${name}.json`);
    this.#accountFile = join(folder, `account-${new URL(directoryUrl).host.replace(/[^A-Za-z0-9.-]/g, '_')}.key`);
  }

  /** Creates the folder (owner only) if missing; throws with the folder's name when that fails. */
  prepare(): void {
    try {
      mkdirSync(this.folder, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new Error(`ACME: cannot create the cache folder ${this.folder} (${errText(err)}): create it, writable by this user, or change tls.autocert.cache`);
    }
  }

  /** The account key for this directory, or null before the first order. */
  accountKey(): Buffer | null {
    return readOrNull(this.#accountFile);
  }

  saveAccountKey(pem: Buffer): void {
    replaceFile(this.#accountFile, pem, 0o600);
  }

  /**
   * The cached certificate when it can serve: its key fits, it names every configured domain, it
   * came from the configured directory and has not expired. Otherwise the reason it cannot.
   */
  load(now = new Date()): { cert: CachedCertificate } | { missing: string } {
    const certPem = readOrNull(this.certFile);
    const keyPem = readOrNull(this.keyFile);
    if (!certPem || !keyPem) {
      return { missing: `no certificate in ${this.folder} yet` };
    }
    let x509: X509Certificate;
    try {
      x509 = new X509Certificate(certPem);
      if (!x509.checkPrivateKey(createPrivateKey(keyPem))) {
        return { missing: `${this.keyFile} is not the key of ${this.certFile}` };
      }
    } catch (err) {
      return { missing: `${this.certFile} or its key does not load (${errText(err)})` };
    }
    const meta = readMeta(this.#metaFile);
    if (meta?.directory_url !== this.directoryUrl) {
      return { missing: `the cached certificate is from ${meta?.directory_url ?? 'an unknown directory'}, not ${this.directoryUrl}` };
    }
    const absent = this.domains.filter((d) => x509.checkHost(d, { wildcards: false }) === undefined);
    if (absent.length > 0) {
      return { missing: `the cached certificate does not name ${absent.join(', ')}` };
    }
    const cert = describe(x509, this.certFile, this.keyFile);
    if (cert.notAfter <= now) {
      return { missing: `the cached certificate expired on ${cert.notAfter.toISOString()}` };
    }
    return { cert };
  }

  /** Writes a new certificate (chain PEM) and its key; the key goes first, so a pair read later fits. */
  save(chainPem: string, keyPem: Buffer): CachedCertificate {
    const x509 = new X509Certificate(chainPem);
    const certTmp = `${this.certFile}.new`;
    const keyTmp = `${this.keyFile}.new`;
    writeFileSync(certTmp, chainPem, { mode: 0o644 });
    writeFileSync(keyTmp, keyPem, { mode: 0o600 });
    renameSync(keyTmp, this.keyFile);
    renameSync(certTmp, this.certFile);
    const meta: Meta = { directory_url: this.directoryUrl, domains: [...this.domains] };
    replaceFile(this.#metaFile, Buffer.from(JSON.stringify(meta, null, 2) + '\n'), 0o644);
    return describe(x509, this.certFile, this.keyFile);
  }
}

function describe(x509: X509Certificate, certFile: string, keyFile: string): CachedCertificate {
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(x509.issuer)?.[1];
  return { certFile, keyFile, serial: x509.serialNumber, issuer: cn ?? x509.issuer, notBefore: new Date(x509.validFrom), notAfter: new Date(x509.validTo) };
}

function readMeta(path: string): Meta | null {
  const text = readOrNull(path);
  if (!text) return null;
  try {
    const v = JSON.parse(text.toString('utf8')) as Partial<Meta>;
    return typeof v.directory_url === 'string' ? { directory_url: v.directory_url, domains: Array.isArray(v.domains) ? v.domains : [] } : null;
  } catch {
    return null;
  }
}

function readOrNull(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`ACME: cannot read ${path} (${errText(err)}): make the cache folder readable by this user`);
  }
}

function replaceFile(path: string, data: Buffer, mode: number): void {
  const tmp = `${path}.new`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, path);
}

export function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
