import { Agent } from 'node:https';
import type { Logger } from '../log/log.js';
import type { Http01Challenges } from './challenges.js';

/** How long one request to the ACME directory may take before the order fails. */
const REQUEST_TIMEOUT_MS = 30_000;

/** What an order needs. */
export interface OrderRequest {
  directoryUrl: string;
  /** CA certificates to trust for the directory's HTTPS; undefined for the system's. */
  directoryCa: Buffer | undefined;
  /** The account key (PEM); the account is created with it on first use, found again after. */
  accountKey: Buffer;
  email: string;
  domains: readonly string[];
  challenges: Http01Challenges;
  log: Logger;
}

/** A certificate chain (PEM, leaf first) and its new private key. */
export interface Issued {
  chain: string;
  key: Buffer;
}

/** acme-client, loaded on first use: a server without ACME never loads it (nor axios, nor its crypto). */
type AcmeClient = typeof import('acme-client');
let loaded: Promise<AcmeClient> | null = null;

async function acmeClient(log: Logger): Promise<AcmeClient> {
  loaded ??= import('acme-client').then((acme) => {
    acme.setLogger((text) => log.debug(`acme-client: ${text}`));
    return acme;
  });
  return loaded;
}

/** A new private key for an account or a certificate: ECDSA P-256, PKCS #8 PEM. */
export async function newPrivateKey(log: Logger): Promise<Buffer> {
  const acme = await acmeClient(log);
  return acme.crypto.createPrivateEcdsaKey('P-256');
}

/**
 * Orders a certificate for `domains` from the directory, agreeing to its terms of service, and
 * proves control of each domain with HTTP-01: the key authorization is put in `challenges` for the
 * plain-HTTP listener to answer while the CA validates, and taken out after. Throws with the CA's
 * reason when an order fails.
 */
export async function orderCertificate(req: OrderRequest): Promise<Issued> {
  const acme = await acmeClient(req.log);
  // acme-client sends every request through its one axios instance: the CA to trust and the
  // timeout are set there, before each order (one server per process orders from one directory).
  acme.axios.defaults.httpsAgent = req.directoryCa ? new Agent({ ca: req.directoryCa, keepAlive: false }) : undefined;
  acme.axios.defaults.timeout = REQUEST_TIMEOUT_MS;
  const client = new acme.Client({ directoryUrl: req.directoryUrl, accountKey: req.accountKey, backoffAttempts: 10, backoffMin: 1000, backoffMax: 10_000 });
  const key = await acme.crypto.createPrivateEcdsaKey('P-256');
  const [, csr] = await acme.crypto.createCsr({ commonName: req.domains[0], altNames: [...req.domains] }, key);
  const chain = await client.auto({
    csr,
    email: req.email || undefined,
    termsOfServiceAgreed: true,
    challengePriority: ['http-01'],
    // acme-client would fetch the challenge itself from port 80 first; the CA's own check is the one that counts.
    skipChallengeVerification: true,
    challengeCreateFn: async (authz, challenge, keyAuthorization) => {
      if (challenge.type !== 'http-01') {
        throw new Error(`the CA offers no HTTP-01 challenge for ${authz.identifier.value} (only ${challenge.type}), and HTTP-01 is the only one this server answers`);
      }
      req.log.info(`ACME: answering the HTTP-01 challenge for ${authz.identifier.value} on tls.http_redirect`);
      req.challenges.add(challenge.token, keyAuthorization);
    },
    challengeRemoveFn: async (_authz, challenge) => {
      if (challenge.type === 'http-01') req.challenges.remove(challenge.token);
    },
  });
  return { chain, key };
}
