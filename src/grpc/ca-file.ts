import { readFileSync } from 'node:fs';
import { CommandFailure, EXIT_USAGE } from '../term/exit.js';

/** The PEM file of `--ca-file`, read for a TLS connection; a file that cannot be read is a usage error naming it. */
export function readCaFile(path: string | undefined): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    const pem = readFileSync(path);
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new Error('no PEM certificate in it');
    }
    return pem;
  } catch (err) {
    throw new CommandFailure(`--ca-file ${path}: ${err instanceof Error ? err.message : String(err)}`, EXIT_USAGE);
  }
}
