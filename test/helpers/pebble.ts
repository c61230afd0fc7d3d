import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import { freePort } from './ports.js';

/**
 * Debian's pebble, Let's Encrypt's ACME test server (installed by .ci/run). Without it the ACME
 * tests are skipped with a message, except in CI (env `CI` set), where that is a failure.
 */
export const PEBBLE = process.env.PEBBLE ?? '/usr/bin/pebble';

export function pebbleForTests(): boolean {
  const have = existsSync(PEBBLE);
  if (!have && process.env.CI) {
    throw new Error(`pebble is not installed at ${PEBBLE}, and CI must test ACME: .ci/run installs it with apt-get install pebble`);
  }
  if (!have) console.warn(`test/server/acme: skipped: no pebble at ${PEBBLE} (apt-get install pebble, or set PEBBLE)`);
  return have;
}

/** A GET over HTTPS trusting `ca`: status and body. */
export function httpsGet(url: string, ca: string | Buffer, servername?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { ca, ...(servername ? { servername } : {}) }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).once('error', reject);
  });
}

/**
 * A pebble of a test's own on free loopback ports: its directory over HTTPS with a self-signed
 * certificate (`caFile`, what `tls.autocert.ca_file` trusts), validating HTTP-01 challenges for
 * real on `httpPort` of the domain (localhost: 127.0.0.1), where the server's `tls.http_redirect`
 * listens. No sleeps, no nonces refused, no authorizations reused: every order is validated.
 */
export class TestPebble {
  log = '';
  private constructor(
    private readonly proc: ChildProcess,
    readonly directoryUrl: string,
    readonly caFile: string,
    readonly httpPort: number,
    private readonly mgmtPort: number,
  ) {
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => (this.log += d));
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => (this.log += d));
  }

  static async start(dir: string): Promise<TestPebble> {
    const caFile = join(dir, 'pebble-https.crt');
    const keyFile = join(dir, 'pebble-https.key');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', caFile, '-days', '1', '-subj', '/CN=pebble', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], {
      stdio: 'ignore',
    });
    const [acmePort, mgmtPort, httpPort, tlsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const config = join(dir, 'pebble.json');
    writeFileSync(
      config,
      JSON.stringify({
        pebble: {
          listenAddress: `127.0.0.1:${acmePort}`,
          managementListenAddress: `127.0.0.1:${mgmtPort}`,
          certificate: caFile,
          privateKey: keyFile,
          httpPort,
          tlsPort,
          ocspResponderURL: '',
          externalAccountBindingRequired: false,
        },
      }),
    );
    const proc = spawn(PEBBLE, ['-config', config, '-strict'], {
      env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const p = new TestPebble(proc, `https://127.0.0.1:${acmePort}/dir`, caFile, httpPort, mgmtPort);
    const until = Date.now() + 15_000;
    while (!p.log.includes('ACME directory available')) {
      if (Date.now() > until || proc.exitCode !== null) {
        proc.kill('SIGKILL');
        throw new Error(`pebble did not start:\n${p.log}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return p;
  }

  /** Pebble's root CA (made anew at each start), from its management interface. */
  async root(): Promise<string> {
    const res = await httpsGet(`https://127.0.0.1:${this.mgmtPort}/roots/0`, this.certOfDirectory());
    if (res.status !== 200) throw new Error(`pebble's root: HTTP ${res.status}`);
    return res.body;
  }

  /** How many certificates pebble issued so far. */
  issued(): number {
    return this.log.split('Issued certificate serial').length - 1;
  }

  /** How many HTTP-01 validations pebble made (requests to the server's challenge listener). */
  httpValidations(): number {
    return this.log.split('Attempting to validate w/ HTTP').length - 1;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      this.proc.once('exit', () => resolve());
      this.proc.kill('SIGTERM');
    });
  }

  private certOfDirectory(): Buffer {
    return readFileSync(this.caFile);
  }
}
