import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/log/log.js';
import { runTinode } from '../helpers/cli.js';
import { httpsGet, pebbleForTests, TestPebble } from '../helpers/pebble.js';
import { freePort } from '../helpers/ports.js';
import { serverPerTest } from '../helpers/server.js';

/**
 * `tls.autocert` against Debian's pebble, an ACME CA on loopback that validates HTTP-01 for real:
 * it connects to localhost on the port given to the server as `tls.http_redirect`. The server
 * gets its certificate before listening, serves HTTPS and gRPC with it, keeps it in the cache
 * folder for the next start, and renews it into the running listeners.
 */
const havePebble = pebbleForTests();
const servers = serverPerTest();

/** The serial and issuer of the certificate a TLS connection to `port` gets for `localhost`. */
function served(port: number): Promise<{ serial: string; issuer: string }> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false, ALPNProtocols: ['h2', 'http/1.1'] }, () => {
      const c = s.getPeerCertificate();
      s.end();
      const cn = c.issuer.CN;
      resolve({ serial: c.serialNumber.toUpperCase(), issuer: Array.isArray(cn) ? cn.join() : String(cn) });
    });
    s.once('error', reject);
  });
}

/** Waits until a new connection to `port` gets another certificate than the one of `serial`. */
async function servedOtherThan(port: number, serial: string, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while ((await served(port)).serial === serial) {
    if (Date.now() > deadline) throw new Error(`no renewed certificate over ${what} within 20 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!havePebble)('ACME certificates (tls.autocert) from pebble', { timeout: 60_000 }, () => {
  let dir: string;
  let pebble: TestPebble;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tinode-acme-'));
    pebble = await TestPebble.start(dir);
  });

  afterAll(async () => {
    await pebble?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const tlsWith = (cache: string, httpPort = pebble.httpPort) => ({
    tls: {
      enabled: true,
      http_redirect: `127.0.0.1:${httpPort}`,
      autocert: { cache, email: 'ops@example.com', domains: ['localhost'], directory_url: pebble.directoryUrl, ca_file: pebble.caFile },
    },
  });

  it('orders a certificate before listening, validated over HTTP-01 on tls.http_redirect; serves HTTPS and gRPC with it; a restart takes it from the cache', async () => {
    const cache = join(dir, 'cache-one');
    const lines: string[] = [];
    const log = createLogger({ level: 'info', write: (l) => lines.push(l), color: false });
    const issuedBefore = pebble.issued();
    const validationsBefore = pebble.httpValidations();
    const srv = await servers.start(tlsWith(cache), undefined, {}, log);
    expect(pebble.issued()).toBe(issuedBefore + 1);
    expect(pebble.httpValidations()).toBeGreaterThan(validationsBefore);
    const said = lines.join('\n');
    expect(said).toContain(`ACME: ordering a certificate for localhost from ${pebble.directoryUrl}`);
    expect(said).toMatch(/ACME: certificate for localhost issued by Pebble Intermediate CA/);

    // HTTPS: the chain verifies against pebble's root, for the name localhost.
    const port = Number(srv.host.split(':').pop());
    const root = await pebble.root();
    expect(await httpsGet(`https://127.0.0.1:${port}/livez`, root, 'localhost')).toMatchObject({ status: 200 });
    const first = await served(port);
    expect(first.issuer).toMatch(/^Pebble Intermediate CA/);
    expect(first.serial).toBe(srv.server.acmeSerial());

    // gRPC has the same certificate: tinode cli trusts pebble's root and logs in.
    const rootFile = join(dir, 'pebble-root.pem');
    writeFileSync(rootFile, root);
    const grpcPort = Number(srv.server.grpcAddr!.split(':').pop());
    expect((await served(grpcPort)).serial).toBe(first.serial);
    const cli = await runTinode(['cli', '--host', srv.server.grpcAddr!, '--ssl', '--ssl-host', 'localhost', '--ca-file', rootFile, '--no-login', '--no-cookie'], {
      cwd: dir,
      input: '.must $me login alice:alice123\n.log $me.params[user]\n',
    });
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/usr[A-Za-z0-9_-]+/);

    // The plain-HTTP listener still redirects everything but challenges to HTTPS.
    const redirect = await fetch(`http://127.0.0.1:${pebble.httpPort}/v0/channels`, { redirect: 'manual' });
    expect(redirect.status).toBe(307);
    expect(redirect.headers.get('location')).toBe(`https://127.0.0.1:${port}/v0/channels`);
    expect((await fetch(`http://127.0.0.1:${pebble.httpPort}/.well-known/acme-challenge/nothing`)).status).toBe(404);

    // The cache: the account key and the certificate's key readable by the owner only.
    const files = readdirSync(cache).sort();
    expect(files).toEqual(expect.arrayContaining(['localhost.crt', 'localhost.json', 'localhost.key']));
    const account = files.find((f) => f.startsWith('account-'));
    expect(account).toBeDefined();
    expect(statSync(join(cache, 'localhost.key')).mode & 0o077).toBe(0);
    expect(statSync(join(cache, account!)).mode & 0o077).toBe(0);

    // A restart uses the cached certificate: no new order.
    await srv.close();
    lines.length = 0;
    const again = await servers.start(tlsWith(cache), undefined, {}, log);
    expect(pebble.issued()).toBe(issuedBefore + 1);
    expect(lines.join('\n')).toContain('ACME: using the cached certificate for localhost');
    expect(again.server.acmeSerial()).toBe(first.serial);
    expect((await served(Number(again.host.split(':').pop()))).serial).toBe(first.serial);
  });

  it('renews a certificate due for renewal and swaps it into HTTPS and gRPC without a restart', async () => {
    // Renewal when less than the whole lifetime remains (at once), at most one order per second.
    const srv = await servers.start(tlsWith(join(dir, 'cache-renew')), undefined, { acmeRenewShare: 1, acmeRetryMs: 1000, tlsWatchMs: 100 });
    const port = Number(srv.host.split(':').pop());
    const grpcPort = Number(srv.server.grpcAddr!.split(':').pop());
    const first = (await served(port)).serial;
    const issued = pebble.issued();
    await servedOtherThan(port, first, 'HTTPS');
    expect(pebble.issued()).toBeGreaterThan(issued);
    await servedOtherThan(grpcPort, first, 'gRPC');
    const root = await pebble.root();
    expect(await httpsGet(`https://127.0.0.1:${port}/livez`, root, 'localhost')).toMatchObject({ status: 200 });
  });

  it('refuses to start when the CA cannot validate the domain, saying what to check', async () => {
    // The challenge listener is on another port than the one pebble validates on.
    const elsewhere = await freePort();
    await expect(servers.start(tlsWith(join(dir, 'cache-fail'), elsewhere))).rejects.toThrow(
      /^ACME: cannot get a certificate for localhost from https:\/\/127\.0\.0\.1:\d+\/dir: .+ Check that localhost resolves to this server, that port 80 reaches tls\.http_redirect/s,
    );
    // Nothing is left listening on the redirect's port.
    const res = await fetch(`http://127.0.0.1:${elsewhere}/`).catch((err: unknown) => err);
    expect(res).toBeInstanceOf(Error);
  });
});
