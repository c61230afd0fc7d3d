import { readFileSync } from 'node:fs';
import { ConfigError } from '../../src/config/errors.js';
import type { TinodeConfig } from '../../src/config/schema.js';

/** The `tls.autocert` section, checked against the rest of `tls`, with its CA file read. */
export interface AutocertSettings {
  /** Folder of the account key and the certificates. */
  cache: string;
  /** Contact address for the CA; '' for none. */
  email: string;
  /** The names of the certificate, the first one naming its files. */
  domains: string[];
  directoryUrl: string;
  /** PEM certificates to trust for the directory's HTTPS (a private CA), or undefined for the system's. */
  directoryCa: Buffer | undefined;
}

type AutocertSection = NonNullable<TinodeConfig['tls']['autocert']>;

/**
 * Checks what ACME needs before anything starts, each refusal a {@link ConfigError} naming the key:
 * at least one domain, a cache folder, and `tls.http_redirect`, the plain-HTTP listener where the
 * CA's HTTP-01 validation arrives (port 80 for a public CA).
 */
export function autocertSettings(tls: TinodeConfig['tls'], autocert: AutocertSection): AutocertSettings {
  if (autocert.domains.length === 0) {
    throw new ConfigError('tls.autocert.domains', 'empty', 'the domain names to get a certificate for, such as ["chat.example.com"] (or tls.cert_file and tls.key_file)');
  }
  if (autocert.cache === '') {
    throw new ConfigError('tls.autocert.cache', 'empty', 'a folder to keep the ACME account key and the certificates in, such as "/var/lib/tinode/acme"');
  }
  if (tls.http_redirect === '') {
    throw new ConfigError(
      'tls.http_redirect',
      'empty while tls.autocert is used: the CA validates the domains over plain HTTP (ACME HTTP-01)',
      '":80" (the CA connects to port 80 of each domain)',
    );
  }
  return {
    cache: autocert.cache,
    email: autocert.email,
    domains: [...new Set(autocert.domains.map((d) => d.toLowerCase()))],
    directoryUrl: autocert.directory_url,
    directoryCa: autocert.ca_file ? readCaFile(autocert.ca_file) : undefined,
  };
}

function readCaFile(path: string): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (err) {
    throw new ConfigError('tls.autocert.ca_file', `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, 'a readable PEM file of CA certificates, or "" to trust the system\'s');
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError('tls.autocert.ca_file', `no PEM certificate in ${path}`, 'a PEM file of CA certificates, or "" to trust the system\'s');
  }
  return pem;
}
